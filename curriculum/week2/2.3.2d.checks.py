"""Checks of 2.3.2d: the seed's sizes (4, 10, 64) plus hidden random sizes.

Float32 results within rtol=1e-4, atol=1e-5: different but correct orders of
operations (scaling Q first, bmm, einsum) agree to ~1e-6.
"""

import math

import torch

from curriculum.judges.cases import results, with_case_hint
from curriculum.judges.compare import close
from curriculum.judges.data import randn


def _qkv(rng, b, s, d):
    return (randn(rng, b, s, d), randn(rng, b, s, d), randn(rng, b, s, d))


def make_cases(rng):
    cases = [(_qkv(rng, 4, 10, 64), {})]                                    # the seed's sizes
    for _ in range(3):
        b, s, d = int(rng.integers(1, 5)), int(rng.integers(1, 13)), int(rng.integers(2, 33))
        cases.append((_qkv(rng, b, s, d), {}))
    return cases


FORBID = ["torch.nn.functional.scaled_dot_product_attention", "torch.nn.MultiheadAttention"]


def judge_attention(learner, reference, inputs, ctx):
    """cases.results, then — when a result is off — what is wrong with it, read from the
    case's own Q, K, V: softmax over another dim, scores not scaled or scaled by
    d_model, √seq_len or the example's √64, or attended values that are not
    attention_weights @ V. No expected values are shown."""
    verdict = results(learner, reference, inputs, ctx, fn="simplified_attention", examples=1,
                      rtol=1e-4, atol=1e-5, forbid=FORBID)
    return with_case_hint(verdict, learner, reference, inputs, rtol=1e-4, atol=1e-5,
                          hint=_attention_hint)


def _close(a, b):
    return isinstance(a, torch.Tensor) and a.shape == b.shape and close(
        a.double(), b, rtol=1e-4, atol=1e-5)


def _attention_hint(args, found):
    if not (isinstance(found, tuple | list) and len(found) == 2
            and all(isinstance(t, torch.Tensor) for t in found)):
        return None
    Q, K, V = (t.double() for t in args)
    weights, attended = found
    s, d = Q.shape[1], Q.shape[-1]
    scores = Q @ K.transpose(-2, -1)
    right = torch.softmax(scores / math.sqrt(d), dim=-1)
    if _close(weights, right):
        if _close(attended, right.transpose(-2, -1) @ V):
            return "attended_values uses the weights transposed: attention_weights @ V"
        return "the weights are right; attended_values must be attention_weights @ V"
    wrong = [(torch.softmax(scores / math.sqrt(d), dim=-2),
              "the softmax runs over the wrong dim: over the last one, so each row of "
              "attention_weights sums to 1"),
             (torch.softmax(scores, dim=-1), "the scores are not scaled: divide Q @ Kᵀ by "
                                             "√d_model"),
             (torch.softmax(scores / d, dim=-1), "the scores are divided by d_model; the "
                                                 "scale is √d_model"),
             (torch.softmax(scores / math.sqrt(s), dim=-1),
              "the scores are scaled by √seq_len; d_model is Q.shape[-1]"),
             (torch.softmax(scores / 8.0, dim=-1),
              "the scores are scaled by √64, the example's d_model; take d_model from "
              "Q.shape[-1]")]
    for candidate, hint in wrong:
        if _close(weights, candidate):
            return hint
    if weights.shape == right.shape and not close(
            weights.double().sum(dim=-1), torch.ones_like(right[..., 0]), rtol=0.0, atol=1e-4):
        return ("the rows of attention_weights do not sum to 1: softmax over the last dim "
                "(a hand-written one divides by .sum(dim=-1, keepdim=True), which keeps "
                "each row's sum in its row)")
    return None
