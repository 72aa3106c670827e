"""Training: did the learner's loop follow the pattern, reset its gradients and really learn?

Shared by every check that trains a model (weeks 3, 5 and 6): the five-step
pattern read from the source (zero_grad → forward → loss → backward → step),
gradients piling up across steps (recorded in the jail by
``curriculum/probes/recorders.py``), a trainer's returned weights, and
held-out accuracy against labels that never entered the sandbox. Every
threshold is compared through :mod:`curriculum.judges.compare`, so a NaN
accuracy or loss fails.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from curriculum.judges.compare import as_float, at_least, at_most, below, close
from curriculum.judges.text import fmt_shape, type_name
from grader.checks.base import Verdict


def _attr_calls(tree: ast.AST) -> list[tuple[int, int, str, str]]:
    """(line, col, attr, receiver source) for every ``x.attr(...)`` call."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            out.append((node.lineno, node.col_offset, node.func.attr,
                        ast.unparse(node.func.value)))
    return sorted(out)


_SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.For, ast.AsyncFor, ast.While)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _scope_calls(scope: ast.AST) -> list[tuple[int, int, str, str]]:
    """(line, col, attr, receiver source) of the ``x.attr(...)`` calls a function body, loop
    body (nested loops included) or module runs itself, in source order: the bodies of
    functions and classes defined in it are scopes of their own."""
    out = []
    body = [*scope.body, *getattr(scope, "orelse", [])]
    todo = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, _DEFS):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            out.append((node.lineno, node.col_offset, node.func.attr,
                        ast.unparse(node.func.value)))
        todo.extend(ast.iter_child_nodes(node))
    return sorted(out)


def _kind(call: tuple[int, int, str, str]) -> str | None:
    """'zero', 'backward' or 'step' (an optimizer's, not a scheduler's), else None."""
    attr, receiver = call[2], call[3]
    if attr == "zero_grad":
        return "zero"
    if attr == "backward":
        return "backward"
    if attr == "step" and "sched" not in receiver.lower():
        return "step"
    return None


def _training_scopes(tree: ast.AST) -> list[tuple[ast.AST, list[str]]]:
    """(scope, the kinds of the pattern's calls in order) of each innermost loop or function
    body (or the module) that calls both backward and an optimizer's step itself."""
    found = []
    for scope in ast.walk(tree):
        if not isinstance(scope, _SCOPES):
            continue
        kinds = [k for k in map(_kind, _scope_calls(scope)) if k]
        if "backward" in kinds and "step" in kinds:
            found.append((scope, kinds))
    inner = []
    for scope, kinds in found:
        nested = set()  # the loops inside this body (not those of functions defined in it)
        todo = list(ast.iter_child_nodes(scope))
        while todo:
            node = todo.pop()
            if not isinstance(node, _DEFS):
                nested.add(id(node))
                todo.extend(ast.iter_child_nodes(node))
        if not any(id(other) in nested for other, _ in found):
            inner.append((scope, kinds))
    return inner


_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def _cycle_problem(kinds: list[str], loop: bool = True) -> str:
    """'' when a loop or function body's calls make the cycle zero_grad → backward → step:
    zero_grad before backward, or after step (the next pass starts with it); else what is
    wrong. A function body that is no loop (``loop`` False: a helper doing backward and
    step, ``update(loss, optimizer)``) may leave zero_grad to the loop that calls it."""
    steps = [i for i, k in enumerate(kinds) if k == "step"
             and any(j < i and kinds[j] == "backward" for j in range(i))]
    if not steps:
        return ("the five-step pattern is out of order: call optimizer.step() after "
                "loss.backward()")
    s = steps[0]
    b = max(j for j in range(s) if kinds[j] == "backward")
    zeros = [i for i, k in enumerate(kinds) if k == "zero"]
    if any(b < z < s for z in zeros):
        return ("the five-step pattern is out of order: optimizer.zero_grad() between "
                "loss.backward() and optimizer.step() wipes the gradients before the step — "
                "call it before the forward pass (or after optimizer.step())")
    if not zeros and loop:
        return ("call optimizer.zero_grad() in the training loop itself, before every "
                "loss.backward() (or after every optimizer.step()): zeroed once outside it, "
                "the gradients of every step pile up")
    return ""


