"""Sends back named values with what autograd knows about them (runs in the jail).

The harness reports a tensor's requires_grad / is_leaf / .grad through
``Tensor.as_subclass``, which returns a non-leaf alias (is_leaf False, grad
None) for every tensor that requires grad. So ``wrap`` reads those attributes
itself and sends ``("tensor", data, requires_grad, is_leaf, grad)``; anything
else travels as ``("other", value)``. The judge's ``curriculum.judges.autograd.unwrap``
turns them back into tensors carrying a ``.meta``.

``PROBE_ARGS["names"]``: the module-level names to send (NameError if missing).
"""

import torch as _torch

PROBE_ARGS: dict = {}

_Tensor = _torch.Tensor
_rg = _Tensor.requires_grad.__get__
_leaf = _Tensor.is_leaf.__get__
_grad = _Tensor.grad.__get__


def wrap(v):
    if isinstance(v, _Tensor):
        leaf = bool(_leaf(v))
        g = _grad(v) if leaf else None
        g = None if g is None else g.detach().clone(memory_format=_torch.contiguous_format)
        return ("tensor", v.detach().clone(memory_format=_torch.contiguous_format),
                bool(_rg(v)), leaf, g)
    if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
        return ("seq", [wrap(x) for x in v], type(v) is tuple)
    if type(v) is dict:
        return ("dict", [(k, wrap(x)) for k, x in v.items()])
    return ("other", v)


def probe(ns, inputs):
    out = {}
    for name in PROBE_ARGS["names"]:
        if name not in ns:
            raise NameError(f"name '{name}' is not defined")
        out[name] = wrap(ns[name])
    return out
