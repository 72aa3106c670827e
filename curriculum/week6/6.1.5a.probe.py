"""6.1.5a: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.need import need
from curriculum.probes.sizes import shape_of, sized_run


def probe(ns, d):
    cls = need(ns, "MiniTransformerLM")
    torch.manual_seed(11)
    model = cls(d["v"], d_model=32, n_heads=4, n_layers=2, max_len=64)
    model.eval()
    with torch.no_grad():
        lx, ly, lz = model(d["x"]), model(d["y"]), model(d["z"])
    mask = need(ns, "causal_mask")(d["x"].shape[1])
    # gradient checkpointing: same weights, same outputs and gradients
    torch.manual_seed(12)
    plain = cls(d["v"], d_model=32, n_heads=4, n_layers=2, max_len=64, use_checkpoint=False)
    ckpt = cls(d["v"], d_model=32, n_heads=4, n_layers=2, max_len=64, use_checkpoint=True)
    ckpt.load_state_dict(plain.state_dict())
    plain.train()
    ckpt.train()
    import torch.utils.checkpoint as tuc
    orig = tuc.checkpoint
    calls = []
    names = [n for n, v in ns.items() if v is orig]
    # which attention modules run inside a checkpoint() call during the forward pass (the
    # recomputation in backward runs them again, outside: only the forward counts)
    state = {"depth": 0, "forward": False}
    inside = []

    def counting(*a, **k):
        calls.append(1)
        state["depth"] += 1
        try:
            return orig(*a, **k)
        finally:
            state["depth"] -= 1

    def seen(mod, args):
        if state["forward"]:
            inside.append(state["depth"] > 0)
    hooks = [mod.register_forward_pre_hook(seen) for mod in ckpt.modules()
             if isinstance(mod, torch.nn.MultiheadAttention)]
    res = []
    for m in (plain, ckpt):
        torch.manual_seed(13)
        tuc.checkpoint = counting
        for n in names:
            ns[n] = counting
        try:
            calls.clear()
            state["forward"] = True
            out = m(d["x"])
        finally:
            state["forward"] = False
            tuc.checkpoint = orig
            for n in names:
                ns[n] = orig
        out.pow(2).mean().backward()
        res.append((out.detach(), torch.cat([p.grad.reshape(-1) for p in m.parameters()
                                             if p.grad is not None])))
    for h in hooks:
        h.remove()
    ck_calls = len(calls)
    # no dropout: two training-mode passes with different seeds give the same logits
    plain.train()
    with torch.no_grad():
        torch.manual_seed(21)
        first = plain(d["x"])
        torch.manual_seed(22)
        second = plain(d["x"])
    same = res[0][1].shape == res[1][1].shape
    return {"lx": lx, "ly": ly, "lz": lz, "mask": mask, "ck_out": res[0][0] - res[1][0],
            "defaults": _defaults(cls, d), "sized": _sized(cls, d["sized"]), "ck_calls": ck_calls,
            "ck_inside": inside, "n_layers": 2,
            "train_diff": float((first - second).abs().max()) if first.shape == second.shape
            else None,
            "ck_grad": float((res[0][1] - res[1][1]).abs().max()) if same else None}


def _defaults(cls, d):
    """The model built with no sizes given next to the one built with the contract's
    (d_model=32, n_heads=4, n_layers=2, max_len=64), from the same seed: the same defaults
    give the same parameters and the same logits."""
    import random
    models = []
    for kwargs in ({"d_model": 32, "n_heads": 4, "n_layers": 2, "max_len": 64}, {}):
        random.seed(14)
        torch.manual_seed(14)
        model = cls(d["v"], **kwargs)
        model.eval()
        models.append(model)
    with torch.no_grad():
        given, default = models[0](d["x"]), models[1](d["x"])
    return {"params": [sum(p.numel() for p in m.parameters()) for m in models],
            "diff": float((given - default).abs().max()) if given.shape == default.shape
            else None}


def _sized(cls, s):
    """The model built with hidden sizes (every argument other than the defaults), run on a
    batch as long as max_len: its layers' sizes and logits' shape; then built again from the
    same seed with one size changed at a time: an argument read nowhere changes nothing."""
    import random
    sizes = {k: s[k] for k in ("d_model", "n_heads", "n_layers", "max_len")}

    def build(**change):
        random.seed(15)
        torch.manual_seed(15)
        model = cls(s["v"], **{**sizes, **change})
        model.eval()
        return model
    rec = sized_run(build(), lambda m: m(s["x"]))  # a positional encoding of a hard-coded
    if "error" in rec:                              # length may not reach max_len
        return rec
    out = rec.pop("out")
    changed = {}
    for name, value in s["alt"].items():
        other = build(**{name: value})
        try:
            with torch.no_grad():
                got = other(s["x"])
        except Exception:
            got = None
        same = isinstance(got, torch.Tensor) and isinstance(out, torch.Tensor) \
            and got.shape == out.shape
        changed[name] = {"params": sum(p.numel() for p in other.parameters()),
                         "diff": float((got - out).abs().max()) if same else None}
    return {**rec, "changed": changed, "shape": shape_of(out)}


