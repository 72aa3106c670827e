"""6.1.2: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils.data import DataLoader

from curriculum.probes.grader_weights import grader_outputs
from curriculum.probes.padding import padding_runs
from curriculum.probes.recorders import _acc, _made, mode_hook, need, recording
from curriculum.probes.rows import training_forward, watch_entries
from curriculum.probes.sizes import shape_of, sized_run


def arch(ns, d):
    cls = need(ns, "TextClassifier")
    default = cls()
    model = cls(vocab_size=10000, embed_dim=128, hidden_dim=64, num_classes=d["classes"])
    mods = []
    for m in model.modules():
        info = {"type": type(m).__name__}
        for k in ("num_embeddings", "embedding_dim", "padding_idx", "input_size", "hidden_size",
                  "batch_first", "bidirectional", "num_layers", "in_features", "out_features"):
            if hasattr(m, k):
                info[k] = getattr(m, k)
        mods.append(info)
    seqs = d["seqs"]
    x = pad_sequence(seqs, batch_first=True)
    lengths = torch.tensor([len(s) for s in seqs])
    model.eval()
    with torch.no_grad():
        out = model(x, lengths)
    # each sequence on its own (no padding: packing is the padding check's business)
    graded = grader_outputs(cls(vocab_size=10000, embed_dim=128, hidden_dim=64,
                                num_classes=d["classes"]),
                            lambda m: torch.cat([m(s.unsqueeze(0), torch.tensor([len(s)]))
                                                 for s in seqs]), 62)
    return {"mods": mods, "params": sum(p.numel() for p in model.parameters()),
            "default_params": sum(p.numel() for p in default.parameters()),
            "shape": list(out.shape), "graded": graded, "sized": _sized(cls, d["sized"])}


def _sized(cls, s):
    """The classifier built with hidden sizes (every argument other than the defaults): its
    layers' sizes, parameter count and output shape — an argument read nowhere shows here."""
    model = cls(vocab_size=s["vocab"], embed_dim=s["embed_dim"], hidden_dim=s["hidden_dim"],
                num_classes=s["classes"])
    seqs = s["seqs"]
    rec = sized_run(model, lambda m: m(pad_sequence(seqs, batch_first=True),
                                       torch.tensor([len(q) for q in seqs])))
    if "out" in rec:
        rec["shape"] = shape_of(rec.pop("out"))
    return rec


def padding(ns, d):
    torch.manual_seed(3)
    model = need(ns, "TextClassifier")(vocab_size=50, num_classes=3)
    batch, padded_more, alone = padding_runs(model, d)
    seqs = d["seqs"]
    collate = need(ns, "collate_batch")
    labels = list(range(len(seqs)))
    got = collate(list(zip(seqs, labels, strict=True)))
    return {"batch": batch, "padded_more": padded_more, "alone": alone,
            "collate": [t for t in got] if isinstance(got, (tuple, list)) else repr(got)[:80]}


def train(ns, d):
    torch.manual_seed(2)
    collate = need(ns, "collate_batch")
    model = need(ns, "TextClassifier")(vocab_size=60, embed_dim=32, hidden_dim=32,
                                        num_classes=3)
    train = DataLoader(list(zip(d["x"], d["y"], strict=True)), batch_size=32, shuffle=True,
                       collate_fn=collate)
    val = DataLoader(list(zip(d["xv"], d["yv"], strict=True)), batch_size=64, collate_fn=collate)
    fn = need(ns, "train_text_classifier")
    log, rows = [], []
    handle = mode_hook(model, log)

    def count(mod, args):
        # the rows of each training forward (train mode, gradients on; however the model is
        # entered, on any thread): 4 epochs of them. Token ids only (a layer entered on its
        # own with hidden values is no new batch)
        x = args[0] if args else None
        if training_forward(mod) and isinstance(x, torch.Tensor) and x.dim() \
                and not x.is_floating_point():
            rows.append(int(x.shape[0]))
    counter = watch_entries(model, count)
    steps = []  # optimizer steps: one per batch of train_loader, every epoch
    stepper = register_optimizer_step_pre_hook(lambda o, a, k: steps.append(1))
    try:
        history = recording(lambda: fn(model, train, val, num_epochs=4, lr=d["lr"]))
    finally:
        handle.remove()
        counter.remove()
        stepper.remove()
    model.eval()
    lengths = torch.tensor([len(s) for s in d["xt"]])
    with torch.no_grad():
        pred = model(pad_sequence(d["xt"], batch_first=True), lengths).argmax(dim=1)
    return {"pred": pred, "made": _made, "acc": _acc, "modes": sorted(set(log)),
            "rows": sum(rows), "steps": len(steps), "batches": len(train),
            # what it returned: the type of each history entry (one dict per epoch)
            "history": [type(h).__name__ for h in history] if isinstance(history, list)
            else type(history).__name__}
