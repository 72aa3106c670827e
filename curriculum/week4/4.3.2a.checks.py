"""Checks of 4.3.2a (TimeSeriesPredictor): shapes for any length/horizon, positive uncertainty,
consistent horizons."""

PROBE = '''
import torch
import torch.nn as nn


def _x(shape, seed, scale=1.0):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g) * scale


def probe(ns, inputs):
    if "TimeSeriesPredictor" not in ns:
        raise NameError("name 'TimeSeriesPredictor' is not defined")
    cls = ns["TimeSeriesPredictor"]
    out = []
    for i, (b, t, f, h, o, s, steps) in enumerate(inputs["cases"]):
        torch.manual_seed(inputs["seed"] + i)
        m = cls(input_features=f, hidden_dim=h, output_features=o, sequence_length=s)
        m.eval()
        x = _x((b, t, f), inputs["seed"] + 10 + i)
        with torch.no_grad():
            y = m(x, prediction_steps=steps)
            if not isinstance(y, (tuple, list)) or len(y) != 2:
                raise TypeError("forward must return (mean_predictions, std_predictions)")
            mean, std = y
            one = m(x, prediction_steps=1)[0]
            again = m(x, prediction_steps=steps)[0]
            other = m(_x((b, t, f), inputs["seed"] + 20 + i), prediction_steps=steps)[0]
            big_std = m(x * 25.0, prediction_steps=steps)[1]
            extra = []
            for r in range(3):   # random re-draws of every parameter: std must stay > 0
                g = torch.Generator().manual_seed(inputs["seed"] + 100 * i + r)
                for p in m.parameters():
                    p.copy_(torch.randn(p.shape, generator=g))
                extra.append(m(x, prediction_steps=steps)[1].flatten())
        stds = torch.cat([std.flatten(), big_std.flatten(), *extra])
        out.append({"mean_shape": list(mean.shape), "std_shape": list(std.shape),
                    "std_min": float(stds.min()) if stds.numel() else 1.0,
                    "std_finite": bool(torch.isfinite(stds).all()),
                    "first_step_diff": (float((mean[:, :1] - one[:, :1]).abs().max())
                                        if mean.dim() == 3 and one.dim() == 3 else None),
                    "repeat_diff": float((mean - again).abs().max()),
                    "input_dep": float((mean - other).abs().max()),
                    "types": [type(q).__name__ for q in m.modules()]})
    return out
'''


def inputs(rng):
    cases = [(8, 20, 5, 64, 1, 20, 5)]   # the seed's example
    for k in range(3):
        s = int(rng.integers(8, 21))
        t = s if k == 0 else int(rng.integers(3, 30))
        cases.append((int(rng.integers(2, 7)), t, int(rng.integers(2, 7)),
                      int(rng.choice([16, 24, 32])), int(rng.integers(1, 5)), s,
                      int(rng.integers(2, 7))))
    return {"seed": int(rng.integers(1, 2**30)), "cases": cases}


def _where(c):
    b, t, f, h, o, s, steps = c
    return (f"TimeSeriesPredictor({f}, {h}, {o}, sequence_length={s}) on x of shape "
            f"({b}, {t}, {f}) with prediction_steps={steps}")


def judge_shapes(learner, reference, inputs, ctx):
    for c, g, r in zip(inputs["cases"], learner.value, reference.value, strict=True):
        for key, what in (("mean_shape", "mean predictions"), ("std_shape", "std predictions")):
            if g[key] != r[key]:
                return False, (f"{_where(c)}: {what} must have shape (batch, prediction_steps, "
                               f"output_features) = {tuple(r[key])}; got {tuple(g[key])}")
    return True, ""


def judge_uncertainty(learner, reference, inputs, ctx):
    for c, g in zip(inputs["cases"], learner.value, strict=True):
        if not g["std_finite"] or not g["std_min"] > 0:
            return False, (f"{_where(c)}: the uncertainty must be finite and strictly positive "
                           f"everywhere (e.g. Softplus + 1e-6), also for inputs scaled ×25 and random "
                           f"parameter values; "
                           f"smallest value found {g['std_min']:.3g}")
    return True, ""


def judge_horizon(learner, reference, inputs, ctx):
    for c, g in zip(inputs["cases"], learner.value, strict=True):
        if any(t in g["types"] for t in ("LSTM", "GRU", "RNN")) is False:
            return False, "use a recurrent layer (nn.LSTM or nn.GRU) for the temporal dependencies"
        if g["repeat_diff"] > 1e-6:
            return False, f"{_where(c)}: in eval() mode two identical calls must agree"
        if g["first_step_diff"] is None or g["first_step_diff"] > 1e-5:
            return False, (f"{_where(c)}: the first predicted step must not depend on how many "
                           "steps are requested (compare prediction_steps=1)")
        if g["input_dep"] < 1e-7:
            return False, f"{_where(c)}: the predictions do not depend on the input sequence"
    return True, ""
