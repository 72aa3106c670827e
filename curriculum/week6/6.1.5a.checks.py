"""Checks of 6.1.5a: shapes and mask, causality, positional information, gradient checkpointing."""

import numpy as np
import torch

from curriculum.judges.compare import above, all_finite, at_most, largest, max_abs_diff
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
    return {"x": x, "y": y, "z": z, "k": k, "v": v}


NAN_HINT = ("the logits hold NaN or inf — a float mask built as triu(ones) * -inf gives "
            "0 · (−inf) = NaN everywhere below the diagonal; pass the bool mask (or build the "
            "float one with masked_fill)")


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
            return Verdict(False, "value", NAN_HINT)
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
    return Verdict(True, "shape")


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
    out = largest(got["ck_out"])
    if not (at_most(out, 1e-5) and at_most(got["ck_grad"], 1e-5)):
        return Verdict(False, "value", "use_checkpoint=True must not change the model: outputs "
                                       "and gradients must equal the plain model's with the same "
                                       f"weights, and be finite (found differences {out:.3g} / "
                                       f"{got['ck_grad']})")
    return Verdict(True, "value")
