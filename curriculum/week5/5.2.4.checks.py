"""Checks of 5.2.4 (adversarial training): hidden inputs, and the judges of what the probe sent back.

Labels of the held-out sets stay here as ``Hidden`` secrets; trusted recomputations are done
in float64 from the data the probe sends back.
"""


import math

import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import above, all_finite, at_least, at_most, close, finite
from curriculum.judges.data import f32
from curriculum.judges.shuffling import same_order_problem, split_epochs
from curriculum.judges.training import (
    epoch_means_problem,
    gradients_fresh,
    load_spec_model,
    pattern_problem,
)
from grader.checks.base import Hidden, Verdict

ADV_MODEL = ("seq", [("linear", 10, 32), ("relu",), ("linear", 32, 2)])


def _adv_data(rng, n: int):
    m0, m1 = rng.uniform(0.2, 0.8, (2, 10))
    while np.abs(m0 - m1).mean() < 0.2:
        m1 = rng.uniform(0.2, 0.8, 10)

    def draw(count):
        y = rng.integers(0, 2, count)
        X = np.where(y[:, None] == 1, m1, m0) + 0.1 * rng.standard_normal((count, 10))
        return np.clip(X, 0, 1), y
    return draw(n), draw(200)


def fgsm_inputs(rng: np.random.Generator) -> dict:
    (X, y), _ = _adv_data(rng, 64)
    return {"model": ADV_MODEL, "init_seed": int(rng.integers(0, 2**31 - 1)),
            "X": f32(X), "y": torch.from_numpy(y), "eps": [0.05, 0.2],
            "eval_eps": float(rng.choice(EVAL_EPS)), "eval_state": _fitted_state(X, y)}


EVAL_EPS = (0.25, 0.3, 0.35)
"""Hidden epsilons of the second ``evaluate_adversarial_accuracy`` call (the first uses
the default, 0.1): one that ignores its epsilon attacks with the wrong one."""


def _fitted_state(X: np.ndarray, y: np.ndarray) -> dict[str, torch.Tensor]:
    """Weights of ADV_MODEL that separate the two classes (logit margin = d·x - c, d the
    difference of the class means): its accuracy under FGSM falls as epsilon grows, so the
    call at a hidden epsilon tells it from 0.1 (a random model often predicts one class at
    every epsilon)."""
    m0, m1 = X[y == 0].mean(0), X[y == 1].mean(0)
    d, c = f32(m1 - m0), float((m1 - m0) @ (m0 + m1) / 2)
    state = {"0.weight": torch.zeros(32, 10), "0.bias": torch.zeros(32),
             "2.weight": torch.zeros(2, 32), "2.bias": torch.zeros(2)}
    state["0.weight"][0], state["0.weight"][1] = d, -d
    state["0.bias"][0], state["0.bias"][1] = -c, c
    state["2.weight"][1, 0], state["2.weight"][1, 1] = 1.0, -1.0
    return state


def _fgsm(model, X, y, eps):
    x = X.double().clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (g,) = torch.autograd.grad(loss, x)
    return torch.clamp(x + eps * g.sign(), 0, 1).detach()


