"""Probe prelude (runs in the jail): a model built with hidden sizes, as data.

A contract's constructor arguments are tried at values other than the defaults; what
each layer was built with (``nn.Embedding``'s rows and size, ``nn.LSTM``'s input and
hidden size, ``nn.Linear``'s features, ``nn.MultiheadAttention``'s size and heads) tells
the judge which argument was read nowhere (:mod:`curriculum.judges.sizes`)."""

import torch

SIZE_ATTRS = ("num_embeddings", "embedding_dim", "embed_dim", "num_heads", "input_size",
              "hidden_size", "in_features", "out_features")


def layer_sizes(model):
    """[type name, {size attribute: value}] of every module of ``model``: int values only
    (the learner's own modules may keep anything under these names)."""
    out = []
    for m in model.modules():
        sizes = {}
        for k in SIZE_ATTRS:
            v = getattr(m, k, None)
            if type(v) is int:
                sizes[k] = v
        out.append([type(m).__name__, sizes])
    return out


def sized_run(model, forward, params=True):
    """``model``'s layers (and parameter count), then ``forward(model)`` without gradients:
    ``{"out": …}``, or the name of the error it raised (a layer built from a hard-coded size
    may not fit the next one)."""
    model.eval()
    rec = {"layers": layer_sizes(model)}
    if params:
        rec["params"] = sum(p.numel() for p in model.parameters())
    try:
        with torch.no_grad():
            rec["out"] = forward(model)
    except Exception as exc:
        rec["error"] = type(exc).__name__
    return rec


def shape_of(out):
    """An output's shape as a list, or its type's name when it is no tensor."""
    return list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
