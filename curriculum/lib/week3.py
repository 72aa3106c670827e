"""Week 3 (autograd): trusted helpers for the checks modules, and the drill specs.

Exercise 3.1's five practice sets are 100 small variants. Each variant is
described once here (`SETS`): the leaf tensors the learner creates, the
forward computation in the seed's template names, and the API the variant asks
for. From that one description come

* the reference solution (``<id>.ref.py``) and the exercise YAML, written by
  ``python -m curriculum.lib.week3`` (run it after editing a spec), and
* the check: a probe that sends back the learner's bound tensors (their
  ``.grad``, ``requires_grad`` and ``is_leaf`` travel with them) and a judge
  that recomputes the forward pass and every gradient in float64 *from the
  learner's own leaf values* on the trusted side.

Random leaves are therefore judged on what the learner actually drew; fixed
leaves (the seed's ``x = 3.0``) are checked against the seed's value first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from grader.checks.base import Verdict

# ---------------------------------------------------------------------------
# Generic probe: send back the named module-level values
# ---------------------------------------------------------------------------

# The harness reports a tensor's requires_grad / is_leaf / .grad through
# ``Tensor.as_subclass``, which returns a non-leaf alias (is_leaf False, grad
# None) for every tensor that requires grad. So the probe reads those
# attributes itself and sends ("tensor", data, requires_grad, is_leaf, grad);
# anything else travels as ("other", value). ``unwrap`` turns the former back
# into a tensor carrying a ``.meta`` like the harness's.
PROBE_WRAP = '''
import torch as _torch

_Tensor = _torch.Tensor
_rg = _Tensor.requires_grad.__get__
_leaf = _Tensor.is_leaf.__get__
_grad = _Tensor.grad.__get__


def wrap(v):
    if isinstance(v, _Tensor):
        leaf = bool(_leaf(v))
        g = _grad(v) if leaf else None
        g = None if g is None else g.detach().clone(memory_format=_torch.contiguous_format)
        return ("tensor", v.detach().clone(memory_format=_torch.contiguous_format),
                bool(_rg(v)), leaf, g)
    if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
        return ("seq", [wrap(x) for x in v], type(v) is tuple)
    if type(v) is dict:
        return ("dict", [(k, wrap(x)) for k, x in v.items()])
    return ("other", v)
'''

_PROBE_TRAIN_PREDICT = PROBE_WRAP + '''

def probe(ns, inputs):
    train = ns.get("TRAIN")
    predict = ns.get("PREDICT")
    if train is None:
        raise NameError("name 'TRAIN' is not defined")
    if predict is None:
        raise NameError("name 'PREDICT' is not defined")
    out = []
    for ds in inputs:
        result = train(ds["X"].clone(), ds["y"].clone())
        if not (isinstance(result, tuple) and len(result) == 2):
            out.append(("bad", type(result).__name__))
            continue
        w, b = result
        out.append((wrap(w), wrap(b), wrap(predict(ds["X_test"].clone(), w, b))))
    return out
'''


def probe_train_predict(train: str, predict: str) -> str:
    """Probe for ``train(X, y) -> (w, b)`` then ``predict(X_test, w, b)`` on each data set."""
    return _PROBE_TRAIN_PREDICT.replace("TRAIN", train).replace("PREDICT", predict)


def weights_problem(label: str, w: object, b: object, w_shape: tuple[int, ...]) -> Verdict | None:
    """A (w, b) pair returned by a trainer: both tensors, w of ``w_shape``, b of shape (1,)."""
    for name, value, shape in (("w", w, w_shape), ("b", b, (1,))):
        if not isinstance(value, torch.Tensor):
            return Verdict(False, "type", f"{label}: {name} should be a tensor; found "
                                          f"{type_name(value)}")
        if tuple(value.shape) != shape:
            return Verdict(False, "shape", f"{label}: {name} should have shape {shape}, "
                                           f"found {tuple(value.shape)}")
    return None


PROBE_NAMES = PROBE_WRAP + '''

def probe(ns, inputs):
    out = {}
    for name in inputs:
        if name not in ns:
            raise NameError(f"name '{name}' is not defined")
        out[name] = wrap(ns[name])
    return out
'''


class Meta:
    def __init__(self, requires_grad: bool, is_leaf: bool, grad) -> None:
        self.requires_grad = requires_grad
        self.is_leaf = is_leaf
        self.grad = grad


class Bad:
    """A value the probe could not describe (forged wrapper)."""

    type_name = "malformed value"


def unwrap(item):
    """Inverse of the probe's ``wrap`` (trusted side)."""
    if not isinstance(item, tuple) or not item:
        return Bad()
    tag = item[0]
    if tag == "tensor" and len(item) == 5 and is_tensor(item[1]):
        t = item[1]
        grad = item[4] if is_tensor(item[4]) else None
        t.meta = Meta(bool(item[2]), bool(item[3]), grad)
        return t
    if tag == "seq" and len(item) == 3 and isinstance(item[1], list):
        seq = [unwrap(x) for x in item[1]]
        return tuple(seq) if item[2] else seq
    if tag == "dict" and len(item) == 2 and isinstance(item[1], list):
        return {k: unwrap(x) for k, x in item[1]}
    if tag == "other" and len(item) == 2:
        return item[1]
    return Bad()


# ---------------------------------------------------------------------------
# Small trusted helpers (also used by the 3.2 / 3.3 checks modules)
# ---------------------------------------------------------------------------


