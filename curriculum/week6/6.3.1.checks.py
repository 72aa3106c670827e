"""Checks of 6.3.1: the autograd, nn.Module and training-loop sections of the syntax reference."""

import numpy as np
import torch

from curriculum.judges.compare import at_most, below, close, finite
from curriculum.judges.training import accumulation_problem, five_step_problem
from grader.checks.base import Verdict


def judge_autograd(learner, reference, inputs, ctx):
    got = learner.value
    if not got["rg"] or not got["leaf"] or not close(got["w"], 2.0, rtol=0.0, atol=0.0):
        return Verdict(False, "value", "w must be the leaf torch.tensor(2.0, requires_grad=True)")
    if not got.get("y_graph") or not close(got.get("y"), 4.0, rtol=0.0, atol=1e-6):
        return Verdict(False, "grad", "y must be computed from w with autograd: y = w ** 2 "
                                      "(a tensor with a grad_fn, value 4)")
    if not got.get("graph_used"):
        return Verdict(False, "grad", "y.backward() never ran on y (its graph is still unused): "
                                      "the gradient must come from autograd, not be set by hand")
    for what in ("grad", "w_grad_attr"):
        if not isinstance(got[what], torch.Tensor) or not close(got[what], 4.0, rtol=0.0,
                                                                  atol=1e-6):
            return Verdict(False, "grad", "w_grad must be w.grad after y = w ** 2; "
                                          "y.backward(): dy/dw = 2w = 4")
    return Verdict(True, "grad")


def make_x(rng: np.random.Generator):
    return torch.from_numpy(rng.normal(0, 1, (int(rng.integers(2, 9)), 10)).astype(np.float32))


def judge_net(learner, reference, inputs, ctx):
    got = learner.value
    if got["lin"] != [(10, 20), (20, 1)]:
        return Verdict(False, "module", "Net needs layer1 = nn.Linear(10, 20) and layer2 = "
                                        f"nn.Linear(20, 1); found {got['lin']}")
    if got["shape"] != [inputs.shape[0], 1]:
        return Verdict(False, "shape", f"Net on [{inputs.shape[0]}, 10] must give "
                                       f"[{inputs.shape[0]}, 1]; found {got['shape']}")
    if not at_most(got["diff"], 1e-6):
        return Verdict(False, "value", "forward must be layer2(relu(layer1(x)))")
    return Verdict(True, "module")


def make_regression(rng: np.random.Generator):
    w = rng.normal(0, 1, (10, 1))
    x = rng.normal(0, 1, (256, 10))
    y = x @ w * 0.3
    return {"x": torch.from_numpy(x.astype(np.float32)), "y": torch.from_numpy(y.astype(np.float32))}


def judge_train(learner, reference, inputs, ctx):
    problem = five_step_problem(ctx.source_text)
    if problem:
        return Verdict(False, "api", problem)
    got = learner.value
    problem = accumulation_problem(got.get("acc"))
    if problem:
        return Verdict(False, "train", problem)
    if not got["same"]:
        return Verdict(False, "value", "train(model, dataloader, num_epochs) must return the model")
    if not (finite(got["before"]) and below(got["after"], 0.5 * got["before"])):
        return Verdict(False, "train", f"after train(model, loader, 15) the MSE went from "
                                       f"{got['before']:.3f} to {got['after']:.3f}; it must at least "
                                       "halve (MSELoss, Adam lr=0.001, the 5-step pattern)")
    return Verdict(True, "train")