def five_step_problem(source: str) -> str:
    """'' when the training loop calls zero_grad, backward and an optimizer's step as one
    cycle (the five-step pattern); otherwise what is missing or out of order. Read per
    loop (or function) body: zero_grad at the top of the body or after step is the same
    cycle; zero_grad only outside the loop, or between backward and step, is not. Where no
    one body calls both backward and step (helpers), only their presence is read — the
    recorders judge what the calls did."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"your code does not parse: {exc.msg}"
    kinds = {k for k in map(_kind, _attr_calls(tree)) if k}
    missing = [n for k, n in (("zero", "optimizer.zero_grad()"), ("backward", "loss.backward()"),
                              ("step", "optimizer.step()")) if k not in kinds]
    if missing:
        return ("the training loop must follow the five-step pattern (zero_grad → forward → "
                f"loss → backward → step); missing: {', '.join(missing)}")
    problems = [_cycle_problem(k, isinstance(scope, _LOOPS)) for scope, k in
                _training_scopes(tree)]
    if problems and all(problems):
        return problems[0]
    return ""


def forward_modes_problem(modes: list) -> str:
    """'' when every forward pass was training (train mode, gradients on) or validation
    (eval mode under no_grad) and both happened; else what to change. ``modes``: the
    probe's ``(model.training, grad enabled)`` per forward pass."""
    modes = [tuple(m) if isinstance(m, list | tuple) else m for m in modes]
    if (True, True) not in modes:
        return "training forward passes must run in train mode (model.train()) with gradients on"
    if (False, False) not in modes:
        return ("validation must run the model in eval mode (model.eval()) inside "
                "`with torch.no_grad():`")
    if (False, True) in modes:  # typically model.train() once, before the first epoch
        return ("some forward passes ran in eval mode with gradients on: call `model.train()` "
                "at the start of every epoch (after validating, the model stays in eval mode) "
                "and validate inside `with torch.no_grad():`")
    if (True, False) in modes:
        return ("some forward passes ran under no_grad in train mode: call `model.eval()` "
                "before validating")
    if any(m not in ((True, True), (False, False)) for m in modes):
        return "could not read the mode of every forward pass"
    return ""


def accumulation_problem(acc) -> str:
    """'' unless gradients piled up across optimizer steps (see PROBE_RECORDERS)."""
    if not isinstance(acc, dict) or not acc.get("backward"):
        return ""
    counts = acc.get("backward"), acc.get("accumulated")
    if not all(type(n) is int and n >= 0 for n in counts):  # a record the code rewrote
        return ("could not read the record of the training loop's backward passes (does the "
                "code replace parts of torch.autograd or the optimizer?)")
    if acc["accumulated"] > 0:
        return (f"in {acc['accumulated']} of {acc['backward']} backward passes the gradient was "
                "added onto the previous step's: call optimizer.zero_grad() at the start of "
                "every step")
    return ""

def pattern_verdict(source: str, acc) -> Verdict | None:
    """The five steps in order (read from the source) and gradients zeroed between
    updates (recorded in the sandbox): the first thing every training check asks."""
    problem = five_step_problem(source)
    if problem:
        return Verdict(False, "api", problem)
    problem = accumulation_problem(acc)
    if problem:
        return Verdict(False, "train", problem)
    return None


def given_lr_problem(fn: str, found: tuple[str, float] | None, lr: float) -> str:
    """``fn`` built Adam with the lr the grader gave it (a hidden one: an lr typed in
    shows). ``found``: the class and lr of the first optimizer it built, None for none."""
    if found is not None and found[0] == "Adam" and close(found[1], lr, rtol=1e-9, atol=0.0):
        return ""
    what = f"{found[0]}(lr={found[1]:g})" if found is not None else "no optimizer"
    return (f"{fn} must build torch.optim.Adam(model.parameters(), lr=lr) with the lr it is "
            f"given (the grader passed lr={lr:g}); found {what}")


#: The calls that clip gradients, as the ``clipping`` recorder counts them
#: (curriculum/probes/clipping.py): a source check for clipping asks for one of them.
CLIP_CALLS = ("clip_grad_norm_", "clip_grads_with_norm_")


