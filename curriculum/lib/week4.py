"""Week 4 (nn.Module): trusted helpers for the checks modules, and the drill specs.

* Exercise 4.1 (25 module classes): ``MODULES`` describes each class — the
  input shapes of its forward pass (batch sizes and lengths drawn per job),
  the layer types it must hold and the behaviour the seed names. The probe
  (``MODULE_PROBE``) instantiates the learner's class with no arguments, runs
  forward on the hidden inputs and returns *data only* (output shapes,
  parameter count, layer descriptions, behaviour measurements); the judge
  compares them with the reference's data and with the stated behaviour.
* Exercise 4.2 (90 layer declarations): ``LAYER_SETS``; the probe describes
  each bound module (type name + hyperparameters) and the judge compares with
  the reference. ``python -m curriculum.lib.week4`` writes the 4.2 YAMLs,
  references and checks modules from these specs.
* Exercise 4.3: helpers shared by the custom-layer checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checks.base import Verdict

# ---------------------------------------------------------------------------
# Shared probe helpers (a string: probes run inside the sandbox)
# ---------------------------------------------------------------------------

DESCRIBE = '''
import torch
import torch.nn as nn

_ATTRS = ("in_features", "out_features", "in_channels", "out_channels", "kernel_size",
          "stride", "padding", "dilation", "groups", "padding_mode", "num_features", "eps",
          "momentum", "affine", "track_running_stats", "normalized_shape",
          "elementwise_affine", "num_groups", "num_channels", "size", "alpha", "beta", "k",
          "negative_slope", "dim", "p", "inplace", "input_size", "hidden_size",
          "num_layers", "batch_first", "bidirectional", "dropout", "proj_size",
          "nonlinearity", "num_embeddings", "embedding_dim", "padding_idx", "max_norm",
          "norm_type", "scale_grad_by_freq", "sparse", "mode", "output_size", "ceil_mode",
          "count_include_pad", "return_indices", "approximate", "include_last_offset",
          "lambd", "min_val", "max_val", "threshold", "value", "beta_", "upscale_factor")


def _plain(v):
    if isinstance(v, torch.Tensor):
        return "tensor"
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)[:80]


def describe(m):
    """Type name, where the class comes from, hyperparameters, bias, #params."""
    if not isinstance(m, nn.Module):
        return {"type": type(m).__name__, "module": False}
    d = {"type": type(m).__name__, "module": True,
         "torch": type(m).__module__.startswith("torch.nn"), "hyper": {}}
    for a in _ATTRS:
        if a in ("dropout", "p") and not hasattr(m, a):
            continue
        if hasattr(m, a) and not callable(getattr(m, a)):
            d["hyper"][a] = _plain(getattr(m, a))
    b = getattr(m, "bias", "absent")
    if isinstance(b, torch.Tensor) or b is None:
        d["hyper"]["bias"] = b is not None
    elif isinstance(b, bool):
        d["hyper"]["bias"] = b
    d["params"] = int(sum(p.numel() for p in m.parameters()))
    return d
'''


def fmt_hyper(h: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in h.items())


# ---------------------------------------------------------------------------
# Exercise 4.1: the 25 module classes
# ---------------------------------------------------------------------------

MODULE_PROBE = DESCRIBE + '''

def _x(shape, seed):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g)


def _shape(y):
    if isinstance(y, torch.Tensor):
        return list(y.shape)
    if isinstance(y, (tuple, list)):
        return [_shape(e) for e in y]
    return type(y).__name__


def _first(y):
    return y[0] if isinstance(y, (tuple, list)) else y


def _attr(model, name):
    m = getattr(model, name, None)
    if not isinstance(m, nn.Module):
        raise AttributeError(f"the model has no submodule attribute '{name}' "
                             "(the contract names it)")
    return m


def _zero(m):
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()


def probe(ns, inputs):
    name = inputs["cls"]
    if name not in ns:
        raise NameError(f"name '{name}' is not defined")
    cls = ns[name]
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return {"not_module": type(cls).__name__}
    torch.manual_seed(int(inputs["seed"]))
    model = cls()
    res = {"params": int(sum(p.numel() for p in model.parameters())),
           "layers": [describe(m) for m in model.modules()][1:], "outs": [], "beh": {}}
    model.eval()
    calls = []
    with torch.no_grad():
        for i, shapes in enumerate(inputs["calls"]):
            xs = [_x(s, inputs["seed"] + 10 * i + j) for j, s in enumerate(shapes)]
            calls.append(xs)
            try:
                res["outs"].append(_shape(model(*xs)))
            except Exception as e:  # reported with the input shape by the judge
                res["forward_error"] = [i, f"{type(e).__name__}: {str(e)[:200]}"]
                return res
    xs = calls[0]
    beh = res["beh"]
    for b in inputs["behaviour"]:
        if b == "dropout":
            model.train()
            with torch.no_grad():
                y1, y2 = _first(model(*xs)), _first(model(*xs))
            model.eval()
            with torch.no_grad():
                y3, y4 = _first(model(*xs)), _first(model(*xs))
            beh["train_differs"] = bool(not torch.equal(y1, y2))
            beh["eval_same"] = bool(torch.equal(y3, y4))
        elif b == "range01":
            with torch.no_grad():
                y = _first(model(*[x * 5 for x in xs]))
            beh["min"], beh["max"] = float(y.min()), float(y.max())
        elif b.startswith("zero:"):
            for attr in b[5:].split(","):
                _zero(_attr(model, attr))
            with torch.no_grad():
                y = _first(model(*xs))
            beh["spread"] = float(y.std(dim=0).max())
            if y.shape == xs[0].shape:
                beh["diff_to_input"] = float((y - xs[0]).abs().max())
        elif b == "two_inputs":
            with torch.no_grad():
                y = model(*xs)
                y1 = model(xs[0] + 1.0, xs[1])
                y2 = model(xs[0], xs[1] + 1.0)
            beh["dep1"] = float((y - y1).abs().max())
            beh["dep2"] = float((y - y2).abs().max())
        elif b == "encode":
            with torch.no_grad():
                z = model.encode(xs[0])
                y = model(xs[0])
                y2 = _attr(model, "decoder")(z)
            beh["code_shape"] = list(z.shape)
            beh["decode_diff"] = float((y - y2).abs().max())
        elif b == "weights":
            with torch.no_grad():
                for i, call in enumerate(calls):
                    out = model(*call)
                    if not isinstance(out, (tuple, list)) or len(out) != 2:
                        raise TypeError("forward must return a tuple (output, weights)")
                    w = out[1]
                    beh.setdefault("sum_err", 0.0)
                    beh["sum_err"] = max(beh["sum_err"], float((w.sum(-1) - 1).abs().max()))
                    beh.setdefault("min_w", 1.0)
                    beh["min_w"] = min(beh["min_w"], float(w.min()))
        elif b == "concat":
            seen = {}
            h = _attr(model, "combine").register_forward_hook(
                lambda m, a, o: seen.setdefault("x", a[0].detach()))
            with torch.no_grad():
                model(*xs)
                x = xs[0]
                want = torch.cat([torch.relu(_attr(model, "branch1")(x)),
                                  torch.sigmoid(_attr(model, "branch2")(x)),
                                  torch.tanh(_attr(model, "branch3")(x))], dim=1)
            h.remove()
            got = seen.get("x")
            beh["concat_shape"] = None if got is None else list(got.shape)
            beh["concat_diff"] = (float((got - want).abs().max())
                                  if got is not None and got.shape == want.shape else None)
        elif b == "conditional":
            x = xs[0].clone()        # alternate rows: positive mean, negative mean
            x[0::2] = x[0::2].abs() + 0.1
            x[1::2] = -x[1::2].abs() - 0.1
            with torch.no_grad():
                y1 = model(x)
                for p in _attr(model, "path_b").parameters():
                    p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
                y2 = model(x)
            pos = x.mean(dim=1) > 0
            d = (y1 - y2).abs().amax(dim=1)
            beh["pos_changed"] = float(d[pos].max()) if bool(pos.any()) else 0.0
            beh["neg_changed"] = float(d[~pos].min()) if bool((~pos).any()) else 1.0
        elif b == "selfattn":
            x = xs[0]
            with torch.no_grad():
                out, w = model(x)
                q, k = _attr(model, "query")(x), _attr(model, "key")(x)
                want = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)
            beh["attn_diff"] = (float((w - want).abs().max()) if w.shape == want.shape
                                else None)
    return res
