"""Checks of 6.1.3a: vocabulary/numericalisation, the BiLSTM + attention model, masking."""

from collections import Counter

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

from curriculum.judges.compare import at_most, close, max_abs_diff
from curriculum.judges.data import review_texts
from curriculum.judges.sizes import (
    HIDDEN_SIZES,
    embedding_lstm_rules,
    error_name,
    ignored_argument,
    layers_readable,
    shape_readable,
)
from grader.checks.base import Verdict


def make_texts(rng: np.random.Generator):
    texts, _ = review_texts(rng, 12, mixed_case=True)
    unseen = ["zzunseen " + texts[0], texts[1] + " qqnever"]
    min_freq = int(rng.integers(2, 4))
    # a word that reaches min_freq only within one text: counts are over all tokens, not texts
    texts[-1] = texts[-1] + " Encore" + " encore" * (min_freq - 1)
    return {"texts": texts, "min_freq": min_freq, "unseen": unseen}


def _vocab_problem(vocab, counts, min_freq):
    if not isinstance(vocab, dict) or vocab.get("<PAD>") != 0 or vocab.get("<UNK>") != 1:
        return "the vocabulary must be a dict with '<PAD>': 0 and '<UNK>': 1"
    want = {w for w, c in counts.items() if c >= min_freq}
    words = set(vocab) - {"<PAD>", "<UNK>"}
    if words != want:
        return (f"with min_freq={min_freq} expected {len(want)} words (lower-cased, counted over "
                f"all texts, kept when count ≥ min_freq); found {len(words)}")
    if sorted(vocab.values()) != list(range(len(vocab))):
        return "vocabulary ids must be 0, 1, …, len(vocab) − 1, each used once"
    return ""


def judge_pre(learner, reference, inputs, ctx):
    got = learner.value
    texts = inputs["texts"]
    if got["tokens"] != [t.lower().split() for t in texts[:3]]:
        return Verdict(False, "value", "tokenize(text) must lower-case and split on whitespace, "
                                       "text.lower().split(): punctuation stays on its word "
                                       "(\"great!\" is one token)")
    counts = Counter(w for t in texts for w in t.lower().split())
    for vocab, mf in ((got["v1"], 1), (got["v2"], inputs["min_freq"])):
        problem = _vocab_problem(vocab, counts, mf)
        if problem:
            return Verdict(False, "value", "build_vocab: " + problem)
    v1 = got["v1"]
    for text, ids in zip(inputs["unseen"] + texts[:2], got["ids"], strict=True):
        want = [v1.get(w, 1) for w in text.lower().split()]
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64 or ids.tolist() != want:
            return Verdict(False, "value", "numericalize must return an int64 tensor of the "
                                           "words' ids, '<UNK>' (1) for unknown words")
    return Verdict(True, "value")


SIZES = HIDDEN_SIZES


def make_batch(rng: np.random.Generator):
    lengths = rng.integers(2, 12, int(rng.integers(3, 7)))
    lengths[0] = 11
    seqs = [torch.from_numpy(rng.integers(1, 40, n).astype(np.int64)) for n in lengths]
    extra = int(rng.integers(2, 6))
    # drawn last: the seeds' other data stay as they were
    embed, hidden = (int(n) for n in rng.choice(SIZES, 2, replace=False))
    vocab = int(rng.integers(50, 150))
    sized = [torch.from_numpy(rng.integers(1, vocab, int(n)))
             for n in rng.integers(2, 10, int(rng.integers(2, 5)))]
    return {"seqs": seqs, "extra": extra,
            "sized": {"vocab": vocab, "embed_dim": embed, "hidden_dim": hidden,
                      "x": pad_sequence(sized, batch_first=True)}}


def _sized_record(rec) -> bool:
    """The probe's record of the model built with hidden sizes: layers, and its outputs'
    shapes or the name of the error its forward pass raised."""
    if not layers_readable(rec, params=False):
        return False
    shapes = rec.get("shapes")
    return "error" in rec or isinstance(shapes, str) or (isinstance(shapes, list) and all(
        isinstance(x, str) or shape_readable(x) for x in shapes))


def _sizes_problem(rec, s) -> str:
    """The model built with hidden sizes for every argument: layers of those sizes, outputs
    (probs [batch], weights [batch, seq_len])."""
    e, h = s["embed_dim"], s["hidden_dim"]
    call = f"SentimentModel({s['vocab']}, embed_dim={e}, hidden_dim={h})"
    if not _sized_record(rec):
        return f"could not read the layers and outputs of {call}"
    wrong = ignored_argument(rec, [
        *embedding_lstm_rules(s["vocab"], e, h),
        ("hidden_dim", 2 * h, "Linear", "in_features",
         f"Linear layers with {{}} inputs (2 * hidden_dim = {2 * h})")], call)
    if wrong:
        return wrong
    b, t = s["x"].shape
    if "error" in rec:
        return (f"{call} failed on a [{b}, {t}] batch ({error_name(rec)}): build every layer "
                "from the arguments, not from fixed sizes")
    if rec["shapes"] != [[b], [b, t]]:
        return (f"{call} on a [{b}, {t}] batch must return (probs [{b}], weights [{b}, {t}]); "
                f"found {rec['shapes']}")
    return ""


