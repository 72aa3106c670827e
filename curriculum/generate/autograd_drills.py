"""Exercise 3.1 (Autograd Syntax Drill): the 100 variants, and the files written from them.

Each variant is described once here (``SETS``): the leaf tensors the learner
creates, the forward computation in the template's names, and the API the
variant asks for. From that one description come the reference solution
(``week3/3.1.*.ref.py``) and the exercise YAML, whose checks name the judge
``autograd.variant`` (``curriculum/judges/autograd.py``) with the variant as
its arguments. Run ``python -m curriculum.generate`` after editing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from curriculum.generate import Flow, dump_yaml, header
from curriculum.judges.text import fmt_shape

GENERATOR = "autograd_drills"


@dataclass(frozen=True)
class Leaf:
    """A tensor the learner creates with requires_grad=True (template name, no _k)."""

    name: str
    make: str                       # reference right-hand side, template names
    shape: tuple[int, ...]
    value: Any = None               # fixed value the variant asks for, or None (any values)
    api: tuple[str, ...] = ()       # one of these must build it (its own assignment)
    forbid: tuple[str, ...] = ()    # none of these may appear in its assignment
    after: str = ""                 # reference statement after the assignment
    method: str = ""                # a method the leaf itself must be called with
    helpers: bool = False           # api may be reached through the learner's own function


@dataclass(frozen=True)
class Variant:
    k: int
    text: str                                   # the variant's wording, shown in the prompt
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


RG = "requires_grad=True"
RANDOM_API = ("torch.randn", "torch.rand")
BACKWARD = (".backward",)

def _s1() -> list[Variant]:
    m1 = (".requires_grad_",)
    out = []

    def v1(k, text, make, shape, value=None, api=("torch.tensor",)):
        out.append(Variant(k, text, (Leaf("x", make, shape, value, api, forbid=m1),)))

    def v2(k, text, make, shape, value=None, api=()):
        # its own call: `x_k.requires_grad_(True)` or `x_k = torch...(...).requires_grad_(True)`
        leaf = Leaf("x", make, shape, value, api, after="x.requires_grad_(True)",
                    method=m1[0])
        out.append(Variant(k, text, (leaf,)))

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
        (11, 2.0, "x**3", "grad = `3*x**2` = 12"), (12, 3.0, "2*x + 1", "grad = 2"),
        (13, 1.0, "x**4", "grad = `4*x**3` = 4"), (14, -2.0, "x**3", "grad = 12"),
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
        (6, 2.0, 3.0, "x*y", "3, 2"), (7, 2.0, 3.0, "x**2*y", "`2*x*y` = 12, `x**2` = 4"),
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
        (3, (4,), "(x**3).sum()", "grad = `3*x**2`", {}),
        (4, (2,), "(x**4).sum()", "grad = `4*x**3`", {}),
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
        # "x_k = random (shape)": a helper of the learner's returning torch.randn(...) is fine
        leaf = Leaf("x", f"torch.randn({dims}, {RG})", shape, None, RANDOM_API, helpers=True)
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
    "3.1.1": ["Note (variant 16): `torch.arange(10)` is int64 and `.requires_grad_(True)` "
              "raises \"only Tensors of floating point dtype can require gradients\"; make it "
              "float (`torch.arange(10.0)` or `dtype=torch.float32`)."],
    "3.1.4": ["Note (variant 19): softmax outputs always sum to 1, so the gradient of "
              "`softmax(x).sum()` is zero (up to rounding) — that is the expected answer."],
    "3.1.5": ["Note (variant 12): for a 1-D `x`, `x.T @ A @ x` is often written, but `.T` on a "
              "1-D tensor is deprecated (a warning today, an error in a future release) and "
              "does nothing. Write `x @ A @ x`."],
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
                     "h @ W_hh_19.T)` for t = 0…4, starting from `h = torch.zeros(3, 8)` "
                     "(bind it directly, or run the loop on `h` and then `h_19 = h`); "
                     "`loss_19 = h_19.sum()`")
        return f"- Variant {v.k} ({v.text}): {shapes}; {steps}"
    del leaves
    return f"- Variant {v.k}: {v.text}"


def _howto(exercise_id: str) -> str:
    if exercise_id == "3.1.1":
        return ("Variants 1–10 use the `requires_grad=True` argument in the creating call "
                "(`x_1 = torch.tensor(2.0, requires_grad=True)`); variants 11–20 create the "
                "tensor first and then call `.requires_grad_(True)` on it — each variant its own "
                "call on its own name (`x_11.requires_grad_(True)` after `x_11 = "
                "torch.randn(3, 4)`, or `x_11 = torch.randn(3, 4).requires_grad_(True)`); "
                "setting the attribute (`x_11.requires_grad = True`) does not practise the "
                "method and does not count. Every `x_k` must be a "
                "float32 leaf tensor with `requires_grad` True. Random variants use "
                "`torch.randn` (or `torch.rand`); fixed ones must hold exactly the stated values "
                "and "
                "be built by the function the variant names (`torch.tensor`, `torch.zeros`, "
                "`torch.ones`, `torch.arange`, `torch.linspace`, `torch.eye`, `torch.full`) in "
                "their own assignment.")
    return ("For every variant create the leaf tensors with `requires_grad=True`, compute the "
            "named results from them, then call `.backward()` on the scalar result. **Leave the "
            "gradients in place**: the template above would end with `x.grad.zero_()`, but the "
            "grader reads `.grad` after your file has run, so do not reset it here (each "
            "variant uses its own fresh tensors, so nothing accumulates). All tensors are "
            "float32.")


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


def check_id(v: Variant) -> str:
    return v.bound(v.leaves[0].name)


def judge_args(v: Variant) -> dict[str, Any]:
    """The variant as the judge's arguments (see ``curriculum.judges.autograd.variant``)."""
    leaves = []
    for leaf in v.leaves:
        item: dict[str, Any] = {"name": leaf.name, "shape": list(leaf.shape)}
        if leaf.value is not None:
            item["value"] = leaf.value
        if leaf.api:
            item["api"] = list(leaf.api)
        if leaf.forbid:
            item["forbid"] = list(leaf.forbid)
        if leaf.method:
            item["method"] = leaf.method
        if leaf.helpers:
            item["helpers"] = True
        leaves.append(item)
    args: dict[str, Any] = {"k": v.k, "leaves": leaves}
    if v.outs:
        args["outs"] = [list(o) for o in v.outs]
    if v.api:
        args["api"] = {name: list(alts) for name, alts in v.api.items()}
    if v.needs:
        args["needs"] = list(v.needs)
    args["rtol"], args["atol"] = v.rtol, v.atol
    return args


