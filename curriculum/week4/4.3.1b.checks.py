"""Checks of 4.3.1b (ResidualBlock): every configuration, residual path, activations."""

from curriculum.judges.compare import at_most, max_abs_diff
from curriculum.judges.modules import dropout_calls_problem


def inputs(rng):
    acts = ["relu", "gelu", "tanh", "leaky_relu", "swish"]
    configs = []
    for i, act in enumerate(acts):
        bn = bool(i % 2 == 0)
        p = 0.0 if i != 1 else float(rng.choice([0.1, 0.2, 0.3]))
        configs.append((int(rng.integers(4, 24)), act, bn, p, int(rng.integers(3, 9))))
    configs.append((64, "gelu", True, 0.1, 4))   # the seed's example
    return {"seed": int(rng.integers(1, 2**30)), "configs": configs}


def _cfg(c):
    _dim, act, bn, p, _b = c
    return f"ResidualBlock(dim, activation={act!r}, use_batchnorm={bn}, dropout={p})"


def judge_structure(learner, reference, inputs, ctx):
    for c, g, r in zip(inputs["configs"], learner.value, reference.value, strict=True):
        if g["params"] != r["params"]:
            return False, (f"{_cfg(c)}: parameters must be linear1, linear2 (and bn1, bn2 when "
                           f"use_batchnorm) — expected {r['params']}, found {g['params']}")
        # an nn.Dropout(0.0) does nothing: declaring one for dropout=0 is "no dropout"
        want = sorted(p for p in r["dropout_p"] if p)
        have = sorted(p for p in g["dropout_p"] if type(p) in (int, float) and p)
        if have != want:
            expected = f"nn.Dropout with p={want[0]}" if want else "no dropout"
            return False, (f"{_cfg(c)}: expected {expected}; found dropout rates "
                           f"{have or 'none'}")
    return True, ""


def judge_forward(learner, reference, inputs, ctx):
    for c, g, r in zip(inputs["configs"], learner.value, reference.value, strict=True):
        for mode in ("eval", "train"):
            if mode not in r:
                continue
            if list(g[mode].shape) != list(r[mode].shape):
                return False, (f"{_cfg(c)} in {mode}() mode: expected output shape "
                               f"{tuple(r[mode].shape)}, got {tuple(g[mode].shape)}")
            err = max_abs_diff(g[mode], r[mode])
            if not at_most(err, 1e-4):
                return False, (f"{_cfg(c)} in {mode}() mode: output differs from "
                               "activation(bn2(linear2(dropout(activation(bn1(linear1(x)))))) + x)"
                               f" (max abs error {err:.3g} > 1e-4, with your parameters set to "
                               "fixed values by name); check the residual sum, where the "
                               "activation goes, and the activation for this name "
                               "(unknown names fall back to ReLU)")
        bad = _dropout_problem(c, g, r)
        if bad:
            return False, bad
    return True, ""


def _dropout_problem(c, g, r):
    """With dropout, in train() mode: the dropout the forward applies (how many calls, at what
    rate), then where — the output under the reference's random draws: one nn.Dropout after
    the first activation draws the reference's mask."""
    if "train_seeded" not in r:
        return None
    bad = dropout_calls_problem("ResidualBlock", "dropout after the first activation, before "
                                "linear2", g.get("dropout_calls"), r.get("dropout_calls"))
    if bad:
        return f"{_cfg(c)}: {bad}"
    got, want = g.get("train_seeded"), r["train_seeded"]
    if getattr(got, "shape", None) != want.shape:
        return None   # the eval-mode comparison names a wrong shape
    err = max_abs_diff(got, want)
    if not at_most(err, 1e-4):
        return (f"{_cfg(c)} in train() mode: the output differs from "
                "activation(bn2(linear2(dropout(activation(bn1(linear1(x)))))) + x) with the "
                f"same dropout mask (max abs error {err:.3g} > 1e-4): dropout goes right after "
                "the first activation, before linear2 — not before the activation, after "
                "linear2/bn2 or after the residual sum")
    return None
