"""Checks of 6.1.5b: next-token loss, training on a hidden token process, DataParallel-safe save/load."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import (
    all_finite,
    as_float,
    at_least,
    at_most,
    below,
    close,
    finite,
    largest,
    max_abs_diff,
)
from curriculum.judges.training import given_lr_problem, pattern_verdict
from grader.checks.base import Verdict

VOCAB = 16


def make_loss(rng: np.random.Generator):
    cases = []
    for _ in range(3):
        b, t, v = int(rng.integers(2, 5)), int(rng.integers(4, 10)), int(rng.integers(5, 20))
        cases.append({"logits": torch.from_numpy(rng.normal(0, 2, (b, t, v)).astype(np.float32)),
                      "tokens": torch.from_numpy(rng.integers(0, v, (b, t))),
                      "loss": float(rng.uniform(0.1, 3))})
    return cases


def judge_loss(learner, reference, inputs, ctx):
    for i, (c, got) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        lg, tk = c["logits"].double(), c["tokens"]
        want = F.cross_entropy(lg[:, :-1].reshape(-1, lg.shape[-1]), tk[:, 1:].reshape(-1))
        if not close(got["loss"], want, rtol=0.0, atol=1e-4):
            return Verdict(False, "value", f"case {i}: lm_loss must be the mean cross-entropy of "
                                           "logits[:, :-1] against tokens[:, 1:] (position t "
                                           "predicts token t+1)")
        if not close(got["ppl"], math.exp(c["loss"]), rtol=1e-6, atol=0.0):
            return Verdict(False, "value", f"case {i}: perplexity(loss) must be exp(loss)")
    return Verdict(True, "value")


def _markov(rng, succ, n, t):
    seqs = np.zeros((n, t), dtype=np.int64)
    seqs[:, 0] = rng.integers(0, VOCAB, n)
    for j in range(1, t):
        jump = rng.random(n) < 0.1
        seqs[:, j] = np.where(jump, rng.integers(0, VOCAB, n), succ[seqs[:, j - 1]])
    return torch.from_numpy(seqs)


def make_data(rng: np.random.Generator):
    succ = rng.permutation(VOCAB)
    data = {"train": _markov(rng, succ, 256, 16), "test": _markov(rng, succ, 64, 16)}
    # causality: row i of cy is row i of cx with its tokens from position i + 1 on redrawn
    # (the first of them surely changed); a causal model's logits before i + 1 stay the same
    cx = _markov(rng, succ, 15, 16)
    cy = cx.clone()
    for i in range(15):
        k = i + 1
        cy[i, k:] = torch.from_numpy(rng.integers(0, VOCAB, 16 - k))
        cy[i, k] = (cx[i, k] + int(rng.integers(1, VOCAB))) % VOCAB
    data.update(cx=cx, cy=cy)
    # a hidden learning rate, never the default 0.003: Adam must get the lr passed in
    data["lr"] = float(rng.choice(LRS))
    # and a hidden batch size, never the default 16
    data["batch_size"] = int(rng.choice(BATCH_SIZES))
    return data


LRS = (0.004, 0.005)
BATCH_SIZES = (12, 20, 24)


CAUSAL_ATOL = 1e-4  # times max(1, the largest |logit|): a leak the model learned moves logits by ~1


def _blocked(mask, t: int) -> torch.Tensor | None:
    """Where the learner's causal_mask(t) blocks attention (True, or -inf in a float mask);
    None for anything else."""
    if not isinstance(mask, torch.Tensor) or list(mask.shape) != [t, t]:
        return None
    if mask.dtype == torch.bool:
        return mask.detach().clone()
    if mask.is_floating_point():
        return torch.isneginf(mask.detach())
    return None


def _future_leak(got, inputs, key: str = "causal", mode: str = "") -> str:
    """'' when the trained model's logits before position k stay the same when the tokens from
    k on change (every k of the sequence); else what is wrong, read from where the logits
    changed and from what the learner's causal_mask returns. ``key``: the probe's pair of
    logits (eval mode, or ``causal_train``: train mode, the same random draws for both);
    ``mode``: how the message names that mode."""
    pair = got.get(key)
    cx = inputs["cx"]
    want = [*cx.shape, VOCAB]
    if not (isinstance(pair, list) and len(pair) == 2
            and all(isinstance(t, torch.Tensor) and list(t.shape) == want for t in pair)):
        return ""  # the shape verdict on the held-out logits speaks
    a, b = (t.detach().double() for t in pair)
    if not (all_finite(a) and all_finite(b)):
        return ""  # the held-out perplexity is not finite either: that verdict speaks
    atol = CAUSAL_ATOL * max(1.0, largest(a), largest(b))
    t = cx.shape[1]
    # changed[i][j]: row i (tokens from i + 1 on redrawn) changed its logits at position j
    changed = [[not at_most(max_abs_diff(a[i, j], b[i, j]), atol) for j in range(i + 1)]
               for i in range(t - 1)]
    leaks = [(i + 1, j) for i in range(t - 1) for j in range(i + 1) if changed[i][j]]
    if not leaks:
        return ""
    k, j = leaks[0]
    where = (f"the trained model looks at future tokens{mode}: changing the tokens from "
             f"position {k} on changed its logits at position {j}, before them. With the next "
             "token in view, the model copies it instead of predicting it (its perplexity "
             "means nothing). ")
    if mode:
        # causal in eval mode (judged first), not in train mode: something that runs only in
        # training sees the later positions
        return where + ("In eval mode it is causal, so what differs in train mode lets the "
                        "future in: apply the mask in both modes (also in a branch taken only "
                        "when self.training, such as checkpointing), and normalise each "
                        "position on its own (nn.LayerNorm): BatchNorm's batch statistics in "
                        "train mode mix every position of the batch")
    blocked = _blocked(got.get("mask"), t)
    right = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    if blocked is not None:
        if torch.equal(blocked, right):
            return where + ("causal_mask is right, but the trained model does not apply it: "
                            "pass it to every attention layer (layer(h, src_mask=mask), or "
                            "attn_mask=mask for nn.MultiheadAttention), in the model train_lm "
                            "trains too")
        if torch.equal(blocked, torch.triu(right, diagonal=2)):
            return where + (f"causal_mask({t}) is off by one: it lets each position see the "
                            "next token. Block every column > row: "
                            "torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)")
        if torch.equal(blocked, right.T):
            return where + (f"causal_mask({t}) blocks the past and lets the future through: "
                            "True goes where attention is NOT allowed, above the diagonal "
                            "(column > row): torch.triu(…, diagonal=1)")
    return where + ("Pass the causal mask — True strictly above the diagonal, "
                    "torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1) — to every "
                    "attention layer")


def judge_train(learner, reference, inputs, ctx):
    bad = pattern_verdict(ctx.source_text, learner.value.get("acc"))
    if bad:
        return bad
    got = learner.value
    test = inputs["test"]
    lg = got["logits"].double()
    if list(lg.shape) != [*test.shape, VOCAB]:
        return Verdict(False, "shape", "the trained model must give [batch, seq_len, vocab] logits")
    # in eval mode, then in train mode (where train_lm trains it: a mask applied only in
    # eval mode, or a leak through batch statistics, shows there)
    lrs = got.get("lrs") or []
    problem = given_lr_problem("train_lm", tuple(lrs[0]) if lrs else None, inputs["lr"])
    if problem:
        return Verdict(False, "api", problem)
    sizes, bs = [n for n in got.get("batch_sizes") or [] if isinstance(n, int)], \
        inputs["batch_size"]
    common = max(set(sizes), key=sizes.count) if sizes else bs
    if common != bs:
        return Verdict(False, "api", "train_lm must draw batches of the batch_size it is given "
                                     f"(the grader passed batch_size={bs}); your training "
                                     f"batches held {common} sequences")
    leak = _future_leak(got, inputs) or _future_leak(
        got, inputs, "causal_train", " in train mode (model.train(), as train_lm trains it)")
    if leak:
        return Verdict(False, "train", leak)
    loss = float(F.cross_entropy(lg[:, :-1].reshape(-1, VOCAB), test[:, 1:].reshape(-1)))
    ppl = math.exp(loss)
    if not below(ppl, 3.0):
        return Verdict(False, "train", f"held-out perplexity {ppl:.2f}, needs < 3.0 (uniform "
                                       f"guessing gives {VOCAB}) after 100 steps — check the "
                                       "next-token shift and that the model trains")
    stats = got["stats"]
    if not (at_least(stats.get("perplexity"), 1.0) and below(stats.get("perplexity"), 6.0)):
        return Verdict(False, "value", "stats['perplexity'] must be exp(training loss) of the "
                                       "last steps (≥ 1)")
    if not finite(stats.get("tokens_per_sec")) or as_float(stats["tokens_per_sec"]) <= 0:
        return Verdict(False, "value", "stats['tokens_per_sec'] must be the number of tokens "
                                       "processed divided by the elapsed seconds")
    rate = as_float(stats["tokens_per_sec"])
    # 100 steps of batch_size rows × 16 tokens (15 per row if only the predicted ones are
    # counted), timed by the grader around the call and between the first and the last step
    tokens = 100 * bs * 16
    low = 0.9 * (tokens * 15 / 16) / got["total_s"]
    span = got["span_s"]
    high = 1.2 * tokens * (got["steps"] / max(1, got["steps"] - 1)) / span if span else math.inf
    if not (at_least(rate, low) and at_most(rate, high)):
        return Verdict(False, "value", f"stats['tokens_per_sec'] is {rate:.4g}; the grader "
                                       f"measured between {low:.4g} and {high:.4g} for "
                                       f"{tokens} tokens (100 steps × {bs} rows × 16 "
                                       "tokens): "
                                       "count the tokens of every batch (batch.numel()), not "
                                       "the steps, and divide by the elapsed seconds")
    return Verdict(True, "train", f"held-out perplexity {ppl:.2f}")


#: The vocabularies the saved model is built with (never the data's 16).
SAVE_VOCABS = (20, 24, 40)
#: The saved model's sizes: none of them MiniTransformerLM's default.
SAVE_KWARGS = {"d_model": 16, "n_heads": 2, "n_layers": 1}


def make_tokens(rng: np.random.Generator):
    x = torch.from_numpy(rng.integers(0, VOCAB, (3, int(rng.integers(5, 12)))))
    # drawn after the tokens (they stay as they were): a hidden vocabulary for the saved model
    return {"x": x, "vocab": int(rng.choice(SAVE_VOCABS)), "kwargs": dict(SAVE_KWARGS)}


def _load_call(inputs) -> str:
    sizes = ", ".join(f"{k}={v}" for k, v in inputs["kwargs"].items())
    return f"load_lm(path, {inputs['vocab']}, {sizes})"


def judge_save(learner, reference, inputs, ctx):
    got = learner.value
    keys = got.get("keys") if isinstance(got, dict) else None
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        return Verdict(False, "value", "could not read the keys of the file save_lm wrote")
    if any(k.startswith("module.") for k in keys):
        return Verdict(False, "value", "save_lm saved a DataParallel state_dict ('module.' "
                                       "prefixes): save model.module.state_dict() when the model "
                                       "is wrapped")
    call = _load_call(inputs)
    built = (f"MiniTransformerLM({inputs['vocab']}, "
             + ", ".join(f"{k}={v}" for k, v in inputs["kwargs"].items()) + ")")
    if "error" in got:
        name = got["error"] if isinstance(got["error"], str) and got["error"].isidentifier() \
            and len(got["error"]) < 40 else "an error"
        return Verdict(False, "value", f"{call} raised {name} on the weights of a saved "
                                       f"{built}: build MiniTransformerLM(vocab_size, **kwargs) "
                                       "with the arguments load_lm is given, then load the "
                                       "weights into it")
    if got.get("cls") != "MiniTransformerLM":
        return Verdict(False, "type", f"load_lm must return a MiniTransformerLM; found {got['cls']}")
    if "shape" in got:
        return Verdict(False, "shape", f"the model {call} returned gives logits of shape "
                                       f"{got['shape']!r}, the saved {built} other ones: build "
                                       "MiniTransformerLM(vocab_size, **kwargs)")
    if not at_most(got.get("diff"), 1e-6):
        return Verdict(False, "value", f"the logits of the model {call} returned differ from "
                                       f"the saved {built}'s")
    return Verdict(True, "value")