def fmt_shape(shape) -> str:
    shape = tuple(int(s) for s in shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def is_tensor(value: object) -> bool:
    return isinstance(value, torch.Tensor)


def type_name(value: object) -> str:
    if is_tensor(value):
        return "a torch.Tensor"
    return f"a {getattr(value, 'type_name', type(value).__name__)}"


def meta(value: torch.Tensor):
    return getattr(value, "meta", None)


def close_problem(found: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float,
                  scale_atol: bool = True) -> str | None:
    """None when close; else a message with the error size (never the values)."""
    f = found.detach().to(torch.float64)
    e = expected.detach().to(torch.float64)
    if tuple(f.shape) != tuple(e.shape):
        return f"expected shape {fmt_shape(e.shape)}, found {fmt_shape(f.shape)}"
    if e.numel() == 0:
        return None
    if scale_atol:
        atol = atol * max(1.0, float(e.abs().max()))
    if not bool(torch.isfinite(f).all()):
        return "contains NaN or inf"
    if torch.allclose(f, e, rtol=rtol, atol=atol):
        return None
    diff = (f - e).abs()
    wrong = int((diff > atol + rtol * e.abs()).sum())
    return (f"{wrong} of {f.numel()} values are off (max abs error {float(diff.max()):.3g}; "
            f"tolerance rtol={rtol:g}, atol={atol:.2g})")


def has_call(ctx, alternatives) -> bool:
    return any(a in ctx.source.all_calls for a in alternatives)


def binding_calls(ctx, name: str) -> set[str] | None:
    bindings = ctx.source.calls_by_name.get(name)
    return bindings[-1] if bindings else None


def pretty_calls(alternatives) -> str:
    shown = [f"`{a}()`" if not a.startswith(".") else f"`x{a}()`" for a in alternatives]
    return shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)


# ---------------------------------------------------------------------------
# Drill specs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """A tensor the learner creates with requires_grad=True (template name, no _k)."""

    name: str
    make: str                       # reference right-hand side, template names
    shape: tuple[int, ...]
    value: Any = None               # fixed value the seed asks for, or None (any values)
    api: tuple[str, ...] = ()       # one of these must build it (its own assignment)
    forbid: tuple[str, ...] = ()    # none of these may appear in its assignment
    after: str = ""                 # reference statement after the assignment


@dataclass(frozen=True)
class Variant:
    k: int
    text: str                                   # the seed's wording, shown in the prompt
    leaves: tuple[Leaf, ...]
    outs: tuple[tuple[str, str], ...] = ()      # (name, expression) in template names
    api: dict[str, tuple[str, ...]] = field(default_factory=dict)  # out name -> alternatives
    needs: tuple[str, ...] = ()                 # calls that must appear somewhere
    ref: str = ""                               # reference code override (template names)
    rtol: float = 1e-4
    atol: float = 1e-5

    @property
    def loss(self) -> str | None:
        return self.outs[-1][0] if self.outs else None

    def names(self) -> list[str]:
        return [leaf.name for leaf in self.leaves] + [n for n, _ in self.outs]

    def bound(self, name: str) -> str:
        return f"{name}_{self.k}"

    def rename(self, code: str) -> str:
        names = sorted(self.names(), key=len, reverse=True)
        pattern = re.compile(r"(?<![\w.'\"])(" + "|".join(map(re.escape, names)) + r")\b(?!['\"])")
        return pattern.sub(lambda m: self.bound(m.group(1)), code)

    def reference_code(self) -> str:
        if self.ref:
            return self.rename(self.ref)
        lines = []
        for leaf in self.leaves:
            lines.append(f"{leaf.name} = {leaf.make}")
            if leaf.after:
                lines.append(leaf.after)
        for name, expr in self.outs:
            lines.append(f"{name} = {expr}")
        if self.outs:
            lines.append(f"{self.loss}.backward()")
        return self.rename("\n".join(lines))


def _rnn(x, W_ih, W_hh):
    h = torch.zeros(x.shape[1], W_hh.shape[0], dtype=x.dtype)
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ W_ih.T + h @ W_hh.T)
    return h


EVAL_ENV = {"torch": torch, "F": torch.nn.functional, "math": math, "rnn": _rnn}

RG = "requires_grad=True"
RANDOM_API = ("torch.randn", "torch.rand")
BACKWARD = (".backward",)


def _s1() -> list[Variant]:
    m1 = (".requires_grad_",)
    out = []

    def v1(k, text, make, shape, value=None, api=("torch.tensor",)):
        out.append(Variant(k, text, (Leaf("x", make, shape, value, api, forbid=m1),)))

    def v2(k, text, make, shape, value=None, api=()):
        leaf = Leaf("x", make, shape, value, api, after="x.requires_grad_(True)")
        out.append(Variant(k, text, (leaf,), needs=m1))

    v1(1, "scalar tensor with value 2.0", f"torch.tensor(2.0, {RG})", (), 2.0)
    v1(2, "1D tensor [1.0, 2.0, 3.0]", f"torch.tensor([1.0, 2.0, 3.0], {RG})", (3,),
       [1.0, 2.0, 3.0])
    v1(3, "2D random tensor (3, 4)", f"torch.randn(3, 4, {RG})", (3, 4), api=RANDOM_API)
    v1(4, "scalar tensor with value 5.0", f"torch.tensor(5.0, {RG})", (), 5.0)
    v1(5, "1D tensor [0.5, 1.5, 2.5]", f"torch.tensor([0.5, 1.5, 2.5], {RG})", (3,),
       [0.5, 1.5, 2.5])
    v1(6, "2D random tensor (2, 5)", f"torch.randn(2, 5, {RG})", (2, 5), api=RANDOM_API)
    v1(7, "scalar tensor with value -1.0", f"torch.tensor(-1.0, {RG})", (), -1.0)
    v1(8, "1D float tensor with 10 elements (any values)", f"torch.randn(10, {RG})", (10,),
       api=("torch.tensor", "torch.randn", "torch.rand", "torch.zeros", "torch.ones",
            "torch.arange", "torch.linspace", "torch.full", "torch.empty"))
    v1(9, "3D random tensor (2, 3, 4)", f"torch.randn(2, 3, 4, {RG})", (2, 3, 4), api=RANDOM_API)
    v1(10, "scalar tensor with value 0.0", f"torch.tensor(0.0, {RG})", (), 0.0)
    v2(11, "random tensor (3, 4)", "torch.randn(3, 4)", (3, 4), api=RANDOM_API)
    v2(12, "zeros tensor (5, 5)", "torch.zeros(5, 5)", (5, 5), np.zeros((5, 5)).tolist(),
       ("torch.zeros",))
    v2(13, "ones tensor (2, 3)", "torch.ones(2, 3)", (2, 3), np.ones((2, 3)).tolist(),
       ("torch.ones",))
    v2(14, "random tensor (10,)", "torch.randn(10)", (10,), api=RANDOM_API)
    v2(15, "scalar tensor 3.0", "torch.tensor(3.0)", (), 3.0, ("torch.tensor",))
    v2(16, "arange tensor 0–9 **as float32** (see errata)", "torch.arange(10.0)", (10,),
       [float(i) for i in range(10)], ("torch.arange",))
    v2(17, "random tensor (1, 1)", "torch.randn(1, 1)", (1, 1), api=RANDOM_API)
    v2(18, "linspace 0–1 with 11 points", "torch.linspace(0, 1, 11)", (11,),
       torch.linspace(0, 1, 11).tolist(), ("torch.linspace",))
    v2(19, "eye tensor (3, 3)", "torch.eye(3)", (3, 3), np.eye(3).tolist(), ("torch.eye",))
    v2(20, "full tensor (2, 2) with value 5.0", "torch.full((2, 2), 5.0)", (2, 2),
       [[5.0, 5.0], [5.0, 5.0]], ("torch.full",))
    return out


