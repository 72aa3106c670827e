"""4.3.1a: what the checks measure inside the jail, next to the learner's code (data only)."""

import copy

import torch
import torch.nn as nn

from curriculum.probes.fill import fill, randn


def probe(ns, inputs):
    if "LinearWithStats" not in ns:
        raise NameError("name 'LinearWithStats' is not defined")
    return [_one(ns["LinearWithStats"], run) for run in inputs]


def _one(cls, inputs):
    n_in, n_out, seed = inputs["in"], inputs["out"], inputs["seed"]
    m = cls(n_in, n_out)
    lin = getattr(m, "linear", None)
    if not isinstance(lin, nn.Linear):
        raise AttributeError("LinearWithStats must keep its nn.Linear as `self.linear`")
    fill(m, seed)
    m.train()
    shapes = []
    for i, (b, scale, shift) in enumerate(inputs["batches"]):
        x = randn((b, n_in), seed + i, scale, shift)
        y = m(x)
        shapes.append(list(y.shape))
        (y ** 2).mean().backward()   # grads accumulate: no zero_grad on purpose
    # snapshots: get_statistics() may hand out live buffers that later calls change
    stats = copy.deepcopy(m.get_statistics())
    trained = _layout(cls, m, n_in, n_out)   # the Note's bug shows only while trained
    m.eval()
    with torch.no_grad():
        m(randn((3, n_in), seed + 99, 5.0, 2.0))
    frozen = copy.deepcopy(m.get_statistics())
    m.reset_statistics()
    after = copy.deepcopy(m.get_statistics())
    reset_layout = _layout(cls, m, n_in, n_out)
    # training goes on after a reset: the reset layer must track the next batches as a
    # fresh layer with the same weights does (its first batch initialises the running stats)
    m.zero_grad(set_to_none=True)
    fresh = cls(n_in, n_out)
    fill(fresh, seed)
    try:
        again, anew = _train_more(m, inputs), _train_more(fresh, inputs)
    except Exception as e:  # a reset that left a history unusable (None instead of [])
        again, anew = {"error": f"{type(e).__name__}: {' '.join(str(e).split())[:160]}"}, None
    nb = cls(n_in, n_out, bias=False)
    return {"shapes": shapes, "stats": stats, "frozen": frozen, "after": after,
            "again": again, "anew": anew, "trained": trained, "reset": reset_layout,
            "bias_none": getattr(getattr(nb, "linear", None), "bias", 0) is None,
            "buffers": sorted(n for n, _ in m.named_buffers())}


def _train_more(m, inputs):
    m.train()
    for i, (b, scale, shift) in enumerate(inputs["batches"][:2]):
        y = m(randn((b, inputs["in"]), inputs["seed"] + 200 + i, scale, shift))
        (y ** 2).mean().backward()
    return copy.deepcopy(m.get_statistics())


def _buffers(m):
    return {n: f"{tuple(b.shape)} {str(b.dtype).replace('torch.', '')}"
            for n, b in m.named_buffers()}


def _layout(cls, m, n_in, n_out):
    """Whether ``m``'s state_dict loads into a fresh layer, and every buffer whose shape or
    dtype differs from a fresh layer's (an assigned ``x.mean()`` is 0-d, a fresh buffer
    (1,)): a checkpoint of a trained layer must restore into a new one."""
    fresh = cls(n_in, n_out)
    want, have = _buffers(fresh), _buffers(m)
    changed = [f"{n}: {want[n]} when fresh, {have.get(n, 'missing')} now"
               for n in sorted(want) if have.get(n) != want[n]]
    try:
        fresh.load_state_dict(m.state_dict())
        reload = ""
    except Exception as exc:
        reload = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    return {"reload": reload, "changed": changed}
