"""Checks of 5.2.3 (robust training techniques): hidden inputs, and the judges of what the probe sent back.

Labels of the held-out sets stay here as ``Hidden`` secrets; trusted recomputations are done
in float64 from the data the probe sends back.
"""


import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import above, as_float, at_most, close
from curriculum.judges.data import early_stop, f32, stopping_curve
from curriculum.judges.text import type_name
from grader.checks.base import Verdict

# Early-stopping scenarios: (patience argument, training losses recorded before, variance
# of those losses) — every rule of the contract decides the stopping call in one of them.
HIGH, LOW = "high", "low"
#: Losses that varied a lot earlier and barely in their last 10: the variance of the whole
#: history (or of its first 10) is far above 0.1, that of the last 10 far below.
SETTLED = "settled"
STOPPING = (
    (None, 0, None),     # no training losses: patience 10
    (None, 12, HIGH),    # > 10 losses, last 10 vary by more than 0.1: patience 10 × 1.5
    (4, 11, HIGH),       # the patience argument: 4 × 1.5
    (None, 12, LOW),     # > 10 losses that barely vary: patience stays 10
    (None, 10, HIGH),    # exactly 10 losses ("more than 10" needed): patience stays 10
    (None, 24, SETTLED),  # only the LAST 10 count: patience stays 10
)
#: Scenarios whose hidden values are drawn after the others' (and the model's seed), so
#: adding them changed none of the values drawn before.
LATER = 1
MIN_DELTA = 1e-4


def _history(rng: np.random.Generator, n: int, spread: str | None) -> list[float]:
    """Training losses whose last 10 have a variance far from 0.1 under either definition
    (population or sample variance): about 0.3 (high) or below 0.001 (low)."""
    if spread == HIGH:
        return [float(rng.uniform(0.2, 0.3) + (i % 2) * rng.uniform(1.0, 1.3)) for i in range(n)]
    if spread == SETTLED:
        return _history(rng, n - 10, HIGH) + _history(rng, 10, LOW)
    return [float(1.0 + rng.uniform(-0.03, 0.03)) for _ in range(n)]


def effective_patience(patience: int | None, n: int, spread: str | None) -> float:
    base = 10 if patience is None else patience
    return base * 1.5 if n > 10 and spread == HIGH else base


def robust_inputs(rng: np.random.Generator) -> dict:
    X = rng.standard_normal((32, 10))
    w = rng.uniform(-1, 1, (10, 1))
    y = X @ w

    def scenario(patience: int | None, n: int, spread: str | None) -> dict:
        eff = effective_patience(patience, n, spread)
        return {"patience": patience, "history": _history(rng, n, spread),
                "val_losses": stopping_curve(rng, eff, min_delta=MIN_DELTA)}

    scenarios = [scenario(*s) for s in STOPPING[:-LATER]]
    init_seed = int(rng.integers(0, 2**31 - 1))
    scenarios += [scenario(*s) for s in STOPPING[-LATER:]]
    return {"init_seed": init_seed, "X": f32(X), "y": f32(y),
            "y_big": f32(y * 200.0), "stopping": scenarios}


def _step_problem(i, step, inputs) -> str | None:
    label = ("an ordinary batch", "a batch with huge targets", "a batch with a NaN input")[i]
    res, before, after = step["result"], step["before"], step["after"]
    logs = step.get("logs") or {}
    if i == 2:
        if res is not None:
            return f"{label}: return None when the loss is NaN or inf"
        if not torch.equal(before, after):
            return f"{label}: do not update the parameters when the loss is NaN or inf"
        for name, log in logs.items():
            if isinstance(log, list) and log:
                return (f"{label}: return None before recording anything when the loss is NaN "
                        f"or inf; {name} holds {len(log)} value(s) after it")
        return None
    if not (isinstance(res, dict) and {"loss", "grad_norm", "grad_clipped"} <= set(res)):
        return f"{label}: return a dict with 'loss', 'grad_norm' and 'grad_clipped'"
    X = inputs["X"].double()
    y = (inputs["y"] if i == 0 else inputs["y_big"]).double()
    t = before.clone().requires_grad_(True)
    loss = F.mse_loss(X @ t[:10].reshape(10, 1) + t[10], y)
    (g,) = torch.autograd.grad(loss, t)
    norm = float(g.norm())
    if not close(res["grad_norm"], norm, rtol=1e-3, atol=0.0):
        return (f"{label}: grad_norm should be the total L2 norm of all parameter gradients "
                f"before clipping; found {float(res['grad_norm']):.4g}")
    if not close(res["loss"], float(loss.detach()), rtol=1e-4, atol=0.0):
        return f"{label}: 'loss' should be the batch loss (loss.item())"
    clipped = above(norm, 10.0)
    if bool(res["grad_clipped"]) != clipped:
        return f"{label}: grad_clipped should be True exactly when the norm exceeds 10"
    problem = _logs_problem(step, float(loss.detach()), norm)
    if problem:
        return f"{label}: {problem}"
    step_g = g / norm if clipped else g
    want = before - 0.01 * step_g
    if not close(after, want, rtol=1e-4, atol=1e-6):
        return (f"{label}: after the step the parameters should be p - lr * grad, with the "
                "gradient clipped to norm 1.0 when its norm exceeds 10")
    return None


