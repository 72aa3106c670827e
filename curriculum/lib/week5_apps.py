"""Week 5, Exercise 5.2 (advanced training applications): inputs, probes and judges.

The probes extend :data:`curriculum.lib.week5_probe.PROBE` (its recorder and
model builder) with one ``probe`` per scenario; labels of the held-out sets
stay here as ``Hidden`` secrets. Trusted recomputations (FGSM, all-reduce)
are done in float64 from the data the probe sends back.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from curriculum.lib.week5 import _first_backward_after_steps_clean, pattern_problem
from curriculum.lib.week5_probe import PROBE
from grader.checks.base import Hidden, Verdict

ADV_MODEL = ("seq", [("linear", 10, 32), ("relu",), ("linear", 32, 2)])


def _f32(a) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def _build(spec) -> torch.nn.Module:
    layers = []
    for item in spec[1]:
        if item[0] == "linear":
            layers.append(torch.nn.Linear(item[1], item[2]))
        elif item[0] == "relu":
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def _load(spec, state: dict) -> torch.nn.Module:
    model = _build(spec).double()
    model.load_state_dict({k: v.double() for k, v in state.items()})
    return model.eval()


# ---------------------------------------------------------------------------
# 5.2.4 adversarial training
# ---------------------------------------------------------------------------

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
            "X": _f32(X), "y": torch.from_numpy(y), "eps": [0.05, 0.2]}


PROBE_FGSM = PROBE + r'''

def probe(ns, inputs):
    fn = ns.get("generate_adversarial_examples")
    if fn is None:
        raise NameError("name 'generate_adversarial_examples' is not defined")
    ev = ns.get("evaluate_adversarial_accuracy")
    if ev is None:
        raise NameError("name 'evaluate_adversarial_accuracy' is not defined")
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    out = {"state": state, "adv": []}
    for eps in inputs["eps"]:
        X = inputs["X"].clone()
        adv = fn(model, X, inputs["y"].clone(), eps)
        out["adv"].append({
            "value": adv.detach().clone() if isinstance(adv, _torch.Tensor) else _describe(adv),
            "requires_grad": bool(getattr(adv, "requires_grad", False)),
            "input_changed": not bool(_torch.equal(X.detach(), inputs["X"])),
        })
    out["param_grads"] = any(p.grad is not None and bool((p.grad != 0).any())
                             for p in model.parameters())
    acc = ev(model, inputs["X"].clone(), inputs["y"].clone(), 0.1)
    out["acc"] = _describe(acc)
    return out
'''


def _fgsm(model, X, y, eps):
    x = X.double().clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (g,) = torch.autograd.grad(loss, x)
    return torch.clamp(x + eps * g.sign(), 0, 1).detach()


def judge_fgsm(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    model = _load(inputs["model"], v["state"])
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
        diff = (adv.double() - want).abs()
        # sign() may flip where the gradient is ~0; allow a handful of such entries
        if float((diff > 1e-4).float().mean()) > 0.01:
            return Verdict(False, "value", f"epsilon={eps}: expected "
                                           "clamp(x + epsilon * sign(∂CE/∂x), 0, 1) (FGSM); "
                                           f"{int((diff > 1e-4).sum())} of {diff.numel()} "
                                           "values differ")
    if v["param_grads"]:
        return Verdict(False, "grad", "generating adversarial examples left gradients in the "
                                      "model's parameters — use torch.autograd.grad(loss, data) "
                                      "or zero them, or they leak into the next update")
    acc = v["acc"]
    with torch.no_grad():
        X, y = inputs["X"], inputs["y"]
    adv = _fgsm(model, X, y, 0.1)
    with torch.no_grad():
        want = 100.0 * float((model(adv).argmax(1) == y).double().mean())
    if not isinstance(acc, int | float) or isinstance(acc, bool):
        return Verdict(False, "type", "evaluate_adversarial_accuracy must return a number "
                                      f"(percent); found {type(acc).__name__}")
    if abs(acc - want) > 1e-6 + 100.0 / len(y) * 0.5:
        return Verdict(False, "value", "evaluate_adversarial_accuracy should return the accuracy "
                                       "in percent on FGSM examples (epsilon, true labels) made "
                                       f"against the model; found {acc:.2f}")
    return Verdict(True, "value")


def advtrain_inputs(rng: np.random.Generator) -> Hidden:
    (X, y), (Xt, yt) = _adv_data(rng, 320)
    inputs = {"model": ADV_MODEL, "init_seed": int(rng.integers(0, 2**31 - 1)),
              "X": _f32(X), "y": torch.from_numpy(y), "X_test": _f32(Xt), "eps": 0.1}
    return Hidden(inputs=inputs, secret={"y_test": yt})


PROBE_ADVTRAIN = PROBE + r'''

def probe(ns, inputs):
    fn = ns.get("adversarial_training_loop")
    if fn is None:
        raise NameError("name 'adversarial_training_loop' is not defined")
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    before = _flat(model)
    rec = _Rec([model])
    try:
        rec.install()
        model.train()
        history = fn(model, inputs["X"].clone(), inputs["y"].clone(), num_epochs=10,
                     epsilon=inputs["eps"])
    finally:
        rec.remove()
    model.eval()
    Xt = inputs["X_test"].clone()
    with _torch.no_grad():
        clean = model(Xt)
    # FGSM against the model's own predictions (the probe never sees the test labels)
    x = Xt.clone().requires_grad_(True)
    loss = _nn.functional.cross_entropy(model(x), clean.argmax(1))
    (g,) = _torch.autograd.grad(loss, x)
    with _torch.no_grad():
        adv = model(_torch.clamp(x + inputs["eps"] * g.sign(), 0, 1))
    return {"report": rec.report(), "history": _describe(history),
            "changed": float((_flat(model) - before).abs().max()),
            "clean": clean.detach(), "adv": adv.detach()}
'''


def judge_advtrain(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    secret = ctx.secrets["adv_training"]
    problem = pattern_problem(ctx.source_text, "adversarial_training_loop")
    if problem:
        return Verdict(False, "api", f"adversarial_training_loop: {problem}")
    h = v["history"]
    if not (isinstance(h, dict) and isinstance(h.get("train_loss"), list)
            and len(h["train_loss"]) == 10):
        return Verdict(False, "type", "adversarial_training_loop must return "
                                      "{'train_loss': [one float per epoch]} (10 epochs)")
    rep = v["report"]
    if not rep["optim"]:
        return Verdict(False, "train", "no optimizer ever updated the model")
    if not _first_backward_after_steps_clean(rep["seq"]):
        return Verdict(False, "train", "gradients were not reset between updates — call "
                                       "optimizer.zero_grad() before each training backward")
    # the adversarial half of each batch: the model must see 2 x 320 samples per epoch
    seen = int(sum(rep["num"]["F"].tolist()))
    if seen < 2 * 320 * 10:
        return Verdict(False, "value", "train on clean AND adversarial examples of every batch "
                                       f"(2 x 320 samples per epoch for 10 epochs); your model "
                                       f"saw {seen} samples in train mode (inputs that "
                                       "require grad count as attack passes: never set "
                                       "requires_grad on the caller's batch)")
    attacked = int(sum(n for c, n in zip([c for c in rep["seq"] if c in "EGfA"],
                                          rep["num"]["E"].tolist(), strict=False) if c == "A"))
    if attacked < 320 * 10:
        return Verdict(False, "value", "make adversarial examples of every training batch "
                                       f"(320 per epoch); only {attacked} were made")
    if v["changed"] == 0.0:
        return Verdict(False, "train", "the model's parameters never changed")
    y = secret["y_test"]
    clean = float((v["clean"].argmax(1).numpy() == y).mean())
    adv = float((v["adv"].argmax(1).numpy() == y).mean())
    if clean < 0.9:
        return Verdict(False, "train", f"clean held-out accuracy {clean:.3f}; at least 0.9 needed")
    if adv < 0.75:
        return Verdict(False, "train", f"held-out accuracy under FGSM (epsilon 0.1) is {adv:.3f}; "
                                       "at least 0.75 is needed — train on adversarial examples")
    return Verdict(True, "train")


__all__ = ["PROBE_ADVTRAIN", "PROBE_FGSM", "advtrain_inputs", "fgsm_inputs", "judge_advtrain",
           "judge_fgsm", "math"]


# ---------------------------------------------------------------------------
# 5.2.5 distributed training simulation
# ---------------------------------------------------------------------------

DIST_MODEL = ("seq", [("linear", 10, 5)])


def dist_inputs(rng: np.random.Generator) -> Hidden:
    means = 1.5 * rng.standard_normal((5, 10))

    def draw(count):
        y = rng.integers(0, 5, count)
        return means[y] + rng.standard_normal((count, 10)), y
    X, y = draw(320)
    Xt, yt = draw(200)
    grads = [[_f32(rng.standard_normal((5, 10))), _f32(rng.standard_normal(5))]
             for _ in range(4)]
    inputs = {"model": DIST_MODEL, "init_seed": int(rng.integers(0, 2**31 - 1)),
              "X": _f32(X), "y": torch.from_numpy(y), "X_test": _f32(Xt),
              "worker_grads": grads}
    return Hidden(inputs=inputs, secret={"y_test": yt})


def _part(rng, part):
    made = dist_inputs(rng)
    made.inputs["part"] = part
    return made


def dist_inputs_acc(rng):
    return _part(rng, "acc")


def dist_inputs_reduce(rng):
    return _part(rng, "reduce")


def dist_inputs_async(rng):
    return _part(rng, "async")


PROBE_DIST = PROBE + r'''

def _sim(ns, model, workers=4, steps=4):
    cls = ns.get("DistributedSimulator")
    if cls is None:
        raise NameError("name 'DistributedSimulator' is not defined")
    return cls(model, num_workers=workers, accumulation_steps=steps)


def probe(ns, inputs):
    from torch.utils.data import DataLoader, TensorDataset
    X, y = inputs["X"].clone(), inputs["y"].clone()
    part = inputs["part"]
    # 1. accumulation: micro-batches of 8, 4 per update
    if part == "acc":
        return {"acc": _probe_acc(ns, inputs, X, y)}
    if part == "reduce":
        return {"reduce": _probe_reduce(ns, inputs)}
    return {"async": _probe_async(ns, inputs, X, y)}


def _probe_acc(ns, inputs, X, y):
    from torch.utils.data import DataLoader, TensorDataset
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    sim = _sim(ns, model)
    before = _flat(model)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=False)
    opt = _torch.optim.SGD(model.parameters(), lr=0.1)
    rec = _Rec([model])
    try:
        rec.install()
        sim.gradient_accumulation_training(loader, opt, num_epochs=3)
    finally:
        rec.remove()
    model.eval()
    with _torch.no_grad():
        preds = model(inputs["X_test"])
    return {"report": rec.report(), "init": before, "final": _flat(model),
            "preds": preds.detach()}


def _probe_reduce(ns, inputs):
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    sim = _sim(ns, model)
    res = sim.simulated_all_reduce([[g.clone() for g in w] for w in inputs["worker_grads"]])
    return {"returned": _describe(res),
            "grads": [None if p.grad is None else p.grad.detach().clone()
                      for p in model.parameters()]}


def _probe_async(ns, inputs, X, y):
    from torch.utils.data import DataLoader, TensorDataset
    out = []
    for staleness in (0, 2):
        _torch.manual_seed(inputs["init_seed"])
        model = _build(inputs["model"])
        sim = _sim(ns, model)
        loader = DataLoader(TensorDataset(X[:96], y[:96]), batch_size=16, shuffle=False)
        opt = _torch.optim.SGD(model.parameters(), lr=0.1)
        init = _flat(model)
        sim.asynchronous_updates(loader, opt, staleness=staleness)
        out.append({"init": init, "final": _flat(model)})
    return out
'''


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
    return tuple(a.shape) == tuple(b.shape) and bool(torch.allclose(a.double(), b.double(),
                                                                     rtol=1e-3, atol=1e-4))


def judge_accumulation(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value["acc"]
    problem = pattern_problem(ctx.source_text, "gradient_accumulation_training",
                              accumulate=True)
    if problem:
        return Verdict(False, "api", f"gradient_accumulation_training: {problem}")
    want = _replay_sgd(v["init"], inputs["X"], inputs["y"], 32, 3)
    if not _close(v["final"], want):
        return Verdict(False, "value", "after 3 epochs of micro-batches of 8 with "
                                       "accumulation_steps=4 (loss divided by it), the weights "
                                       "must equal plain SGD on batches of 32 from the same start; "
                                       "they differ by up to "
                                       f"{float((v['final'] - want).abs().max()):.3g}")
    steps = v["report"]["seq"].count("S")
    if steps != 30:
        return Verdict(False, "value", f"expected 30 optimizer steps (10 per epoch); found {steps}")
    acc = float((v["preds"].argmax(1).numpy() == ctx.secrets["accumulation"]["y_test"]).mean())
    if acc < 0.8:
        return Verdict(False, "train", f"held-out accuracy {acc:.3f}; at least 0.8 is needed")
    return Verdict(True, "train")


def judge_all_reduce(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value["reduce"]
    want = [torch.stack([w[i].double() for w in inputs["worker_grads"]]).mean(0)
            for i in range(2)]
    got = v["returned"]
    if not (isinstance(got, list) and len(got) == 2 and all(isinstance(g, torch.Tensor)
                                                            for g in got)):
        return Verdict(False, "type", "simulated_all_reduce must return the list of averaged "
                                      "gradients, one tensor per parameter")
    if not all(_close(g, w) for g, w in zip(got, want, strict=True)):
        return Verdict(False, "value", "the all-reduce must return the mean of the workers' "
                                       "gradients, parameter by parameter")
    if not all(isinstance(g, torch.Tensor) and _close(g, w) for g, w in zip(v["grads"], want,
                                                                             strict=True)):
        return Verdict(False, "grad", "store the averaged gradient in each parameter's .grad")
    return Verdict(True, "value")


def judge_async(learner, reference, inputs, ctx) -> Verdict:
    X, y = inputs["X"][:96], inputs["y"][:96]
    for staleness, got in zip((0, 2), learner.value["async"], strict=True):
        want = _replay_async(got["init"], X, y, 16, staleness)
        if not _close(got["final"], want):
            return Verdict(False, "value", f"staleness={staleness}: each batch's gradient, "
                                           "computed at the parameters of its time, must be "
                                           f"applied {staleness} update(s) later (the queue "
                                           "drained at the end); the final weights differ")
    return Verdict(True, "value")


__all__ += ["PROBE_DIST", "dist_inputs", "dist_inputs_acc", "dist_inputs_async",
            "dist_inputs_reduce", "judge_accumulation", "judge_all_reduce",
            "judge_async"]


# ---------------------------------------------------------------------------
# 5.2.3 robust training
# ---------------------------------------------------------------------------

def robust_inputs(rng: np.random.Generator) -> dict:
    X = rng.standard_normal((32, 10))
    w = rng.uniform(-1, 1, (10, 1))
    y = X @ w
    # a validation-loss curve: falls, then wobbles without improving
    best = int(rng.integers(3, 8))
    curve = list(np.linspace(1.0, 0.5, best + 1))
    curve += list(0.5 + rng.uniform(0.0, 0.2, 14))
    return {"init_seed": int(rng.integers(0, 2**31 - 1)), "X": _f32(X), "y": _f32(y),
            "y_big": _f32(y * 200.0), "val_losses": [float(v) for v in curve]}


PROBE_ROBUST = PROBE + r'''

def _trainer(ns, model, lr=0.01):
    cls = ns.get("RobustTrainer")
    if cls is None:
        raise NameError("name 'RobustTrainer' is not defined")
    opt = _torch.optim.SGD(model.parameters(), lr=lr)
    return cls(model, opt, _nn.MSELoss())


def probe(ns, inputs):
    out = {"steps": []}
    for target in ("y", "y_big", "nan"):
        _torch.manual_seed(inputs["init_seed"])
        model = _nn.Linear(10, 1)
        tr = _trainer(ns, model)
        before = _flat(model)
        X = inputs["X"].clone()
        y = inputs["y_big" if target == "y_big" else "y"].clone()
        if target == "nan":
            X[0, 0] = float("nan")
        res = tr.train_step_with_gradient_monitoring(X, y)
        out["steps"].append({"result": _describe(res), "before": before, "after": _flat(model)})
    _torch.manual_seed(inputs["init_seed"])
    model = _nn.Linear(10, 1)
    tr = _trainer(ns, model)
    stops = []
    for i, v in enumerate(inputs["val_losses"]):
        with _torch.no_grad():
            for p in model.parameters():
                p.fill_(float(i))
        stop = tr.adaptive_early_stopping(v)
        stops.append(_describe(stop))
        if stop is True:
            break
    out["stops"] = stops
    out["restored"] = _flat(model)
    data = _torch.zeros(4000, 5)
    noisy = [tr.noise_injection_training(data, e) for e in (0, 40, 200)]
    out["noise"] = [_describe(n) for n in noisy]
    out["data_untouched"] = bool((data == 0).all())
    return out
'''


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
    if not math.isclose(float(res["grad_norm"]), norm, rel_tol=1e-3):
        return (f"{label}: grad_norm should be the total L2 norm of all parameter gradients "
                f"before clipping; found {float(res['grad_norm']):.4g}")
    if not math.isclose(float(res["loss"]), float(loss.detach()), rel_tol=1e-4):
        return f"{label}: 'loss' should be the batch loss (loss.item())"
    clipped = norm > 10.0
    if bool(res["grad_clipped"]) != clipped:
        return f"{label}: grad_clipped should be True exactly when the norm exceeds 10"
    step_g = g / norm if clipped else g
    want = before - 0.01 * step_g
    if not torch.allclose(after, want, rtol=1e-4, atol=1e-6):
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
        if loss < best - 1e-4:
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
    if not torch.allclose(v["restored"], torch.full_like(v["restored"], float(best_i))):
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
        if abs(std - sigma) > 0.05 * sigma or abs(mean) > 0.2 * sigma:
            return Verdict(False, "value", f"epoch {epoch}: the added noise should be Gaussian "
                                           f"with std max(0.001, 0.01 * 0.95 ** epoch); found "
                                           f"std {std:.3g}")
    return Verdict(True, "value")


__all__ += ["PROBE_ROBUST", "judge_robust_monitoring", "judge_robust_noise",
            "judge_robust_stopping", "robust_inputs"]


# ---------------------------------------------------------------------------
# 5.2.2 curriculum learning
# ---------------------------------------------------------------------------

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
              "X": _f32(X), "y": torch.from_numpy(y), "X_val": _f32(Xv),
              "y_val": torch.from_numpy(yv), "X_test": _f32(Xt)}
    return Hidden(inputs=inputs, secret={"y_test": yt})


def curriculum_inputs_score(rng):
    made = curriculum_inputs(rng)
    made.inputs["part"] = "score"
    return made


def curriculum_inputs_train(rng):
    made = curriculum_inputs(rng)
    made.inputs["part"] = "train"
    return made


PROBE_CURRICULUM = PROBE + r'''

def probe(ns, inputs):
    from torch.utils.data import DataLoader, TensorDataset
    for name in ("difficulty_scorer", "create_curriculum_schedule", "curriculum_training_loop"):
        if name not in ns:
            raise NameError("name '%s' is not defined" % name)
    X, y = inputs["X"].clone(), inputs["y"].clone()
    dataset = TensorDataset(X, y)
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    scores = schedule = None
    if inputs["part"] == "score":
        scores = ns["difficulty_scorer"](X[:50], y[:50], model)
        schedule = ns["create_curriculum_schedule"](dataset, model, 9)
    sched = None
    if isinstance(schedule, dict):
        sched = {str(k): [int(i) for i in v] for k, v in schedule.items()}
    if inputs["part"] == "score":
        return {"state": state, "scores": _describe(scores), "schedule": sched}
    _torch.manual_seed(inputs["init_seed"])
    model = _build(inputs["model"])
    before = _flat(model)
    val_loader = DataLoader(TensorDataset(inputs["X_val"], inputs["y_val"]), batch_size=32)
    rec = _Rec([model])
    try:
        rec.install()
        history = ns["curriculum_training_loop"](model, dataset, val_loader, num_epochs=9)
    finally:
        rec.remove()
    model.eval()
    with _torch.no_grad():
        preds = model(inputs["X_test"])
    return {"history": _describe(history), "report": rec.report(),
            "changed": float((_flat(model) - before).abs().max()), "preds": preds.detach()}
'''


def _difficulty(model, X, y):
    with torch.no_grad():
        out = model(X.double())
        p = torch.softmax(out, 1).max(1).values
        return 0.7 * (1 - p) + 0.3 * F.cross_entropy(out, y, reduction="none")


def judge_curriculum_scoring(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    model = _load(inputs["model"], v["state"])
    want = _difficulty(model, inputs["X"][:50], inputs["y"][:50])
    got = v["scores"]
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != (50,):
        return Verdict(False, "shape", "difficulty_scorer must return one score per sample, "
                                       "shape (batch,)")
    if not torch.allclose(got, want, rtol=1e-4, atol=1e-5):
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
    if not rep["optim"] or v["changed"] == 0.0:
        return Verdict(False, "train", "the model's parameters never changed")
    if not _first_backward_after_steps_clean(rep["seq"]):
        return Verdict(False, "train", "gradients were not reset between updates — call "
                                       "optimizer.zero_grad() before each backward pass")
    acc = float((v["preds"].argmax(1).numpy() == ctx.secrets["curriculum_training"]["y_test"])
                .mean())
    # A model that ignores its input scores at most the majority share (~0.4).
    if acc < 0.65:
        return Verdict(False, "train", f"held-out accuracy {acc:.3f}; at least 0.65 is needed")
    return Verdict(True, "train")


__all__ += ["PROBE_CURRICULUM", "curriculum_inputs", "curriculum_inputs_score",
            "curriculum_inputs_train", "judge_curriculum_scoring",
            "judge_curriculum_training"]


# ---------------------------------------------------------------------------
# 5.2.1 multi-task trainer
# ---------------------------------------------------------------------------

def multitask_inputs(rng: np.random.Generator) -> Hidden:
    def draw(count):
        X = rng.standard_normal((count, 20))
        reg = X[:, :5].sum(1, keepdims=True) + 0.1 * rng.standard_normal((count, 1))
        cls = (X[:, 10:20].sum(1) > 0).astype(np.int64)
        return X, reg, cls
    X, reg, cls = draw(320)
    Xv, regv, clsv = draw(100)
    Xt, regt, clst = draw(200)
    inputs = {"init_seed": int(rng.integers(0, 2**31 - 1)), "X": _f32(X), "reg": _f32(reg),
              "cls": torch.from_numpy(cls), "X_val": _f32(Xv), "reg_val": _f32(regv),
              "cls_val": torch.from_numpy(clsv), "X_test": _f32(Xt),
              "sigmas": [float(rng.uniform(0.5, 2.0)), float(rng.uniform(0.5, 2.0))],
              "losses": [float(rng.uniform(0.1, 3.0)), float(rng.uniform(0.1, 3.0))]}
    return Hidden(inputs=inputs, secret={"reg": regt, "cls": clst})


def multitask_inputs_balance(rng):
    made = multitask_inputs(rng)
    made.inputs["part"] = "balance"
    return made


def multitask_inputs_train(rng):
    made = multitask_inputs(rng)
    made.inputs["part"] = "train"
    return made


PROBE_MULTITASK = PROBE + r'''

class MultiTaskNetwork(_nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = _nn.Sequential(_nn.Linear(20, 32), _nn.ReLU())
        self.heads = _nn.ModuleDict({"regression": _nn.Linear(32, 1),
                                     "classification": _nn.Linear(32, 2)})

    def forward(self, x, active_tasks=None):
        h = self.shared(x)
        tasks = active_tasks or list(self.heads)
        return {t: self.heads[t](h) for t in tasks}


CONFIGS = {"regression": {"task_type": "regression", "lr": 0.01},
           "classification": {"task_type": "classification", "lr": 0.01}}


def probe(ns, inputs):
    from torch.utils.data import DataLoader, TensorDataset
    cls = ns.get("MultiTaskTrainer")
    if cls is None:
        raise NameError("name 'MultiTaskTrainer' is not defined")
    _torch.manual_seed(inputs["init_seed"])
    model = MultiTaskNetwork()
    trainer = cls(model, {k: dict(v) for k, v in CONFIGS.items()})
    sig = getattr(trainer, "uncertainty_weights", None)
    if inputs["part"] == "balance":
        if not isinstance(sig, _torch.Tensor):
            return {"error": "no uncertainty_weights tensor"}
        with _torch.no_grad():
            sig.copy_(_torch.tensor(inputs["sigmas"]))
        a, b = inputs["losses"]
        out = trainer.adaptive_loss_balancing({"regression": _torch.tensor(a),
                                               "classification": _torch.tensor(b)})
        return {"value": _describe(out)}
    sig_before = sig.detach().clone() if isinstance(sig, _torch.Tensor) else None
    g = _torch.Generator().manual_seed(inputs["init_seed"])
    loaders = {
        "regression": DataLoader(TensorDataset(inputs["X"], inputs["reg"]), batch_size=32,
                                 shuffle=True, generator=g),
        "classification": DataLoader(TensorDataset(inputs["X"], inputs["cls"]), batch_size=32,
                                     shuffle=True, generator=g),
    }
    val = {
        "regression": DataLoader(TensorDataset(inputs["X_val"], inputs["reg_val"]),
                                 batch_size=50),
        "classification": DataLoader(TensorDataset(inputs["X_val"], inputs["cls_val"]),
                                     batch_size=50),
    }
    rec = _Rec([model])
    epochs = []
    try:
        rec.install()
        for _ in range(6):
            epochs.append(_describe(trainer.train_epoch(loaders)))
    finally:
        rec.remove()
    results = _describe(trainer.validate(val))
    model.eval()
    with _torch.no_grad():
        own = model(inputs["X_val"])["classification"].argmax(1)
        own_acc = float((own == inputs["cls_val"]).float().mean())
        test = model(inputs["X_test"])
    return {"epochs": epochs, "val": results, "own_acc": own_acc, "report": rec.report(),
            "sig_before": sig_before,
            "sig_after": sig.detach().clone() if isinstance(sig, _torch.Tensor) else None,
            "reg": test["regression"].detach(), "cls": test["classification"].detach()}
'''


def judge_multitask_balance(learner, reference, inputs, ctx) -> Verdict:
    v = learner.value
    if "error" in v:
        return Verdict(False, "type", "the trainer needs `self.uncertainty_weights = "
                                      "nn.Parameter(torch.ones(num_tasks))`")
    (s1, s2), (a, b) = inputs["sigmas"], inputs["losses"]
    want = a / (2 * s1 ** 2) + math.log(s1) + b / (2 * s2 ** 2) + math.log(s2)
    got = v["value"]
    got = float(got) if isinstance(got, torch.Tensor) and got.numel() == 1 else got
    if not isinstance(got, float) or not math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-5):
        return Verdict(False, "value", "adaptive_loss_balancing should return "
                                       "Σ_i L_i / (2 σ_i²) + log σ_i with σ = "
                                       "self.uncertainty_weights in task order")
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
    if abs(float(val["classification"]["accuracy"]) - v["own_acc"]) > 1e-6:
        return Verdict(False, "value", "validate's classification accuracy is not the "
                                       "fraction of correct predictions on the validation data")
    rep = v["report"]
    if not rep["optim"]:
        return Verdict(False, "train", "no optimizer ever updated the model")
    if not _first_backward_after_steps_clean(rep["seq"]):
        return Verdict(False, "train", "gradients were not reset between updates — call "
                                       "optimizer.zero_grad() before each backward pass")
    if v["sig_before"] is None or torch.equal(v["sig_before"], v["sig_after"]):
        return Verdict(False, "value", "the uncertainty weights never changed — give "
                                       "self.uncertainty_weights to the optimizer and use them "
                                       "in adaptive_loss_balancing")
    for task in ("regression", "classification"):
        if not epochs[-1][task] < epochs[0][task]:
            return Verdict(False, "train", f"the {task} training loss did not fall")
    y = secret["reg"]
    p = v["reg"].numpy().astype(np.float64)
    r2 = 1 - float(((p - y) ** 2).sum()) / float(((y - y.mean()) ** 2).sum()) \
        if p.shape == y.shape else float("nan")
    acc = float((v["cls"].argmax(1).numpy() == secret["cls"]).mean())
    if not (r2 >= 0.8 and acc >= 0.8):
        return Verdict(False, "train", f"held-out: regression R² {r2:.3f} (need 0.8), "
                                       f"classification accuracy {acc:.3f} (need 0.8)")
    return Verdict(True, "train")


__all__ += ["PROBE_MULTITASK", "judge_multitask_balance", "judge_multitask_training",
            "multitask_inputs", "multitask_inputs_balance", "multitask_inputs_train"]
