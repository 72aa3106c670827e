"""Checks of 6.1.4a: NERTagger shapes, the padding-aware loss, BIO spans and per-type P/R/F1."""

import numpy as np
import torch
import torch.nn.functional as F

from curriculum.judges.compare import at_most, close
from curriculum.judges.data import bio_tags, ref_bio_spans, ref_entity_prf
from curriculum.judges.sizes import (
    HIDDEN_SIZES,
    embedding_lstm_rules,
    error_name,
    ignored_argument,
    layers_readable,
    shape_readable,
)
from grader.checks.base import Verdict

SIZES = HIDDEN_SIZES


def make_model(rng: np.random.Generator):
    b, t, tags = int(rng.integers(2, 6)), int(rng.integers(4, 10)), int(rng.integers(5, 10))
    x = torch.from_numpy(rng.integers(1, 30, (b, t)))
    # drawn last: the seeds' other data stay as they were
    embed, hidden = (int(n) for n in rng.choice(SIZES, 2, replace=False))
    vocab, n_tags = int(rng.integers(40, 90)), int(rng.integers(3, 12))
    shape = (int(rng.integers(2, 5)), int(rng.integers(4, 10)))
    return {"x": x, "tags": tags,
            "sized": {"vocab": vocab, "tags": n_tags, "embed_dim": embed, "hidden_dim": hidden,
                      "x": torch.from_numpy(rng.integers(1, vocab, shape))}}


def _sized_record(rec) -> bool:
    """The probe's record of the model built with hidden sizes: layers, parameter count,
    and output shape or the name of the error its forward pass raised."""
    return layers_readable(rec) and ("error" in rec or shape_readable(rec.get("shape")))


def _sizes_problem(got, reference, inputs) -> str:
    """The tagger built with hidden sizes for every argument: layers of those sizes, the
    reference's parameter count, logits [batch, seq_len, num_tags]."""
    s = inputs["sized"]
    e, h, n = s["embed_dim"], s["hidden_dim"], s["tags"]
    call = f"NERTagger({s['vocab']}, {n}, embed_dim={e}, hidden_dim={h})"
    rec = got.get("sized")
    if not _sized_record(rec):
        return f"could not read the layers, parameters and output of {call}"
    wrong = ignored_argument(rec, [
        *embedding_lstm_rules(s["vocab"], e, h),
        ("hidden_dim", 2 * h, "Linear", "in_features",
         f"a Linear layer with {{}} inputs (2 * hidden_dim = {2 * h})"),
        ("num_tags", n, "Linear", "out_features", "a last Linear layer with {} outputs")], call)
    if wrong:
        return wrong
    b, t = s["x"].shape
    if "error" in rec:
        return (f"{call} failed on a [{b}, {t}] batch ({error_name(rec)}): build every layer "
                "from the arguments, not from fixed sizes")
    if rec["shape"] != [b, t, n]:
        return f"{call} on a [{b}, {t}] batch must give [{b}, {t}, {n}]; found {rec['shape']}"
    want = reference.value["sized"]["params"]
    if rec["params"] != want:
        return (f"{call} has {rec['params']:,} parameters, expected {want:,}: build every "
                "layer from the arguments (vocab_size, num_tags, embed_dim, hidden_dim)")
    return ""


def judge_model(learner, reference, inputs, ctx):
    got = learner.value
    b, t = inputs["x"].shape
    want = [b, t, inputs["tags"]]
    if got["shape"] != want:
        return Verdict(False, "shape", f"NERTagger(vocab_size, num_tags={inputs['tags']}) on a "
                                       f"[{b}, {t}] batch must give [{b}, {t}, {inputs['tags']}] "
                                       f"tag logits; found {got['shape']}")
    if not any(k[0] == "LSTM" and k[1] for k in got["kinds"]):
        return Verdict(False, "module", "use a BiLSTM: nn.LSTM(…, batch_first=True, "
                                        "bidirectional=True)")
    if not any(k[0] == "Embedding" and k[2] == 0 for k in got["kinds"]):
        return Verdict(False, "module", "use nn.Embedding(vocab_size, embed_dim, padding_idx=0)")
    want_params = reference.value["params"]
    if got.get("params") != want_params:
        return Verdict(False, "module", f"NERTagger(30, {inputs['tags']}) with its defaults "
                                        "(embed_dim=32, hidden_dim=32) must have "
                                        f"{want_params:,} parameters; found {got.get('params')}")
    diff = got.get("alone_diff")
    if diff is None or not close(diff, 0.0, rtol=0.0, atol=1e-4):
        return Verdict(False, "module", "each sentence must be tagged on its own: the last "
                                        f"sentence of a [{b}, {t}] batch, tagged alone, gets "
                                        "other logits than in the batch (an nn.LSTM without "
                                        "batch_first=True reads [B, T] as [T, B]: it runs "
                                        "along the batch, mixing the sentences)")
    wrong = _sizes_problem(got, reference, inputs)
    if wrong:
        return Verdict(False, "module", wrong)
    return Verdict(True, "module")


