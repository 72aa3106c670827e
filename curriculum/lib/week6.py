"""Week 6 (speed challenges, syntax reference, capstone, final test): trusted helpers.

Synthetic data sets are generated here, on the trusted side, from the job's
seed; only inputs enter the sandbox, held-out labels stay in ``Hidden.secret``.

Several checks of one challenge share a single expensive probe (the training
run). The first check trains and its judge files the learner's outcome under
``ctx.secrets[SHARED]``; later checks use the cheap ``PROBE_NOTHING`` and read
that outcome (``shared``) instead of training again.
"""

from __future__ import annotations

import ast
import math

import numpy as np
import torch

from grader.checks.base import Verdict

SHARED = "_week6_shared"

PROBE_NOTHING = '''
def probe(ns, inputs):
    return None
'''

# Probe prelude: look a name up in the learner's namespace, NameError when missing.
PROBE_NEED = '''
def need(ns, name):
    if name not in ns:
        raise NameError(f"name '{name}' is not defined")
    return ns[name]
'''

# Probe prelude: a sequence model run three ways, to see whether padding changes
# its logits (padded batch, extra padding columns, each sequence on its own).
PROBE_PADDING_RUNS = '''
import torch
from torch.nn.utils.rnn import pad_sequence


def padding_runs(model, d):
    model.eval()
    seqs = d["seqs"]
    lengths = torch.tensor([len(s) for s in seqs])
    x = pad_sequence(seqs, batch_first=True)
    wider = torch.cat([x, torch.zeros(len(seqs), d["extra"], dtype=x.dtype)], dim=1)
    with torch.no_grad():
        batch = model(x, lengths)
        padded_more = model(wider, lengths)
        alone = torch.cat([model(s.unsqueeze(0), lengths[i:i + 1]) for i, s in enumerate(seqs)])
    return batch, padded_more, alone
'''

# A probe prelude: wrap torch.optim optimizers/schedulers to record how they were
# built, and a model hook that records (training, grad_enabled) per forward.
PROBE_RECORDERS = PROBE_NEED + '''
import torch as _t

_made = []


def _record_class(cls, label):
    orig = cls.__init__

    def init(self, *a, **k):
        orig(self, *a, **k)
        info = {"cls": type(self).__name__, "label": label}
        if label == "optimizer":
            info["lr"] = float(self.param_groups[0]["lr"])
            info["nparams"] = sum(p.numel() for g in self.param_groups for p in g["params"])
            watch_accumulation(self.param_groups[0]["params"][0])
        else:
            info.update({k2: v for k2, v in self.__dict__.items()
                         if k2 in ("step_size", "gamma") and isinstance(v, (int, float))})
        _made.append(info)
    cls.__init__ = init
    return orig


# backward passes seen on watched parameters, and how many of them added onto a
# gradient left over from an earlier backward (zero_grad() missing or ineffective)
_acc = {"backward": 0, "accumulated": 0}


def watch_accumulation(p):
    fresh = {}

    def pre(grad):
        fresh["g"] = grad.detach().clone()
        return grad

    def post(param):
        _acc["backward"] += 1
        g = fresh.pop("g", None)
        if g is not None and param.grad is not None and not _t.equal(param.grad, g):
            _acc["accumulated"] += 1
    if p.requires_grad:
        p.register_hook(pre)
        p.register_post_accumulate_grad_hook(post)


def recording(fn):
    saved = []
    for cls in {c for c in vars(_t.optim).values() if isinstance(c, type)
                and issubclass(c, _t.optim.Optimizer) and c is not _t.optim.Optimizer}:
        saved.append((cls, _record_class(cls, "optimizer")))
    sched = _t.optim.lr_scheduler
    for cls in {c for c in vars(sched).values() if isinstance(c, type)
                and issubclass(c, sched.LRScheduler) and c is not sched.LRScheduler}:
        saved.append((cls, _record_class(cls, "scheduler")))
    try:
        return fn()
    finally:
        for cls, orig in saved:
            cls.__init__ = orig


def mode_hook(model, log):
    def hook(mod, args):
        log.append((bool(mod.training), bool(_t.is_grad_enabled())))
    return model.register_forward_pre_hook(hook)
'''


def shared(ctx, key: str):
    return ctx.secrets.get(SHARED, {}).get(key)


def share(ctx, key: str, value) -> None:
    ctx.secrets.setdefault(SHARED, {})[key] = value


def _attr_calls(tree: ast.AST) -> list[tuple[int, int, str, str]]:
    """(line, col, attr, receiver source) for every ``x.attr(...)`` call."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            out.append((node.lineno, node.col_offset, node.func.attr,
                        ast.unparse(node.func.value)))
    return sorted(out)


def source_calls(source: str) -> set[str]:
    """Every called name in the source, both dotted (``torch.nn.utils.clip_grad_norm_``)
    and as a bare attribute (``.clip_grad_norm_``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute):
                names.add("." + f.attr)
                names.add(ast.unparse(f))
            elif isinstance(f, ast.Name):
                names.add(f.id)
        elif isinstance(node, ast.Attribute):
            names.add("@" + node.attr)
    return names


