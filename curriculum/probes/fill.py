"""Probe prelude: set every parameter to fixed values chosen by its *name*, so the learner's
module and the reference compute the same numbers when the learner follows the contract's
attribute names; seeded random inputs; output shapes (runs in the jail)."""

import torch


def _name_seed(name, base):
    return (base * 1000003 + sum((i + 1) * ord(c) for i, c in enumerate(name))) % (2**31)


def fill(model, base, scale=0.3):
    with torch.no_grad():
        for name, p in model.named_parameters():
            g = torch.Generator().manual_seed(_name_seed(name, base))
            p.copy_(torch.randn(p.shape, generator=g) * scale)


def randn(shape, seed, scale=1.0, shift=0.0):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g) * scale + shift


def shape(y):
    if isinstance(y, torch.Tensor):
        return list(y.shape)
    if isinstance(y, (tuple, list)):
        return [shape(e) for e in y]
    return type(y).__name__
