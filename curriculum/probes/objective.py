"""Probe prelude: a learner's objective function, watched while their optimiser runs (runs
in the jail). "Minimise it with autograd over the steps" is judged by the points a gradient
actually flowed back through, not by a `.backward` in the text."""

import torch


def _point(args, kwargs, name):
    """The input a call was made at, as a float (None when it can't be read)."""
    value = args[0] if args else kwargs.get(name)
    try:
        return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)
    except (TypeError, ValueError, RuntimeError):
        return None


class Watched:
    """Stands in for the objective ``fn``: counts its calls and records each input (its
    argument ``name``) whose result a gradient flowed back through — one per step."""

    def __init__(self, fn, name):
        self.fn, self.name = fn, name
        self.calls = 0
        self.graded = set()
        self.first = None  # the input of the first call (where the descent starts)

    def reset(self):
        self.calls = 0
        self.graded.clear()
        self.first = None

    def __call__(self, *args, **kwargs):
        self.calls += 1
        out = self.fn(*args, **kwargs)
        at = _point(args, kwargs, self.name)
        if self.calls == 1:
            self.first = at
        if isinstance(out, torch.Tensor) and out.requires_grad and at is not None:
            out.register_hook(lambda grad, at=at: self.graded.add(at))
        return out
