"""Checks of 5.2.1 (multi-task trainer): hidden inputs, and the judges of what the probe sent back.

Labels of the held-out sets stay here as ``Hidden`` secrets; trusted recomputations are done
in float64 from the data the probe sends back.
"""

import math

import numpy as np
import torch

from curriculum.judges.compare import at_least, at_most, close
from curriculum.judges.data import f32
from curriculum.judges.source import uses
from curriculum.judges.training import (
    CLIP_CALLS,
    clip_problem,
    epoch_means_problem,
    first_backward_clean,
)
from grader.checks.base import Hidden, Verdict

#: The lr the probe's task configs carry (never 0.01, the example's).
CONFIG_LRS = (0.006, 0.008, 0.015)


def multitask_inputs(rng: np.random.Generator) -> Hidden:
    def draw(count):
        X = rng.standard_normal((count, 20))
        reg = X[:, :5].sum(1, keepdims=True) + 0.1 * rng.standard_normal((count, 1))
        cls = (X[:, 10:20].sum(1) > 0).astype(np.int64)
        return X, reg, cls
    X, reg, cls = draw(320)
    Xv, regv, clsv = draw(100)
    Xt, regt, clst = draw(200)
    inputs = {"init_seed": int(rng.integers(0, 2**31 - 1)), "X": f32(X), "reg": f32(reg),
              "cls": torch.from_numpy(cls), "X_val": f32(Xv), "reg_val": f32(regv),
              "cls_val": torch.from_numpy(clsv), "X_test": f32(Xt),
              "sigmas": [float(rng.uniform(0.5, 2.0)), float(rng.uniform(0.5, 2.0))],
              "losses": [float(rng.uniform(0.1, 3.0)), float(rng.uniform(0.1, 3.0))],
              # the task configs' lr, hidden (it was always 0.01: a typed-in lr passed)
              "lr": float(rng.choice(CONFIG_LRS))}
    return Hidden(inputs=inputs, secret={"reg": regt, "cls": clst})


def multitask_inputs_balance(rng):
    made = multitask_inputs(rng)
    made.inputs["part"] = "balance"
    return made


def multitask_inputs_train(rng):
    made = multitask_inputs(rng)
    made.inputs["part"] = "train"
    return made