def clip_problem(max_norms: Any, step_norms: Any, order: Any, max_norm: float = 1.0) -> str:
    """What the ``clipping`` recorder (curriculum/probes/clipping.py) shows wrong with a
    run's gradient clipping, "" for nothing: a clip to another bound, a step that saw a larger
    gradient norm, or a step with no clip of its fresh gradients since the step before it
    (a clip after ``step()`` or before ``backward()``, which the norms alone only show when
    the gradients exceed the bound)."""
    if not isinstance(max_norms, list) or not isinstance(step_norms, list) \
            or not isinstance(order, str) \
            or not all(type(n) in (int, float) for n in [*max_norms, *step_norms]):
        return "no record of the clipping"
    wrong = sorted({m for m in max_norms if not close(m, max_norm, rtol=1e-9, atol=0.0)})
    if wrong:
        return f"max_norm={as_float(wrong[0]):g}"
    # a run whose gradients turned NaN fails on its training, not on its clipping
    steepest = max((n for n in step_norms if math.isfinite(n)), default=0.0)
    if not at_most(steepest, max_norm * (1 + 1e-4)):
        return f"a step with gradient norm {as_float(steepest):.3g}"
    if any("C" not in seg for seg in order.split("S")[:-1]):
        return ("a step with no clip of its gradients before it (clipped after step(), or "
                "before backward())")
    return ""


def accuracy_verdict(pred, labels, threshold: float, what: str, kind: str = "train") -> Verdict:
    """Judge predictions (tensor/list of class ids) against hidden labels."""
    labels = torch.as_tensor(np.asarray(labels))
    if not isinstance(pred, torch.Tensor):
        return Verdict(False, "type", f"{what}: expected a tensor of predicted classes, found "
                                      f"{type(pred).__name__}")
    pred = pred.detach().cpu()
    if tuple(pred.shape) != tuple(labels.shape):
        return Verdict(False, "shape", f"{what}: expected predictions of shape "
                                       f"{tuple(labels.shape)}, found {tuple(pred.shape)}")
    acc = float((pred.long() == labels.long()).float().mean())
    if not at_least(acc, threshold):
        return Verdict(False, kind, f"{what}: held-out accuracy {acc:.3f}, needs ≥ {threshold} — "
                                    "check that the model really trains (loss falling, "
                                    "optimizer.step() called, gradients zeroed each step)")
    return Verdict(True, kind, f"held-out accuracy {acc:.3f}")

def binary_accuracy(prob: torch.Tensor, labels: Any, threshold: float = 0.5) -> float:
    """Share of ``prob > threshold`` equal to the 0/1 labels; 0.0 when a probability is NaN
    or inf (so a NaN model never reaches a threshold)."""
    p = prob.detach().double().reshape(-1)
    if not bool(torch.isfinite(p).all()):
        return 0.0
    guess = (p > threshold).double()  # compare: ok (elementwise, finite checked)
    return float((guess == torch.as_tensor(np.asarray(labels)).double().reshape(-1)).double()
                 .mean())


def binary_f1(pred, labels) -> float:
    pred = np.asarray(pred).astype(int).ravel()
    labels = np.asarray(labels).astype(int).ravel()
    tp = int(((pred == 1) & (labels == 1)).sum())
    fp = int(((pred == 1) & (labels == 0)).sum())
    fn = int(((pred == 0) & (labels == 1)).sum())
    if tp == 0:
        return 0.0
    p, r = tp / (tp + fp), tp / (tp + fn)
    return 2 * p * r / (p + r)

def weights_problem(label: str, w: object, b: object, w_shape: tuple[int, ...]
                    ) -> Verdict | None:
    """A (w, b) pair returned by a trainer: both tensors, w of ``w_shape``, b of shape (1,)."""
    for name, value, shape in (("w", w, w_shape), ("b", b, (1,))):
        if not isinstance(value, torch.Tensor):
            return Verdict(False, "type", f"{label}: {name} should be a tensor; found "
                                          f"{type_name(value)}")
        if tuple(value.shape) != shape:
            return Verdict(False, "shape", f"{label}: {name} should have shape "
                                           f"{fmt_shape(shape)}, found {fmt_shape(value.shape)}")
    return None


