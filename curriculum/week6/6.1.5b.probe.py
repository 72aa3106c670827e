"""6.1.5b: what the checks measure inside the jail, next to the learner's code (data only)."""

import contextlib
import os
import shutil
import tempfile

import torch
import torch.nn as nn

from curriculum.probes.recorders import _acc, _made, need, recording
from curriculum.probes.rows import ModelMembers, training_forward, watch_entries


def loss(ns, cases):
    f, ppl = need(ns, "lm_loss"), need(ns, "perplexity")
    out = []
    for c in cases:
        v = f(c["logits"], c["tokens"])
        out.append({"loss": v.detach() if hasattr(v, "detach") else v,
                    "ppl": float(ppl(c["loss"]))})
    return out


def train(ns, d):
    import time

    from torch.optim.optimizer import register_optimizer_step_pre_hook
    torch.manual_seed(21)
    fn = need(ns, "train_lm")
    # the wall-clock of the whole call and of each optimizer step: tokens/s must lie between
    # tokens / the call's duration and tokens / the time from the first step to the last
    stamps = []
    hook = register_optimizer_step_pre_hook(lambda o, a, k: stamps.append(time.perf_counter()))
    # the rows of each training forward of the learner's MiniTransformerLM (its batch size;
    # however the model is entered, on any thread): batches of token ids
    sizes, lm = [], ModelMembers(owner=need(ns, "MiniTransformerLM"))

    def rows(module, args):
        x = args[0] if args else None
        if training_forward(module) and isinstance(x, torch.Tensor) and x.dim() >= 2 \
                and not x.is_floating_point():
            sizes.append(int(x.shape[0]))
    sizer = watch_entries(lm, rows)
    start = time.perf_counter()
    try:
        model, stats = recording(lambda: fn(d["train"], 16, num_steps=100,
                                            batch_size=d["batch_size"], lr=d["lr"]))
    finally:
        total = time.perf_counter() - start
        hook.remove()
        sizer.remove()
        lm.remove()
    model = model.cpu().eval()
    with torch.no_grad():
        logits = model(d["test"])
        # causality: the same rows with their tokens from a position k on replaced (the
        # judge compares the logits before k)
        causal = [model(d["cx"]), model(d["cy"])]
        # and in train mode, as train_lm ran it (dropout, a mask applied only when training):
        # the same random draws for both rows (reseeded), so only the tokens differ
        model.train()
        causal_train = []
        for x in (d["cx"], d["cy"]):
            torch.manual_seed(23)
            causal_train.append(model(x))
        model.eval()
    stats = dict(stats) if isinstance(stats, dict) else {}
    mask = None
    with contextlib.suppress(Exception):
        mask = need(ns, "causal_mask")(d["cx"].shape[1])
    return {"logits": logits, "acc": _acc, "causal": causal, "causal_train": causal_train,
            "lrs": [(m["cls"], m["lr"]) for m in _made if m["label"] == "optimizer"],
            "batch_sizes": sizes,
            "mask": mask if isinstance(mask, torch.Tensor) else None,
            "stats": {k: stats.get(k) for k in ("tokens_per_sec", "perplexity")},
            "total_s": total, "steps": len(stamps),
            "span_s": stamps[-1] - stamps[0] if len(stamps) > 1 else None}


def save(ns, d):
    torch.manual_seed(22)
    # a hidden vocabulary and sizes other than the defaults: load_lm must build the model
    # from vocab_size and **kwargs
    kwargs = dict(d["kwargs"])
    model = need(ns, "MiniTransformerLM")(d["vocab"], **kwargs)
    wrapped = nn.DataParallel(model)
    folder = tempfile.mkdtemp()
    x = d["x"]
    try:
        path = os.path.join(folder, "lm.pth")
        need(ns, "save_lm")(wrapped, path)
        state = torch.load(path)
        keys = sorted(str(k) for k in state) if isinstance(state, dict) else [type(state).__name__]
        if any(k.startswith("module.") for k in keys):
            # a right load_lm refuses these keys: the judge names the prefixes, not its error
            return {"keys": keys, "diff": None, "cls": None}
        try:
            loaded = need(ns, "load_lm")(path, d["vocab"], **kwargs)
        except Exception as exc:  # weights of other sizes than the model load_lm built
            return {"keys": keys, "diff": None, "cls": None, "error": type(exc).__name__}
        loaded.eval()
        model.eval()
        with torch.no_grad():
            out, want = loaded(x), model(x)
        if not isinstance(out, torch.Tensor) or out.shape != want.shape:
            return {"keys": keys, "diff": None, "cls": type(loaded).__name__,
                    "shape": list(out.shape) if isinstance(out, torch.Tensor) else None}
        diff = float((out - want).abs().max())
        return {"keys": keys, "diff": diff, "cls": type(loaded).__name__}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