def judge_multitask_balance(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    if "error" in v:
        return Verdict(False, "type", "the trainer needs `self.uncertainty_weights = "
                                      "nn.Parameter(torch.ones(num_tasks))`")
    (s1, s2), (a, b) = inputs["sigmas"], inputs["losses"]
    want = a / (2 * s1 ** 2) + math.log(s1) + b / (2 * s2 ** 2) + math.log(s2)
    got = v["value"]
    got = float(got) if isinstance(got, torch.Tensor) and got.numel() == 1 else got
    if not isinstance(got, float) or not close(got, want, rtol=1e-4, atol=1e-5):
        return Verdict(False, "value", "adaptive_loss_balancing should return "
                                       "Σ_i L_i / (2 σ_i²) + log σ_i with σ = "
                                       "self.uncertainty_weights in task order")
    alone = b / (2 * s2 ** 2) + math.log(s2)
    for key, wanted, how in (("swapped", want, "the losses given in another order"),
                             ("alone", alone, "only the second task's loss given")):
        if key not in v:
            continue
        other = v[key]
        other = float(other) if isinstance(other, torch.Tensor) and other.numel() == 1 else other
        if not isinstance(other, float) or not close(other, wanted, rtol=1e-4, atol=1e-5):
            return Verdict(False, "value", f"adaptive_loss_balancing with {how}: σ_i is "
                                           "self.uncertainty_weights[i] with i the task's "
                                           "position in self.task_names (not its position in "
                                           "task_losses), summed over the tasks present")
    return Verdict(True, "value")


def judge_multitask_training(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    secret = ctx.secrets["multitask_training"]
    epochs = v["epochs"]
    if not all(isinstance(e, dict) and set(e) == {"regression", "classification"}
               for e in epochs):
        return Verdict(False, "type", "train_epoch must return {task: average loss}")
    val = v["val"]
    if not (isinstance(val, dict) and isinstance(val.get("classification"), dict)
            and "accuracy" in val["classification"] and "loss" in val.get("regression", {})):
        return Verdict(False, "type", "validate must return {task: {'loss': ..., "
                                      "'accuracy': ...}}")
    if not close(val["classification"]["accuracy"], v["own_acc"], rtol=0.0, atol=1e-6):
        return Verdict(False, "value", "validate's classification accuracy is not the "
                                       "fraction of correct predictions on the validation data")
    rep = v["report"]
    if not uses(ctx.source_text, *CLIP_CALLS):
        return Verdict(False, "api", "clip the gradients before each step: "
                                     "clip_grad_norm_(self.model.parameters(), 1.0) between "
                                     "combined.backward() and optimizer.step()")
    # the steps' norms are judged below on the model's gradients alone (the uncertainty
    # weights' are not clipped), so only the bound and the order are asked of the recorder
    found = clip_problem(v.get("max_norms"), [], v.get("clip_order"))
    if found:
        return Verdict(False, "api", "clip the gradients every step: clip_grad_norm_("
                                     "self.model.parameters(), 1.0) between combined.backward() "
                                     f"and optimizer.step(); found {found}")
    seq, nums = rep["seq"], rep["num"]
    if "K" in seq:
        # σ starts at 1: the first combined loss is Σ L_i / 2 (+ log 1) of that round's losses
        first = seq.index("K")
        round_losses = nums["L"][:seq[:first].count("L")].tolist()
        if len(round_losses) == 2 and not close(float(nums["K"][0]), sum(round_losses) / 2,
                                                rtol=1e-4, atol=1e-6):
            return Verdict(False, "value", "train_epoch must backpropagate "
                                           "adaptive_loss_balancing(round's task losses), not "
                                           "another combination of them")
    norms = rep["num"]["R"]
    norms = norms[torch.isfinite(norms)]  # a NaN gradient is not a clipping question
    if norms.numel() and not at_most(float(norms.max()), 1.0 + 1e-4):
        return Verdict(False, "train", f"a step saw a model gradient norm of "
                                       f"{float(norms.max()):.3g}: clip with "
                                       "clip_grad_norm_(self.model.parameters(), 1.0) after "
                                       "backward() and before step()")
    if not rep["optim"]:
        return Verdict(False, "train", "no optimizer ever updated the model")
    opt, lr = rep["optim"][0], inputs["lr"]
    if opt["cls"] != "Adam" or not close(opt["initial_lr"], lr, rtol=1e-9, atol=0.0):
        return Verdict(False, "api", "build one optim.Adam over the model's parameters and the "
                                     "uncertainty weights with the lr of the task configs (the "
                                     f"grader's configs said lr={lr:g}); found "
                                     f"{opt['cls']}(lr={opt['initial_lr']:g})")
    if not first_backward_clean(rep["seq"]):
        return Verdict(False, "train", "gradients were not reset between updates — call "
                                       "optimizer.zero_grad() before each backward pass")
    if v["sig_before"] is None or torch.equal(v["sig_before"], v["sig_after"]):
        return Verdict(False, "value", "the uncertainty weights never changed — give "
                                       "self.uncertainty_weights to the optimizer and use them "
                                       "in adaptive_loss_balancing")
    wrong_mean = _epoch_mean_problem(epochs, rep)
    if wrong_mean:
        return Verdict(False, "value", wrong_mean)
    for task in ("regression", "classification"):
        if not epochs[-1][task] < epochs[0][task]:
            return Verdict(False, "train", f"the {task} training loss did not fall")
    y = secret["reg"]
    p = v["reg"].numpy().astype(np.float64)
    r2 = 1 - float(((p - y) ** 2).sum()) / float(((y - y.mean()) ** 2).sum()) \
        if p.shape == y.shape else float("nan")
    acc = float((v["cls"].argmax(1).numpy() == secret["cls"]).mean())
    if not (at_least(r2, 0.8) and at_least(acc, 0.8)):
        return Verdict(False, "train", f"held-out: regression R² {r2:.3f} (need 0.8), "
                                       f"classification accuracy {acc:.3f} (need 0.8)")
    for task in ("regression", "classification"):
        if not close(val[task]["loss"], v["own_loss"][task], rtol=1e-4, atol=1e-6):
            return Verdict(False, "value", f"validate's {task} loss is not the mean batch loss on "
                                           "the validation loader (average the batch losses, do "
                                           "not sum them)")
    if not v["val_modes"] or any(m != [False, False] for m in v["val_modes"]):
        return Verdict(False, "train", "validate must run the model in eval mode "
                                       "(self.model.eval()) under torch.no_grad()")
    return Verdict(True, "train")


#: the loss module of each task, as the prompt asks for them
TASK_LOSSES = {"regression": "MSELoss", "classification": "CrossEntropyLoss"}
#: batches of 32 per task and epoch (320 training rows)
BATCHES_PER_EPOCH = 10


def _epoch_mean_problem(epochs, rep) -> str:
    """train_epoch returns each task's mean batch loss of that epoch: the task's
    training-mode loss-module calls, ten an epoch, must average to what it returned
    (judged where every batch's loss went through the task's ``nn`` loss module)."""
    codes = [c for c in rep["seq"] if c in "Ll"]
    values, names = rep["num"]["L"].tolist(), rep["lnames"]
    if not len(codes) == len(values) == len(names):
        return ""
    for task, loss_name in TASK_LOSSES.items():
        seen = [v for c, v, n in zip(codes, values, names, strict=True)
                if c == "L" and n == loss_name]
        wrong = epoch_means_problem([e.get(task) for e in epochs], seen, BATCHES_PER_EPOCH,
                                    f"train_epoch's {task} loss")
        if wrong:
            return wrong
    return ""