def stated_loss_problem(label: str, seen: Any, X: torch.Tensor, y: torch.Tensor,
                        loss: Any, stated: str) -> Verdict | None:
    """The first loss a from-scratch trainer differentiated (probe ``train_predict``:
    ``[value, [parameter copies]]``) against ``loss(X @ w + b, y)`` for the same ``w``,
    ``b`` — the prompt states the loss, and a model trained on another one (MSE for a
    classifier) can still predict well. None when the training differentiated nothing
    (the autograd check says so) or with parameters other than one ``w`` and one ``b``
    (not this contract's model: the shape checks say so)."""
    if seen is None:
        return None
    if not (isinstance(seen, list) and len(seen) == 2 and type(seen[0]) is float
            and isinstance(seen[1], list) and len(seen[1]) <= 16
            and all(isinstance(t, torch.Tensor) for t in seen[1])):
        return Verdict(False, "train", f"{label}: could not read the loss your training "
                                       "differentiated")
    d = X.shape[1]
    params = seen[1]
    pairs = [(w, b) for w in params for b in params
             if w is not b and w.numel() == d and b.numel() == 1]
    if len(params) != 2 or not pairs:
        return None
    expected = [float(loss(X.double() @ w.double().reshape(d, 1) + b.double().reshape(1),
                           y.double())) for w, b in pairs]
    if any(close(seen[0], e, rtol=1e-4, atol=1e-6) for e in expected):
        return None
    return Verdict(False, "train", f"{label}: the first loss your training called backward() "
                                   f"on is {seen[0]:.6g}; {stated} of the same w and b on the "
                                   f"training data is {expected[0]:.6g} — train on that loss")


def rate_problem(label: str, runs: Any, rates: Sequence[float]) -> Verdict | None:
    """Two two-epoch runs from the same start (probe ``train_predict``: the parameters at
    each run's first and second differentiation), with learning rates ``rates``: the
    first update must scale with the rate passed in — the same step at both rates means
    a rate typed into the loop. None when it cannot be told (a run missing or not one
    update per epoch, different starts, no step at all: other checks speak)."""
    if not (isinstance(runs, list) and len(runs) == 2 and all(
            isinstance(r, tuple) and len(r) == 2 and all(
                isinstance(ps, list) and len(ps) <= 16
                and all(isinstance(q, torch.Tensor) for q in ps) for ps in r)
            for r in runs)):
        return None
    (start_a, after_a), (start_b, after_b) = runs
    shapes = [tuple(q.shape) for q in start_a]
    if not (len(start_a) == len(after_a) == len(start_b) == len(after_b) >= 1
            and all([tuple(q.shape) for q in ps] == shapes
                    for ps in (after_a, start_b, after_b))):
        return None
    flat = [torch.cat([q.double().flatten() for q in ps]) for ps in
            (start_a, after_a, start_b, after_b)]
    if not close(flat[0], flat[2], rtol=1e-6, atol=1e-7):
        return None  # not the same start (a random start not drawn from torch)
    step_a, step_b = flat[1] - flat[0], flat[3] - flat[2]
    size = float(step_a.norm())
    if below(size, 1e-9):
        return None
    ratio = rates[1] / rates[0]
    if close(step_b, ratio * step_a, rtol=0.0, atol=1e-3 * ratio * size):
        return None
    found = float(step_b @ step_a) / size**2
    return Verdict(False, "train", f"{label}: trained twice from the same start with "
                                   f"learning_rate={rates[0]:g} and {rates[1]:g}, your first "
                                   f"update grew {found:.3g}× (the rates differ {ratio:.3g}×); "
                                   "update with the learning_rate passed in (w -= "
                                   "learning_rate * w.grad), not a rate typed into the loop")


def epochs_problem(label: str, count: Any, epochs: int) -> Verdict | None:
    """One differentiation per epoch (probe ``train_predict``): a trainer that ignores
    ``num_epochs`` can still fit easy data in a few steps."""
    if type(count) is int and count in (0, epochs):  # 0: no autograd (its own check says so)
        return None
    found = count if type(count) is int else "an unreadable number of"
    return Verdict(False, "train", f"{label}: trained with num_epochs={epochs}, your training "
                                   f"differentiated a loss {found} times; train for exactly "
                                   "num_epochs epochs, one backward() each")


# The five-step pattern inside one training function (Exercise 5.1, 5.2)

def _fn_def(tree: ast.AST, name: str) -> ast.FunctionDef | None:
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            found = node
    return found


def _method_calls(node: ast.AST, attr: str) -> list[ast.Call]:
    return [c for c in ast.walk(node) if isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute) and c.func.attr == attr]


def _pos(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)


def _receiver(call: ast.Call) -> str:
    try:
        return ast.unparse(call.func.value)
    except Exception:
        return ""