def uses(source: str, *wanted: str) -> bool:
    """True when any of ``wanted`` (``.step``, ``torch.no_grad``, ``clip_grad_norm_``) is called."""
    names = source_calls(source)
    for w in wanted:
        if w in names or ("." + w) in names or ("@" + w.lstrip(".")) in names:
            return True
        if any(n.endswith("." + w.lstrip(".")) for n in names):
            return True
    return False


def five_step_problem(source: str) -> str:
    """'' when the source calls zero_grad, backward and an optimizer's step in that
    order (the five-step pattern); otherwise what is missing or out of order."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"your code does not parse: {exc.msg}"
    calls = _attr_calls(tree)
    zero = [c for c in calls if c[2] == "zero_grad"]
    back = [c for c in calls if c[2] == "backward"]
    step = [c for c in calls if c[2] == "step" and "sched" not in c[3].lower()]
    missing = [n for n, found in (("optimizer.zero_grad()", zero), ("loss.backward()", back),
                                  ("optimizer.step()", step)) if not found]
    if missing:
        return ("the training loop must follow the five-step pattern (zero_grad → forward → "
                f"loss → backward → step); missing: {', '.join(missing)}")
    ordered = any(z[:2] < b[:2] < st[:2] for z in zero for b in back for st in step)
    if not ordered:
        return ("the five-step pattern is out of order: call optimizer.zero_grad() before "
                "loss.backward(), and optimizer.step() after it")
    return ""


def accumulation_problem(acc) -> str:
    """'' unless gradients piled up across optimizer steps (see PROBE_RECORDERS)."""
    if not isinstance(acc, dict) or not acc.get("backward"):
        return ""
    if acc["accumulated"] > 0:
        return (f"in {acc['accumulated']} of {acc['backward']} backward passes the gradient was "
                "added onto the previous step's: call optimizer.zero_grad() at the start of "
                "every step")
    return ""


def pattern_verdict(source: str, acc) -> Verdict | None:
    """The five steps in order (read from the source) and gradients zeroed between
    updates (recorded in the sandbox): the first thing every training check asks."""
    problem = five_step_problem(source)
    if problem:
        return Verdict(False, "api", problem)
    problem = accumulation_problem(acc)
    if problem:
        return Verdict(False, "train", problem)
    return None


def accuracy_verdict(pred, labels, threshold: float, what: str, kind: str = "train") -> Verdict:
    """Judge predictions (tensor/list of class ids) against hidden labels."""
    labels = torch.as_tensor(np.asarray(labels))
    if not isinstance(pred, torch.Tensor):
        return Verdict(False, "type", f"{what}: expected a tensor of predicted classes, found "
                                      f"{type(pred).__name__}")
    pred = pred.detach().cpu()
    if tuple(pred.shape) != tuple(labels.shape):
        return Verdict(False, "shape", f"{what}: expected predictions of shape "
                                       f"{tuple(labels.shape)}, found {tuple(pred.shape)}")
    acc = float((pred.long() == labels.long()).float().mean())
    if not acc >= threshold:
        return Verdict(False, kind, f"{what}: held-out accuracy {acc:.3f}, needs ≥ {threshold} — "
                                    "check that the model really trains (loss falling, "
                                    "optimizer.step() called, gradients zeroed each step)")
    return Verdict(True, kind, f"held-out accuracy {acc:.3f}")


def binary_f1(pred, labels) -> float:
    pred = np.asarray(pred).astype(int).ravel()
    labels = np.asarray(labels).astype(int).ravel()
    tp = int(((pred == 1) & (labels == 1)).sum())
    fp = int(((pred == 1) & (labels == 0)).sum())
    fn = int(((pred == 0) & (labels == 1)).sum())
    if tp == 0:
        return 0.0
    p, r = tp / (tp + fp), tp / (tp + fn)
    return 2 * p * r / (p + r)


def is_number(x) -> bool:
    if isinstance(x, torch.Tensor):
        return x.numel() == 1
    return isinstance(x, (int, float, np.floating, np.integer)) and not isinstance(x, bool)


def num(x) -> float:
    return float(x.item()) if isinstance(x, torch.Tensor) else float(x)


def finite(x) -> bool:
    return is_number(x) and math.isfinite(num(x))


# ---------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------

def blobs(rng: np.random.Generator, n: int, dim: int, classes: int, spread: float,
          centers: np.ndarray | None = None):
    """Gaussian class clusters: (X float32 tensor, y int64 ndarray, centers)."""
    if centers is None:
        centers = rng.normal(0.0, spread, (classes, dim))
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.normal(0.0, 1.0, (n, dim))
    return torch.from_numpy(x.astype(np.float32)), y.astype(np.int64), centers


def keyword_sequences(rng: np.random.Generator, n: int, classes: int, vocab: int,
                      min_len: int = 4, max_len: int = 16, keywords_per_class: int = 4,
                      filler_from: int | None = None):
    """Token-id sequences (no 0 = padding) whose class is marked by 2 keywords.

    Ids 1 … classes*keywords_per_class are the class keywords; the rest are filler.
    Returns (list of int64 tensors, labels ndarray).
    """
    first_filler = filler_from or classes * keywords_per_class + 1
    seqs, labels = [], []
    for _ in range(n):
        c = int(rng.integers(0, classes))
        length = int(rng.integers(min_len, max_len + 1))
        seq = rng.integers(first_filler, vocab, length)
        kw = 1 + c * keywords_per_class + rng.integers(0, keywords_per_class, 2)
        pos = rng.choice(length, 2, replace=False)
        seq[pos] = kw
        seqs.append(torch.from_numpy(seq.astype(np.int64)))
        labels.append(c)
    return seqs, np.asarray(labels, dtype=np.int64)


POSITIVE = ["good", "great", "excellent", "wonderful", "loved", "superb", "enjoyable", "brilliant"]
NEGATIVE = ["bad", "awful", "terrible", "boring", "hated", "poor", "dull", "disappointing"]
FILLER = [f"w{i}" for i in range(40)] + ["the", "movie", "film", "plot", "actors", "was", "and",
                                         "it", "a", "story", "very", "quite", "really"]


def review_texts(rng: np.random.Generator, n: int, mixed_case: bool = False):
    """Synthetic reviews: filler words plus 1–2 sentiment words; label 1 = positive."""
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(FILLER, int(rng.integers(3, 10))))
        pool = POSITIVE if label else NEGATIVE
        for _ in range(int(rng.integers(1, 3))):
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(pool)))
        if mixed_case:
            words = [w.upper() if rng.random() < 0.2 else w.capitalize() if rng.random() < 0.2
                     else w for w in words]
        texts.append(" ".join(str(w) for w in words))
        labels.append(label)
    return texts, np.asarray(labels, dtype=np.int64)


# ---------------------------------------------------------------------------
# NER (BIO tags)
# ---------------------------------------------------------------------------

NER_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def bio_tags(rng: np.random.Generator, n: int) -> list[str]:
    tags, i = [], 0
    while i < n:
        r = rng.random()
        if r < 0.55:
            tags.append("O")
            i += 1
            continue
        kind = "PER" if r < 0.8 else str(rng.choice(["LOC", "ORG"]))
        length = int(rng.integers(1, 4))
        for j in range(min(length, n - i)):
            tags.append(("B-" if j == 0 else "I-") + kind)
        i += length
    return tags[:n]


def ref_bio_spans(tags) -> set:
    spans, start, kind = set(), None, None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and kind == tag[2:]
        if start is not None and not inside:
            spans.add((kind, start, i))
            start, kind = None, None
        if tag.startswith("B-") or (tag.startswith("I-") and not inside):
            start, kind = i, tag[2:]
    return spans


def ref_entity_prf(pred_sequences, gold_sequences) -> dict:
    pred, gold = set(), set()
    for n, (p, g) in enumerate(zip(pred_sequences, gold_sequences, strict=True)):
        pred |= {(n, *s) for s in ref_bio_spans(p)}
        gold |= {(n, *s) for s in ref_bio_spans(g)}
    out = {}
    for kind in sorted({s[1] for s in pred | gold}):
        p = {s for s in pred if s[1] == kind}
        g = {s for s in gold if s[1] == kind}
        tp = len(p & g)
        pr = tp / len(p) if p else 0.0
        rc = tp / len(g) if g else 0.0
        out[kind] = (pr, rc, 2 * pr * rc / (pr + rc) if tp else 0.0)
    return out


def ner_sentences(rng: np.random.Generator, n: int, vocab: int = 60):
    """Token ids and tag ids (NER_TAGS): ids 1–10 are person-name words, 11–20 place
    words, the rest filler (O). Consecutive name words form one entity (B then I)."""
    seqs, tags = [], []
    for _ in range(n):
        length = int(rng.integers(4, 11))
        toks, tg = [], []
        while len(toks) < length:
            r = rng.random()
            if r < 0.6:
                toks.append(int(rng.integers(21, vocab)))
                tg.append(0)
                continue
            base, b = (1, 1) if r < 0.8 else (11, 3)
            for j in range(int(rng.integers(1, 3))):
                toks.append(int(rng.integers(base, base + 10)))
                tg.append(b if j == 0 else b + 1)
            if len(toks) < length:
                toks.append(int(rng.integers(21, vocab)))
                tg.append(0)
        seqs.append(torch.tensor(toks[:length]))
        tags.append(torch.tensor(tg[:length]))
    return seqs, tags