def judge_fgsm(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    model = load_spec_model(inputs["model"], v["state"])
    for eps, got in zip(inputs["eps"], v["adv"], strict=True):
        adv = got["value"]
        want = _fgsm(model, inputs["X"], inputs["y"], eps)
        if not isinstance(adv, torch.Tensor) or tuple(adv.shape) != tuple(want.shape):
            return Verdict(False, "shape", "generate_adversarial_examples must return a tensor "
                                           f"shaped like data {tuple(want.shape)}")
        if got["requires_grad"]:
            return Verdict(False, "grad", "return the adversarial batch detached "
                                          "(`.detach()`), with no autograd history")
        if got["input_changed"]:
            return Verdict(False, "value", "do not modify the caller's `data` in place — work on "
                                           "`data.clone().detach().requires_grad_(True)`")
        if not all_finite(adv):
            return Verdict(False, "value", f"epsilon={eps}: the adversarial batch holds NaN or "
                                           "inf")
        diff = (adv.double() - want).abs()
        # sign() may flip where the gradient is ~0; allow a handful of such entries
        if not at_most(float((diff > 1e-4).float().mean()), 0.01):  # compare: ok (finite)
            return Verdict(False, "value", f"epsilon={eps}: expected "
                                           "clamp(x + epsilon * sign(∂CE/∂x), 0, 1) (FGSM); "
                                           f"{int((diff > 1e-4).sum())} of {diff.numel()} "  # compare: ok
                                           "values differ")
    if v["param_grads"]:
        return Verdict(False, "grad", "generating adversarial examples left gradients in the "
                                      "model's parameters — use torch.autograd.grad(loss, data) "
                                      "or zero them, or they leak into the next update")
    if any(got.get("input_grad") is not False for got in v["adv"]):
        return Verdict(False, "grad", "generate_adversarial_examples made the caller's `data` "
                                      "require grad — work on "
                                      "`data.clone().detach().requires_grad_(True)`")
    if v.get("eval_input_changed") is not False:
        return Verdict(False, "value", "evaluate_adversarial_accuracy changed the X it was "
                                       "given (its values, or made it require grad): work on "
                                       "`X.clone().detach().requires_grad_(True)`")
    X, y = inputs["X"], inputs["y"]
    fitted = load_spec_model(inputs["model"], inputs["eval_state"])
    for eps, net, acc in ((0.1, model, v["acc"]),
                          (inputs["eval_eps"], fitted, v.get("acc_eval_eps"))):
        adv = _fgsm(net, X, y, eps)
        with torch.no_grad():
            want = 100.0 * float((net(adv).argmax(1) == y).double().mean())
        if not isinstance(acc, int | float) or isinstance(acc, bool):
            return Verdict(False, "type", "evaluate_adversarial_accuracy must return a number "
                                          f"(percent); found {type(acc).__name__}")
        if not close(acc, want, rtol=0.0, atol=1e-6 + 100.0 / len(y) * 0.5):
            if eps != 0.1:
                return Verdict(False, "value", "evaluate_adversarial_accuracy called with "
                                               f"epsilon={eps} should attack with that "
                                               f"epsilon; found {acc:.2f} — pass the "
                                               "`epsilon` argument on to the attack")
            return Verdict(False, "value", "evaluate_adversarial_accuracy should return the "
                                           "accuracy in percent on FGSM examples (epsilon, true "
                                           f"labels) made against the model; found {acc:.2f}")
    modes = v.get("eval_modes")
    if not isinstance(modes, list) or any(bool(m[0]) for m in modes):
        return Verdict(False, "value", "evaluate_adversarial_accuracy ran the model in training "
                                       "mode (the grader passes a model in train mode, as a "
                                       "training loop leaves it): call "
                                       "model.eval() first, so that dropout or batch norm "
                                       "would not change the attack or the predictions")
    return Verdict(True, "value")


def advtrain_inputs(rng: np.random.Generator) -> Hidden:
    (X, y), (Xt, yt) = _adv_data(rng, 320)
    inputs = {"model": ADV_MODEL, "init_seed": int(rng.integers(0, 2**31 - 1)),
              "X": f32(X), "y": torch.from_numpy(y), "X_test": f32(Xt), "eps": 0.1}
    # hidden settings for the training call, never the defaults (10 epochs, epsilon 0.1): a
    # loop that types them in trains another number of epochs or attacks with another epsilon
    # (the held-out attack stays at 0.1)
    inputs["epochs"] = int(rng.choice(ADV_EPOCHS))
    inputs["train_eps"] = float(rng.choice(ADV_TRAIN_EPS))
    return Hidden(inputs=inputs, secret={"y_test": yt})


ADV_EPOCHS = (11, 12)
ADV_TRAIN_EPS = (0.11, 0.12, 0.13)


# Correct loops land around 0.8 under FGSM, a few in a hundred just under 0.75: the bar
# leaves them room; the checks above (every batch attacked, clean and adversarial halves
# trained, the 0.5/0.5 loss) are what tell adversarial training from plain training.
MIN_ADV_ACCURACY = 0.7


def _combination_problem(rep: dict) -> str | None:
    """The training loss is ``0.5 * clean + 0.5 * adversarial`` (the prompt fixes it).
    Between two optimizer steps the event log has the criterion's values (``L``, train mode)
    and the backward passes (``K``): the last backward is the training one, each earlier one
    is an attack's (its loss is taken out of the ``L`` values); the two ``L`` values left are
    the clean and the adversarial loss. One loss left after two training forwards is one
    half only (one loss over both halves concatenated runs one forward, and is the mean).
    Steps that cannot be read that way (a functional loss the log does not see) are not
    judged."""
    losses = [float(x) for x in rep["num"]["L"].tolist()]
    backs = [float(x) for x in rep["num"]["K"].tolist()][0::2]
    li = ki = 0
    window_l: list[float] = []
    window_k: list[float] = []
    # the criterion values recorded since the previous backward: an attack's own loss comes
    # before its backward (a functional F.cross_entropy attack records none, and its value,
    # the clean loss of the same batch, must not be taken out of the clean half)
    segment: list[float] = []
    segments: list[list[float]] = []
    checked = wrong = forwards = 0
    for code in rep["seq"]:
        if code == "F":
            forwards += 1
        elif code in "Ll":
            if li < len(losses) and code == "L":
                window_l.append(losses[li])
                segment.append(losses[li])
            li += 1
        elif code == "K":
            if ki < len(backs):
                window_k.append(backs[ki])
            ki += 1
            segments.append(segment)
            segment = []
        elif code == "S":
            if window_k:
                # every backward but the last is an attack's: its loss leaves its segment
                for attack, seg in zip(window_k[:-1], segments[:-1], strict=False):
                    near = [i for i, v in enumerate(seg) if close(v, attack, rtol=1e-4, atol=1e-6)]
                    if near:
                        seg.pop(near[0])
                rest = [v for seg in segments for v in seg] + segment
                if not all(math.isfinite(v) for v in [*rest, window_k[-1]]):
                    pass  # a NaN loss: the accuracy checks say what is wrong
                elif len(rest) == 2:
                    checked += 1
                    wrong += not close(window_k[-1], 0.5 * rest[0] + 0.5 * rest[1],
                                       rtol=1e-3, atol=1e-5)
                elif len(rest) == 1 and forwards >= 2:  # two batches run, one loss: one half
                    checked += 1
                    wrong += 1
            window_l, window_k, forwards, segment, segments = [], [], 0, [], []
    if checked and wrong:
        return (f"the training loss must be 0.5 × the clean loss + 0.5 × the adversarial loss; "
                f"in {wrong} of {checked} steps the loss your backward() got was not their "
                "mean (another weighting, or only one of the two)")
    return None


def _shuffle_problem(rep: dict, n: int) -> str:
    """The clean rows of the training forwards come in a new order every epoch, as the
    prompt's DataLoader(..., shuffle=True) does. A training row is known by its features; an
    adversarial row is not (-1), so a forward of adversarial rows is left out, and the clean
    half of one forward over both halves concatenated is kept."""
    clean = [[i for i in ids if i >= 0] for _mi, code, ids in rep["rows"]
             if code == "F" and 2 * sum(i >= 0 for i in ids) >= len(ids) > 0]
    return same_order_problem(split_epochs(clean, n), "adversarial_training_loop",
                              "DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)")


#: the training batch size the prompt fixes
BATCH = 32


def _train_loss_problem(v: dict, rep: dict, steps: int) -> str:
    """train_loss[e]: the epoch's mean batch loss, a float. Each update's loss is the value
    of the last backward before its optimizer step (an attack's own backward, if any, comes
    earlier); the ``steps`` updates of each epoch are averaged in turn (one batch size:
    per batch and per sample are the same). Not judged where the updates do not split
    into the epochs."""
    if v.get("graph"):
        return ("train_loss holds a loss tensor still attached to the autograd graph (it "
                "keeps every batch's graph alive): accumulate `loss.item()`, a float")
    backward = rep["num"]["K"].tolist()[0::2]  # (value, parameter norm) per backward
    updates, last, i = [], None, 0
    for code in rep["seq"]:
        if code == "K" and i < len(backward):
            last, i = backward[i], i + 1
        elif code == "S" and last is not None:
            updates.append(last)
            last = None
    return epoch_means_problem(v["history"]["train_loss"], updates, steps, "train_loss")


def judge_advtrain(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    secret = ctx.secrets["adv_training"]
    problem = pattern_problem(ctx.source_text, "adversarial_training_loop")
    if problem:
        return Verdict(False, "api", f"adversarial_training_loop: {problem}")
    h = v["history"]
    epochs, n = inputs["epochs"], len(inputs["y"])
    if not (isinstance(h, dict) and isinstance(h.get("train_loss"), list)):
        return Verdict(False, "type", "adversarial_training_loop must return "
                                      "{'train_loss': [one float per epoch]}")
    if len(h["train_loss"]) != epochs:
        return Verdict(False, "value", "adversarial_training_loop must train num_epochs epochs "
                                       f"(the grader passed num_epochs={epochs}); "
                                       f"train_loss holds {len(h['train_loss'])} epochs")
    rep = v["report"]
    if not rep["optim"]:
        return Verdict(False, "train", "no optimizer ever updated the model")
    if not gradients_fresh(rep["seq"]):
        return Verdict(False, "train", "an update used gradients left over from another "
                                       "backward pass (the attack's, or the last batch's) — "
                                       "call optimizer.zero_grad() right before each "
                                       "training backward")
    # the adversarial half of each batch: the model must see 2 x 320 samples per epoch
    seen = int(sum(rep["num"]["F"].tolist()))
    if seen < 2 * n * epochs:
        return Verdict(False, "value", "train on clean AND adversarial examples of every batch "
                                       f"(2 x {n} samples per epoch for {epochs} epochs); your "
                                       "model "
                                       f"saw {seen} samples in train mode (inputs that "
                                       "require grad count as attack passes: never set "
                                       "requires_grad on the caller's batch)")
    attacked = int(sum(n for c, n in zip([c for c in rep["seq"] if c in "EGfA"],
                                          rep["num"]["E"].tolist(), strict=False) if c == "A"))
    if attacked < n * epochs:
        return Verdict(False, "value", "make adversarial examples of every training batch "
                                       f"({n} per epoch); only {attacked} were made")
    moved = [m for m in v.get("moved") or [] if finite(m)]
    eps = inputs["train_eps"]
    if moved and not close(max(moved), eps, rtol=1e-3, atol=1e-6):
        return Verdict(False, "value", "attack the training batches with the epsilon "
                                       "adversarial_training_loop is given (the grader passed "
                                       f"epsilon={eps:g}): generate_adversarial_examples(model, "
                                       "data, target, epsilon); your examples moved the data by "
                                       f"up to {max(moved):.3g}")
    bad = (_combination_problem(rep) or _shuffle_problem(rep, len(inputs["y"]))
           or _train_loss_problem(v, rep, -(-n // BATCH)))
    if bad:
        return Verdict(False, "value", bad)
    if not finite(v["changed"]):
        return Verdict(False, "train", "the trained parameters hold NaN or inf")
    if not above(v["changed"], 0.0):
        return Verdict(False, "train", "the model's parameters never changed")
    y = secret["y_test"]
    clean = float((v["clean"].argmax(1).numpy() == y).mean())
    adv = float((v["adv"].argmax(1).numpy() == y).mean())
    if not at_least(clean, 0.9):
        return Verdict(False, "train", f"clean held-out accuracy {clean:.3f}; at least 0.9 needed")
    if not at_least(adv, MIN_ADV_ACCURACY):
        return Verdict(False, "train", f"held-out accuracy under FGSM (epsilon 0.1) is {adv:.3f}; "
                                       f"at least {MIN_ADV_ACCURACY} is needed — train on "
                                       "adversarial examples")
    return Verdict(True, "train")