def _helpers(tree: ast.AST, fn: ast.FunctionDef, depth: int = 3) -> list[ast.FunctionDef]:
    """The submission's module-level functions ``fn`` calls by name, transitively."""
    found: list[ast.FunctionDef] = []
    frontier = [fn]
    for _ in range(depth):
        following = []
        for f in frontier:
            for call in ast.walk(f):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                    helper = _fn_def(tree, call.func.id)
                    if helper is not None and helper is not fn and helper not in found:
                        found.append(helper)
                        following.append(helper)
        frontier = following
    return found


def _loops(fn: ast.AST) -> list[ast.For | ast.While]:
    return [n for n in ast.walk(fn) if isinstance(n, ast.For | ast.While)
            and _method_calls(n, "backward")]


def _update(tree: ast.AST, fn: ast.FunctionDef
            ) -> tuple[ast.AST | None, ast.For | ast.While | None]:
    """Where one update is written: the innermost loop calling backward — in
    ``fn`` or in a helper it calls — or, when a loop calls a per-batch helper
    holding the update (``for batch in loader: train_step(...)``), that helper's
    body (one iteration). Returns (that node, the loop calling the helper)."""
    functions = [fn, *_helpers(tree, fn)]
    for f in functions:
        loops = _loops(f)
        if loops:
            return min(loops, key=lambda n: sum(1 for _ in ast.walk(n))), None
    for f in functions:
        for loop in (n for n in ast.walk(f) if isinstance(n, ast.For | ast.While)):
            for call in ast.walk(loop):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                    helper = _fn_def(tree, call.func.id)
                    if helper is not None and _method_calls(helper, "backward"):
                        return helper, loop
    return None, None


def pattern_problem(source: str, name: str, accumulate: bool = False) -> str | None:
    """None when ``name`` holds the five-step pattern in order; else what is wrong.

    "In order" is the order of one update, read around the loop: the gradients
    are zeroed before the backward pass of the update or after its step (at the
    end of the iteration: the next update starts from zero), never between
    them; the forward pass and the loss come before the backward pass (on lines
    of their own or inside the expression it is called on, as in
    ``criterion(model(x), y).backward()``). In a loop with several backward
    passes (an attack's, then the update's) the update's is the last one
    before the step. How the loop behaves is checked by running it; this
    only reads its shape."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "could not parse your code"
    fn = _fn_def(tree, name)
    if fn is None:
        return f"define a function `{name}`"
    loop, caller = _update(tree, fn)
    if loop is None:
        return (f"`{name}` needs a training loop (`for ... in dataloader:`) that calls "
                "`loss.backward()`")
    backwards = sorted(_method_calls(loop, "backward"), key=_pos)
    steps = sorted((c for c in _method_calls(loop, "step") if "sched" not in _receiver(c).lower()
                    and _pos(c) > _pos(backwards[0])), key=_pos)
    zero = [*_method_calls(fn, "zero_grad"), *_method_calls(loop, "zero_grad"),
            *(_method_calls(caller, "zero_grad") if caller is not None else [])]
    order = "optimizer.zero_grad() → output = model(data) → loss = criterion(output, target) " \
            "→ loss.backward() → optimizer.step()"
    if not zero:
        return f"the five-step pattern needs `optimizer.zero_grad()` ({order})"
    if not steps:
        return f"call `optimizer.step()` after `loss.backward()` in the loop ({order})"
    step = steps[0]
    if accumulate:
        in_if = any(isinstance(n, ast.If) and step in list(ast.walk(n)) for n in ast.walk(loop))
        if not in_if:
            return ("with gradient accumulation, `optimizer.step()` and `optimizer.zero_grad()` "
                    "go inside `if (batch_idx + 1) % accumulation_steps == 0:`")
        return None
    backward = max((b for b in backwards if _pos(b) < _pos(step)), key=_pos)
    loop_zero = _method_calls(loop, "zero_grad")
    if not loop_zero and caller is not None and _method_calls(caller, "zero_grad"):
        # zeroed each iteration by the loop around the per-batch helper
        return None if _forward_before(loop, backward) else \
            f"the forward pass and the loss go before backward() ({order})"
    if not loop_zero:
        return f"call `optimizer.zero_grad()` in the loop, before the forward pass ({order})"
    if not any(_pos(z) < _pos(backward) or _pos(z) > _pos(step) for z in loop_zero):
        return ("`optimizer.zero_grad()` between `loss.backward()` and `optimizer.step()` "
                f"throws the gradients away before the step; zero them first ({order})")
    if not _forward_before(loop, backward, loop_zero):
        return f"the forward pass and the loss go before backward() ({order})"
    return None


def _forward_before(loop: ast.AST, backward: ast.Call, skip: Sequence[ast.Call] = ()) -> bool:
    """Some call (the forward pass, the loss) comes before ``backward`` in the loop,
    on a line of its own or in the expression backward is called on."""
    receiver = backward.func.value if isinstance(backward.func, ast.Attribute) else None
    inside = {id(n) for n in ast.walk(receiver)} if receiver is not None else set()
    return any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name | ast.Attribute)
               and c is not backward and c not in skip
               and (_pos(c) < _pos(backward) or id(c) in inside) for c in ast.walk(loop))


def gradients_fresh(seq: str) -> bool:
    """In the probe's event string (S = optimizer step, B/b = a backward onto clean/dirty
    gradients), the last backward before every step started from zeroed gradients:
    each update uses the gradients of its own backward pass only. (An earlier
    backward in the same iteration — an attack's — is fine when the gradients are
    zeroed after it.)"""
    last = None
    for c in seq:
        if c in "Bb":
            last = c
        elif c == "S":
            if last == "b":
                return False
            last = None
    return True


def first_backward_clean(seq: str) -> bool:
    """In the probe's event string (S = optimizer step, B/b = a backward onto clean/dirty
    gradients), the first backward after every step starts from zeroed gradients."""
    pending = False
    for c in seq:
        if c == "S":
            pending = True
        elif c in "Bb" and pending:
            if c == "b":
                return False
            pending = False
    return True


def build_spec_model(spec: Any) -> torch.nn.Module:
    """The trusted twin of the probe's model builder: ``["seq", [["linear", 10, 32], ["relu"],
    …]]`` → nn.Sequential (the same parameter order, so state_dicts load across)."""
    layers: list[torch.nn.Module] = []
    for item in spec[1]:
        if item[0] == "linear":
            layers.append(torch.nn.Linear(item[1], item[2]))
        elif item[0] == "relu":
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def load_spec_model(spec: Any, state: dict) -> torch.nn.Module:
    """The learner's trained weights (sent back as a state_dict) in a float64 model, eval mode."""
    model = build_spec_model(spec).double()
    model.load_state_dict({k: v.double() for k, v in state.items()})
    return model.eval()


