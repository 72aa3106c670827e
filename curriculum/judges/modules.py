"""Modules and architecture: a learner's nn.Module class, and single layer declarations.

Exercise 4.1 (module classes): the probe (``curriculum/probes/module_class.py``)
builds the class with no arguments, runs it in eval mode on hidden batches and
sends back output shapes, the parameter count, a description of every layer,
the order in which the layers ran, and measurements of the behaviour the
contract names (dropout on in train mode, sigmoid range, residual paths …).
The judge compares them with the reference's and with the stated behaviour,
through the one tolerance comparison (a NaN measurement fails). Where the contract fixes
the whole forward pass, the probe also loads the same weights into the learner's model
and the reference's (keyed by each layer's place in the architecture, see the probe) and
the judge compares the outputs: shapes and parameter counts alone pass a missing
activation, a skip added after the ReLU, ``view`` for ``permute`` or ``sum`` for ``mean``.

Exercise 4.2 (layer declarations): the probe (``curriculum/probes/layers.py``)
describes each bound layer object (type and hyperparameters, defaults
included); the judge compares the layer's *effective* configuration with the reference's
(:func:`effective_hyper`): PyTorch keeps many hyperparameters as written, so
``nn.MaxPool2d(2)`` and ``nn.MaxPool2d((2, 2))`` store different values for one layer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from curriculum.judges.compare import above, at_least, at_most, mismatch
from curriculum.judges.pooling import stated_values
from curriculum.judges.text import with_article
from grader.checks.base import Outcome, Verdict

# Layers whose order is the architecture (activations and pooling may be functional
# or commute, so by default only these are compared).
WEIGHTED = ("Linear", "Conv1d", "Conv2d", "BatchNorm1d", "BatchNorm2d", "LSTM")
CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
DROPOUTS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout")
# Outputs with the same weights: float32 sums in another order differ by ~1e-6 of the scale.
VALUE_RTOL, VALUE_ATOL = 1e-4, 1e-4


def _batches(rng: np.random.Generator, n: int) -> list[int]:
    """n distinct batch sizes, never 1 or a power of two a hard-coded size might use."""
    pool = [b for b in range(2, 10) if b not in (1, 4, 8, 16, 32, 64)]
    return [int(v) for v in rng.choice(pool, size=n, replace=False)]


def _draw(rng: np.random.Generator, spec: Any, n: int) -> list[int]:
    values = list(range(spec["from"], spec["to"] + 1)) if isinstance(spec, dict) else list(spec)
    return [int(v) for v in rng.choice(values, size=n, replace=False)]


def class_inputs(rng: np.random.Generator, *, cls: str, shapes: Sequence[Sequence[Any]],
                 calls: int = 3, dims: dict[str, Any] | None = None,
                 behaviour: Sequence[str] = (), min_first_batch: int = 0,
                 names: Sequence[str] = (), values: bool = True) -> dict:
    """Hidden calls of a module class: ``shapes`` is the shape of each forward argument with
    symbols — ``B`` a batch size, others from ``dims`` (a list of choices or
    ``{from, to}``) — each symbol drawn anew for every one of the ``calls`` calls.
    ``values``: the probe also sends the outputs with the grader's weights, ``names`` (the
    contract's attribute names, in its order) telling apart layers of the same shape."""
    drawn = {"B": _batches(rng, calls)}
    for symbol, spec in (dims or {}).items():
        drawn[symbol] = _draw(rng, spec, calls)
    drawn_calls = []
    for i in range(calls):
        drawn_calls.append([[drawn[d][i] if isinstance(d, str) else int(d) for d in shape]
                            for shape in shapes])
    if min_first_batch:  # e.g. both routes of a conditional model in the first batch
        for shape in drawn_calls[0]:
            shape[0] = max(shape[0], min_first_batch)
    return {"cls": cls, "seed": int(rng.integers(1, 2**30)), "calls": drawn_calls,
            "behaviour": list(behaviour), "names": list(names), "values": bool(values)}


def shape_text(s: Any) -> str:
    if isinstance(s, list) and s and all(isinstance(v, int) for v in s):
        return "(" + ", ".join(map(str, s)) + ")"
    if isinstance(s, list):
        return "(" + ", ".join(shape_text(v) for v in s) + ")"
    return str(s)


