"""Probe prelude: describe a layer object — type, where it comes from, hyperparameters, bias,
the dtype of its weights and whether they train, parameter count (runs in the jail)."""

import torch
import torch.nn as nn

_ATTRS = ("in_features", "out_features", "in_channels", "out_channels", "kernel_size",
          "stride", "padding", "dilation", "groups", "padding_mode", "num_features", "eps",
          "momentum", "affine", "track_running_stats", "normalized_shape",
          "elementwise_affine", "num_groups", "num_channels", "size", "alpha", "beta", "k",
          "negative_slope", "dim", "p", "inplace", "input_size", "hidden_size",
          "num_layers", "batch_first", "bidirectional", "dropout", "proj_size",
          "nonlinearity", "num_embeddings", "embedding_dim", "padding_idx", "max_norm",
          "norm_type", "scale_grad_by_freq", "sparse", "mode", "output_size", "ceil_mode",
          "count_include_pad", "return_indices", "approximate", "include_last_offset",
          "lambd", "min_val", "max_val", "threshold", "value", "beta_", "upscale_factor",
          "divisor_override")


def _plain(v):
    if isinstance(v, torch.Tensor):
        return "tensor"
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)[:80]


def describe(m):
    """Type name, where the class comes from, hyperparameters, bias, #params."""
    if not isinstance(m, nn.Module):
        return {"type": type(m).__name__, "module": False}
    d = {"type": type(m).__name__, "module": True,
         "torch": type(m).__module__.startswith("torch.nn"), "hyper": {}}
    for a in _ATTRS:
        if a in ("dropout", "p") and not hasattr(m, a):
            continue
        if hasattr(m, a) and not callable(getattr(m, a)):
            d["hyper"][a] = _plain(getattr(m, a))
    b = getattr(m, "bias", "absent")
    if isinstance(b, torch.Tensor) or b is None:
        d["hyper"]["bias"] = b is not None
    elif isinstance(b, bool):
        d["hyper"]["bias"] = b
    _weights(m, d["hyper"])
    d["params"] = int(sum(p.numel() for p in m.parameters()))
    return d


def _weights(m, hyper):
    """The dtype of the layer's floating-point parameters and buffers (``dtype=torch.float64``
    at construction) and whether its parameters train (``from_pretrained`` freezes them):
    ``dtype`` a name, or a list of names when they differ; ``requires_grad`` True, False,
    or "mixed"."""
    params = list(m.parameters(recurse=False))
    tensors = params + [b for b in m.buffers(recurse=False) if b.is_floating_point()]
    dtypes = sorted({str(t.dtype).replace("torch.", "") for t in tensors
                     if t.is_floating_point() or t.is_complex()})
    if dtypes:
        hyper["dtype"] = dtypes[0] if len(dtypes) == 1 else dtypes
    grads = {bool(p.requires_grad) for p in params}
    if grads:
        hyper["requires_grad"] = grads.pop() if len(grads) == 1 else "mixed"