def _s2() -> list[Variant]:
    rows = [
        (1, 3.0, "x**2", "grad = 2*x = 6"), (2, 2.0, "x**2", "grad = 4"),
        (3, -1.0, "x**2", "grad = -2"), (4, 0.5, "x**2", "grad = 1"),
        (5, 10.0, "x**2", "grad = 20"), (6, -5.0, "x**2", "grad = -10"),
        (7, 0.1, "x**2", "grad = 0.2"), (8, 7.0, "x**2", "grad = 14"),
        (9, -0.5, "x**2", "grad = -1"), (10, 1.5, "x**2", "grad = 3"),
        (11, 2.0, "x**3", "grad = 3*x**2 = 12"), (12, 3.0, "2*x + 1", "grad = 2"),
        (13, 1.0, "x**4", "grad = 4*x**3 = 4"), (14, -2.0, "x**3", "grad = 12"),
        (15, 4.0, "torch.sin(x)", "grad = cos(4) ≈ -0.6536"),
        (16, 1.0, "torch.exp(x)", "grad = e ≈ 2.7183"),
        (17, 2.0, "torch.log(x)", "grad = 1/x = 0.5"), (18, 0.5, "1/x", "grad = -1/x**2 = -4"),
        (19, 3.0, "torch.sqrt(x)", "grad = 1/(2*sqrt(3)) ≈ 0.2887"),
        (20, 1.0, "x**2 + 3*x + 2", "grad = 2*x + 3 = 5"),
    ]
    apis = {"torch.sin": ("torch.sin", ".sin"), "torch.exp": ("torch.exp", ".exp"),
            "torch.log": ("torch.log", ".log"), "torch.sqrt": ("torch.sqrt", ".sqrt")}
    out = []
    for k, x, expr, note in rows:
        api = {"y": alts for fn, alts in apis.items() if expr.startswith(fn)}  # noqa: B035
        v = Variant(k, "", (Leaf("x", f"torch.tensor({x}, {RG})", (), x),), (("y", expr),), api,
                    BACKWARD)
        out.append(Variant(k, f"`x_{k} = {x}`, `y_{k} = {v.rename(expr)}` → {note}", v.leaves,
                           v.outs, v.api, v.needs))
    return out


def _s3() -> list[Variant]:
    rows = [
        (1, 2.0, 3.0, "x**2 + y**2", "x.grad=4, y.grad=6"),
        (2, 1.0, 1.0, "x**2 + y**2", "2, 2"), (3, -1.0, 2.0, "x**2 + y**2", "-2, 4"),
        (4, 0.5, 1.5, "x**2 + y**2", "1, 3"), (5, 3.0, -2.0, "x**2 + y**2", "6, -4"),
        (6, 2.0, 3.0, "x*y", "3, 2"), (7, 2.0, 3.0, "x**2*y", "2*x*y=12, x**2=4"),
        (8, 1.0, 2.0, "x + y**2", "1, 4"), (9, 1.0, 1.0, "x**3 + y**3", "3, 3"),
        (10, 2.0, 3.0, "x*y**2", "9, 12"), (11, 0.0, 0.0, "torch.sin(x) + torch.cos(y)", "1, 0"),
        (12, 3.0, 2.0, "x**2 - y**2", "6, -4"), (13, 6.0, 2.0, "x/y", "0.5, -1.5"),
        (14, 1.0, 1.0, "x**2 + 2*x*y + y**2", "4, 4"), (15, 0.0, 0.0, "torch.exp(x + y)", "1, 1"),
        (16, 2.0, 1.0, "x**2*y + x*y**2", "5, 8"),
        (17, 3.0, 4.0, "torch.sqrt(x**2 + y**2)", "0.6, 0.8"),
        (18, 1.0, 2.0, "x**3*y**2", "12, 4"), (19, 2.0, 3.0, "torch.log(x*y)", "0.5, 1/3"),
        (20, 1.0, 2.0, "(x + y)**2", "6, 6"),
    ]
    out = []
    for k, x, y, expr, note in rows:
        fns = re.findall(r"torch\.(\w+)", expr)
        api = {"z": tuple(f"torch.{fn}" for fn in fns) + tuple(f".{fn}" for fn in fns)} \
            if fns else {}
        v = Variant(k, "", (Leaf("x", f"torch.tensor({x}, {RG})", (), x),
                            Leaf("y", f"torch.tensor({y}, {RG})", (), y)),
                    (("z", expr),), api, BACKWARD)
        text = f"`x_{k} = {x}`, `y_{k} = {y}`, `z_{k} = {v.rename(expr)}` → grads {note}"
        out.append(Variant(k, text, v.leaves, v.outs, v.api, v.needs))
    return out


