"""Checks of 6.3.1: the random samples, autograd, nn.Module and training-loop sections of the
syntax reference."""

import ast

import numpy as np
import torch

from curriculum.judges.compare import at_most, below, close, finite
from curriculum.judges.training import accumulation_problem, five_step_problem
from grader.checks.base import Verdict
from grader.checks.tensor import _check_normal, _check_uniform

# Methods that keep a sample's distribution (dtype, device, copies); anything else applied to
# the drawn tensor (``* 0.5``, ``.mul(2)``, ``.abs()``) changes what it is a sample of.
_KEEPS_DISTRIBUTION = frozenset({"float", "to", "clone", "detach", "contiguous", "cpu"})
_SAMPLES = {"rand": ("torch.rand(3, 4)", "U[0, 1)", _check_uniform),
            "randn": ("torch.randn(3, 4)", "N(0, 1)", _check_normal)}


def _final_value(source: str, name: str) -> ast.expr | None:
    """The expression of the last module-level ``name = …``, following plain copies
    (``r = torch.rand(3, 4); rand = r``); None when there is none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for _ in range(10):
        found = None
        for node in tree.body:
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AnnAssign) else [])
            if targets and node.value is not None and any(isinstance(t, ast.Name) and t.id == name
                                                         for t in targets):
                found = node.value
        if not isinstance(found, ast.Name):
            return found
        name = found.id
    return None


def _drawn_as_is(source: str, name: str) -> str | None:
    """Problem when ``name`` is not bound to the sampling call itself: a 12-value sample
    cannot tell ``torch.rand(3, 4) * 0.9`` from U[0, 1), but its statement can."""
    value = _final_value(source, name)
    if value is None:
        return None  # no plain binding to read (the API check reports what is missing)
    node = value
    while (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
           and node.func.attr in _KEEPS_DISTRIBUTION):
        node = node.func.value
    if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Attribute)
                                           and isinstance(node.func.value, ast.Call)):
        return None
    call, dist, _ = _SAMPLES[name]
    return (f"`{name}` must be the sample `{call}` draws, bound as it is: `{ast.unparse(value)}` "
            f"is no longer a sample of {dist}")


def judge_sample(learner, reference, inputs, ctx, name: str) -> Verdict:
    """rand / randn: a float32 3×4 tensor whose values a true sample gives, bound directly to
    the sampling call (scaling or shifting it changes the distribution the prompt fixes)."""
    got = learner.value
    if not isinstance(got, torch.Tensor):
        return Verdict(False, "type", f"`{name}` should be a torch.Tensor")
    if tuple(got.shape) != (3, 4):
        return Verdict(False, "shape", f"expected shape [3, 4], found {list(got.shape)}")
    if got.dtype != torch.float32:
        return Verdict(False, "dtype", f"expected dtype torch.float32, found {got.dtype}")
    _, _, check = _SAMPLES[name]
    problem = check(got) or _drawn_as_is(ctx.source_text, name)
    if problem:
        return Verdict(False, "value", problem)
    return Verdict(True, "value")


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
    if not isinstance(got["grad"], torch.Tensor) or not close(got["grad"], 4.0, rtol=0.0,
                                                               atol=1e-6):
        return Verdict(False, "grad", "w_grad must be a copy of w.grad after y = w ** 2; "
                                      "y.backward(): dy/dw = 2w = 4")
    # The prompt allows the course's w.grad.zero_() after the copy: w.grad is then 0.
    attr = got["w_grad_attr"]
    if not isinstance(attr, torch.Tensor) or not (close(attr, 4.0, rtol=0.0, atol=1e-6)
                                                  or close(attr, 0.0, rtol=0.0, atol=0.0)):
        return Verdict(False, "grad", "w.grad must hold the gradient y.backward() put there "
                                      "(dy/dw = 4), or 0 after w.grad.zero_()")
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
    # A weight vector of one length on every seed: a long one drawn by chance made the
    # reference's 15 epochs fall short of halving the MSE (1 seed in 500, 0.534), and a
    # learner's correct loop with it. Now every seed's target has variance 0.625.
    w = rng.normal(0, 1, (10, 1))
    w = w / np.linalg.norm(w) * np.sqrt(10)
    x = rng.normal(0, 1, (256, 10))
    y = x @ w * 0.25
    # a hidden epoch count (at least the 15 the halving was measured with, never 15): a loop
    # that types in its own count trains another number of epochs
    epochs = int(rng.choice(EPOCHS))
    return {"x": torch.from_numpy(x.astype(np.float32)), "y": torch.from_numpy(y.astype(np.float32)),
            "epochs": epochs}


EPOCHS = (16, 17, 18, 20)


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
    n, epochs = len(inputs["y"]), inputs["epochs"]
    # every row num_epochs times in training forwards, or (an extra forward) one optimizer
    # step per batch of the dataloader for num_epochs epochs
    if got.get("rows") != epochs * n and got.get("steps") != epochs * got.get("batches", -1):
        seen = got.get("rows") or 0
        return Verdict(False, "train", f"train must run num_epochs epochs over the dataloader: "
                                       f"the grader passed num_epochs={epochs} for {n} rows; "
                                       f"your model trained on {seen} rows ({seen / n:.3g} "
                                       "epochs)")
    if not (finite(got["before"]) and below(got["after"], 0.5 * got["before"])):
        return Verdict(False, "train", f"after train(model, loader, {epochs}) the MSE went from "
                                       f"{got['before']:.3f} to {got['after']:.3f}; it must at least "
                                       "halve (MSELoss, Adam lr=0.001, the 5-step pattern)")
    opts = [m for m in got["made"] if m["label"] == "optimizer"]
    if not opts or opts[0]["cls"] != "Adam" or not close(opts[0]["lr"], 0.001, rtol=1e-9, atol=0.0):
        found = f"{opts[0]['cls']}(lr={opts[0]['lr']})" if opts else "no optimizer"
        return Verdict(False, "api", "train must build optim.Adam(model.parameters(), lr=0.001); "
                                     f"found {found}")
    return Verdict(True, "train")