'''


@dataclass
class ModuleSpec:
    name: str
    text: str                        # one-line contract for the prompt
    calls: Any                       # rng -> list of calls, each a list of input shapes
    types: dict[str, int]            # layer type -> at least this many
    behaviour: list[str] = field(default_factory=list)
    exact_layers: bool = True        # Linear/Conv hyperparameters must match the reference


def _b(rng, n=3, lo=2, hi=9, avoid=(1, 4, 8, 16, 32, 64)):
    pool = [b for b in range(lo, hi + 1) if b not in avoid]
    return [int(v) for v in rng.choice(pool, size=n, replace=False)]


def _flat(d):
    return lambda rng: [[[b, d]] for b in _b(rng)]


MODULES: dict[str, list[ModuleSpec]] = {
    "4.1.1": [
        ModuleSpec("SimpleLinear1", "input(784) → hidden(128) → output(10), ReLU",
                   _flat(784), {"Linear": 2}),
        ModuleSpec("SimpleLinear2", "input(100) → hidden(256) → hidden(64) → output(1), ReLU",
                   _flat(100), {"Linear": 3}),
        ModuleSpec("SimpleLinear3",
                   "input(50) → hidden(32) → hidden(16) → output(5), `nn.LeakyReLU` modules",
                   _flat(50), {"Linear": 3, "LeakyReLU": 1}),
        ModuleSpec("SimpleLinear4", "input(200) → hidden(512) → hidden(256) → hidden(128) → "
                   "output(2), ReLU + `nn.Dropout(0.2)` after each hidden layer",
                   _flat(200), {"Linear": 4, "Dropout": 1}, ["dropout"]),
        ModuleSpec("SimpleLinear5", "input(300) → hidden(64) → output(20), ReLU, output layer "
                   "`bias=False`", _flat(300), {"Linear": 2}),
    ],
    "4.1.2": [
        ModuleSpec("SequentialModel1", "MNIST classifier (784, 256, 128, 10): Linear → ReLU → "
                   "Dropout(0.2) per hidden layer", _flat(784),
                   {"Sequential": 1, "Linear": 3, "ReLU": 1, "Dropout": 1}, ["dropout"]),
        ModuleSpec("SequentialModel2", "binary classifier (50, 32, 16, 1): ReLU, `nn.Sigmoid` "
                   "output", _flat(50), {"Sequential": 1, "Linear": 3, "Sigmoid": 1},
                   ["range01"]),
        ModuleSpec("SequentialModel3", "regression (20, 64, 32, 1): ReLU, no final activation",
                   _flat(20), {"Sequential": 1, "Linear": 3, "ReLU": 1}),
        ModuleSpec("SequentialModel4", "multi-class (100, 512, 256, 128, 64, 10): Linear → ReLU "
                   "→ Dropout(0.3) per hidden layer", _flat(100),
                   {"Sequential": 1, "Linear": 5, "Dropout": 1}, ["dropout"]),
        ModuleSpec("SequentialModel5", "deep (784, 1024, 512, 256, 128, 64, 32, 10): Linear → "
                   "BatchNorm1d → ReLU per hidden layer", _flat(784),
                   {"Sequential": 1, "Linear": 7, "BatchNorm1d": 6}),
    ],
    "4.1.3": [
        ModuleSpec("SimpleCNN1", "input (B, 1, 28, 28): Conv2d(1,32,3) → ReLU → MaxPool2d(2) → "
                   "Conv2d(32,64,3) → ReLU → MaxPool2d(2) → flatten → Linear(64*5*5,128) → ReLU "
                   "→ Linear(128,10)", lambda rng: [[[b, 1, 28, 28]] for b in _b(rng, 2)],
                   {"Conv2d": 2, "MaxPool2d": 1, "Linear": 2}),
        ModuleSpec("SimpleCNN2", "CIFAR input (B, 3, 32, 32): Conv2d(3,64,3) → ReLU → "
                   "MaxPool2d(2) → Conv2d(64,128,3) → ReLU → MaxPool2d(2) → flatten → "
                   "Linear(128*6*6,256) → ReLU → Dropout(0.5) → Linear(256,10)",
                   lambda rng: [[[b, 3, 32, 32]] for b in _b(rng, 2)],
                   {"Conv2d": 2, "MaxPool2d": 1, "Linear": 2, "Dropout": 1}, ["dropout"]),
        ModuleSpec("SimpleCNN3", "grayscale input (B, 1, 28, 28): Conv2d(1,16,5) → ReLU → "
                   "Conv2d(16,32,5) → ReLU → Conv2d(32,64,3) → ReLU → MaxPool2d(2) → flatten → "
                   "Linear(64*9*9,128) → ReLU → Linear(128,10)",
                   lambda rng: [[[b, 1, 28, 28]] for b in _b(rng, 2)],
                   {"Conv2d": 3, "Linear": 2}),
        ModuleSpec("SimpleCNN4", "RGB input (B, 3, 32, 32): [Conv2d(3,32,3,padding=1) → "
                   "BatchNorm2d(32) → ReLU → MaxPool2d(2)] → [Conv2d(32,64,3,padding=1) → "
                   "BatchNorm2d(64) → ReLU → MaxPool2d(2)] → flatten → Linear(64*8*8,10)",
                   lambda rng: [[[b, 3, 32, 32]] for b in _b(rng, 2)],
                   {"Conv2d": 2, "BatchNorm2d": 2, "MaxPool2d": 1, "Linear": 1}),
        ModuleSpec("SimpleCNN5", "any-size RGB input (B, 3, H, W), H, W ≥ 16: four "
                   "Conv2d(k=3, padding=1) 3→32→64→128→256 with ReLU (MaxPool2d(2) between "
                   "them allowed) → `nn.AdaptiveAvgPool2d((1, 1))` → Linear(256,10)",
                   lambda rng: [[[b, 3, s, s2]] for b, s, s2 in
                                zip(_b(rng, 3), rng.choice([16, 24, 40, 48], 3, replace=False),
                                    rng.choice([20, 28, 36], 3, replace=False),
                                    strict=False)],
                   {"Conv2d": 4, "AdaptiveAvgPool2d": 1, "Linear": 1}),
    ],
    "4.1.4": [
        ModuleSpec("MixedModel1", "input (B, 1, 28, 28). `backbone`: Conv2d(1,16,3,padding=1) → "
                   "ReLU → MaxPool2d(2) → Conv2d(16,32,3,padding=1) → ReLU → "
                   "AdaptiveAvgPool2d(1) → 32 features `h`; head with a residual connection: "
                   "`h = h + fc2(relu(fc1(h)))` (`fc1`, `fc2` = Linear(32,32)); then "
                   "`out` = Linear(32,10)", lambda rng: [[[b, 1, 28, 28]] for b in _b(rng, 2)],
                   {"Conv2d": 2, "Linear": 3}, ["zero:fc2"]),
        ModuleSpec("MixedModel2", "`forward(x1, x2)`, x1 (B, 20), x2 (B, 30): `branch1` = "
                   "Linear(20,32), `branch2` = Linear(30,32), each + ReLU, concatenated (64) → "
                   "`shared` = Linear(64,32) → ReLU → Linear(32,1)",
                   lambda rng: [[[b, 20], [b, 30]] for b in _b(rng)], {"Linear": 4},
                   ["two_inputs"]),
        ModuleSpec("MixedModel3", "(B, 784) → `encoder`: Linear(784,128) → ReLU → "
                   "Linear(128,32) (bottleneck) → `decoder`: Linear(32,128) → ReLU → "
                   "Linear(128,784); method `encode(x)` returns the (B, 32) code and "
                   "`forward(x) == decoder(encode(x))`", _flat(784), {"Linear": 4}, ["encode"]),
        ModuleSpec("MixedModel4", "input (B, 1, L), any length L: Conv1d(1,16,5,padding=2) → "
                   "ReLU → permute to (B, L, 16) → LSTM(16, 32, batch_first=True) → last hidden "
                   "state → Linear(32,5)",
                   lambda rng: [[[b, 1, int(n)]] for b, n in
                                zip(_b(rng), rng.choice(range(9, 40), 3, replace=False),
                                    strict=False)],
                   {"Conv1d": 1, "LSTM": 1, "Linear": 1}),
        ModuleSpec("MixedModel5", "input (B, T, 16): scores = Linear(16,1) per step → softmax "
                   "over T → weights (B, T) → weighted sum (B, 16) → Linear(16,32) → ReLU → "
                   "Linear(32,4); returns `(output, weights)`",
                   lambda rng: [[[b, int(t), 16]] for b, t in
                                zip(_b(rng), rng.choice(range(3, 20), 3, replace=False),
                                    strict=False)],
                   {"Linear": 3}, ["weights"]),
    ],
    "4.1.5": [
        ModuleSpec("CustomLogic1", "residual `x + F(x)` on (B, 64) with F = `fc2(relu(fc1(x)))`, "
                   "`fc1`, `fc2` = Linear(64,64)", _flat(64), {"Linear": 2}, ["zero:fc2"]),
        ModuleSpec("CustomLogic2", "(B, 32): `branch1`/`branch2`/`branch3` = Linear(32,16) with "
                   "ReLU / Sigmoid / Tanh, concatenated in that order (48) → `combine` = "
                   "Linear(48,8)", _flat(32), {"Linear": 4}, ["concat"]),
        ModuleSpec("CustomLogic3", "(B, 64): h1 = relu(fc1(x)); h2 = relu(fc2(h1)); "
                   "h3 = relu(fc3(h2) + h1) (skip fc1 → after fc3); `out` = Linear(64,10); "
                   "`fc1`, `fc2`, `fc3` = Linear(64,64)", _flat(64), {"Linear": 4},
                   ["zero:fc2,fc3"]),
        ModuleSpec("CustomLogic4", "(B, 32): per sample, rows whose feature mean is > 0 go "
                   "through `path_a`, the others through `path_b` (both Linear(32,16)), then "
                   "ReLU → `head` = Linear(16,4)", _flat(32), {"Linear": 3}, ["conditional"]),
        ModuleSpec("CustomLogic5", "(B, T, 32): `query`, `key`, `value` = Linear(32,32); weights "
                   "= softmax(QKᵀ/√32) (B, T, T); context = (weights @ V).mean over T → `fc` = "
                   "Linear(32,4); returns `(output, weights)`",
                   lambda rng: [[[b, int(t), 32]] for b, t in
                                zip(_b(rng), rng.choice(range(3, 20), 3, replace=False),
                                    strict=False)],
                   {"Linear": 4}, ["weights", "selfattn"]),
    ],
}

SPEC_BY_NAME = {s.name: s for specs in MODULES.values() for s in specs}


def module_inputs(name: str):
    spec = SPEC_BY_NAME[name]

    def make(rng: np.random.Generator) -> dict:
        calls = [[list(map(int, s)) for s in call] for call in spec.calls(rng)]
        if spec.name == "CustomLogic4":  # both routes occur in the first batch (probe)
            calls[0] = [[max(calls[0][0][0], 3), 32]]
        return {"cls": name, "seed": int(rng.integers(1, 2**30)), "calls": calls,
                "behaviour": list(spec.behaviour)}

    return make


def _shape_text(s) -> str:
    if isinstance(s, list) and s and all(isinstance(v, int) for v in s):
        return "(" + ", ".join(map(str, s)) + ")"
    if isinstance(s, list):
        return "(" + ", ".join(_shape_text(v) for v in s) + ")"
    return str(s)


def _weighted(layers: list[dict]) -> list[str]:
    out = []
    for d in layers:
        if d["type"] in ("Linear", "Conv1d", "Conv2d", "LSTM", "BatchNorm1d", "BatchNorm2d"):
            h = d.get("hyper", {})
            keys = {"Linear": ("in_features", "out_features", "bias"),
                    "Conv1d": ("in_channels", "out_channels", "kernel_size", "padding"),
                    "Conv2d": ("in_channels", "out_channels", "kernel_size", "padding"),
                    "LSTM": ("input_size", "hidden_size", "num_layers"),
                    "BatchNorm1d": ("num_features",),
                    "BatchNorm2d": ("num_features",)}[d["type"]]
            h = dict(h)
            pad, ks = h.get("padding"), h.get("kernel_size")
            if pad == "valid":              # padding='valid' / 'same' mean the same as numbers
                h["padding"] = [0] * len(ks)
            elif pad == "same" and isinstance(ks, list):
                h["padding"] = [k // 2 for k in ks]
            out.append(d["type"] + "(" + ", ".join(f"{k}={h.get(k)!r}" for k in keys) + ")")
    return sorted(out)


def module_judge(name: str):
    spec = SPEC_BY_NAME[name]

    def judge(learner, reference, inputs, ctx) -> Verdict:
        got, ref = learner.value, reference.value
        if "not_module" in got:
            return Verdict(False, "type", f"`{name}` must be a class derived from nn.Module; "
                           f"found a {got['not_module']}")
        # 1. forward shapes on hidden inputs
        if "forward_error" in got:
            i, err = got["forward_error"]
            shapes = " and ".join(_shape_text(s) for s in inputs["calls"][i])
            return Verdict(False, "shape", f"`{name}` on input of shape {shapes} raised {err}")
        for i, (g, r) in enumerate(zip(got["outs"], ref["outs"], strict=False)):
            if g != r:
                shapes = " and ".join(_shape_text(s) for s in inputs["calls"][i])
                return Verdict(False, "shape", f"`{name}` on input of shape {shapes}: expected "
                               f"output shape {_shape_text(r)}, got {_shape_text(g)}")
        # 2. required layer types
        types = [d["type"] for d in got["layers"]]
        for t, n in spec.types.items():
            if types.count(t) < n:
                return Verdict(False, "module", f"`{name}` must contain at least {n} `nn.{t}` "
                               f"submodule(s) (assigned as attributes or inside nn.Sequential);"
                               f" found {types.count(t)}")
        # 3. parameter count and the weighted layers' hyperparameters
        if got["params"] != ref["params"]:
            return Verdict(False, "module", f"`{name}`: the architecture ({spec.text}) has "
                           f"{ref['params']:,} parameters; yours has {got['params']:,}")
        if spec.exact_layers:
            want, have = _weighted(ref["layers"]), _weighted(got["layers"])
            if want != have:
                missing = [w for w in want if w not in have]
                extra = [h for h in have if h not in want]
                return Verdict(False, "module", f"`{name}`: layers differ from the stated "
                               f"architecture; missing {', '.join(missing) or '-'}; "
                               f"unexpected {', '.join(extra) or '-'}")
        # 4. behaviour
        beh = got["beh"]
        for b in spec.behaviour:
            msg = _behaviour(name, b, beh)
            if msg:
                return Verdict(False, "value", msg)
        return Verdict(True, "module", "")

    return judge


def _behaviour(name: str, b: str, beh: dict) -> str:
    if b == "dropout":
        if not beh["train_differs"]:
            return (f"`{name}` in train() mode gave the same output twice: dropout is not "
                    "active (use nn.Dropout modules, or F.dropout(x, p, training=self.training))")
        if not beh["eval_same"]:
            return f"`{name}` in eval() mode must be deterministic (dropout off); it was not"
    elif b == "range01":
        if not (beh["min"] >= 0.0 and beh["max"] <= 1.0):
            return (f"`{name}` must end in a sigmoid: outputs in [0, 1]; found values in "
                    f"[{beh['min']:.3g}, {beh['max']:.3g}]")
    elif b.startswith("zero:"):
        attrs = b[5:].replace(",", " and ")
        if beh.get("diff_to_input") is not None and name == "CustomLogic1":
            if beh["diff_to_input"] > 1e-5:
                return (f"`{name}`: with `{attrs}` zeroed the residual branch is 0, so the "
                        f"output must equal the input x (x + F(x)); max difference "
                        f"{beh['diff_to_input']:.3g}")
        elif beh["spread"] < 1e-6:
            what = "skip connection" if "," in b else "residual connection"
            return (f"`{name}`: with `{attrs}` zeroed the output no longer depends on the input"
                    f" — the {what} the contract asks for is missing")
    elif b == "two_inputs":
        for k in ("1", "2"):
            if beh["dep" + k] < 1e-6:
                return f"`{name}`: the output does not depend on x{k}; both branches must merge"
    elif b == "encode":
        if beh["code_shape"][1:] != [32]:
            return (f"`{name}.encode(x)` must return the bottleneck code of shape (B, 32); got "
                    f"{_shape_text(beh['code_shape'])}")
        if beh["decode_diff"] > 1e-5:
            return f"`{name}(x)` must equal `decoder(encode(x))`; max difference " \
                   f"{beh['decode_diff']:.3g}"
    elif b == "weights":
        if beh["sum_err"] > 1e-4 or beh["min_w"] < 0:
            return (f"`{name}`: attention weights must be non-negative and sum to 1 over the "
                    f"last dimension (softmax); max |sum - 1| = {beh['sum_err']:.3g}, "
                    f"min weight {beh['min_w']:.3g}")
    elif b == "concat":
        if beh["concat_shape"] is None or beh["concat_shape"][1:] != [48]:
            return (f"`{name}`: `combine` must receive the concatenated branches, shape (B, 48);"
                    f" got {beh['concat_shape']}")
        if beh["concat_diff"] is None or beh["concat_diff"] > 1e-5:
            return (f"`{name}`: the input of `combine` must be cat([relu(branch1(x)), "
                    "sigmoid(branch2(x)), tanh(branch3(x))], dim=1)")
    elif b == "conditional":
        if beh["pos_changed"] > 1e-6:
            return (f"`{name}`: changing `path_b` changed the output of rows whose mean is > 0;"
                    " those rows must go through `path_a` only")
        if beh["neg_changed"] < 1e-6:
            return (f"`{name}`: changing `path_b` left the output of rows with mean <= 0 "
                    "unchanged; those rows must go through `path_b`")
    elif b == "selfattn" and (beh["attn_diff"] is None or beh["attn_diff"] > 1e-4):
        return (f"`{name}`: weights must be softmax(query(x) @ key(x)ᵀ / √32) over the last "
                "dimension, shape (B, T, T)")
    return ""


def module_checks(exercise_id: str) -> dict:
    """The names a 4.1 checks module exports."""
    out: dict[str, Any] = {"PROBE": MODULE_PROBE}
    for spec in MODULES[exercise_id]:
        out[f"inputs_{spec.name}"] = module_inputs(spec.name)
        out[f"judge_{spec.name}"] = module_judge(spec.name)
    return out


# ---------------------------------------------------------------------------
# Exercise 4.2: the 90 layer declarations
# ---------------------------------------------------------------------------

LAYER_PROBE = DESCRIBE + '''

