"""Checks of 5.2.2 (curriculum learning): hidden inputs, and the judges of what the probe sent back.

Labels of the held-out sets stay here as ``Hidden`` secrets; trusted recomputations are done
in float64 from the data the probe sends back.
"""


import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import above, at_least, close, finite
from curriculum.judges.data import f32
from curriculum.judges.shuffling import same_order_problem, split_epochs
from curriculum.judges.training import (
    first_backward_clean,
    gradients_fresh,
    load_spec_model,
    pattern_problem,
)
from grader.checks.base import Hidden, Verdict

CURR_MODEL = ("seq", [("linear", 4, 16), ("relu",), ("linear", 16, 3)])
#: The num_epochs the probe passes (it was always 9, the signature's default: a loop
#: that typed in range(9) passed).
EPOCHS = (6, 12)


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
              "y_val": torch.from_numpy(yv), "X_test": f32(Xt),
              # drawn last (the seeds' data stay as they were): never 9, the default
              "epochs": int(rng.choice(EPOCHS))}
    # drawn after all the above (each seed's data stay as they were): a second schedule,
    # for num_epochs not a multiple of 3 and an n whose 40 % and 70 % are not whole (a
    # ceil of the thirds, or round() of the counts, passed on 6 / 12 epochs and n = 300)
    Xs, ys = draw(int(rng.choice(EXTRA_N)))
    inputs["extra"] = {"X": f32(Xs), "y": torch.from_numpy(ys),
                       "epochs": int(rng.choice(EXTRA_EPOCHS))}
    return Hidden(inputs=inputs, secret={"y_test": yt})


#: The second schedule's n (0.4 n and 0.7 n both end in .6-.9: int() and round() differ)
#: and num_epochs (not multiples of 3: //, ceil and round of the thirds differ).
EXTRA_N = (304, 307, 314)
EXTRA_EPOCHS = (7, 10, 11)


def _plan(epochs: int, n: int = 300) -> list[int]:
    """The samples each epoch trains on: the easiest int(0.4 * n) for the first third of
    the epochs (epoch < epochs // 3), int(0.7 * n) for the second (epoch < 2 * epochs // 3),
    all n for the rest."""
    return [int(0.4 * n) if e < epochs // 3 else (int(0.7 * n) if e < 2 * epochs // 3 else n)
            for e in range(epochs)]


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
    modes = v.get("score_modes")
    if isinstance(modes, list) and any(bool(m[0]) for m in modes):
        return Verdict(False, "value", "difficulty_scorer ran the model in training mode (the "
                                       "grader passes it in train mode, as training leaves it): "
                                       "call model.eval() before the forward pass, so that "
                                       "dropout or batch norm would not change the scores")
    if isinstance(modes, list) and any(bool(m[1]) for m in modes):
        return Verdict(False, "value", "difficulty_scorer ran the model with gradients on: "
                                       "score under `with torch.no_grad():`")
    sched = v["schedule"]
    epochs = inputs["epochs"]
    if not isinstance(sched, dict) or sorted(sched, key=str) != sorted(map(str, range(epochs))):
        return Verdict(False, "type", "create_curriculum_schedule must return a dict with one "
                                      f"entry per epoch (0 … num_epochs-1; the grader passed "
                                      f"num_epochs={epochs})")
    order = torch.argsort(_difficulty(model, inputs["X"], inputs["y"])).tolist()
    for e, count in enumerate(_plan(epochs)):
        if sorted(sched[str(e)]) != sorted(order[:count]):
            return Verdict(False, "value", f"epoch {e}: the schedule should hold the {count} "
                                           "easiest samples (40% / 70% / 100% by thirds of the "
                                           "epochs)")
    return _extra_schedule_verdict(v, inputs, model)


def _extra_schedule_verdict(v: dict, inputs: dict, model) -> Verdict:
    """The second schedule: num_epochs not a multiple of 3, 0.4 n and 0.7 n not whole."""
    extra = inputs.get("extra")
    if extra is None:
        return Verdict(True, "value")
    sched, epochs = v.get("schedule_extra"), extra["epochs"]
    if not isinstance(sched, dict) or sorted(sched, key=str) != sorted(map(str, range(epochs))):
        return Verdict(False, "type", "create_curriculum_schedule must return a dict with one "
                                      f"entry per epoch (0 … num_epochs-1; the grader passed "
                                      f"num_epochs={epochs})")
    n = int(extra["X"].shape[0])
    order = torch.argsort(_difficulty(model, extra["X"], extra["y"])).tolist()
    for e, count in enumerate(_plan(epochs, n)):
        if sorted(sched[str(e)]) != sorted(order[:count]):
            return Verdict(False, "value", (
                f"with num_epochs={epochs} (not a multiple of 3) and a hidden data set whose "
                f"40% / 70% are not whole numbers, epoch {e} should hold the {count} easiest "
                f"samples, not {len(sched[str(e)])}: the easiest int(0.4 * n) while epoch < "
                "num_epochs // 3, int(0.7 * n) while epoch < 2 * num_epochs // 3, else all n "
                "(// and int() round down)"))
    return Verdict(True, "value")


