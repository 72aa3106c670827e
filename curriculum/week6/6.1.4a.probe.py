"""6.1.4a: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.need import need
from curriculum.probes.sizes import shape_of, sized_run


def model(ns, d):
    model = need(ns, "NERTagger")(30, d["tags"])
    model.eval()
    with torch.no_grad():
        out = model(d["x"])
        # each sentence is tagged on its own: the last one alone gets what it got in the batch
        alone = model(d["x"][-1:])
    kinds = [(type(m).__name__, getattr(m, "bidirectional", None),
              getattr(m, "padding_idx", "-")) for m in model.modules()]
    alone_diff = None
    if out.dim() == 3 and alone.shape == out[-1:].shape:
        alone_diff = float((out[-1] - alone[0]).abs().max())
    return {"shape": list(out.shape), "kinds": kinds, "alone_diff": alone_diff,
            "params": sum(p.numel() for p in model.parameters()), "sized": _sized(ns, d["sized"])}


def _sized(ns, s):
    """The tagger built with hidden sizes (every argument other than the defaults): its layers'
    sizes, parameter count and output shape — an argument read nowhere shows up here."""
    model = need(ns, "NERTagger")(s["vocab"], s["tags"], embed_dim=s["embed_dim"],
                                  hidden_dim=s["hidden_dim"])
    rec = sized_run(model, lambda m: m(s["x"]))
    if "out" in rec:
        rec["shape"] = shape_of(rec.pop("out"))
    return rec


def loss(ns, cases):
    loss_fn = need(ns, "ner_loss")
    out = []
    for c in cases:
        # the default pad_tag (-100), or another one passed by keyword
        kw = {} if c["pad_tag"] == -100 else {"pad_tag": c["pad_tag"]}
        logits = c["logits"].clone().requires_grad_(True)
        loss = loss_fn(logits, c["tags"].clone(), **kw)
        loss.backward()
        pad = (c["tags"] == c["pad_tag"]).unsqueeze(-1)
        noisy = torch.where(pad, c["noise"], c["logits"])
        loss2 = loss_fn(noisy, c["tags"].clone(), **kw)
        out.append({"loss": loss.detach(), "grad": logits.grad, "noisy": loss2.detach()})
    return out


def bio(ns, d):
    spans = need(ns, "bio_spans")
    prf = need(ns, "entity_prf")
    s = [sorted(tuple(x) for x in spans(list(seq))) for seq in d["pred"] + d["gold"]]
    r = prf([list(p) for p in d["pred"]], [list(g) for g in d["gold"]])
    return {"spans": s, "prf": {str(k): [float(x) for x in v] for k, v in dict(r).items()}}
