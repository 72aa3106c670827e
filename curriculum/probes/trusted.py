"""Probe prelude (runs in the jail): the functions recorders call while the learner's code
runs, captured before any of it ran.

A probe starts after the harness has put torch back as it was (``restore_pristine``), but
its hooks fire *inside* the learner's call, where an assignment made a moment earlier —
``torch.is_grad_enabled = lambda: False`` around a validation loop, ``Tensor.double``
answering zeros during ``optimizer.step()`` — would answer for them: validation with
gradients on read as ``no_grad``, unclipped gradients read as clipped. Recorders that judge
a rule (the grad mode, a gradient's norm, a loss's value) call these instead. In the jail
they come from the harness's ``PRISTINE`` (taken at its import, so nothing that runs
between the harness's steps — a gc callback, a finalizer — can swap them), and the
arithmetic runs with ``__torch_function__`` off (a ``TorchFunctionMode`` the learner entered
answered it); elsewhere (the judge, a unit test) from torch itself."""

import builtins as _tr_builtins
import math as _tr_math

import torch as _tr_torch

_tr_given = globals().get("PRISTINE") or {}
_tr_grad_on = _tr_given.get("is_grad_enabled", _tr_torch.is_grad_enabled)
_tr_detach = _tr_given.get("detach", _tr_torch.Tensor.detach)
_tr_double = _tr_given.get("double", _tr_torch.Tensor.double)
_tr_item = _tr_given.get("item", _tr_torch.Tensor.item)
_tr_sum = _tr_given.get("sum", _tr_torch.sum)
_tr_square = _tr_given.get("square", _tr_torch.square)
_tr_plain = _tr_given.get("no_torch_function", _tr_torch._C.DisableTorchFunction)
_tr_float = _tr_builtins.float
_tr_bool = _tr_builtins.bool
_tr_fsum = _tr_math.fsum
_tr_sqrt = _tr_math.sqrt


def grad_on():
    """Whether gradients are on in this thread, whatever the learner rebound."""
    return _tr_bool(_tr_grad_on())


def sq_norm(tensor):
    """The squared L2 norm of a tensor's values, in float64, as a float."""
    with _tr_plain():
        return _tr_float(_tr_item(_tr_sum(_tr_square(_tr_double(_tr_detach(tensor))))))


def sq_sum(numbers):
    """An exact sum of floats (``math.fsum``, bound before the learner's code ran)."""
    return _tr_fsum(numbers)


def total_norm(tensors):
    """The L2 norm of all of ``tensors`` together (the norm ``clip_grad_norm_`` clips)."""
    return _tr_sqrt(_tr_fsum([sq_norm(t) for t in tensors]))


def number(tensor):
    """A one-element tensor's value as a float (a loss)."""
    with _tr_plain():
        return _tr_float(_tr_item(_tr_detach(tensor)))
