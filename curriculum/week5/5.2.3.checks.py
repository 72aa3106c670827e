"""Checks of 5.2.3 (robust training techniques): hidden inputs, and the judges of what the probe sent back.

Labels of the held-out sets stay here as ``Hidden`` secrets; trusted recomputations are done
in float64 from the data the probe sends back.
"""


import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import above, at_most, below, close
from curriculum.judges.data import f32
from grader.checks.base import Verdict


def robust_inputs(rng: np.random.Generator) -> dict:
    X = rng.standard_normal((32, 10))
    w = rng.uniform(-1, 1, (10, 1))
    y = X @ w
    # a validation-loss curve: falls, then wobbles without improving
    best = int(rng.integers(3, 8))
    curve = list(np.linspace(1.0, 0.5, best + 1))
    curve += list(0.5 + rng.uniform(0.0, 0.2, 14))
    return {"init_seed": int(rng.integers(0, 2**31 - 1)), "X": f32(X), "y": f32(y),
            "y_big": f32(y * 200.0), "val_losses": [float(v) for v in curve]}


def _step_problem(i, step, inputs) -> str | None:
    label = ("an ordinary batch", "a batch with huge targets", "a batch with a NaN input")[i]
    res, before, after = step["result"], step["before"], step["after"]
    if i == 2:
        if res is not None:
            return f"{label}: return None when the loss is NaN or inf"
        if not torch.equal(before, after):
            return f"{label}: do not update the parameters when the loss is NaN or inf"
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
    step_g = g / norm if clipped else g
    want = before - 0.01 * step_g
    if not close(after, want, rtol=1e-4, atol=1e-6):
        return (f"{label}: after the step the parameters should be p - lr * grad, with the "
                "gradient clipped to norm 1.0 when its norm exceeds 10")
    return None


def judge_robust_monitoring(learner, reference, inputs, ctx) -> Verdict:
    for i, step in enumerate(learner.value["steps"]):
        problem = _step_problem(i, step, inputs)
        if problem:
            return Verdict(False, "value", f"train_step_with_gradient_monitoring, {problem}")
    return Verdict(True, "value")


def judge_robust_stopping(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    losses = inputs["val_losses"]
    best, best_i, wait, want_stop = float("inf"), None, 0, None
    for i, loss in enumerate(losses):
        if below(loss, best - 1e-4):
            best, best_i, wait = loss, i, 0
        else:
            wait += 1
            if wait >= 10:
                want_stop = i
                break
    stops = v["stops"]
    if not all(isinstance(s, bool) for s in stops):
        return Verdict(False, "type", "adaptive_early_stopping must return True or False")
    got_stop = stops.index(True) if True in stops else None
    if got_stop != want_stop:
        return Verdict(False, "value", "adaptive_early_stopping should return True on the 10th "
                                       "validation loss in a row that does not beat the best by "
                                       "more than min_delta=1e-4 (no training losses recorded, "
                                       f"so patience stays 10); it stopped at call "
                                       f"{'never' if got_stop is None else got_stop + 1}")
    if not close(v["restored"], torch.full_like(v["restored"], float(best_i)), rtol=1e-5,
                 atol=1e-8):
        return Verdict(False, "value", "on stopping, load the best epoch's weights back into the "
                                       "model — keep a deep copy (copy.deepcopy(state_dict()) or "
                                       "clone every tensor): state_dict().copy() still points at "
                                       "the live parameters")
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
    return Verdict(True, "value")
