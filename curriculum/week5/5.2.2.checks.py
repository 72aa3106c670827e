"""Checks of 5.2.2 (curriculum learning): hidden inputs, and the judges of what the probe sent back.

Labels of the held-out sets stay here as ``Hidden`` secrets; trusted recomputations are done
in float64 from the data the probe sends back.
"""


import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import above, at_least, close, finite
from curriculum.judges.data import f32
from curriculum.judges.training import (
    first_backward_clean,
    gradients_fresh,
    load_spec_model,
    pattern_problem,
)
from grader.checks.base import Hidden, Verdict

CURR_MODEL = ("seq", [("linear", 4, 16), ("relu",), ("linear", 16, 3)])


def _simplex_means(rng: np.random.Generator, dist: float = 3.5) -> np.ndarray:
    """Three class means at pairwise distance ``dist``, randomly rotated and shifted.

    Independently drawn means sometimes land close together, and then no
    model reaches the threshold; fixed spacing keeps the task equally hard
    on every seed (measured over 200 seeds: reference accuracy 0.75-0.97).
    """
    vertices = np.zeros((3, 4))
    vertices[:, :3] = (np.eye(3) - 1 / 3) * (dist / np.sqrt(2))
    rotation, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    return vertices @ rotation + rng.normal(0, 0.5, 4)


def curriculum_inputs(rng: np.random.Generator) -> Hidden:
    means = _simplex_means(rng)

    def draw(count):
        y = rng.integers(0, 3, count)
        return means[y] + rng.standard_normal((count, 4)), y
    X, y = draw(300)
    Xv, yv = draw(60)
    Xt, yt = draw(200)
    inputs = {"model": CURR_MODEL, "init_seed": int(rng.integers(0, 2**31 - 1)),
              "X": f32(X), "y": torch.from_numpy(y), "X_val": f32(Xv),
              "y_val": torch.from_numpy(yv), "X_test": f32(Xt)}
    return Hidden(inputs=inputs, secret={"y_test": yt})


def curriculum_inputs_score(rng):
    made = curriculum_inputs(rng)
    made.inputs["part"] = "score"
    return made


def curriculum_inputs_train(rng):
    made = curriculum_inputs(rng)
    made.inputs["part"] = "train"
    return made


def _difficulty(model, X, y):
    with torch.no_grad():
        out = model(X.double())
        p = torch.softmax(out, 1).max(1).values
        return 0.7 * (1 - p) + 0.3 * F.cross_entropy(out, y, reduction="none")


def judge_curriculum_scoring(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    model = load_spec_model(inputs["model"], v["state"])
    want = _difficulty(model, inputs["X"][:50], inputs["y"][:50])
    got = v["scores"]
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != (50,):
        return Verdict(False, "shape", "difficulty_scorer must return one score per sample, "
                                       "shape (batch,)")
    if not close(got, want, rtol=1e-4, atol=1e-5):
        return Verdict(False, "value", "difficulty = 0.7 * (1 - max softmax probability) + "
                                       "0.3 * per-sample cross-entropy (reduction='none')")
    sched = v["schedule"]
    if not isinstance(sched, dict) or sorted(sched) != [str(e) for e in range(9)]:
        return Verdict(False, "type", "create_curriculum_schedule must return a dict with one "
                                      "entry per epoch (0 … num_epochs-1)")
    order = torch.argsort(_difficulty(model, inputs["X"], inputs["y"])).tolist()
    for e in range(9):
        count = 120 if e < 3 else (210 if e < 6 else 300)
        if sorted(sched[str(e)]) != sorted(order[:count]):
            return Verdict(False, "value", f"epoch {e}: the schedule should hold the {count} "
                                           "easiest samples (40% / 70% / 100% by thirds of the "
                                           "epochs)")
    return Verdict(True, "value")


def judge_curriculum_training(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    problem = pattern_problem(ctx.source_text, "curriculum_training_loop")
    if problem:
        return Verdict(False, "api", f"curriculum_training_loop: {problem}")
    h = v["history"]
    keys = ("epoch", "num_samples", "train_loss", "val_accuracy")
    if not (isinstance(h, dict) and all(isinstance(h.get(k), list) and len(h[k]) == 9
                                        for k in keys)):
        return Verdict(False, "type", "return the history dict with lists 'epoch', "
                                      "'num_samples', 'train_loss', 'val_accuracy' (9 epochs)")
    plan = [120] * 3 + [210] * 3 + [300] * 3
    if h["num_samples"] != plan:
        return Verdict(False, "value", f"num_samples per epoch should be {plan}")
    rep = v["report"]
    seen = int(sum(rep["num"]["F"].tolist()))
    if seen != sum(plan):
        return Verdict(False, "value", f"the model should train on {sum(plan)} samples over the "
                                       f"9 epochs (the schedule's subsets); it saw {seen}")
    if rep["optim"] and not finite(v["changed"]):
        return Verdict(False, "train", "the trained parameters hold NaN or inf")
    if not rep["optim"] or not above(v["changed"], 0.0):
        return Verdict(False, "train", "the model's parameters never changed")
    if not (first_backward_clean(rep["seq"]) or gradients_fresh(rep["seq"])):
        return Verdict(False, "train", "gradients were not reset between updates — call "
                                       "optimizer.zero_grad() before each backward pass")
    acc = float((v["preds"].argmax(1).numpy() == ctx.secrets["curriculum_training"]["y_test"])
                .mean())
    # A model that ignores its input scores at most the majority share (~0.4).
    if not at_least(acc, 0.65):
        return Verdict(False, "train", f"held-out accuracy {acc:.3f}; at least 0.65 is needed")
    return Verdict(True, "train")
