"""6.1.5a: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch

from curriculum.probes.need import need


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

    def counting(*a, **k):
        calls.append(1)
        return orig(*a, **k)
    names = [n for n, v in ns.items() if v is orig]
    res = []
    for m in (plain, ckpt):
        torch.manual_seed(13)
        tuc.checkpoint = counting
        for n in names:
            ns[n] = counting
        try:
            calls.clear()
            out = m(d["x"])
        finally:
            tuc.checkpoint = orig
            for n in names:
                ns[n] = orig
        out.pow(2).mean().backward()
        res.append((out.detach(), torch.cat([p.grad.reshape(-1) for p in m.parameters()
                                             if p.grad is not None])))
    ck_calls = len(calls)
    same = res[0][1].shape == res[1][1].shape
    return {"lx": lx, "ly": ly, "lz": lz, "mask": mask, "ck_out": res[0][0] - res[1][0],
            "ck_calls": ck_calls,
            "ck_grad": float((res[0][1] - res[1][1]).abs().max()) if same else None}
