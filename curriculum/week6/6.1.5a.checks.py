"""Checks of 6.1.5a: shapes and mask, causality, positional information, gradient checkpointing."""

import numpy as np
import torch

from curriculum.judges.compare import above, all_finite, at_most, largest, max_abs_diff
from curriculum.judges.sizes import error_name, layers_readable, shape_readable
from curriculum.judges.source import uses
from grader.checks.base import Verdict


def make_inputs(rng: np.random.Generator):
    b, t, v = int(rng.integers(2, 5)), int(rng.integers(6, 14)), int(rng.integers(12, 30))
    x = torch.from_numpy(rng.integers(0, v, (b, t)))
    k = int(rng.integers(2, t - 2))
    y = x.clone()
    y[:, k:] = torch.from_numpy(rng.integers(0, v, (b, t - k)))
    y[:, k] = (x[:, k] + 1) % v                      # the first changed position really changes
    z = x[:, :1].repeat(1, t)                        # one token repeated: only positions differ
    # drawn last: the seeds' other data stay as they were. Sizes other than the defaults,
    # and a batch as long as max_len (longer than the default 64)
    d_model, n_heads = int(rng.choice([16, 24, 40, 48])), int(rng.choice([2, 8]))
    n_layers, max_len = int(rng.choice([1, 3])), int(rng.integers(70, 97))
    sv = int(rng.integers(12, 30))
    sized = {"v": sv, "d_model": d_model, "n_heads": n_heads, "n_layers": n_layers,
             "max_len": max_len, "x": torch.from_numpy(rng.integers(0, sv, (2, max_len))),
             # one size changed at a time (n_heads still dividing d_model)
             "alt": {"d_model": d_model + 8, "n_heads": 10 - n_heads, "n_layers": 2}}
    return {"x": x, "y": y, "z": z, "k": k, "v": v, "sized": sized}


NAN_FLOAT = ("the logits hold NaN or inf — a float mask built as triu(ones) * -inf gives "
             "0 · (−inf) = NaN everywhere below the diagonal; pass the bool mask (or build the "
             "float one with masked_fill)")
NAN_ROW = ("the logits hold NaN: causal_mask({t}) blocks every position of row {row} (the "
           "diagonal is masked too), and a softmax over no allowed position is NaN. A position "
           "may attend to itself: True only strictly above the diagonal (triu(…, diagonal=1))")
NAN_OTHER = ("the logits hold NaN or inf — a NaN comes from a mask row that blocks every "
             "position (e.g. the diagonal masked too: position 0 can attend to nothing) or from "
             "a float mask built as triu(ones) * -inf (0 · (−inf) = NaN); block only the future "
             "(True strictly above the diagonal)")


def _nan_hint(got) -> str:
    """Why the logits are not finite, read from what the learner's causal_mask returns: a bool
    (or 0/1) mask with a fully blocked row, a float mask holding NaN, or neither (the model
    builds its own mask: name both causes)."""
    mask = got.get("mask")
    if isinstance(mask, torch.Tensor) and mask.dim() == 2 and mask.shape[0] == mask.shape[1]:
        if mask.dtype == torch.bool or bool(((mask == 0) | (mask == 1)).all()):
            full = mask.bool().all(dim=-1).nonzero().flatten().tolist()
            if full:
                return NAN_ROW.format(t=mask.shape[0], row=full[0])
        elif mask.is_floating_point():
            if bool(mask.isnan().any()):
                return NAN_FLOAT
            full = torch.isneginf(mask).all(dim=-1).nonzero().flatten().tolist()
            if full:
                return NAN_ROW.format(t=mask.shape[0], row=full[0])
    return NAN_OTHER


def _logits_problem(got, inputs):
    """The three forward passes the probe ran: right shape, and finite everywhere."""
    b, t = inputs["x"].shape
    for key in ("lx", "ly", "lz"):
        logits = got.get(key)
        if not isinstance(logits, torch.Tensor) or list(logits.shape) != [b, t, inputs["v"]]:
            found = list(logits.shape) if isinstance(logits, torch.Tensor) else type(logits)
            return Verdict(False, "shape", f"a [{b}, {t}] batch must give logits [{b}, {t}, "
                                           f"vocab_size={inputs['v']}]; found {found}")
        if not all_finite(logits):
            return Verdict(False, "value", _nan_hint(got))
    return None


