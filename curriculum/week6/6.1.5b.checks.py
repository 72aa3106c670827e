"""Checks of 6.1.5b: next-token loss, training on a hidden token process, DataParallel-safe save/load."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import as_float, at_least, at_most, below, close, finite
from curriculum.judges.training import pattern_verdict
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
    return {"train": _markov(rng, succ, 256, 16), "test": _markov(rng, succ, 64, 16)}


def judge_train(learner, reference, inputs, ctx):
    bad = pattern_verdict(ctx.source_text, learner.value.get("acc"))
    if bad:
        return bad
    got = learner.value
    test = inputs["test"]
    lg = got["logits"].double()
    if list(lg.shape) != [*test.shape, VOCAB]:
        return Verdict(False, "shape", "the trained model must give [batch, seq_len, vocab] logits")
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
    # 100 steps of 16 rows × 16 tokens (15 per row if only the predicted ones are counted),
    # timed by the grader around the call and between the first and the last step
    tokens = 100 * 16 * 16
    low = 0.9 * (tokens * 15 / 16) / got["total_s"]
    span = got["span_s"]
    high = 1.2 * tokens * (got["steps"] / max(1, got["steps"] - 1)) / span if span else math.inf
    if not (at_least(rate, low) and at_most(rate, high)):
        return Verdict(False, "value", f"stats['tokens_per_sec'] is {rate:.4g}; the grader "
                                       f"measured between {low:.4g} and {high:.4g} for "
                                       f"{tokens} tokens (100 steps × 16 rows × 16 tokens): "
                                       "count the tokens of every batch (batch.numel()), not "
                                       "the steps, and divide by the elapsed seconds")
    return Verdict(True, "train", f"held-out perplexity {ppl:.2f}")


def make_tokens(rng: np.random.Generator):
    return torch.from_numpy(rng.integers(0, VOCAB, (3, int(rng.integers(5, 12)))))


def judge_save(learner, reference, inputs, ctx):
    got = learner.value
    if any(k.startswith("module.") for k in got["keys"]):
        return Verdict(False, "value", "save_lm saved a DataParallel state_dict ('module.' "
                                       "prefixes): save model.module.state_dict() when the model "
                                       "is wrapped")
    if got["cls"] != "MiniTransformerLM":
        return Verdict(False, "type", f"load_lm must return a MiniTransformerLM; found {got['cls']}")
    if not at_most(got["diff"], 1e-6):
        return Verdict(False, "value", "the loaded model's logits differ from the saved model's")
    return Verdict(True, "value")