def _s4() -> list[Variant]:
    rows = [
        (1, (3,), "(x**2).sum()", "grad = 2*x", {}),
        (2, (5,), "x.sum()", "grad = ones(5)", {}),
        (3, (4,), "(x**3).sum()", "grad = 3*x**2", {}),
        (4, (2,), "(x**4).sum()", "grad = 4*x**3", {}),
        (5, (6,), "torch.norm(x)", "grad = x/norm(x)",
         ("torch.norm", "torch.linalg.norm", "torch.linalg.vector_norm", ".norm")),
        (6, (3,), "torch.sin(x).sum()", "grad = cos(x)", ("torch.sin", ".sin")),
        (7, (4,), "torch.exp(x).sum()", "grad = exp(x)", ("torch.exp", ".exp")),
        (8, (2, 3), "x.sum()", "grad = ones(2, 3)", {}),
        (9, (3,), "torch.dot(x, x)", "grad = 2*x", ("torch.dot", ".dot")),
        (10, (5,), "(x * 2).sum()", "grad = 2*ones(5)", {}),
        (11, (2, 2), "(x**2).sum()", "grad = 2*x", {}),
        (12, (4,), "(1/x).sum()", "grad = -1/x**2", {}),
        (13, (3,), "torch.mean(x**2)", "grad = 2*x/3", ("torch.mean", ".mean")),
        (14, (2, 3), "torch.trace(x @ x.T)", "grad = 2*x", ("torch.trace", ".trace")),
        (15, (5,), "torch.var(x)", "grad = 2*(x - mean)/(n - 1) (unbiased)", ("torch.var", ".var")),
        (16, (3,), "torch.prod(x)", "grad_i = product of the others", ("torch.prod", ".prod")),
        (17, (4,), "torch.max(x)", "grad = one-hot at the argmax",
         ("torch.max", ".max", "torch.amax", ".amax")),
        (18, (2, 2), "torch.det(x)", "grad = det(x) * inv(x).T",
         ("torch.det", "torch.linalg.det", ".det")),
        (19, (3,), "torch.softmax(x, dim=0).sum()", "grad ≈ 0 (the sum is always 1)",
         ("torch.softmax", ".softmax", "torch.nn.functional.softmax")),
        (20, (5,), "torch.cumsum(x, dim=0).sum()", "grad = [5, 4, 3, 2, 1]",
         ("torch.cumsum", ".cumsum")),
    ]
    out = []
    for k, shape, expr, note, api in rows:
        dims = ", ".join(str(s) for s in shape)
        leaf = Leaf("x", f"torch.randn({dims}, {RG})", shape, None, RANDOM_API)
        v = Variant(k, "", (leaf,), (("y", expr),), {"y": api} if api else {}, BACKWARD)
        out.append(Variant(k, f"`x_{k}` = random {fmt_shape(shape)}, `y_{k} = {v.rename(expr)}` "
                              f"→ {note}", v.leaves, v.outs, v.api, v.needs))
    return out


def _r(name: str, *shape: int) -> Leaf:
    dims = ", ".join(str(s) for s in shape)
    return Leaf(name, f"torch.randn({dims}, {RG})", tuple(shape))