# Hyperparameters that hold one value per spatial dimension but that PyTorch keeps as
# written (an int or a tuple): pools keep all of them so, convolutions turn ints into tuples.
PER_DIM = ("kernel_size", "stride", "padding", "dilation", "output_size")


def _spatial_dims(layer_type: str) -> int | None:
    """1, 2 or 3 for ``Conv2d``, ``MaxPool1d``, ``AdaptiveAvgPool3d`` …; None otherwise."""
    m = re.search(r"([123])d$", layer_type or "")
    return int(m.group(1)) if m else None


def _ints(v: Any, n: int) -> bool:
    return (isinstance(v, list) and len(v) == n
            and all(isinstance(e, int) and not isinstance(e, bool) for e in v))


def effective_hyper(layer_type: str, hyper: dict) -> dict:
    """The configuration a layer computes with, however it was written, so that equal layers
    compare equal and different ones still differ:

    - an int in a per-dimension hyperparameter (:data:`PER_DIM`) becomes one entry per
      spatial dimension (``MaxPool2d(2)`` → kernel_size [2, 2]; ``AdaptiveAvgPool2d(1)`` →
      output_size [1, 1], where an adaptive pool's None entries — keep that input size —
      stay None); a 1-tuple stride, padding or dilation applies to every dimension, and so
      does a pool's 1-tuple kernel_size (``MaxPool2d((2,))``), but not a convolution's (its
      weight gets one spatial dimension) nor an adaptive pool's output_size (rejected);
    - a convolution's ``padding='valid'`` is 0; ``'same'`` (PyTorch allows it with stride 1
      only) is dilation·(kernel − 1)/2 on each side where that is whole — with an even
      total it pads one more on the right, which no number matches, so it stays 'same'.

    Everything else (padding_mode, ceil_mode, count_include_pad …) is a setting of its own
    and is compared as stored."""
    h = dict(hyper)
    n = _spatial_dims(layer_type)
    if n is None:
        return h
    broadcast = {"stride", "padding", "dilation"} | ({"kernel_size"} if "Pool" in layer_type
                                                     else set())
    for key in PER_DIM:
        v = h.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            h[key] = [v] * n
        elif isinstance(v, list) and len(v) == 1 and n > 1 and key in broadcast:
            h[key] = v * n
    pad = h.get("padding")
    if pad == "valid":
        h["padding"] = [0] * n
    elif pad == "same":
        ks, st, dil = h.get("kernel_size"), h.get("stride"), h.get("dilation", [1] * n)
        if _ints(ks, n) and _ints(st, n) and _ints(dil, n) and all(s == 1 for s in st):
            totals = [d * (k - 1) for k, d in zip(ks, dil, strict=True)]
            if all(t % 2 == 0 for t in totals):
                h["padding"] = [t // 2 for t in totals]
    return h


def _weighted(layers: list[dict]) -> list[str]:
    keys = {"Linear": ("in_features", "out_features", "bias"),
            "Conv1d": ("in_channels", "out_channels", "kernel_size", "padding"),
            "Conv2d": ("in_channels", "out_channels", "kernel_size", "padding"),
            "LSTM": ("input_size", "hidden_size", "num_layers"),
            "BatchNorm1d": ("num_features",),
            "BatchNorm2d": ("num_features",)}
    out = []
    for d in layers:
        if not isinstance(d, dict) or d.get("type") not in keys:
            continue
        # 'valid' / 'same' padding mean the same as numbers
        h = effective_hyper(d["type"], dict(d.get("hyper") or {}))
        out.append(d["type"] + "(" + ", ".join(f"{k}={h.get(k)!r}" for k in keys[d["type"]])
                   + ")")
    return sorted(out)


def _order_problem(cls: str, got: list, ref: list, order: str) -> str | None:
    """``strict``: every module type in the reference's run, in its order; ``weighted``: the
    weighted and normalisation layers; ``none``: branches whose order is free."""
    if order == "none":
        return None
    kinds = set(ref) if order == "strict" else set(WEIGHTED)
    mine = [t for t in got if t in kinds]
    want = [t for t in ref if t in kinds]
    if mine == want:
        return None
    return (f"`{cls}`: the layers run in a different order than the stated architecture "
            f"(expected {' → '.join(want)}; yours ran {' → '.join(mine) or 'none of them'})")


def module_class(learner: Outcome, reference: Outcome, inputs: Any, ctx: Any, *, cls: str,
                 text: str, types: dict[str, int], behaviour: Sequence[str] = (),
                 exact_layers: bool = True, order: str = "weighted",
                 free_pooling: bool = False) -> Verdict:
    """Output shapes on hidden batches, required layer types, parameter count and layer
    sizes, the order the layers run in, then the behaviour the contract names.
    ``free_pooling``: the contract lets max-pooling go between the convolutions, so the
    outputs are compared with the stated network's pooled where the learner's forward
    pooled (:mod:`curriculum.judges.pooling`), not with the reference's."""
    got, ref = learner.value, reference.value
    if not isinstance(got, dict):
        return Verdict(False, "module", f"could not read what `{cls}` produced")
    if "not_module" in got:
        return Verdict(False, "type", f"`{cls}` must be a class derived from nn.Module; found a "
                                      f"{got['not_module']}")
    if "forward_error" in got:
        i, err = got["forward_error"]
        shapes = " and ".join(shape_text(s) for s in inputs["calls"][i])
        return Verdict(False, "shape", f"`{cls}` on input of shape {shapes} raised {err}")
    outs = got.get("outs")
    if not isinstance(outs, list) or len(outs) != len(ref["outs"]):  # a record the code rewrote
        return Verdict(False, "shape", f"could not read the output shapes of `{cls}` on every "
                                       "hidden batch")
    for i, (g, r) in enumerate(zip(outs, ref["outs"], strict=True)):
        if g != r:
            shapes = " and ".join(shape_text(s) for s in inputs["calls"][i])
            return Verdict(False, "shape", f"`{cls}` on input of shape {shapes}: expected "
                                           f"output shape {shape_text(r)}, got {shape_text(g)}")
    bad = _single_problem(cls, got.get("single"), ref.get("single"), inputs["calls"][0])
    if bad:
        return Verdict(False, "shape", bad)
    if got.get("finite") is not True:
        return Verdict(False, "value", f"`{cls}` returned NaN or inf on hidden random inputs "
                                       "(with PyTorch's default initialisation)")
    layers = got.get("layers") or []
    found = [d.get("type") for d in layers if isinstance(d, dict)]
    if got.get("root") in CONTAINERS:  # class SequentialModel1(nn.Sequential) is one
        found.append(got["root"])
    hint = _unregistered_hint(got.get("unregistered"))
    for t, n in types.items():
        if found.count(t) < n:
            return Verdict(False, "module", f"`{cls}` must contain at least {n} `nn.{t}` "
                                            f"submodule(s) (assigned as attributes or inside "
                                            f"nn.Sequential); found {found.count(t)}{hint}")
    if got.get("params") != ref["params"]:
        return Verdict(False, "module", f"`{cls}`: the architecture ({text}) has "
                                        f"{ref['params']:,} parameters; yours has "
                                        f"{got.get('params')}{hint}")
    if exact_layers:
        want, have = _weighted(ref["layers"]), _weighted(layers)
        if want != have:
            missing = [w for w in want if w not in have]
            extra = [h for h in have if h not in want]
            return Verdict(False, "module", f"`{cls}`: layers differ from the stated "
                                            f"architecture; missing {', '.join(missing) or '-'}; "
                                            f"unexpected {', '.join(extra) or '-'}")
    bad = _order_problem(cls, list(got.get("order") or []), ref["order"], order)
    if bad:
        return Verdict(False, "module", bad)
    bad = _dropout_problem(cls, layers, ref["layers"])
    if bad:
        return Verdict(False, "module", bad)
    beh = got.get("beh") or {}
    for b in behaviour:
        msg = _behaviour(cls, b, beh)
        if msg:
            return Verdict(False, "value", msg)
    if "dropout" in behaviour:
        bad = dropout_calls_problem(cls, text, beh.get("dropout_calls"),
                                    (ref.get("beh") or {}).get("dropout_calls"))
        if bad:
            return Verdict(False, "value", bad)
    if free_pooling:
        stated = stated_values(got.get("order"), inputs)
        if stated is None:
            return Verdict(False, "module", f"`{cls}`: its forward must run four nn.Conv2d, "
                                            "with nn.MaxPool2d(2) (if any) only after a "
                                            f"convolution — the stated architecture is {text}")
        ref = {**ref, "vals": stated[0], "single": {**(ref.get("single") or {}),
                                                    "vals": stated[1]}}
    if "vals" in ref:
        bad = _value_problem(cls, text, got.get("vals"), ref["vals"], inputs)
        if bad:
            return Verdict(False, "value", bad)
    if "vals" in (ref.get("single") or {}):
        bad = _value_problem(cls, text, [(got.get("single") or {}).get("vals")],
                             [ref["single"]["vals"]], inputs)
        if bad:
            return Verdict(False, "value", f"on a batch of one sample: {bad}")
    return Verdict(True, "module", "")


_KEEP_BATCH = ("keep the batch dimension: `x.squeeze()` drops every size-1 dim, the batch's "
               "too when it holds one sample — use `x.flatten(1)`, `x.view(x.size(0), -1)` or "
               "`squeeze(dim)` with the dim")


def _single_problem(cls: str, got: Any, ref: Any, first_call: list) -> str | None:
    """The output on a batch of one sample (probe ``single``): its shape, or the error."""
    if not isinstance(ref, dict) or "shape" not in ref:
        return None
    shapes = " and ".join(shape_text([1, *s[1:]]) for s in first_call)
    if not isinstance(got, dict) or not ("shape" in got or "error" in got):
        return f"could not read what `{cls}` returned on a batch of one sample"
    if "error" in got:
        return (f"`{cls}` on a batch of one sample (input of shape {shapes}) raised "
                f"{got['error']}; {_KEEP_BATCH}")
    if got["shape"] != ref["shape"]:
        return (f"`{cls}` on a batch of one sample (input of shape {shapes}): expected output "
                f"shape {shape_text(ref['shape'])}, got {shape_text(got['shape'])}; "
                f"{_KEEP_BATCH}")
    return None


def _unregistered_hint(found: Any) -> str:
    """Why layers or parameters are missing when the model keeps them where nn.Module does
    not look (probe ``unregistered``): a plain list/dict of layers, plain tensors."""
    if not isinstance(found, dict):
        return ""
    mods = [v for v in found.get("modules") or [] if isinstance(v, list) and len(v) == 2][:3]
    tens = [str(v) for v in found.get("tensors") or []][:3]
    if mods:
        where = ", ".join(f"`{k}` (a plain {t})" for k, t in mods)
        return (f". {where} holds layers that nn.Module does not register: their parameters "
                "are not in model.parameters() and eval() and .to() do not reach them — use "
                "nn.ModuleList, nn.ModuleDict or nn.Sequential")
    if tens:
        what = (f"`{tens[0]}` is a plain tensor, not a parameter" if len(tens) == 1 else
                f"`{'`, `'.join(tens)}` are plain tensors, not parameters")
        return (f". {what}: wrap learnable weights in nn.Parameter (or use the nn layer)")
    return ""


def _dropout_rates(layers: list) -> list:
    return sorted({repr((d.get("hyper") or {}).get("p")) for d in layers
                   if isinstance(d, dict) and d.get("type") in DROPOUTS})


def _dropout_problem(cls: str, layers: list, ref_layers: list) -> str | None:
    """The dropout probabilities of the stated architecture (eval() outputs and parameter
    counts cannot see them). Compared as sets: one module reused or one per layer."""
    want, have = _dropout_rates(ref_layers), _dropout_rates(layers)
    if not want or want == have:
        return None
    return (f"`{cls}`: the stated architecture uses dropout p = {', '.join(want)}; your "
            f"dropout layers have p = {', '.join(have) or 'none'}")


def dropout_calls_problem(cls: str, text: str, got: Any, ref: Any) -> str | None:
    """The dropout a train-mode forward applies (probe ``dropout_calls``: ``[p, numel]`` per
    active call) against the reference's on the same input: the rates declared by modules
    say nothing about ``F.dropout(x, 0.5)`` called beside ``nn.Dropout(0.3)``, nor about a
    dropout applied after one hidden layer where the architecture has one after each."""
    if ref is None or got == ref:
        return None
    if not (isinstance(got, list) and len(got) <= 1000 and all(
            isinstance(c, list) and len(c) == 2 and all(type(v) in (int, float) for v in c)
            for c in got)):
        return f"could not read the dropout `{cls}` applies in train() mode"
    want = ", ".join(f"p = {p:g}" for p, _ in ref) or "none"
    have = ", ".join(f"p = {p:g}" for p, _ in got[:20]) or "none"
    same_rates = sorted(p for p, _ in got) == sorted(p for p, _ in ref)
    where = " (the same rates, after different layers)" if same_rates else ""
    return (f"`{cls}`: in train() mode the stated architecture ({text}) applies dropout "
            f"{len(ref)} time(s): {want}; your forward applies {have}{where}")


def _leaves(y: Any) -> list:
    if isinstance(y, list | tuple):
        return [leaf for e in y for leaf in _leaves(e)]
    return [y]


def _value_problem(cls: str, text: str, got: Any, ref: list, inputs: Any) -> str | None:
    """The learner's outputs with the grader's weights against the reference's with the same
    weights, on every hidden call; the first mismatch, without the expected values."""
    if not isinstance(got, list) or len(got) != len(ref):
        return f"could not read the outputs of `{cls}` with the grader's weights"
    for i, (g, r) in enumerate(zip(got, ref, strict=True)):
        gs, rs = _leaves(g), _leaves(r)
        if len(gs) != len(rs):
            return f"`{cls}` returned {len(gs)} outputs; expected {len(rs)}"
        for j, (a, e) in enumerate(zip(gs, rs, strict=True)):
            if not isinstance(e, torch.Tensor):
                continue
            scale = float(e.abs().max()) if e.numel() else 0.0
            what = f"output {j + 1}" if len(rs) > 1 else "the output"
            bad = mismatch(a, e, rtol=VALUE_RTOL, atol=VALUE_ATOL * max(scale, 1e-3), what=what)
            if bad:
                shapes = " and ".join(shape_text(s) for s in inputs["calls"][i])
                return (f"`{cls}`: the grader loaded the same weights into your model and the "
                        f"reference and ran both on an input of shape {shapes}; {bad}. The "
                        f"forward pass must compute exactly the stated architecture ({text}): "
                        "check the activations (which ones, where, applied once), skip "
                        "connections, reshapes (permute vs view) and reductions (mean vs sum)")
    return None


def _behaviour(name: str, b: str, beh: dict) -> str:
    """'' when the measured behaviour is the stated one; NaN or a missing measurement fails."""
    if b == "dropout":
        if beh.get("train_differs") is not True:
            return (f"`{name}` in train() mode gave the same output twice: dropout is not "
                    "active (use nn.Dropout modules, or F.dropout(x, p, training=self.training))")
        if beh.get("eval_same") is not True:
            return f"`{name}` in eval() mode must be deterministic (dropout off); it was not"
    elif b == "range01":
        if not (at_least(beh.get("min"), 0.0) and at_most(beh.get("max"), 1.0)):
            return (f"`{name}` must end in a sigmoid: finite outputs in [0, 1]; found values in "
                    f"[{beh.get('min')}, {beh.get('max')}]")
    elif b.startswith("zero:"):
        attrs = b[5:].replace(",", " and ")
        if name == "CustomLogic1":
            if not at_most(beh.get("diff_to_input"), 1e-5):
                return (f"`{name}`: with `{attrs}` zeroed the residual branch is 0, so the "
                        f"output must equal the input x (x + F(x)); max difference "
                        f"{beh.get('diff_to_input')}")
        elif not above(beh.get("spread"), 1e-6):
            what = "skip connection" if "," in b else "residual connection"
            return (f"`{name}`: with `{attrs}` zeroed the output no longer depends on the input"
                    f" — the {what} the contract asks for is missing")
    elif b == "two_inputs":
        for k in ("1", "2"):
            if not above(beh.get("dep" + k), 1e-6):
                return f"`{name}`: the output does not depend on x{k}; both branches must merge"
    elif b == "encode":
        code = beh.get("code_shape")
        if not isinstance(code, list) or code[1:] != [32]:
            return (f"`{name}.encode(x)` must return the bottleneck code of shape (B, 32); got "
                    f"{shape_text(code)}")
        if not at_most(beh.get("decode_diff"), 1e-5):
            return (f"`{name}(x)` must equal `decoder(encode(x))`; max difference "
                    f"{beh.get('decode_diff')}")
    elif b == "weights":
        if not (at_most(beh.get("sum_err"), 1e-4) and at_least(beh.get("min_w"), 0.0)):
            return (f"`{name}`: attention weights must be non-negative and sum to 1 over the "
                    f"last dimension (softmax); max |sum - 1| = {beh.get('sum_err')}, "
                    f"min weight {beh.get('min_w')}")
    elif b == "concat":
        if not isinstance(beh.get("concat_shape"), list) or beh["concat_shape"][1:] != [48]:
            return (f"`{name}`: `combine` must receive the concatenated branches, shape (B, 48);"
                    f" got {beh.get('concat_shape')}")
        if not at_most(beh.get("concat_diff"), 1e-5):
            return (f"`{name}`: the input of `combine` must be cat([relu(branch1(x)), "
                    "sigmoid(branch2(x)), tanh(branch3(x))], dim=1), each activation applied "
                    "once (in forward, or inside the branch as nn.Sequential(nn.Linear(32, "
                    "16), nn.Sigmoid()))")
    elif b == "conditional":
        if not at_most(beh.get("pos_changed"), 1e-6):
            return (f"`{name}`: changing `path_b` changed the output of rows whose mean is > 0"
                    " (rows of mixed signs); those rows must go through `path_a` only — route "
                    "each row by the mean of all its features")
        if not above(beh.get("neg_changed"), 1e-6):
            return (f"`{name}`: changing `path_b` left the output of rows with mean <= 0 "
                    "(rows of mixed signs) unchanged; those rows must go through `path_b` — "
                    "route each row by the mean of all its features")
    elif b == "selfattn" and not at_most(beh.get("attn_diff"), 1e-4):
        return (f"`{name}`: weights must be softmax(query(x) @ key(x)ᵀ / √32) over the last "
                "dimension, shape (B, T, T)")
    return ""


def layer(learner: Outcome, reference: Outcome, inputs: Any, ctx: Any, *, name: str,
          code: str) -> Verdict:
    """A layer declaration ``name = nn.X(...)``: the stated torch.nn type, every
    hyperparameter (defaults included) equal to the reference's."""
    got, ref = (learner.value or {}).get(name), reference.value[name]
    if not isinstance(got, dict) or not got.get("module"):
        found = got.get("type") if isinstance(got, dict) else type(got).__name__
        return Verdict(False, "type", f"`{name}` must be an nn.Module layer object ({code}); "
                                      f"found {with_article(found)}")
    if got.get("type") != ref["type"] or not got.get("torch"):
        return Verdict(False, "type", f"`{name}`: expected an `nn.{ref['type']}` layer; found "
                                      f"`{got.get('type')}`")
    hyper = got.get("hyper") or {}
    mine = effective_hyper(got["type"], hyper)
    want = effective_hyper(ref["type"], ref["hyper"])
    diffs = [k for k in ref["hyper"] if mine.get(k) != want[k]]
    if diffs:
        found = ", ".join(_written(k, hyper.get(k), mine.get(k)) for k in diffs)
        expected = ", ".join(f"{k}={ref['hyper'][k]!r}" for k in diffs)
        return Verdict(False, "value", f"`{name}` (`{code}`): expected {expected}; found {found}")
    return Verdict(True, "value", "")


def _written(key: str, stored: Any, effective: Any) -> str:
    """``padding='same'`` with what it amounts to for this layer (``= [2, 2]``)."""
    if effective == stored or isinstance(stored, int):
        return f"{key}={stored!r}"
    return f"{key}={stored!r} (= {effective!r})"
