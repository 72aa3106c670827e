"""Trains with the learner's ``train(X, y) -> (w, b)`` on each data set, then predicts
the held-out inputs with ``predict(X_test, w, b)`` (runs in the jail).

The first loss the training differentiates is sent too, with the parameters it was
computed from: a prompt that states the loss (the mean squared error, the binary
cross-entropy) is judged on it, since a model trained on another loss can still
classify well. ``torch.autograd.backward`` (what ``loss.backward()`` calls) and
``torch.autograd.grad`` are watched during ``train``; the parameters are the leaves
the loss's graph accumulates into (or the inputs given to ``grad``), copied before
the update changes them.

A data set with ``epochs`` is trained with ``num_epochs=epochs``, and the number of
differentiations is sent: one per epoch, as the prompts state. A data set with
``rates`` (two learning rates) is also trained twice for two epochs, once with each
rate, torch's generator seeded alike before each run (so a random start is the same
start); the parameters at both differentiations of each run are sent, so the first
update can be judged against the learning rate passed in, whatever the loss's form.

``PROBE_ARGS``: ``train`` and ``predict``, the two function names.
"""

import torch as _torch

from curriculum.probes.grads import wrap

PROBE_ARGS: dict = {}
_GRAPH_LIMIT = 10_000  # autograd nodes walked to find the leaves


def _leaves(loss):
    out, seen, stack = [], set(), [loss.grad_fn]
    while stack and len(seen) < _GRAPH_LIMIT:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if isinstance(variable, _torch.Tensor):
            out.append(variable)
        stack.extend(fn for fn, _ in node.next_functions)
    return out


class _FirstLoss:
    """Records ``[loss value, [parameter copies]]`` at the first differentiation."""

    def __init__(self, ns):
        self.seen = None
        self.second = None  # the parameters at the second differentiation (after one step)
        self.count = 0  # differentiations during train: one per epoch
        self._backward, self._grad = _torch.autograd.backward, _torch.autograd.grad
        # the submission's own names for them too (from torch.autograd import grad): bound
        # before the patch, they are swapped as well
        self._ns = ns
        self._swapped = []

    def _record(self, outputs, leaves):
        self.count += 1
        if self.count == 2 and self.seen is not None:
            self.second = [p.detach().clone() for p in leaves() if isinstance(p, _torch.Tensor)]
        if self.seen is not None:
            return
        loss = outputs[0] if isinstance(outputs, (list, tuple)) and outputs else outputs
        if isinstance(loss, _torch.Tensor) and loss.numel() == 1:
            params = [p.detach().clone() for p in leaves() if isinstance(p, _torch.Tensor)]
            self.seen = [float(loss.detach()), params]

    def __enter__(self):
        def backward(tensors, *args, **kwargs):
            self._record(tensors, lambda: _leaves(tensors))
            return self._backward(tensors, *args, **kwargs)

        def grad(outputs, inputs, *args, **kwargs):
            self._record(outputs, lambda: list(inputs) if isinstance(inputs, (list, tuple))
                         else [inputs])
            return self._grad(outputs, inputs, *args, **kwargs)

        _torch.autograd.backward, _torch.autograd.grad = backward, grad
        self._swapped = [(k, v) for k, v in self._ns.items()
                         if v is self._backward or v is self._grad]
        for k, v in self._swapped:
            self._ns[k] = backward if v is self._backward else grad
        return self

    def __exit__(self, *exc):
        _torch.autograd.backward, _torch.autograd.grad = self._backward, self._grad
        for k, v in self._swapped:
            self._ns[k] = v


def probe(ns, inputs):
    train = ns.get(PROBE_ARGS["train"])
    predict = ns.get(PROBE_ARGS["predict"])
    if train is None:
        raise NameError(f"name '{PROBE_ARGS['train']}' is not defined")
    if predict is None:
        raise NameError(f"name '{PROBE_ARGS['predict']}' is not defined")
    out = []
    for ds in inputs:
        kwargs = {"num_epochs": int(ds["epochs"])} if "epochs" in ds else {}
        with _FirstLoss(ns) as first:
            result = train(ds["X"].clone(), ds["y"].clone(), **kwargs)
        if not (isinstance(result, tuple) and len(result) == 2):
            out.append(("bad", type(result).__name__))
            continue
        w, b = result
        out.append((wrap(w), wrap(b), wrap(predict(ds["X_test"].clone(), w, b)), first.seen,
                    first.count, short_runs(ns, train, ds)))
    return out


def _both_params(run):
    return None if run.seen is None or run.second is None else (run.seen[1], run.second)


def short_runs(ns, train, ds, keep=_both_params):
    """[keep(run), …] of two-epoch runs (``num_epochs=2``), one per rate in ``ds["rates"]``,
    each from the same generator state; None without rates. By default a run keeps its
    parameters at the first differentiation and at the second, or None where it
    differentiated fewer than twice. A run that raises gives None in its place."""
    if "rates" not in ds:
        return None
    runs = []
    state = _torch.random.get_rng_state()
    for rate in ds["rates"]:
        _torch.random.set_rng_state(state)
        try:
            with _FirstLoss(ns) as run:
                train(ds["X"].clone(), ds["y"].clone(), num_epochs=2,
                      learning_rate=float(rate))
        except Exception:  # the main run's verdict speaks for the code
            runs.append(None)
            continue
        runs.append(keep(run))
    return runs