def _s5() -> list[Variant]:
    lin = (("y", "W @ x + b"), ("loss", "y.sum()"))
    rows: list[tuple] = [
        (1, "linear layer", (_r("x", 5), _r("W", 3, 5), _r("b", 3)), lin, {}),
        (2, "linear regression pattern, squared error against target 1.0",
         (_r("x", 10), _r("W", 1, 10), _r("b", 1)),
         (("y", "W @ x + b"), ("loss", "((y - 1.0)**2).sum()")), {}),
        (3, "MNIST-like input layer", (_r("x", 784), _r("W", 128, 784), _r("b", 128)), lin, {}),
        (4, "classification output layer", (_r("x", 256), _r("W", 10, 256), _r("b", 10)), lin, {}),
        (5, "dimension reduction layer", (_r("x", 100), _r("W", 50, 100), _r("b", 50)), lin, {}),
        (6, "expansion layer", (_r("x", 20), _r("W", 64, 20), _r("b", 64)), lin, {}),
        (7, "multi-layer with ReLU between", (_r("x", 10), _r("W1", 20, 10), _r("W2", 5, 20)),
         (("h", "torch.relu(W1 @ x)"), ("y", "W2 @ h"), ("loss", "y.sum()")),
         {"h": ("torch.relu", ".relu", "torch.nn.functional.relu")}),
        (8, "batch processing", (_r("x", 32, 784), _r("W", 256, 784), _r("b", 256)),
         (("y", "x @ W.T + b"), ("loss", "y.sum()")), {}),
        (9, "no bias", (_r("x", 15), _r("W", 8, 15)), (("y", "W @ x"), ("loss", "y.sum()")), {}),
        (10, "ReLU activation", (_r("x", 12), _r("W", 6, 12)),
         (("y", "torch.relu(W @ x)"), ("loss", "y.sum()")),
         {"y": ("torch.relu", ".relu", "torch.nn.functional.relu")}),
        (11, "matrix multiplication", (_r("A", 3, 4), _r("B", 4, 5)),
         (("C", "A @ B"), ("loss", "C.sum()")), {}),
        (12, "quadratic form (scalar); write `x @ A @ x` (see errata)", (_r("x", 5), _r("A", 5, 5)),
         (("loss", "x @ A @ x"),), {}),
        (13, "outer product via unsqueeze", (_r("x", 3), _r("y", 4)),
         (("Z", "x.unsqueeze(1) @ y.unsqueeze(0)"), ("loss", "Z.sum()")),
         {"Z": (".unsqueeze",)}),
        (14, "trace", (_r("A", 4, 4),), (("loss", "torch.trace(A @ A.T)"),),
         {"loss": ("torch.trace", ".trace")}),
        (15, "Frobenius norm", (_r("A", 3, 4),), (("loss", "torch.norm(A, 'fro')"),),
         {"loss": ("torch.norm", "torch.linalg.norm", "torch.linalg.matrix_norm", ".norm")}),
        (16, "1D convolution", (_r("x", 1, 10, 20), _r("weight", 5, 10, 3)),
         (("y", "F.conv1d(x, weight)"), ("loss", "y.sum()")),
         {"y": ("torch.nn.functional.conv1d", "torch.conv1d")}),
        (17, "2D convolution", (_r("x", 1, 3, 32, 32), _r("weight", 16, 3, 3, 3)),
         (("y", "F.conv2d(x, weight)"), ("loss", "y.sum()")),
         {"y": ("torch.nn.functional.conv2d", "torch.conv2d")}),
        (18, "max pooling 2×2", (_r("x", 1, 1, 4, 4),),
         (("y", "F.max_pool2d(x, 2)"), ("loss", "y.sum()")),
         {"y": ("torch.nn.functional.max_pool2d", "torch.max_pool2d")}),
        (19, "RNN-like recurrence", (_r("x", 5, 3, 4), _r("W_ih", 8, 4), _r("W_hh", 8, 8)),
         (("h", "rnn(x, W_ih, W_hh)"), ("loss", "h.sum()")), {"h": ("torch.tanh", ".tanh")}),
        (20, "attention", (_r("Q", 10, 64), _r("K", 15, 64), _r("V", 15, 64)),
         (("out", "torch.softmax(Q @ K.T / math.sqrt(64), dim=-1) @ V"), ("loss", "out.sum()")),
         {"out": ("torch.softmax", ".softmax", "torch.nn.functional.softmax")}),
    ]
    refs = {
        19: "x = torch.randn(5, 3, 4, requires_grad=True)\n"
            "W_ih = torch.randn(8, 4, requires_grad=True)\n"
            "W_hh = torch.randn(8, 8, requires_grad=True)\n"
            "h = torch.zeros(3, 8)\n"
            "for t in range(5):\n"
            "    h = torch.tanh(x[t] @ W_ih.T + h @ W_hh.T)\n"
            "loss = h.sum()\nloss.backward()",
    }
    out = []
    for k, text, leaves, outs, api in rows:
        out.append(Variant(k, text, leaves, outs, api, BACKWARD, refs.get(k, ""),
                           rtol=1e-3, atol=1e-4))
    return out


SETS: dict[str, list[Variant]] = {
    "3.1.1": _s1(), "3.1.2": _s2(), "3.1.3": _s3(), "3.1.4": _s4(), "3.1.5": _s5(),
}


# ---------------------------------------------------------------------------
# Drill judge
# ---------------------------------------------------------------------------


def _fixed(value) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float32)


def _check_leaf(v: Variant, leaf: Leaf, value, ctx) -> Verdict | None:
    name = v.bound(leaf.name)
    if not is_tensor(value):
        return Verdict(False, "type",
                       f"`{name}` should be a torch.Tensor; found {type_name(value)}")
    if tuple(value.shape) != leaf.shape:
        return Verdict(False, "shape", f"`{name}`: expected shape {fmt_shape(leaf.shape)}, "
                                       f"found {fmt_shape(value.shape)}")
    if value.dtype != torch.float32:
        hint = " (only floating-point tensors can require gradients)" if not \
            value.dtype.is_floating_point else ""
        return Verdict(False, "dtype", f"`{name}`: expected dtype float32, found "
                                       f"{str(value.dtype).replace('torch.', '')}{hint}")
    if leaf.value is not None and not torch.equal(value, _fixed(leaf.value)):
        return Verdict(False, "value", f"`{name}` does not hold the values the variant asks for "
                                       f"({_describe_value(leaf.value)})")
    if leaf.value is None and not bool(torch.isfinite(value).all()):
        return Verdict(False, "value", f"`{name}` contains NaN or inf")
    m = meta(value)
    if not m.requires_grad:
        return Verdict(False, "grad", f"`{name}.requires_grad` is False; create it with "
                                      "requires_grad=True (or call .requires_grad_(True))")
    if not m.is_leaf:
        return Verdict(False, "grad", f"`{name}` is not a leaf tensor (it was computed from "
                                      "another tensor, e.g. `torch.randn(3) * 2` with "
                                      "requires_grad set first), so its .grad is never filled; "
                                      "create it directly, then set requires_grad")
    return None


def _describe_value(value) -> str:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return f"the scalar {float(arr):g}"
    if arr.size <= 11:
        return f"{arr.tolist()}"
    return f"shape {fmt_shape(arr.shape)}"


