"""Checks of 4.3.2a (TimeSeriesPredictor): shapes for any length/horizon, positive uncertainty,
consistent horizons."""


from curriculum.judges.compare import above, at_most, finite


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
        if g["std_finite"] is not True or not above(g["std_min"], 0.0):
            found = (f"smallest value found {g['std_min']}" if g["std_finite"] is True else
                     "found inf or NaN (an exp() or a division that overflows?)")
            return False, (f"{_where(c)}: the uncertainty must be finite and strictly positive "
                           f"everywhere (e.g. Softplus + 1e-6), also for inputs scaled ×25 and random "
                           f"parameter values; {found}")
    return True, ""


def judge_horizon(learner, reference, inputs, ctx):
    for c, g in zip(inputs["cases"], learner.value, strict=True):
        if any(t in g["types"] for t in ("LSTM", "GRU", "RNN")) is False:
            return False, "use a recurrent layer (nn.LSTM or nn.GRU) for the temporal dependencies"
        if not at_most(g["repeat_diff"], 1e-6):
            return False, f"{_where(c)}: in eval() mode two identical calls must agree"
        if "solo_diff" in g and not at_most(g["solo_diff"], 1e-5):
            return False, (f"{_where(c)}: the forecast of a series must not depend on the "
                           "other series in the batch — forecasting the last series alone gave "
                           "a different result. The input is (batch, seq, features): create "
                           "the LSTM with batch_first=True")
        if not at_most(g["first_step_diff"], 1e-5):
            return False, (f"{_where(c)}: the first predicted step must not depend on how many "
                           "steps are requested (compare prediction_steps=1)")
        if not (finite(g["input_dep"]) and above(g["input_dep"], 1e-7)):
            return False, f"{_where(c)}: the predictions do not depend on the input sequence"
        if not above(g.get("last_step_dep"), 1e-7):
            return False, (f"{_where(c)}: step 1 must be predicted from the last LSTM output "
                           "(lstm_out[:, -1] or h_n[-1]); changing only the last time step of "
                           "x did not change the forecast")
        later = g.get("later_steps_diff")
        if later is not None and not above(later, 1e-7):
            return False, (f"{_where(c)}: every step repeats step 1; each later step must be "
                           "predicted from the previous prediction (fed back through "
                           "horizon_projection), not from the same LSTM output again")
        direct = g.get("last_output_diff")
        if direct is not None and not at_most(direct, 1e-5):
            return False, (f"{_where(c)}: step 1 must be mean_head(lstm_out[:, -1]) — the head "
                           "applied to the last LSTM output, not to a mean or another mix of "
                           "the time steps")
    return True, ""