def probe(ns, inputs):
    out = {}
    for name in inputs:
        if name not in ns:
            raise NameError(f"name '{name}' is not defined")
        out[name] = describe(ns[name])
    return out
'''


@dataclass
class LayerSet:
    title: str
    template: str        # the seed's template line(s)
    prefix: str          # names are <prefix>_1 ... <prefix>_10
    variants: list[tuple[str, str]]   # (constructor code as the seed writes it, purpose)
    errata: dict[int, tuple[str, str]] = field(default_factory=dict)  # k -> (code, note)


LAYER_SETS: dict[str, LayerSet] = {
    "4.2.1": LayerSet("Linear layers", "linear_layer = nn.Linear(in_features, out_features, "
                      "bias=True)  # comment about purpose", "linear", [
        ("nn.Linear(784, 256)", "MNIST input to hidden"),
        ("nn.Linear(256, 128)", "hidden to hidden"),
        ("nn.Linear(128, 10)", "hidden to output classes"),
        ("nn.Linear(100, 50)", "general purpose reduction"),
        ("nn.Linear(50, 100)", "expansion layer"),
        ("nn.Linear(512, 1024)", "large expansion"),
        ("nn.Linear(1024, 1)", "regression output"),
        ("nn.Linear(300, 300)", "same size transformation"),
        ("nn.Linear(784, 10, bias=False)", "no bias linear"),
        ("nn.Linear(2048, 512)", "feature reduction"),
    ]),
    "4.2.2": LayerSet("Conv2d layers", "conv2d_layer = nn.Conv2d(in_channels, out_channels, "
                      "kernel_size, stride=1, padding=0)  # comment about image processing",
                      "conv2d", [
        ("nn.Conv2d(3, 64, kernel_size=3)", "RGB input, 3x3 filter"),
        ("nn.Conv2d(64, 128, kernel_size=3, stride=2)", "downsampling conv"),
        ("nn.Conv2d(128, 256, kernel_size=3, padding=1)", "same size conv"),
        ("nn.Conv2d(1, 32, kernel_size=5)", "grayscale input, 5x5 filter"),
        ("nn.Conv2d(32, 64, kernel_size=1)", "1x1 pointwise conv"),
        ("nn.Conv2d(256, 512, kernel_size=3, stride=1, padding=1)", "standard conv"),
        ("nn.Conv2d(3, 16, kernel_size=7, padding=3)", "large kernel"),
        ("nn.Conv2d(512, 256, kernel_size=3, groups=256)", "grouped conv (see errata)"),
        ("nn.Conv2d(64, 64, kernel_size=3, padding=1, dilation=2)", "dilated conv"),
        ("nn.Conv2d(128, 64, kernel_size=3, bias=False)", "no bias conv"),
    ], {8: ("", "Variant 8 is labelled \"depthwise conv\" in the seed, but "
            "`nn.Conv2d(512, 256, 3, groups=256)` is a *grouped* convolution (each of the 256 "
            "groups sees 2 input channels). A depthwise conv has groups == in_channels, e.g. "
            "`nn.Conv2d(256, 256, 3, groups=256)`. Declare the seed's layer as written."),
        9: ("", "Variant 9 (dilation=2, padding=1): the effective kernel is 5x5, so padding=1 "
            "shrinks H and W by 2; \"same\" size would need padding=2. Declare it as written.")}),
    "4.2.3": LayerSet("Conv1d layers", "conv1d_layer = nn.Conv1d(in_channels, out_channels, "
                      "kernel_size, stride=1, padding=0)  # comment about sequence processing",
                      "conv1d", [
        ("nn.Conv1d(100, 256, kernel_size=3)", "sequence feature extraction"),
        ("nn.Conv1d(256, 512, kernel_size=5, padding=2)", "larger context"),
        ("nn.Conv1d(512, 256, kernel_size=1)", "pointwise conv 1D"),
        ("nn.Conv1d(50, 128, kernel_size=7, stride=2)", "downsampling 1D"),
        ("nn.Conv1d(128, 64, kernel_size=3, dilation=2)", "dilated 1D conv"),
        ("nn.Conv1d(1, 32, kernel_size=15)", "single channel to multi"),
        ("nn.Conv1d(32, 64, kernel_size=9, padding=4)", "symmetric padding"),
        ("nn.Conv1d(64, 128, kernel_size=5, groups=32)", "grouped conv 1D"),
        ("nn.Conv1d(300, 600, kernel_size=3, stride=1)", "expansion conv"),
        ("nn.Conv1d(200, 100, kernel_size=11, padding=5)", "large kernel 1D"),
    ]),
    "4.2.4": LayerSet("Pooling layers", "maxpool_layer = nn.MaxPool2d(kernel_size, stride=None, "
                      "padding=0)  # comment about downsampling\navgpool_layer = nn.AvgPool2d("
                      "kernel_size, stride=None, padding=0)  # comment about downsampling",
                      "pool", [
        ("nn.MaxPool2d(kernel_size=2)", "standard 2x2 max pooling"),
        ("nn.MaxPool2d(kernel_size=3, stride=2)", "overlapping max pool"),
        ("nn.AvgPool2d(kernel_size=2)", "average pooling 2x2"),
        ("nn.AvgPool2d(kernel_size=4, stride=4)", "non-overlapping avg pool"),
        ("nn.AdaptiveMaxPool2d((1, 1))", "global max pooling"),
        ("nn.AdaptiveAvgPool2d((1, 1))", "global average pooling"),
        ("nn.AdaptiveAvgPool2d((7, 7))", "fixed output size"),
        ("nn.MaxPool1d(kernel_size=3)", "1D max pooling"),
        ("nn.AvgPool1d(kernel_size=5, stride=2)", "1D avg pooling"),
        ("nn.AdaptiveMaxPool1d(1)", "global 1D max pooling"),
    ]),
    "4.2.5": LayerSet("Normalization layers", "batchnorm_layer = nn.BatchNorm2d(num_features)"
                      "  # comment about normalization\nlayernorm_layer = nn.LayerNorm("
                      "normalized_shape)  # comment about normalization", "norm", [
        ("nn.BatchNorm1d(256)", "1D batch normalization"),
        ("nn.BatchNorm2d(64)", "2D batch normalization"),
        ("nn.LayerNorm(512)", "layer normalization"),
        ("nn.GroupNorm(32, 256)", "group normalization"),
        ("nn.InstanceNorm2d(128)", "instance normalization"),
        ("nn.BatchNorm1d(1024, momentum=0.1)", "custom momentum"),
        ("nn.LayerNorm([256, 256])", "2D layer norm"),
        ("nn.GroupNorm(8, 128)", "fewer groups"),
        ("nn.BatchNorm2d(32, eps=1e-3)", "custom epsilon"),
        ("nn.LocalResponseNorm(5)", "local response normalization"),
    ], {6: ("", "Variant 6: momentum=0.1 is already BatchNorm's default, so this layer equals "
            "`nn.BatchNorm1d(1024)`; write the argument anyway to learn where it goes.")}),
    "4.2.6": LayerSet("Activation layers", "activation_layer = nn.ReLU()  # comment about "
                      "non-linearity", "activation", [
        ("nn.ReLU()", "standard ReLU"),
        ("nn.LeakyReLU(0.01)", "leaky ReLU"),
        ("nn.Sigmoid()", "sigmoid activation"),
        ("nn.Tanh()", "hyperbolic tangent"),
        ("nn.GELU()", "Gaussian Error Linear Unit"),
        ("nn.Softmax(dim=1)", "softmax normalization"),
        ("nn.LogSoftmax(dim=1)", "log softmax"),
        ("nn.ELU(alpha=1.0)", "Exponential Linear Unit"),
        ("nn.SiLU()", "Swish activation (see errata)"),
        ("nn.Mish()", "Mish activation"),
    ], {9: ("nn.SiLU()", "Variant 9: the seed writes `nn.Swish()`, which PyTorch does not have "
            "(AttributeError: module 'torch.nn' has no attribute 'Swish'). Swish with β = 1 is "
            "`nn.SiLU()` (x · sigmoid(x)); declare `activation_9 = nn.SiLU()`.")}),
    "4.2.7": LayerSet("Regularization layers", "dropout_layer = nn.Dropout(p=0.5)  # comment "
                      "about regularization", "dropout", [
        ("nn.Dropout(0.5)", "standard dropout"),
        ("nn.Dropout(0.2)", "light dropout"),
        ("nn.Dropout2d(0.1)", "2D dropout"),
        ("nn.Dropout(0.8)", "heavy dropout"),
        ("nn.AlphaDropout(0.5)", "SELU compatible dropout"),
        ("nn.Dropout2d(0.25)", "2D dropout for conv layers"),
        ("nn.Dropout(0.3)", "moderate dropout"),
        ("nn.Dropout(p=0.0)", "no dropout (placeholder)"),
        ("nn.Dropout3d(0.15)", "3D dropout"),
        ("nn.FeatureAlphaDropout(0.4)", "feature alpha dropout"),
    ]),
    "4.2.8": LayerSet("Recurrent layers", "rnn_layer = nn.LSTM(input_size, hidden_size, "
                      "num_layers=1, batch_first=True)  # comment about sequence modeling",
                      "rnn", [
        ("nn.LSTM(100, 256, batch_first=True)", "basic LSTM"),
        ("nn.LSTM(256, 512, num_layers=2, batch_first=True)", "deep LSTM"),
        ("nn.GRU(100, 256, batch_first=True)", "basic GRU"),
        ("nn.RNN(100, 256, batch_first=True)", "vanilla RNN"),
        ("nn.LSTM(512, 256, dropout=0.2, batch_first=True)", "LSTM with dropout (see errata)"),
        ("nn.GRU(256, 128, num_layers=3, batch_first=True)", "deep GRU"),
        ("nn.LSTM(300, 600, bidirectional=True, batch_first=True)", "bidirectional LSTM"),
        ("nn.GRU(200, 400, bidirectional=True, batch_first=True)", "bidirectional GRU"),
        ("nn.RNN(150, 300, num_layers=2, nonlinearity='tanh', batch_first=True)", "tanh RNN"),
        ("nn.LSTM(64, 128, proj_size=64, batch_first=True)", "LSTM with projection"),
    ], {5: ("", "Variant 5: with num_layers=1 the `dropout=0.2` of `nn.LSTM` does nothing — "
            "PyTorch applies it only *between* stacked layers and warns \"dropout option adds "
            "dropout after all but last recurrent layer, so non-zero dropout expects "
            "num_layers greater than 1\". The check asks for the seed's declaration; in real "
            "code use num_layers >= 2 or an nn.Dropout after the LSTM.")}),
    "4.2.9": LayerSet("Embedding layers", "embedding_layer = nn.Embedding(num_embeddings, "
                      "embedding_dim)  # comment about token lookup", "embedding", [
        ("nn.Embedding(10000, 300)", "word embeddings"),
        ("nn.Embedding(5000, 128, padding_idx=0)", "with padding"),
        ("nn.Embedding(50000, 512)", "large vocabulary"),
        ("nn.Embedding(1000, 64, max_norm=1.0)", "normalized embeddings"),
        ("nn.Embedding(20000, 256, sparse=True)", "sparse embeddings"),
        ("nn.EmbeddingBag(10000, 300, mode='mean')", "embedding bag"),
        ("nn.Embedding(2000, 100, scale_grad_by_freq=True)", "scaled gradients"),
        ("nn.Embedding(15000, 768)", "BERT-like embeddings"),
        ("nn.Embedding(30000, 200, padding_idx=1)", "different padding"),
        ("nn.EmbeddingBag(5000, 150, mode='sum')", "sum pooling embeddings"),
    ]),
}

SET_NUMBER = {eid: i for i, eid in enumerate(LAYER_SETS, start=1)}


def layer_names(exercise_id: str) -> list[str]:
    s = LAYER_SETS[exercise_id]
    return [f"{s.prefix}_{k}" for k in range(1, len(s.variants) + 1)]


def layer_judge(name: str, code: str):
    def judge(learner, reference, inputs, ctx) -> Verdict:
        got, ref = learner.value[name], reference.value[name]
        if not got.get("module"):
            return Verdict(False, "type", f"`{name}` must be an nn.Module layer object "
                           f"({code}); found a {got['type']}")
        if got["type"] != ref["type"] or not got.get("torch"):
            return Verdict(False, "type", f"`{name}`: expected an `nn.{ref['type']}` layer; "
                           f"found `{got['type']}`")
        diffs = [k for k in ref["hyper"] if got["hyper"].get(k) != ref["hyper"][k]]
        if diffs:
            found = ", ".join(f"{k}={got['hyper'].get(k)!r}" for k in diffs)
            want = ", ".join(f"{k}={ref['hyper'][k]!r}" for k in diffs)
            return Verdict(False, "value", f"`{name}` (`{code}`): expected {want}; found {found}")
        return Verdict(True, "value", "")

    return judge


def layer_checks(exercise_id: str) -> dict:
    names = layer_names(exercise_id)
    out: dict[str, Any] = {"PROBE": LAYER_PROBE}
    for name, (code, _purpose) in zip(names, LAYER_SETS[exercise_id].variants, strict=False):
        out[f"inputs_{name}"] = (lambda n: lambda rng: [n])(name)
        out[f"judge_{name}"] = layer_judge(name, code)
    return out


# ---------------------------------------------------------------------------
# Writing the generated files (python -m curriculum.lib.week4)
# ---------------------------------------------------------------------------

NOT_RUN = "Code under `if __name__ == \"__main__\":` is not run by the grader."


def dump_yaml(path, data: dict) -> None:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def _str(dumper, value):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, _str)
    path.write_text(yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                              width=100), encoding="utf-8")


_MOD_TITLES = {"4.1.1": "Practice Set 1: Basic linear networks",
               "4.1.2": "Practice Set 2: Sequential networks",
               "4.1.3": "Practice Set 3: CNN networks",
               "4.1.4": "Practice Set 4: Mixed architecture networks",
               "4.1.5": "Practice Set 5: Custom logic networks"}

_MOD_HOWTO = {
    "4.1.1": "Follow the seed's *Basic Linear Network* template: layers as attributes in "
             "`__init__`, activations in `forward` (`torch.relu`, or modules).",
    "4.1.2": "Follow the seed's *Sequential Network* template: the whole stack inside one "
             "`nn.Sequential` attribute, `forward` returns `self.layers(x)`.",
    "4.1.3": "Follow the seed's *CNN* template: `conv_layers` (nn.Sequential), flatten with "
             "`x.view(x.size(0), -1)`, then the FC layers. The exact layer sizes below make the "
             "flattened size work out; the seed leaves some of them open, so the contract fixes "
             "them.",
    "4.1.4": "The seed names only the idea of each mixed model; the contract below fixes the "
             "sizes and the attribute names the checks look at.",
    "4.1.5": "Follow the seed's *Custom Logic* template. The seed names only the idea of each "
             "network; the contract below fixes the sizes and the attribute names the checks "
             "look at.",
}

_MOD_ERRATA = {
    "4.1.3": ["SimpleCNN3: the seed lists three convs then \"FC layers\" with no pooling: "
              "28 → 24 → 20 → 18 gives 64·18·18 = 20,736 features (a 2.65 M-weight first FC "
              "layer). The contract adds one MaxPool2d(2) after the last conv: 64·9·9 = 5,184 "
              "features."],
}

_BEH_TEXT = {
    "dropout": "dropout is active in `train()` mode and off in `eval()` mode",
    "range01": "outputs lie in [0, 1] (sigmoid output)",
    "zero:fc2": "the residual path really exists: with `fc2` zeroed the input still reaches "
                "the output",
    "zero:fc2,fc3": "the skip really exists: with `fc2` and `fc3` zeroed the input still reaches "
                    "the output",
    "two_inputs": "the output depends on both inputs",
    "encode": "`encode` returns the (B, 32) code and forward equals decoder(encode(x))",
    "weights": "the returned weights are non-negative and sum to 1 over the last dimension",
    "concat": "`combine` receives cat([relu(branch1(x)), sigmoid(branch2(x)), "
              "tanh(branch3(x))], dim=1)",
    "conditional": "changing `path_b` changes only the rows with mean ≤ 0",
    "selfattn": "weights equal softmax(query(x) @ key(x)ᵀ / √32)",
}


def build_module_exercise(exercise_id: str) -> dict:
    specs = MODULES[exercise_id]
    title = _MOD_TITLES[exercise_id]
    n = len(specs)
    lines = [f"- `{s.name}`: {s.text}" for s in specs]
    summary = (f"**{title}** ({2 * n} points)\nWrite {n} `nn.Module` classes, each constructible "
               "with **no arguments** (give your constructor arguments the sizes below as "
               "defaults):\n" + "\n".join(lines))
    if len(summary) > 1500:
        summary = (f"**{title}** ({2 * n} points)\nWrite {n} `nn.Module` classes, constructible "
                   "with no arguments: " + ", ".join(f"`{s.name}`" for s in specs)
                   + ". Full contract: `/dojo show " + exercise_id + "`.")
    checked = []
    for s in specs:
        beh = "; ".join(_BEH_TEXT[b] for b in s.behaviour)
        req = ", ".join(f"{v}× nn.{k}" for k, v in s.types.items())
        checked.append(f"- `{s.name}`: output shape; at least {req}; parameter count and "
                       f"layer sizes" + (f"; {beh}" if beh else ""))
    errata = _MOD_ERRATA.get(exercise_id, [])
    errata_md = ("\n### Errata\n" + "\n".join(f"- {e}" for e in errata) + "\n") if errata else ""
    prompt = (f"## {title}\n\nExercise 4.1 (nn.Module Syntax Drill), week 4. "
              f"{_MOD_HOWTO[exercise_id]}\n\n### Your contract\nSubmit one Python file that "
              f"defines these classes (subclasses of `nn.Module`). The grader calls each class "
              "with **no arguments** (`SimpleLinear1()`), so every constructor argument needs "
              "a default equal to the stated size. Inputs are float32 batches; the batch size "
              "(and, where stated, the length or image size) is chosen by the grader.\n\n"
              + "\n".join(lines) + "\n" + errata_md +
              "\n### How it is checked\nEach class is worth 2 points. The grader builds it, "
              "calls it in `eval()` mode on hidden batches, and checks:\n"
              + "\n".join(checked) + f"\n\n{NOT_RUN}\n")
    starter = ["import math", "", "import torch", "import torch.nn as nn",
               "import torch.nn.functional as F", ""]
    for s in specs:
        args = "x1, x2" if s.name == "MixedModel2" else "x"
        starter += ["", f"class {s.name}(nn.Module):", f"    # {s.text}",
                    "    def __init__(self):", "        super().__init__()",
                    "        ...  # TODO", "", f"    def forward(self, {args}):",
                    "        ...  # TODO", ""]
    checks = [{"id": s.name, "kind": "python", "check_kind": "module", "points": 2,
               "title": s.name, "probe": "PROBE", "judge": f"judge_{s.name}",
               "inputs": f"inputs_{s.name}"} for s in specs]
    data = {"id": exercise_id, "title": title, "week": 4, "kind": "drill",
            "max_score": 2 * n, "summary": summary, "prompt": prompt,
            "starter": "\n".join(starter).rstrip() + "\n", "errata": errata, "checks": checks}
    if exercise_id in ("4.1.2", "4.1.3"):
        data["limits"] = {"wall_s": 10, "cpu_s": 10}
    return data


def build_layer_exercise(exercise_id: str) -> tuple[dict, str]:
    s = LAYER_SETS[exercise_id]
    k_set = SET_NUMBER[exercise_id]
    title = f"Practice Set {k_set}: {s.title} — 10 declarations"
    names = layer_names(exercise_id)
    codes = []
    for k, (code, purpose) in enumerate(s.variants, start=1):
        codes.append((names[k - 1], code, purpose))
    lines = [f"- `{n} = {c}`  # {p}" for n, c, p in codes]
    errata = [note for _k, (_c, note) in sorted(s.errata.items())]
    summary = (f"**{title}** (10 points)\nBind each layer at module level:\n" + "\n".join(lines))
    errata_md = ("\n### Errata\n" + "\n".join(f"- {e}" for e in errata) + "\n") if errata else ""
    prompt = (f"## {title}\n\nExercise 4.2 (Layer Types Memorization), week 4. Write each "
              "declaration from memory, following the seed's template\n\n```python\n"
              f"import torch.nn as nn\n\n{s.template}\n```\n\n### Your contract\nSubmit one "
              f"Python file that binds `{names[0]}` … `{names[-1]}` at module level, each to the "
              "layer object below (add your own comment about its purpose):\n\n"
              + "\n".join(lines) + "\n" + errata_md +
              "\n### How it is checked\nEach declaration is worth 1 point: the object must be "
              "the stated `torch.nn` layer type, with the stated hyperparameters (sizes, "
              "kernel, stride, padding, dilation, groups, bias, p, momentum, eps, dims, "
              "num_layers, bidirectional, padding_idx, mode, …); the defaults you do not write "
              f"are compared too. {NOT_RUN}\n")
    starter = ["import torch.nn as nn", ""]
    for n, _c, p in codes:
        starter += [f"# {p}", f"{n} = ...  # TODO", ""]
    checks = [{"id": n, "kind": "python", "check_kind": "value", "title": f"Variant {k}",
               "probe": "PROBE", "judge": f"judge_{n}", "inputs": f"inputs_{n}"}
              for k, n in enumerate(names, start=1)]
    data = {"id": exercise_id, "title": title, "week": 4, "kind": "drill", "max_score": 10,
            "summary": summary, "prompt": prompt, "starter": "\n".join(starter).rstrip() + "\n",
            "errata": errata, "checks": checks}
    if exercise_id in ("4.2.8", "4.2.9"):
        data["limits"] = {"wall_s": 15, "cpu_s": 15}
    ref = [f'"""Reference solution of {exercise_id} ({title})."""', "", "import torch.nn as nn",
           ""]
    for n, c, p in codes:
        ref.append(f"{n} = {c}  # {p}")
    return data, "\n".join(ref) + "\n"


def write_generated(root=None) -> None:
    from pathlib import Path

    root = Path(root or Path(__file__).resolve().parents[1] / "week4")
    root.mkdir(exist_ok=True)
    for eid in MODULES:
        dump_yaml(root / f"{eid}.yaml", build_module_exercise(eid))
        (root / f"{eid}.checks.py").write_text(
            f'"""Checks of {eid}: one python check per class (see curriculum/lib/week4.py)."""'
            "\n\nfrom curriculum.lib.week4 import module_checks\n\n"
            f'globals().update(module_checks("{eid}"))\n', encoding="utf-8")
    for eid in LAYER_SETS:
        data, ref = build_layer_exercise(eid)
        dump_yaml(root / f"{eid}.yaml", data)
        (root / f"{eid}.ref.py").write_text(ref, encoding="utf-8")
        (root / f"{eid}.checks.py").write_text(
            f'"""Checks of {eid}: one python check per declaration (see '
            'curriculum/lib/week4.py)."""\n\nfrom curriculum.lib.week4 import layer_checks\n\n'
            f'globals().update(layer_checks("{eid}"))\n', encoding="utf-8")


if __name__ == "__main__":
    write_generated()


# ---------------------------------------------------------------------------
# Exercise 4.3: shared helpers of the custom-layer checks
# ---------------------------------------------------------------------------

# Probe helper: set every parameter to fixed values chosen by its *name*, so the
# learner's module and the reference compute the same numbers when the learner
# follows the contract's attribute names.
FILL = '''
import torch
import torch.nn as nn


def _name_seed(name, base):
    return (base * 1000003 + sum((i + 1) * ord(c) for i, c in enumerate(name))) % (2**31)


def fill(model, base, scale=0.3):
    with torch.no_grad():
        for name, p in model.named_parameters():
            g = torch.Generator().manual_seed(_name_seed(name, base))
            p.copy_(torch.randn(p.shape, generator=g) * scale)


def randn(shape, seed, scale=1.0, shift=0.0):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g) * scale + shift


def shape(y):
    if isinstance(y, torch.Tensor):
        return list(y.shape)
    if isinstance(y, (tuple, list)):
        return [shape(e) for e in y]
    return type(y).__name__
'''


def max_err(a, b) -> float:
    import torch

    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.numel() == 0:
        return 0.0
    return float((a - b).abs().max())


def close(a, b, rtol=1e-4, atol=1e-5) -> bool:
    import torch

    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))