def _api(v: Variant, ctx) -> Verdict | None:
    for leaf in v.leaves:
        calls = binding_calls(ctx, v.bound(leaf.name))
        if leaf.api and (calls is None or not any(a in calls for a in leaf.api)):
            return Verdict(False, "api", f"`{v.bound(leaf.name)}` must be built with "
                                         f"{pretty_calls(leaf.api)} in its own assignment")
        bad = [f for f in leaf.forbid if calls and f in calls]
        if bad:
            return Verdict(False, "api", f"`{v.bound(leaf.name)}`: this variant practises the "
                                         "`requires_grad=True` argument; don't call "
                                         "`.requires_grad_()` here")
    for out, alts in v.api.items():
        calls = binding_calls(ctx, v.bound(out))
        if calls is None or not any(a in calls for a in alts):
            return Verdict(False, "api", f"`{v.bound(out)}` must be computed with "
                                         f"{pretty_calls(alts)} in its assignment")
    for need in v.needs:
        if need not in ctx.source.all_calls:
            what = "call `.backward()` on the scalar result" if need == ".backward" else \
                f"call {pretty_calls((need,))}"
            return Verdict(False, "api", f"variant {v.k}: {what}")
    return None


def _expected(v: Variant, leaves: dict[str, torch.Tensor]):
    env = dict(EVAL_ENV)
    xs = {}
    for leaf in v.leaves:
        xs[leaf.name] = leaves[leaf.name].detach().to(torch.float64).requires_grad_(True)
    env.update(xs)
    outs = {}
    for name, expr in v.outs:
        outs[name] = env[name] = eval(expr, env)  # trusted spec text
    grads = torch.autograd.grad(outs[v.loss], list(xs.values()), allow_unused=True)
    return outs, {n: (g if g is not None else torch.zeros_like(xs[n]))
                  for n, g in zip(xs, grads, strict=True)}


def judge_variant(v: Variant, learner, ctx) -> Verdict:
    if not isinstance(learner.value, dict):
        return Verdict(False, "type", "could not read your names")
    values = {k: unwrap(v) for k, v in learner.value.items()}
    leaves = {}
    for leaf in v.leaves:
        bad = _check_leaf(v, leaf, values.get(v.bound(leaf.name)), ctx)
        if bad:
            return bad
        leaves[leaf.name] = values[v.bound(leaf.name)]
    if v.outs:
        try:
            outs, grads = _expected(v, leaves)
        except Exception as exc:  # learner values make the maths fail (e.g. singular)
            return Verdict(False, "value", f"variant {v.k}: your leaf values can't be used "
                                           f"({type(exc).__name__}); draw them again")
        for name, _expr in v.outs:
            got = values.get(v.bound(name))
            bound = v.bound(name)
            if not is_tensor(got):
                return Verdict(False, "type", f"`{bound}` should be a torch.Tensor (the result "
                                              f"of the computation, not .item()); found "
                                              f"{type_name(got)}")
            exp = outs[name]
            if tuple(got.shape) != tuple(exp.shape):
                return Verdict(False, "shape", f"`{bound}`: expected shape {fmt_shape(exp.shape)}"
                                               f", found {fmt_shape(got.shape)}")
            m = meta(got)
            if not m.requires_grad or m.is_leaf:
                return Verdict(False, "grad", f"`{bound}` is not connected to the autograd graph "
                                              "(requires_grad False or a leaf): compute it from "
                                              "the leaf tensors without .detach(), .item() or "
                                              "torch.no_grad()")
            problem = close_problem(got, exp, v.rtol, v.atol)
            if problem:
                return Verdict(False, "value", f"`{bound}` doesn't match the computation the "
                                               f"variant asks for: {problem}")
        for leaf in v.leaves:
            bound = v.bound(leaf.name)
            g = meta(leaves[leaf.name]).grad
            if g is None:
                return Verdict(False, "grad", f"`{bound}.grad` is None: call "
                                              f"`{v.bound(v.loss)}.backward()` and leave the "
                                              "gradient in place")
            exp = grads[leaf.name]
            if tuple(g.shape) != tuple(exp.shape):
                return Verdict(False, "grad", f"`{bound}.grad` has shape {fmt_shape(g.shape)}; "
                                              f"it must match `{bound}` {fmt_shape(exp.shape)}")
            problem = close_problem(g, exp, v.rtol, v.atol)
            if problem:
                hint = ""
                e64 = exp.to(torch.float64)
                g64 = g.to(torch.float64)
                if bool((g64 == 0).all()) and bool((e64 != 0).any()):
                    hint = (" — it is all zeros: don't call .grad.zero_() after backward here, "
                            "the grader reads the gradient you computed")
                elif close_problem(g64, 2 * e64, v.rtol, v.atol) is None:
                    hint = " — it is twice the expected gradient: backward ran twice and the " \
                           "gradients accumulated (reset with .grad.zero_() between passes)"
                return Verdict(False, "grad", f"`{bound}.grad` is not d{v.bound(v.loss)}/"
                                              f"d{bound} at your values: {problem}{hint}")
    bad = _api(v, ctx)
    if bad:
        return bad
    return Verdict(True, "grad" if v.outs else "value")


def drill_checks(exercise_id: str) -> dict[str, Any]:
    """Names for a drill checks module: PROBE, inputs_<name>, judge_<name> per variant."""
    scope: dict[str, Any] = {"PROBE": PROBE_NAMES}
    for v in SETS[exercise_id]:
        cid = check_id(v)
        names = [v.bound(n) for n in v.names()]
        scope[f"inputs_{cid}"] = _names_inputs(names)
        scope[f"judge_{cid}"] = _variant_judge(v)
    return scope


def _names_inputs(names: list[str]):
    def inputs(rng):
        return list(names)
    return inputs


def _variant_judge(v: Variant):
    def judge(learner, reference, inputs, ctx):
        return judge_variant(v, learner, ctx)
    return judge


def check_id(v: Variant) -> str:
    return v.bound(v.leaves[0].name)


# ---------------------------------------------------------------------------
# Writing the drill files (python -m curriculum.lib.week3)
# ---------------------------------------------------------------------------