def judge_shapes(learner, reference, inputs, ctx):
    got = learner.value
    bad = _logits_problem(got, inputs)
    if bad:
        return bad
    t = inputs["x"].shape[1]
    want = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    mask = got["mask"]
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != want.shape \
            or not torch.equal(mask, want):
        return Verdict(False, "value", f"causal_mask({t}) must be a [{t}, {t}] bool tensor, True "
                                       "strictly above the diagonal (future positions blocked)")
    diff = got.get("train_diff")
    if diff is None or not at_most(diff, 1e-6):
        return Verdict(False, "value", "two forward passes in training mode gave different "
                                       "logits: the model uses dropout. The contract has none — "
                                       "nn.TransformerEncoderLayer defaults to dropout=0.1, pass "
                                       "dropout=0.0 (nn.MultiheadAttention too)")
    wrong = _defaults_problem(got.get("defaults"))
    if wrong:
        return Verdict(False, "value", "MiniTransformerLM(vocab_size) with no sizes given must "
                                       "be the contract's model: __init__(self, vocab_size, "
                                       "d_model=32, n_heads=4, n_layers=2, max_len=64, "
                                       f"use_checkpoint=False); {wrong}")
    wrong = _sizes_problem(got.get("sized"), inputs["sized"])
    if wrong:
        return Verdict(False, "value", wrong)
    return Verdict(True, "shape")


def _sized_record(rec, alt) -> bool:
    """The probe's record of the model built with hidden sizes: layers, parameter count, and
    logits' shape or the name of the error its forward pass raised; with the parameter
    count and logits' change of each build with one size changed."""
    if not layers_readable(rec):
        return False
    if "error" in rec:
        return True
    changed = rec.get("changed")
    return (shape_readable(rec.get("shape"))
            and isinstance(changed, dict) and set(changed) == set(alt)
            and all(isinstance(c, dict) and type(c.get("params")) is int
                    and (c.get("diff") is None or type(c.get("diff")) is float)
                    for c in changed.values()))


def _layers_problem(layers, s) -> tuple[str, str]:
    """(what was built, the argument it ignores), read from the nn.Embedding and
    nn.MultiheadAttention modules the model has; ("", "") when none, or none to read."""
    emb = [a for name, a in layers if name == "Embedding"
           and "num_embeddings" in a and "embedding_dim" in a]
    token = [a["embedding_dim"] for a in emb if a["num_embeddings"] == s["v"]]
    if token and s["d_model"] not in token:
        return f"built a token embedding of size {token[0]}", "d_model"
    rows = [a["num_embeddings"] for a in emb if a["num_embeddings"] != s["v"]]
    if rows and s["max_len"] not in rows:
        return f"built a position embedding of {rows[0]} rows", "max_len"
    attn = [a for name, a in layers if name == "MultiheadAttention"]
    if attn and len(attn) != s["n_layers"]:
        return f"built {len(attn)} attention layers", "n_layers"
    heads = [a["num_heads"] for a in attn if "num_heads" in a]
    if heads and any(n != s["n_heads"] for n in heads):
        return f"built attention with {heads[0]} heads", "n_heads"
    return "", ""


