"""6.1.3a: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch
from torch.nn.utils.rnn import pad_sequence

from curriculum.probes.need import need
from curriculum.probes.sizes import shape_of, sized_run


def pre(ns, d):
    build, num, tok = need(ns, "build_vocab"), need(ns, "numericalize"), need(ns, "tokenize")
    v1 = build(d["texts"])
    v2 = build(d["texts"], min_freq=d["min_freq"])
    return {"tokens": [tok(t) for t in d["texts"][:3]],
            "v1": dict(v1), "v2": dict(v2),
            "ids": [num(t, v1) for t in d["unseen"] + d["texts"][:2]]}


def model(ns, d):
    torch.manual_seed(5)
    model = need(ns, "SentimentModel")(40)
    model.eval()
    x = pad_sequence(d["seqs"], batch_first=True)
    wider = torch.cat([x, torch.zeros(len(x), d["extra"], dtype=x.dtype)], dim=1)
    with torch.no_grad():
        out = model(x)
        out_wide = model(wider)
        alone = [model(s.unsqueeze(0)) for s in d["seqs"]]
    kinds = [(type(m).__name__, getattr(m, "bidirectional", None), getattr(m, "batch_first", None),
              getattr(m, "padding_idx", "-")) for m in model.modules()]
    if not (isinstance(out, tuple) and len(out) == 2):
        return {"bad": type(out).__name__, "kinds": kinds}
    return {"probs": out[0], "weights": out[1], "probs_wide": out_wide[0],
            "weights_wide": out_wide[1], "alone": [a[0] for a in alone], "x": x, "kinds": kinds,
            "context_diff": _context_diff(model, x), "sized": _sized(ns, d["sized"])}


def _sized(ns, s):
    """The model built with hidden sizes (every argument other than the defaults): its layers'
    sizes and output shapes — an argument read nowhere shows up here."""
    model = need(ns, "SentimentModel")(s["vocab"], embed_dim=s["embed_dim"],
                                       hidden_dim=s["hidden_dim"])
    rec = sized_run(model, lambda m: m(s["x"]), params=False)
    if "out" in rec:
        out = rec.pop("out")
        rec["shapes"] = [shape_of(o) for o in out] if isinstance(out, tuple) and len(out) == 2 \
            else type(out).__name__
    return rec


def _context_diff(model, x):
    """How far the input of the last nn.Linear (the classifier) is from the attention-weighted
    sum of the LSTM outputs, with the weights the model returns (None: not comparable)."""
    seen = {}

    def lstm_hook(m, a, o):
        seen["lstm"] = o[0]

    def linear_hook(m, a, o):
        seen["fc_in"] = a[0]
    hooks = [m.register_forward_hook(lstm_hook) for m in model.modules()
             if isinstance(m, torch.nn.LSTM)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules()
              if isinstance(m, torch.nn.Linear)]
    try:
        with torch.no_grad():
            _, weights = model(x)
    finally:
        for h in hooks:
            h.remove()
    out = seen.get("lstm")
    if isinstance(out, torch.nn.utils.rnn.PackedSequence):
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                        total_length=x.size(1))
    fc_in = seen.get("fc_in")
    if not (isinstance(out, torch.Tensor) and isinstance(fc_in, torch.Tensor)
            and isinstance(weights, torch.Tensor) and out.dim() == 3
            and tuple(weights.shape) == tuple(out.shape[:2])):
        return None
    want = (weights.unsqueeze(-1) * out).sum(dim=1)
    if fc_in.shape != want.shape:
        return None
    return float((fc_in - want).abs().max())
