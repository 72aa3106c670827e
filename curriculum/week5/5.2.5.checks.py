"""Checks of 5.2.5 (distributed training simulation): hidden inputs, and the judges of what the probe sent back.

Labels of the held-out sets stay here as ``Hidden`` secrets; trusted recomputations are done
in float64 from the data the probe sends back.
"""


import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import at_least, close, same_update
from curriculum.judges.data import f32
from curriculum.judges.training import pattern_problem
from grader.checks.base import Hidden, Verdict

DIST_MODEL = ("seq", [("linear", 10, 5)])


def dist_inputs(rng: np.random.Generator) -> Hidden:
    means = 1.5 * rng.standard_normal((5, 10))

    def draw(count):
        y = rng.integers(0, 5, count)
        return means[y] + rng.standard_normal((count, 10)), y
    X, y = draw(320)
    Xt, yt = draw(200)
    grads = [[f32(rng.standard_normal((5, 10))), f32(rng.standard_normal(5))]
             for _ in range(4)]
    inputs = {"model": DIST_MODEL, "init_seed": int(rng.integers(0, 2**31 - 1)),
              "X": f32(X), "y": torch.from_numpy(y), "X_test": f32(Xt),
              "worker_grads": grads}
    return Hidden(inputs=inputs, secret={"y_test": yt})


def _part(rng, part):
    made = dist_inputs(rng)
    made.inputs["part"] = part
    return made


def dist_inputs_acc(rng):
    return _part(rng, "acc")


def dist_inputs_reduce(rng):
    made = _part(rng, "reduce")
    made.inputs["worker_grads3"] = [[f32(rng.standard_normal((5, 10))),
                                     f32(rng.standard_normal(5))] for _ in range(3)]
    return made


def dist_inputs_async(rng):
    return _part(rng, "async")


def _ce_grad(theta: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    t = theta.clone().requires_grad_(True)
    W, b = t[:50].reshape(5, 10), t[50:55]
    loss = F.cross_entropy(X.double() @ W.T + b, y)
    (g,) = torch.autograd.grad(loss, t)
    return g


def _replay_sgd(theta, X, y, batch, epochs, lr=0.1):
    theta = theta.clone()
    for _ in range(epochs):
        for i in range(0, len(X), batch):
            theta = theta - lr * _ce_grad(theta, X[i:i + batch], y[i:i + batch])
    return theta


def _replay_async(theta, X, y, batch, staleness, lr=0.1):
    theta, queue = theta.clone(), []
    for i in range(0, len(X), batch):
        queue.append(_ce_grad(theta, X[i:i + batch], y[i:i + batch]))
        if len(queue) > staleness:
            theta = theta - lr * queue.pop(0)
    while queue:
        theta = theta - lr * queue.pop(0)
    return theta


def _close(a, b) -> bool:
    return close(a, b, rtol=1e-3, atol=1e-4)


def judge_accumulation(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value["acc"]
    problem = pattern_problem(ctx.source_text, "gradient_accumulation_training",
                              accumulate=True)
    if problem:
        return Verdict(False, "api", f"gradient_accumulation_training: {problem}")
    want = _replay_sgd(v["init"], inputs["X"], inputs["y"], 32, 3)
    if not same_update(v["init"], v["final"], want):
        return Verdict(False, "value", "after 3 epochs of micro-batches of 8 with "
                                       "accumulation_steps=4 (loss divided by it), the weights "
                                       "must equal plain SGD on batches of 32 from the same start; "
                                       "they differ by up to "
                                       f"{float((v['final'] - want).abs().max()):.3g}")
    steps = v["report"]["seq"].count("S")
    if steps != 30:
        return Verdict(False, "value", f"expected 30 optimizer steps (10 per epoch); found {steps}")
    if "final2" not in v or "init2" not in v:  # the probe always sends them: rewritten
        return Verdict(False, "type", "unexpected probe data (the run with "
                                      "accumulation_steps=2 is missing)")
    want2 = _replay_sgd(v["init2"], inputs["X"], inputs["y"], 16, 1)
    if not same_update(v["init2"], v["final2"], want2):
        return Verdict(False, "value", "with a simulator built with accumulation_steps=2, "
                                       "one epoch of micro-batches of 8 must equal plain SGD "
                                       "on batches of 16: divide the loss by "
                                       "self.accumulation_steps and step every "
                                       "self.accumulation_steps micro-batches (not a "
                                       "typed-in 4); the weights differ by up to "
                                       f"{float((v['final2'] - want2).abs().max()):.3g}")
    acc = float((v["preds"].argmax(1).numpy() == ctx.secrets["accumulation"]["y_test"]).mean())
    if not at_least(acc, 0.8):
        return Verdict(False, "train", f"held-out accuracy {acc:.3f}; at least 0.8 is needed")
    return Verdict(True, "train")


def _reduce_problem(v, worker_grads, workers: int) -> Verdict | None:
    """What is wrong with one all-reduce record (hostile data), else None."""
    at = f" ({workers} workers)"
    if not isinstance(v, dict):
        return Verdict(False, "type", f"could not read the all-reduce record{at}")
    if v.get("changed") is not False:
        return Verdict(False, "value", "simulated_all_reduce changed the gradients it was "
                                       f"given{at}: compute the means in new tensors (no "
                                       "`+=` or `/=` on the workers' tensors)")
    want = [torch.stack([w[i].double() for w in worker_grads]).mean(0) for i in range(2)]
    got = v.get("returned")
    if not (isinstance(got, list) and len(got) == 2 and all(isinstance(g, torch.Tensor)
                                                            for g in got)):
        return Verdict(False, "type", "simulated_all_reduce must return the list of averaged "
                                      "gradients, one tensor per parameter")
    if not all(_close(g, w) for g, w in zip(got, want, strict=True)):
        return Verdict(False, "value", f"the all-reduce{at} must return the mean of the "
                                       f"{workers} workers' gradients, parameter by parameter"
                                       + (" (divide by the number of workers, not a typed-in 4)"
                                          if workers != 4 else ""))
    grads = v.get("grads")
    if not (isinstance(grads, list) and len(grads) == 2 and all(
            isinstance(g, torch.Tensor) and _close(g, w)
            for g, w in zip(grads, want, strict=True))):
        return Verdict(False, "grad", "store the averaged gradient in each parameter's .grad")
    return None


def judge_all_reduce(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value.get("reduce") if isinstance(learner.value, dict) else None
    if not isinstance(v, dict):
        return Verdict(False, "type", "could not read the all-reduce record")
    for record, grads, workers in ((v, inputs["worker_grads"], 4),
                                   (v.get("three"), inputs["worker_grads3"], 3)):
        problem = _reduce_problem(record, grads, workers)
        if problem:
            return problem
    return Verdict(True, "value")


def judge_async(learner, reference, inputs, ctx) -> Verdict:
    X, y = inputs["X"][:96], inputs["y"][:96]
    for staleness, got in zip((0, 2), learner.value["async"], strict=True):
        want = _replay_async(got["init"], X, y, 16, staleness)
        if not same_update(got["init"], got["final"], want):
            return Verdict(False, "value", f"staleness={staleness}: each batch's gradient, "
                                           "computed at the parameters of its time, must be "
                                           f"applied {staleness} update(s) later (the queue "
                                           "drained at the end); the final weights differ")
    return Verdict(True, "value")