def _sizes_problem(rec, s) -> str:
    """The model built with hidden sizes for every argument, on a batch of max_len tokens:
    layers of those sizes, logits [batch, max_len, vocab_size], and every size changes the
    model (its parameter count, or for n_heads its logits from the same initial weights)."""
    call = (f"MiniTransformerLM({s['v']}, d_model={s['d_model']}, n_heads={s['n_heads']}, "
            f"n_layers={s['n_layers']}, max_len={s['max_len']})")
    if not _sized_record(rec, s["alt"]):
        return f"could not read the layers, parameters and logits of {call}"
    built, arg = _layers_problem(rec["layers"], s)
    if built:
        return f"{call} {built}: use the {arg} argument"
    b, t = s["x"].shape
    if "error" in rec:
        return (f"{call} failed on a [{b}, {t}] batch ({error_name(rec)}): sequences up to "
                "max_len tokens must work, so build the positional encoding from the max_len "
                "argument")
    if rec["shape"] != [b, t, s["v"]]:
        return (f"{call} on a [{b}, {t}] batch must give logits [{b}, {t}, {s['v']}]; found "
                f"{rec['shape']}")
    for arg in ("d_model", "n_layers", "n_heads"):
        other = rec["changed"][arg]
        if other["params"] != rec["params"]:
            continue
        if arg == "n_heads" and (other["diff"] is None or not at_most(other["diff"], 1e-7)):
            continue
        same = "the same logits" if arg == "n_heads" else f"{rec['params']:,} parameters"
        return (f"{call} and the same call with {arg}={s['alt'][arg]} give {same} (same "
                f"initial weights): use the {arg} argument")
    return ""


def _defaults_problem(found) -> str:
    """What the probe's two builds (the contract's sizes given, then none) show of the
    defaults, "" when they are the contract's."""
    if not isinstance(found, dict) or not isinstance(found.get("params"), list) \
            or len(found["params"]) != 2 \
            or not all(type(n) is int for n in found["params"]):
        return "the model could not be built with its defaults"
    given, default = found["params"]
    if given != default:
        return (f"with its defaults it has {default} parameters, with the contract's sizes "
                f"{given}")
    diff = found.get("diff")
    if diff is None or not at_most(diff, 1e-6):
        return ("with its defaults it gives other logits than with the contract's sizes, "
                "initialised alike: check n_heads=4")
    return ""


def judge_causal(learner, reference, inputs, ctx):
    got = learner.value
    bad = _logits_problem(got, inputs)
    if bad:
        return bad
    k = inputs["k"]
    before = max_abs_diff(got["lx"][:, :k], got["ly"][:, :k])
    if not at_most(before, 1e-5):
        return Verdict(False, "value", f"changing tokens from position {k} on changed the logits "
                                       f"at earlier positions by {before:.3g}: the model looks at "
                                       "future tokens. Pass the causal mask to every attention "
                                       "layer")
    after = max_abs_diff(got["lx"][:, k], got["ly"][:, k])
    if not above(after, 1e-6):
        return Verdict(False, "value", "changing the token at a position must change that "
                                       "position's logits")
    return Verdict(True, "value")


def judge_position(learner, reference, inputs, ctx):
    got = learner.value
    bad = _logits_problem(got, inputs)
    if bad:
        return bad
    gaps = (got["lz"][:, 0] - got["lz"][:, -1]).abs().amax(dim=-1)
    if not above(float(gaps.min()), 1e-5):
        return Verdict(False, "value", "on a sequence repeating one token, the first and last "
                                       "positions got the same logits: attention alone cannot "
                                       "tell positions apart, add "
                                       "positional encodings (learned nn.Embedding(max_len, "
                                       "d_model) or sinusoidal) to the token embeddings")
    return Verdict(True, "value")


def judge_checkpointing(learner, reference, inputs, ctx):
    got = learner.value
    if not uses(ctx.source_text, "checkpoint", "checkpoint_sequential") or not got["ck_calls"]:
        return Verdict(False, "api", "with use_checkpoint=True, run the layers through "
                                     "torch.utils.checkpoint.checkpoint(layer, h, …, "
                                     "use_reentrant=False) in training mode")
    inside = got.get("ck_inside") or []
    every = all(inside) if inside else got["ck_calls"] >= got["n_layers"]
    if not every:
        return Verdict(False, "api", "with use_checkpoint=True, run every layer through "
                                     "checkpoint(layer, h, mask, use_reentrant=False), not only "
                                     "some of them: a layer outside checkpoint() still stores "
                                     "its activations")
    out = largest(got["ck_out"])
    if not (at_most(out, 1e-5) and at_most(got["ck_grad"], 1e-5)):
        return Verdict(False, "value", "use_checkpoint=True must not change the model: outputs "
                                       "and gradients must equal the plain model's with the same "
                                       f"weights, and be finite (found differences {out:.3g} / "
                                       f"{got['ck_grad']})")
    return Verdict(True, "value")