def _one_review_problem(alone, n) -> str:
    """Each review on its own (a batch of one) must still give probs of shape [1]."""
    if not (isinstance(alone, list) and len(alone) == n
            and all(isinstance(a, torch.Tensor) for a in alone)):
        return "forward on a batch of one review must return probs of shape [1]; found another type"
    for a in alone:
        if tuple(a.shape) != (1,):
            hint = (": .squeeze() with no dim also drops the batch dimension of a batch of one; "
                    "use .squeeze(-1)" if a.dim() == 0 else "")
            return (f"a batch of one review ([1, seq_len]) must give probs of shape [1]; found "
                    f"{list(a.shape)}{hint}")
    return ""


def _model_data(got, inputs):
    if "bad" in got:
        return Verdict(False, "type", "forward(x) must return (probs, attention_weights); found "
                                      f"{got['bad']}")
    n, t = len(inputs["seqs"]), max(len(s) for s in inputs["seqs"])
    probs, weights = got["probs"], got["weights"]
    if tuple(probs.shape) != (n,):
        return Verdict(False, "shape", f"probs must have shape [batch] = [{n}]; found "
                                       f"{list(probs.shape)}")
    if tuple(weights.shape) != (n, t):
        return Verdict(False, "shape", f"attention weights must be [batch, seq_len] = [{n}, {t}]; "
                                       f"found {list(weights.shape)}")
    return None


def judge_model(learner, reference, inputs, ctx):
    got = learner.value
    bad = _model_data(got, inputs)
    if bad:
        return bad
    kinds = got["kinds"]
    if not any(k[0] in ("LSTM",) and k[1] and k[2] for k in kinds):
        return Verdict(False, "module", "use a bidirectional LSTM: nn.LSTM(embed_dim, hidden_dim, "
                                        "batch_first=True, bidirectional=True)")
    if not any(k[0] == "Embedding" and k[3] == 0 for k in kinds):
        return Verdict(False, "module", "use nn.Embedding(vocab_size, embed_dim, padding_idx=0)")
    probs = got["probs"]
    if not bool(((probs > 0) & (probs < 1)).all()):
        return Verdict(False, "value", "probs must be sigmoid outputs, strictly between 0 and 1")
    sums = got["weights"].sum(dim=1)
    if not close(sums, torch.ones_like(sums), rtol=0.0, atol=1e-5):
        return Verdict(False, "value", "each row of attention weights must sum to 1 (softmax over "
                                       f"the sequence); max deviation {float((sums - 1).abs().max()):.3g}")
    diff = got.get("context_diff")
    if diff is None or not at_most(diff, 1e-5):
        return Verdict(False, "value", "the final nn.Linear must get the attention context: the "
                                       "sum over time of the LSTM outputs weighted by the "
                                       "attention weights you return, "
                                       "(weights.unsqueeze(-1) * lstm_out).sum(dim=1)")
    wrong = _one_review_problem(got.get("alone"), len(inputs["seqs"]))
    if wrong:
        return Verdict(False, "shape", wrong)
    wrong = _sizes_problem(got.get("sized"), inputs["sized"])
    if wrong:
        return Verdict(False, "module", wrong)
    return Verdict(True, "module")


def judge_masking(learner, reference, inputs, ctx):
    got = learner.value
    bad = _model_data(got, inputs)
    if bad:
        return bad
    pad = got["x"] == 0
    leak = float(got["weights"][pad].abs().max()) if bool(pad.any()) else 0.0
    leak_wide = float(got["weights_wide"][:, got["x"].shape[1]:].abs().max())
    if not (at_most(leak, 1e-6) and at_most(leak_wide, 1e-6)):
        return Verdict(False, "value", f"padding positions get attention weight up to "
                                       f"{max(leak, leak_wide):.3g}; mask them (scores.masked_fill("
                                       "mask == 0, float('-inf')) before the softmax) so they get 0")
    for weights in (got["weights"], got["weights_wide"]):
        sums = weights.sum(dim=1)
        if not close(sums, torch.ones_like(sums), rtol=0.0, atol=1e-5):
            return Verdict(False, "value", "padding positions get no attention, but the weights "
                                           "of a row no longer sum to 1: mask the *scores* before "
                                           "the softmax (scores.masked_fill(mask == 0, "
                                           "float('-inf'))), not the weights after it")
    alone = torch.cat([a.reshape(-1) for a in got["alone"]])
    for name, other in (("with extra padding columns", got["probs_wide"]),
                        ("for each review on its own", alone)):
        err = max_abs_diff(got["probs"], other)
        if not at_most(err, 1e-5):
            return Verdict(False, "value", f"padding changes the prediction: probs differ {name} by "
                                           f"{err:.3g} (tolerance 1e-5). The backward LSTM "
                                           "direction must not read padding: pack the batch "
                                           "(pack_padded_sequence / pad_packed_sequence)")
    return Verdict(True, "value")