def _logs_problem(step: dict, loss: float, norm: float) -> str | None:
    """One step on a fresh trainer: loss_history holds its loss (loss.item()) and
    gradient_norms its gradient norm before clipping, one float each; no value returned or
    recorded is a tensor still attached to the autograd graph."""
    if step.get("graph"):
        return ("a returned or recorded value is a tensor still attached to the autograd graph "
                "(it keeps the step's graph alive): store loss.item() and the norm as floats")
    logs = step.get("logs")
    if not isinstance(logs, dict):
        return None
    for name, want, how in (("loss_history", loss, "loss.item()"),
                            ("gradient_norms", norm, "the total gradient norm before clipping")):
        log = logs.get(name)
        if not isinstance(log, list):
            return f"{name} must stay a list (set in __init__, appended to in each step)"
        if len(log) != 1 or not close(log[0], want, rtol=1e-4, atol=0.0):
            found = ", ".join(f"{v:.4g}" if (v := as_float(x)) is not None else type_name(x)
                              for x in log[:3]) + (", …" if len(log) > 3 else "")
            return (f"after one step on a fresh trainer, {name} should be [{want:.4g}] "
                    f"(append {how} once per step); found [{found}]")
    return None


def judge_robust_monitoring(learner, reference, inputs, ctx) -> Verdict:
    for i, step in enumerate(learner.value["steps"]):
        problem = _step_problem(i, step, inputs)
        if problem:
            return Verdict(False, "value", f"train_step_with_gradient_monitoring, {problem}")
    return Verdict(True, "value")


def _scenario_text(patience: int | None, n: int, spread: str | None) -> str:
    called = "adaptive_early_stopping(val_loss)" if patience is None else \
        f"adaptive_early_stopping(val_loss, patience={patience})"
    if not n:
        return f"{called} with no training losses recorded (patience 10)"
    var = "above" if spread == HIGH else "below"
    earlier = " (the earlier ones vary far more)" if spread == SETTLED else ""
    eff = effective_patience(patience, n, spread)
    return (f"{called} with {n} training losses in loss_history, the last 10 of variance {var} "
            f"0.1{earlier} (effective patience {eff:g})")


def _scaled(patience: int | None, n: int, spread: str | None, *, more_than: int = 10,
            needs_variance: bool = True, factor: float = 1.5, whole: bool = False) -> float:
    """The effective patience under a variant of the ×1.5 rule (the contract's by default;
    ``whole``: the variance of every training loss, not of the last 10)."""
    base = 10 if patience is None else patience
    applies = n > more_than and (spread == HIGH or not needs_variance
                                 or (whole and spread == SETTLED))
    return base * factor if applies else base


# Wrong rules a learner's stopping calls are matched against, most specific first: (hint,
# the call that stops under that rule). A rule is named only when it predicts the learner's
# stop in EVERY scenario: one scenario alone can fit several rules (stopping one call late
# and ignoring min_delta can stop at the same call).
_WRONG_RULES = (
    ("reset patience_counter to 0 whenever the validation loss improves",
     lambda c, p, n, s: early_stop(c, effective_patience(p, n, s), min_delta=MIN_DELTA,
                                   reset=False)[0]),
    ("it stops one call late: count this call first (patience_counter += 1), then return "
     "True as soon as the count reaches the effective patience (>=, not >)",
     lambda c, p, n, s: early_stop(c, effective_patience(p, n, s) + 1, min_delta=MIN_DELTA)[0]),
    ("it stops one call early: return True when `patience` calls in a row (this one "
     "included) brought no improvement, not patience - 1",
     lambda c, p, n, s: early_stop(c, effective_patience(p, n, s) - 1, min_delta=MIN_DELTA)[0]),
    ("a validation loss improves only when it is below best_val_loss - min_delta (1e-4); a "
     "smaller gain counts as no improvement",
     lambda c, p, n, s: early_stop(c, effective_patience(p, n, s))[0]),
    ("the effective patience is patience * 1.5 (more patient, not less) when loss_history has "
     "more than 10 entries whose last 10 vary by more than 0.1",
     lambda c, p, n, s: early_stop(c, _scaled(p, n, s, factor=1 / 1.5), min_delta=MIN_DELTA)[0]),
    ("scale the patience by 1.5 when loss_history has more than 10 entries whose last 10 vary "
     "by more than 0.1",
     lambda c, p, n, s: early_stop(c, _scaled(p, n, s, factor=1.0), min_delta=MIN_DELTA)[0]),
    ("patience is scaled by 1.5 only when loss_history has MORE than 10 entries (10 is not "
     "enough)",
     lambda c, p, n, s: early_stop(c, _scaled(p, n, s, more_than=9), min_delta=MIN_DELTA)[0]),
    ("the variance is that of the LAST 10 training losses (loss_history[-10:]), not of the "
     "whole history",
     lambda c, p, n, s: early_stop(c, _scaled(p, n, s, whole=True), min_delta=MIN_DELTA)[0]),
    ("patience is scaled by 1.5 only when the variance of the last 10 training losses is "
     "above 0.1",
     lambda c, p, n, s: early_stop(c, _scaled(p, n, s, needs_variance=False),
                                   min_delta=MIN_DELTA)[0]),
)
_GENERIC_HINT = ("count the calls in a row without an improvement (below best_val_loss - "
                 "min_delta), restart at an improvement, and return True when the count "
                 "reaches the effective patience")