def build_drill(exercise_id: str) -> tuple[dict, str]:
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
        errata_md = "\n### Notes\n" + "\n".join(f"- {e}" for e in errata) + "\n"
    prompt = (f"## {title}\n\nExercise 3.1 (Autograd Syntax Drill), week 3. Muscle memory: "
              f"write every variant yourself, following this template\n\n```python\n"
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
        checks.append({"id": check_id(v), "kind": "python",
                       "check_kind": "grad" if v.outs else "value", "title": f"Variant {v.k}",
                       "probe": "grads.probe",
                       "probe_args": Flow(names=[v.bound(n) for n in v.names()]),
                       "judge": "autograd.variant", "args": Flow(judge_args(v))})
    data = {
        "id": exercise_id, "title": title, "week": 3, "kind": "drill", "max_score": 20,
        "summary": summary, "prompt": prompt, "starter": "\n".join(starter_lines).rstrip() + "\n",
        "errata": errata, "checks": checks,
    }
    if exercise_id == "3.1.5":
        data["limits"] = {"wall_s": 10, "cpu_s": 10}
    ref = [header(GENERATOR).rstrip(),
           f'"""Reference solution of {exercise_id} ({title})."""', "", "import math", "",
           "import torch", "import torch.nn.functional as F", ""]
    for v in variants:
        ref.append(f"# Variant {v.k}")
        ref.append(v.reference_code())
        ref.append("")
    return data, "\n".join(ref).rstrip() + "\n"


def files() -> dict[str, str]:
    """week3/<id>.yaml and <id>.ref.py for every practice set."""
    out = {}
    for exercise_id in SETS:
        data, ref = build_drill(exercise_id)
        out[f"week3/{exercise_id}.yaml"] = dump_yaml(data, GENERATOR)
        out[f"week3/{exercise_id}.ref.py"] = ref
    return out