def _epoch_batches(rep: dict, plan: list[int]) -> list[list[list[int]]] | None:
    """The training batches' row ids, grouped into epochs by the plan's sample counts
    (None when they do not add up)."""
    batches = [ids for _mi, code, ids in rep["rows"] if code == "F"]
    epochs, k = [], 0
    for count in plan:
        epoch, seen = [], 0
        while seen < count and k < len(batches):
            epoch.append(batches[k])
            seen += len(batches[k])
            k += 1
        if seen != count:
            return None
        epochs.append(epoch)
    return epochs


def _subsets_problem(v: dict, inputs: dict, plan: list[int]) -> str:
    """Each epoch trains on exactly its share of the easiest samples, ranked once by the
    untrained model (not re-ranked by the model as it trains)."""
    epochs = _epoch_batches(v["report"], plan)
    if epochs is None:
        return ""  # the sample count check above already speaks
    model = load_spec_model(inputs["model"], v["state"])
    order = torch.argsort(_difficulty(model, inputs["X"], inputs["y"])).tolist()
    for e, (count, batches) in enumerate(zip(plan, epochs, strict=True)):
        rows = sorted(i for b in batches for i in b)
        if rows != sorted(order[:count]):
            return (f"epoch {e} trained on other samples than the {count} easiest by the "
                    "schedule: build it once, with the untrained model, before the epochs (not "
                    "again each epoch with the model being trained)")
    return ""


def _shuffle_problem(rep: dict, plan: list[int]) -> str:
    """The epochs on one subset (a third each) see its rows in a new order each time: the
    prompt's DataLoader(Subset(...), batch_size=32, shuffle=True)."""
    batches = [ids for _mi, code, ids in rep["rows"] if code == "F"]
    return same_order_problem(split_epochs(batches, plan), "curriculum_training_loop",
                              "DataLoader(Subset(full_dataset, indices), batch_size=32, "
                              "shuffle=True)")


def _train_loss_problem(h: dict, rep: dict, plan: list[int]) -> str:
    """train_loss[e]: the epoch's mean batch loss (or the per-sample mean)."""
    seq, nums = rep["seq"], rep["num"]
    codes = [c for c in seq if c in "Ll"]
    losses = [float(x) for c, x in zip(codes, nums["L"].tolist(), strict=False) if c == "L"]
    sizes = [float(n) for n in nums["F"].tolist()]
    if len(losses) != len(sizes):
        return ""  # losses computed outside nn.CrossEntropyLoss: not comparable
    k = 0
    for e, count in enumerate(plan):
        batch, seen = [], 0
        while seen < count and k < len(losses):
            batch.append((losses[k], sizes[k]))
            seen += sizes[k]
            k += 1
        means = (sum(x for x, _ in batch) / max(1, len(batch)),
                 sum(x * n for x, n in batch) / max(1.0, seen))
        if not any(close(h["train_loss"][e], m, rtol=1e-3, atol=1e-6) for m in means):
            return (f"train_loss[{e}] must be that epoch's mean training loss (the batch "
                    "losses averaged, not summed)")
    return ""


def _val_problem(h: dict, v: dict) -> str:
    if not close(h["val_accuracy"][-1], v["val_acc"], rtol=0.0, atol=0.01):
        return (f"the last val_accuracy ({float(h['val_accuracy'][-1]):.4g}) must be the trained "
                f"model's validation accuracy in percent ({v['val_acc']:.4g})")
    return ""


def judge_curriculum_training(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    problem = pattern_problem(ctx.source_text, "curriculum_training_loop")
    if problem:
        return Verdict(False, "api", f"curriculum_training_loop: {problem}")
    h = v["history"]
    epochs = inputs["epochs"]
    keys = ("epoch", "num_samples", "train_loss", "val_accuracy")
    if not (isinstance(h, dict) and all(isinstance(h.get(k), list) and len(h[k]) == epochs
                                        for k in keys)):
        return Verdict(False, "type", "return the history dict with lists 'epoch', "
                                      "'num_samples', 'train_loss', 'val_accuracy', one entry "
                                      f"per epoch (the grader passed num_epochs={epochs})")
    plan = _plan(epochs)
    if h["num_samples"] != plan:
        return Verdict(False, "value", f"num_samples per epoch should be {plan}")
    rep = v["report"]
    seen = int(sum(rep["num"]["F"].tolist()))
    if seen != sum(plan):
        return Verdict(False, "value", f"the model should train on {sum(plan)} samples over the "
                                       f"{epochs} epochs (the schedule's subsets); it saw {seen}")
    if rep["optim"] and not finite(v["changed"]):
        return Verdict(False, "train", "the trained parameters hold NaN or inf")
    if not rep["optim"] or not above(v["changed"], 0.0):
        return Verdict(False, "train", "the model's parameters never changed")
    if not (first_backward_clean(rep["seq"]) or gradients_fresh(rep["seq"])):
        return Verdict(False, "train", "gradients were not reset between updates — call "
                                       "optimizer.zero_grad() before each backward pass")
    problem = (_subsets_problem(v, inputs, plan) or _shuffle_problem(rep, plan)
               or _train_loss_problem(h, rep, plan) or _val_problem(h, v))
    if problem:
        return Verdict(False, "value", problem)
    acc = float((v["preds"].argmax(1).numpy() == ctx.secrets["curriculum_training"]["y_test"])
                .mean())
    # A model that ignores its input scores at most the majority share (~0.4).
    if not at_least(acc, 0.65):
        return Verdict(False, "train", f"held-out accuracy {acc:.3f}; at least 0.65 is needed")
    return Verdict(True, "train")
