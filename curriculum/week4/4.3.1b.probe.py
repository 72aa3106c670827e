"""4.3.1b: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch
import torch.nn as nn

from curriculum.probes.fill import fill, randn
from curriculum.probes.forward_calls import dropout_calls


def _tensor(y):
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"ResidualBlock.forward must return a tensor, not {type(y).__name__}")
    return y


def probe(ns, inputs):
    if "ResidualBlock" not in ns:
        raise NameError("name 'ResidualBlock' is not defined")
    cls = ns["ResidualBlock"]
    out = []
    for i, (dim, act, bn, p, b) in enumerate(inputs["configs"]):
        m = cls(dim, activation=act, use_batchnorm=bn, dropout=p)
        fill(m, inputs["seed"] + i)
        x = randn((b, dim), inputs["seed"] + 50 + i)
        res = {"types": [type(s).__name__ for s in m.modules()],
               "dropout_p": [float(s.p) for s in m.modules() if isinstance(s, nn.Dropout)],
               "params": sorted(n for n, _ in m.named_parameters())}
        m.eval()
        with torch.no_grad():
            res["eval"] = _tensor(m(x))
        m.train()
        with torch.no_grad():
            if p == 0.0:
                res["train"] = _tensor(m(x))
            else:
                # with dropout: the same random draws as the reference's forward, so one
                # nn.Dropout in the stated place draws the reference's mask
                torch.manual_seed(inputs["seed"] + 70 + i)
                res["train_seeded"] = _tensor(m(x))
                res["dropout_calls"], _ = dropout_calls(lambda m=m, x=x: m(x))
        out.append(res)
    return out