def epoch_means_problem(returned: Any, losses: Sequence[float], batches: int, what: str,
                        sizes: Sequence[float] | None = None) -> str:
    """The per-epoch training losses a loop reported (``returned``, one per epoch) against
    the training-mode loss-module values it computed (``losses``, in order: each epoch's
    ``batches`` of them in turn). Each reported value must be its epoch's mean batch loss,
    or, where ``sizes`` gives each batch's rows, the per-sample mean (the same where the
    batches are of one size). A tensor value counts as its number. Not judged ('') where
    the calls do not split into ``len(returned)`` epochs of ``batches`` — a functional
    loss the recorder cannot see, or a different batching that another check names."""
    if not isinstance(returned, list) or not returned or batches <= 0 \
            or len(losses) != len(returned) * batches \
            or (sizes is not None and len(sizes) != len(losses)):
        return ""
    for e, got in enumerate(returned):
        seen = list(losses[e * batches:(e + 1) * batches])
        if not all(math.isfinite(v) for v in seen):
            continue  # a loop that diverged: the checks of its training say so
        mean = sum(seen) / batches
        wants = [mean]
        if sizes is not None:
            rows = list(sizes[e * batches:(e + 1) * batches])
            if sum(rows) > 0:
                wants.append(sum(v * n for v, n in zip(seen, rows, strict=True)) / sum(rows))
        x = as_float(got)
        if x is not None and any(close(x, w, rtol=1e-4, atol=1e-6) for w in wants):
            continue
        if x is None:
            return (f"{what} of epoch {e + 1} is not a number ({type_name(got)}): record "
                    "each epoch's mean training loss as a float (`loss.item()`)")
        hint = ""
        if close(x, seen[-1], rtol=1e-4, atol=1e-6):
            hint = " (that is the epoch's last batch loss)"
        elif close(x, sum(seen), rtol=1e-4, atol=1e-6):
            hint = " (that is the sum of its batch losses)"
        return (f"{what} of epoch {e + 1} is {x:.4g}{hint}; the mean of the {batches} batch "
                f"losses your loop computed that epoch is {mean:.4g}: record each epoch's "
                "average training loss (sum of `loss.item()` over the epoch's batches / "
                "the number of batches)")
    return ""