def make_loss(rng: np.random.Generator):
    """Three cases: the default pad_tag (-100, the argument left out), and two other pad tags
    passed to ner_loss (negative, and one above every class id) — where -100 is an ordinary
    tag value nowhere in the batch."""
    cases = []
    for pad_tag in (-100, int(rng.choice([-1, -2])), int(rng.integers(50, 100))):
        b, t, c = int(rng.integers(2, 5)), int(rng.integers(4, 9)), int(rng.integers(3, 8))
        logits = torch.from_numpy(rng.normal(0, 2, (b, t, c)).astype(np.float32))
        tags = torch.from_numpy(rng.integers(0, c, (b, t)))
        for i in range(b):
            n = int(rng.integers(1, t + 1))
            tags[i, n:] = pad_tag
        tags[0, -1] = pad_tag
        noise = torch.from_numpy(rng.normal(0, 50, (b, t, c)).astype(np.float32))
        cases.append({"logits": logits, "tags": tags, "noise": noise, "pad_tag": pad_tag})
    return cases


def judge_loss(learner, reference, inputs, ctx):
    for i, (c, got) in enumerate(zip(inputs, learner.value, strict=True), start=1):
        mask = c["tags"] != c["pad_tag"]
        called = ("ner_loss(logits, tags)" if c["pad_tag"] == -100
                  else f"ner_loss(logits, tags, pad_tag={c['pad_tag']})")
        want = F.cross_entropy(c["logits"][mask].double(), c["tags"][mask])
        loss = got["loss"]
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            return Verdict(False, "type", "ner_loss must return a scalar loss tensor")
        if not close(got["noisy"], loss, rtol=1e-4, atol=1e-4):
            return Verdict(False, "value", f"case {i}, {called}: changing the logits at padding "
                                           "positions changed the loss — the loss must ignore "
                                           "tags == pad_tag (the argument, not a fixed -100)")
        if not close(loss, want, rtol=1e-4, atol=1e-4):
            return Verdict(False, "value", f"case {i}, {called}: expected the mean cross-entropy "
                                           "over the real tokens only (tags != pad_tag); off by "
                                           f"{abs(float(loss) - float(want)):.3g}")
        g = got["grad"]
        # not at_most(…, 0): a NaN gradient (0 * inf) is not a zero one
        if g is None or not at_most(float(g[~mask].abs().max()), 0.0):
            return Verdict(False, "grad", f"case {i}, {called}: padding positions must get zero "
                                          "gradient")
    return Verdict(True, "value")


def make_bio(rng: np.random.Generator):
    pred, gold = [], []
    for _ in range(6):
        g = bio_tags(rng, int(rng.integers(5, 12)))
        p = list(g)
        for j in range(len(p)):
            if rng.random() < 0.2:
                p[j] = str(rng.choice(["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG"]))
        pred.append(p)
        gold.append(g)
    pred.append(["I-PER", "I-PER", "O", "B-LOC", "I-PER"])  # I- without B- starts an entity
    gold.append(["B-PER", "I-PER", "O", "B-LOC", "B-PER"])
    # a type only the predictions have (every seed): its entry is (0.0, 0.0, 0.0)
    pred.append(["O", "B-MISC", "I-MISC", "O"])
    gold.append(["O", "O", "O", "O"])
    return {"pred": pred, "gold": gold}


def judge_bio(learner, reference, inputs, ctx):
    got = learner.value
    for seq, s in zip(inputs["pred"] + inputs["gold"], got["spans"], strict=True):
        want = sorted(ref_bio_spans(seq))
        if [tuple(x) for x in s] != want:
            return Verdict(False, "value", f"bio_spans on a {len(seq)}-tag sequence: expected "
                                           f"{len(want)} span(s) (type, start, end exclusive); "
                                           f"found {len(s)} / different spans")
    want = ref_entity_prf(inputs["pred"], inputs["gold"])
    if set(got["prf"]) != set(want):
        return Verdict(False, "value", f"entity_prf must have one entry per entity type seen in "
                                       f"predictions or gold ({sorted(want)}); found "
                                       f"{sorted(got['prf'])}")
    for k, v in want.items():
        if not close(got["prf"][k], v, rtol=0.0, atol=1e-6):
            return Verdict(False, "value", f"entity_prf[{k!r}]: (precision, recall, f1) are off; "
                                           "count exact span matches per type")
    return Verdict(True, "value")
