"""Probe prelude (runs in the jail): is an argument handed to the learner's code still
what it was? A function must not change its caller's inputs (a tensor's values, shape,
dtype, ``requires_grad`` or ``.grad``; a list's entries; a dict's items): the probes keep
an untouched copy and compare it with what they handed over after the call."""

import math


def _same_tensor(a, b) -> bool:
    import torch
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    if a.requires_grad != b.requires_grad or (a.grad is None) != (b.grad is None):
        return False
    if a.is_floating_point() or a.is_complex():
        return bool(torch.equal(torch.isnan(a), torch.isnan(b))
                    and torch.equal(torch.nan_to_num(a, nan=0.0), torch.nan_to_num(b, nan=0.0)))
    return bool(torch.equal(a, b))


def same(before, after) -> bool:
    """Whether ``after`` still equals ``before`` (NaN equal to itself). Values of a kind
    not compared here (an object of the learner's) count as unchanged; a comparison that
    raises (``before`` is our own data, so only a hostile value put in its place can make it
    raise) counts as changed."""
    try:
        import torch
        if isinstance(before, torch.Tensor):
            return isinstance(after, torch.Tensor) and _same_tensor(before, after)
        if isinstance(before, (list, tuple)):
            return (type(after) is type(before) and len(after) == len(before)
                    and all(same(x, y) for x, y in zip(before, after, strict=True)))
        if isinstance(before, dict):
            return (isinstance(after, dict) and list(after) == list(before)
                    and all(same(before[k], after[k]) for k in before))
        if isinstance(before, float) and isinstance(after, float):
            return before == after or (math.isnan(before) and math.isnan(after))
        if isinstance(before, (bool, int, float, complex, str, bytes, type(None))):
            return type(after) is type(before) and before == after
    except Exception:
        return False
    return True