def _stopping_hint(got_stops: list, curves: list) -> str:
    """The wrong rule that explains the learner's stopping call in every scenario, if one
    does."""
    for hint, rule in _WRONG_RULES:
        if all(rule(curve, patience, n, spread) == got
               for (patience, n, spread), curve, got in zip(STOPPING, curves, got_stops,
                                                            strict=True)):
            return hint
    return _GENERIC_HINT


def _first_stop(stops) -> int | None:
    return stops.index(True) if True in stops else None


def judge_robust_stopping(learner, reference, inputs, ctx) -> Verdict:
    runs = learner.value["stopping"]
    if not all(isinstance(s, bool) for got in runs for s in got["stops"]):
        return Verdict(False, "type", "adaptive_early_stopping must return True or False")
    curves = [scenario["val_losses"] for scenario in inputs["stopping"]]
    got_stops = [_first_stop(got["stops"]) for got in runs]
    for (patience, n, spread), curve, got, got_stop in zip(STOPPING, curves, runs, got_stops,
                                                           strict=True):
        eff = effective_patience(patience, n, spread)
        want_stop, best_i = early_stop(curve, eff, min_delta=MIN_DELTA)
        if got_stop != want_stop:
            where = "never stopped" if got_stop is None else f"stopped at call {got_stop + 1}"
            rule = "never" if want_stop is None else f"at call {want_stop + 1}"
            return Verdict(False, "value", f"{_scenario_text(patience, n, spread)}: it {where} "
                                           f"(the rule stops {rule}) — "
                                           + _stopping_hint(got_stops, curves))
        restored = got["restored"]
        if not close(restored, torch.full_like(restored, float(best_i)), rtol=1e-5, atol=1e-8):
            return Verdict(False, "value", "on stopping, load the best epoch's weights back into "
                                           "the model — keep a deep copy "
                                           "(copy.deepcopy(state_dict()) or clone every tensor): "
                                           "state_dict().copy() still points at the live "
                                           "parameters")
    return Verdict(True, "value")


def judge_robust_noise(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    if not v["data_untouched"]:
        return Verdict(False, "value", "noise_injection_training must not modify `data` in place")
    for epoch, noisy in zip((0, 40, 200), v["noise"], strict=True):
        sigma = max(0.001, 0.01 * 0.95 ** epoch)
        if not isinstance(noisy, torch.Tensor) or tuple(noisy.shape) != (4000, 5):
            return Verdict(False, "shape", "noise_injection_training must return a tensor shaped "
                                           "like data")
        std, mean = float(noisy.double().std()), float(noisy.double().mean())
        if not (close(std, sigma, rtol=0.05, atol=0.0) and at_most(abs(mean), 0.2 * sigma)):
            return Verdict(False, "value", f"epoch {epoch}: the added noise should be Gaussian "
                                           f"with std max(0.001, 0.01 * 0.95 ** epoch); found "
                                           f"std {std:.3g}")
    for given, noisy in zip((0.05, 0.0), v.get("given") or [], strict=False):
        if not isinstance(noisy, torch.Tensor) or tuple(noisy.shape) != (4000, 5):
            return Verdict(False, "shape", "noise_injection_training must return a tensor shaped "
                                           "like data")
        std = float(noisy.double().std())
        if not close(std, given, rtol=0.05, atol=1e-12):
            return Verdict(False, "value", f"noise_injection_training(data, epoch, noise_std="
                                           f"{given}): a noise_std that is given (0.0 too: `is "
                                           "None`, not falsy) replaces the schedule; found std "
                                           f"{std:.3g}")
    return Verdict(True, "value")
