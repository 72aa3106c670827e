"""4.3.1c: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.fill import fill, randn


def probe(ns, inputs):
    if "AttentionLayer" not in ns:
        raise NameError("name 'AttentionLayer' is not defined")
    cls = ns["AttentionLayer"]
    out = []
    for i, (b, t, d, a) in enumerate(inputs["cases"]):
        m = cls(d, a)
        fill(m, inputs["seed"] + i)
        x = randn((b, t, d), inputs["seed"] + 50 + i)
        with torch.no_grad():
            y = m(x)
        if not isinstance(y, (tuple, list)) or len(y) != 2:
            raise TypeError("forward must return a tuple (output, attention_weights)")
        if not all(isinstance(v, torch.Tensor) for v in y):
            raise TypeError("output and attention_weights must both be tensors")
        out.append({"out": y[0], "w": y[1],
                    "params": sorted(n for n, _ in m.named_parameters())})
    return out