TEMPLATES = {
    "3.1.1": ("Practice Set 1: Creating tensors with gradients — 20 variants",
              "x = torch.tensor(value, requires_grad=True)  # Method 1 (variants 1-10)\n"
              "# or\n"
              "x = torch.randn(shape)\n"
              "x.requires_grad_(True)                       # Method 2 (variants 11-20)"),
    "3.1.2": ("Practice Set 2: Basic forward and backward — 20 variants",
              "x = torch.tensor(value, requires_grad=True)  # input\n"
              "y = function_of_x  # forward computation\n"
              "y.backward()       # compute gradients\n"
              "print(f\"x.grad: {x.grad}\")  # access gradient"),
    "3.1.3": ("Practice Set 3: Multi-variable functions — 20 variants",
              "x = torch.tensor(value1, requires_grad=True)\n"
              "y = torch.tensor(value2, requires_grad=True)\n"
              "z = function_of_x_and_y  # computation\n"
              "z.backward()             # compute all gradients\n"
              "print(f\"x.grad: {x.grad}, y.grad: {y.grad}\")"),
    "3.1.4": ("Practice Set 4: Vector operations — 20 variants",
              "x = torch.randn(shape, requires_grad=True)\n"
              "y = vector_function(x).sum()  # sum to get scalar\n"
              "y.backward()\n"
              "print(f\"x.grad: {x.grad}\")"),
    "3.1.5": ("Practice Set 5: Common gradient patterns — 20 variants",
              "x = torch.randn(5, requires_grad=True)\n"
              "W = torch.randn(3, 5, requires_grad=True)\n"
              "b = torch.randn(3, requires_grad=True)\n"
              "y = torch.matmul(W, x) + b  # linear transformation\n"
              "loss = y.sum()              # scalar loss\n"
              "loss.backward()             # compute gradients"),
}

ERRATA = {
    "3.1.1": ["Variant 16: `torch.arange(10)` is int64 and `.requires_grad_(True)` raises "
              "\"only Tensors of floating point dtype can require gradients\"; make it float "
              "(`torch.arange(10.0)` or `dtype=torch.float32`)."],
    "3.1.4": ["Variant 19: softmax outputs always sum to 1, so the gradient of "
              "`softmax(x).sum()` is zero (up to rounding) — that is the expected answer."],
    "3.1.5": ["Variant 12: the seed writes `x.T @ A @ x` for a 1-D `x`; `.T` on a 1-D tensor is "
              "deprecated (a warning today, an error in a future release) and does nothing. "
              "Write `x @ A @ x`."],
}


def _contract(exercise_id: str, v: Variant) -> str:
    leaves = ", ".join(f"`{v.bound(leaf.name)}`" for leaf in v.leaves)
    if exercise_id == "3.1.1":
        return f"- `{v.bound('x')}`: {v.text}"
    if exercise_id == "3.1.5":
        shapes = ", ".join(f"`{v.bound(leaf.name)}`{fmt_shape(leaf.shape)}" for leaf in v.leaves)
        steps = "; ".join(f"`{v.bound(n)} = {v.rename(e)}`" for n, e in v.outs)
        if v.k == 19:
            steps = ("`h_19` = final hidden state of `h = torch.tanh(x_19[t] @ W_ih_19.T + "
                     "h @ W_hh_19.T)` for t = 0…4, starting from `h = torch.zeros(3, 8)`; "
                     "`loss_19 = h_19.sum()`")
        return f"- Variant {v.k} ({v.text}): {shapes}; {steps}"
    del leaves
    return f"- Variant {v.k}: {v.text}"


def _howto(exercise_id: str) -> str:
    if exercise_id == "3.1.1":
        return ("Variants 1–10 use the `requires_grad=True` argument in the creating call "
                "(`x_1 = torch.tensor(2.0, requires_grad=True)`); variants 11–20 create the "
                "tensor first and then call `.requires_grad_(True)` on it. Every `x_k` must be a "
                "float32 leaf tensor with `requires_grad` True. Random variants use "
                "`torch.randn` (or `torch.rand`); fixed ones must hold exactly the stated values "
                "and "
                "be built by the function the variant names (`torch.tensor`, `torch.zeros`, "
                "`torch.ones`, `torch.arange`, `torch.linspace`, `torch.eye`, `torch.full`) in "
                "their own assignment.")
    return ("For every variant create the leaf tensors with `requires_grad=True`, compute the "
            "named results from them, then call `.backward()` on the scalar result. **Leave the "
            "gradients in place**: the seed's template ends with `x.grad.zero_()`, but the grader "
            "reads `.grad` after your file has run, so do not reset it here (each variant uses "
            "its own fresh tensors, so nothing accumulates). All tensors are float32.")


def _checked(exercise_id: str) -> str:
    if exercise_id == "3.1.1":
        return ("Each variant is worth 1 point: shape, dtype float32, the stated values (fixed "
                "variants), `requires_grad` True and `is_leaf` True, plus the API, judged on your "
                "source.")
    return ("Each variant is worth 1 point. The grader recomputes your forward pass and every "
            "gradient in float64 from **your own** leaf values (so random tensors are fine) and "
            "compares: each result's shape and value, that it is connected to the graph, and each "
            "leaf's `.grad` (tolerance rtol=1e-4 relative to the largest value; 1e-3 for "
            "set 5), plus the API the variant names and a `.backward()` call, judged on your "
            "source.")


