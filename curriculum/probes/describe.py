"""Probe prelude: describe a layer object — type, where it comes from, hyperparameters, bias,
parameter count (runs in the jail)."""

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
          "lambd", "min_val", "max_val", "threshold", "value", "beta_", "upscale_factor")


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
    d["params"] = int(sum(p.numel() for p in m.parameters()))
    return d