def build_drill(exercise_id: str) -> tuple[dict, str, str]:
    title, template = TEMPLATES[exercise_id]
    variants = SETS[exercise_id]
    contract = "\n".join(_contract(exercise_id, v) for v in variants)
    errata = ERRATA.get(exercise_id, [])
    names = "`x_1` … `x_20`" if exercise_id == "3.1.1" else "the names listed per variant"
    if exercise_id == "3.1.1":
        summary_lines = [f"- `x_{v.k}`: {v.text}" for v in variants]
        head = ("Bind `x_1` … `x_20`, float32 leaf tensors with requires_grad. Variants 1–10: "
                "`requires_grad=True` argument; 11–20: create, then `.requires_grad_(True)`.")
    elif exercise_id == "3.1.5":
        summary_lines = [f"{v.k}. {v.text}: " + ", ".join(
            f"{leaf.name}{fmt_shape(leaf.shape)}" for leaf in v.leaves) for v in variants]
        head = ("Bind each variant's leaves with `_k` (`x_1`, `W_1`, `b_1`, … `Q_20`), compute "
                "`loss_k`, call `loss_k.backward()`; leave `.grad` in place. Full formulas: "
                "`/dojo show 3.1.5`.")
    else:
        summary_lines = [f"{v.k}. " + re.sub(r" → .*", "", v.text) for v in variants]
        head = ("Create the leaves with `requires_grad=True`, bind the result, call `.backward()`"
                " and leave `.grad` in place (no `zero_()` at the end).")
    summary = f"**{title}** (20 points)\n{head}\n" + "\n".join(summary_lines)
    if len(summary) > 1500:
        summary = f"**{title}** (20 points)\n{head}\n" + "\n".join(
            s[:60] for s in summary_lines)
    errata_md = ""
    if errata:
        errata_md = "\n### Errata\n" + "\n".join(f"- {e}" for e in errata) + "\n"
    prompt = (f"## {title}\n\nExercise 3.1 (Autograd Syntax Drill), week 3. Muscle memory: "
              f"write every variant yourself, following the seed's template\n\n```python\n"
              f"{template}\n```\n\n### Your contract\nSubmit one Python file that binds "
              f"{names} at module level:\n\n{contract}\n\n{_howto(exercise_id)}\n"
              f"{errata_md}\n### How it is checked\n{_checked(exercise_id)} Code under "
              "`if __name__ == \"__main__\":` is not run.\n")
    starter_lines = ["import math", "", "import torch",
                     "import torch.nn.functional as F", ""]
    for v in variants:
        starter_lines.append(f"# Variant {v.k}: {v.text}")
        for leaf in v.leaves:
            starter_lines.append(f"{v.bound(leaf.name)} = ...  # TODO")
        for name, _ in v.outs:
            starter_lines.append(f"{v.bound(name)} = ...  # TODO")
        if v.outs:
            starter_lines.append(f"# {v.bound(v.loss)}.backward()")
        starter_lines.append("")
    checks = []
    for v in variants:
        cid = check_id(v)
        checks.append({"id": cid, "kind": "python", "check_kind": "grad" if v.outs else "value",
                       "title": f"Variant {v.k}", "probe": "PROBE", "judge": f"judge_{cid}",
                       "inputs": f"inputs_{cid}"})
    data = {
        "id": exercise_id, "title": title, "week": 3, "kind": "drill", "max_score": 20,
        "summary": summary, "prompt": prompt, "starter": "\n".join(starter_lines).rstrip() + "\n",
        "errata": errata, "checks": checks,
    }
    if exercise_id == "3.1.5":
        data["limits"] = {"wall_s": 10, "cpu_s": 10}
    ref = [f'"""Reference solution of {exercise_id} ({title})."""', "", "import math", "",
           "import torch", "import torch.nn.functional as F", ""]
    for v in variants:
        ref.append(f"# Variant {v.k}")
        ref.append(v.reference_code())
        ref.append("")
    checks_py = (f'"""Checks of {exercise_id}: one python check per variant (see '
                 'curriculum/lib/week3.py)."""\n\nfrom curriculum.lib.week3 import drill_checks\n\n'
                 f'globals().update(drill_checks("{exercise_id}"))\n')
    return data, "\n".join(ref).rstrip() + "\n", checks_py


def _literal_str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def write_drills(root=None) -> None:
    from pathlib import Path

    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, _literal_str_representer)
    root = Path(root or Path(__file__).resolve().parents[1] / "week3")
    root.mkdir(exist_ok=True)
    for exercise_id in SETS:
        data, ref, checks_py = build_drill(exercise_id)
        (root / f"{exercise_id}.yaml").write_text(
            yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8")
        (root / f"{exercise_id}.ref.py").write_text(ref, encoding="utf-8")
        (root / f"{exercise_id}.checks.py").write_text(checks_py, encoding="utf-8")


if __name__ == "__main__":
    write_drills()


# ---------------------------------------------------------------------------
# Hidden truth for held-out sets (3.3.3): never part of the inputs sent out
# ---------------------------------------------------------------------------

_HIDDEN: dict[int, tuple[object, object]] = {}
_HIDDEN_CAP = 512


def keep_hidden(visible: object, hidden: object) -> object:
    """Remember trusted-only data (e.g. test labels) for the inputs object ``visible``.

    ``inputs(rng)`` returns ``visible`` (sent into the sandbox); the judge gets
    the very same object back and looks up ``hidden`` with :func:`hidden_for`.
    The object is kept alive with its entry so its id cannot be reused.
    """
    if len(_HIDDEN) >= _HIDDEN_CAP:
        for key in list(_HIDDEN)[: _HIDDEN_CAP // 2]:
            _HIDDEN.pop(key, None)
    _HIDDEN[id(visible)] = (visible, hidden)
    return visible


def hidden_for(visible: object) -> object:
    entry = _HIDDEN.get(id(visible))
    if entry is None or entry[0] is not visible:
        raise RuntimeError("hidden data for these inputs is gone (judge without inputs?)")
    return entry[1]


def forbidden_calls(ctx, prefixes: tuple[str, ...]) -> list[str]:
    """Calls anywhere in the source that start with one of ``prefixes``."""
    return sorted(c for c in ctx.source.all_calls
                  if any(c == p or c.startswith(p) for p in prefixes))


def unwrap_or_message(item, what: str):
    """(value, None) or (None, message) for a probe's wrapped value."""
    value = unwrap(item)
    if isinstance(value, Bad):
        return None, f"could not read {what}"
    return value, None
