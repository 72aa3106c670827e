"""4.3.2b: what the checks measure inside the jail, next to the learner's code (data only).

Two things the contract fixes cannot be seen with PyTorch's random initialisation and
positive class weights: the architecture of ``features`` (a block without BatchNorm, one
conv per block or an average pool in place of a max pool keeps every shape), and the ReLU of
the CAM (on ReLU features, positive class weights give a sum that is never negative). So a
second model gets weights that depend only on each layer's place in the architecture
(``curriculum/probes/module_class.py``) and its ``features(x)`` is sent for comparison with
the reference's; and the CAMs are measured twice: with positive class weights (every CAM's
minimum is above 0, so a missing min-max normalisation shows) and with weights of both signs
chosen so that every image's weighted sum has negative parts (:func:`_mixed_signs`); then
with all class weights negative, so that every CAM is flat (all 0 after the ReLU: max == min,
where the contract leaves the map unnormalised — a division by max - min gives NaN).
"""

import torch
import torch.nn.functional as F

from curriculum.probes.module_class import _fill


def _x(shape, seed):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g)


def _expected(model, f, classes):
    """The CAM by its definition from the features ``f`` of the model's own ``features``."""
    w = model.classifier.weight[classes]
    cam = F.relu(torch.einsum("bk,bkhw->bhw", w, f))
    flat = cam.flatten(1)
    lo = flat.min(1).values.view(-1, 1, 1)
    hi = flat.max(1).values.view(-1, 1, 1)
    return torch.where(hi > lo, (cam - lo) / (hi - lo).clamp_min(1e-12), cam)


def probe(ns, inputs):
    if "ImageClassifierWithCAM" not in ns:
        raise NameError("name 'ImageClassifierWithCAM' is not defined")
    return [_one(ns["ImageClassifierWithCAM"], run) for run in inputs]


def _one(cls, inputs):
    b, c, ic, h, w, cls_idx, seed = (inputs[k] for k in ("b", "c", "ic", "h", "w", "cls", "seed"))
    torch.manual_seed(seed)
    m = cls(num_classes=c, input_channels=ic)
    m.eval()
    res = {"hook_ok": callable(getattr(m, "register_forward_hook", None))}
    x1, x2 = _x((b, ic, h, w), seed + 1), _x((b, ic, h, w), seed + 2)
    if inputs.get("arch"):
        res["arch"] = _architecture(cls(num_classes=c, input_channels=ic), x1, seed)
    # positive, large class weights: every CAM is non-trivial (its minimum above 0, so the
    # min-max normalisation shows), and an unnormalised one leaves [0, 1]
    p = _positive(m, seed)
    with torch.no_grad():
        logits = m(x1)
        y = m(x1, return_cam=True)
        if not isinstance(y, (tuple, list)) or len(y) != 2:
            raise TypeError("forward(x, return_cam=True) must return (logits, cam_maps)")
        logits2, _cams = y
        # eval mode: the features of x1 and x2 stay the same while the class weights change
        fs = (m.features(x1), m.features(x2))
        gap = m.classifier(fs[0].mean(dim=(2, 3)))
    size = 1.0 + float(logits.abs().max())
    res.update({"logits": list(logits.shape),
                "logits_same": float((logits - logits2).abs().max()) / size,
                "gap_diff": float((gap - logits).abs().max()) / size})
    res.update(_measure(m, (x1, x2), fs, cls_idx, ""))
    _mixed_signs(m, p, fs)   # then weights of both signs: the CAM's ReLU matters
    res.update(_measure(m, (x1, x2), fs, cls_idx, "relu_"))
    with torch.no_grad():  # then all negative: ReLU makes every CAM 0 (flat, max == min)
        m.classifier.weight.copy_((-p).to(m.classifier.weight.dtype))
    res.update(_measure(m, (x1, x2), fs, cls_idx, "flat_"))
    # the CAM methods leave the model's mode alone: one that switches to eval() and stays
    # there makes the training after it run without dropout and with running statistics
    res["mode_kept"] = {}
    for key, call in (("generate_cam", lambda: m.generate_cam(x1, cls_idx)),
                      ("return_cam", lambda: m(x1, return_cam=True))):
        m.train()
        with torch.no_grad():
            call()
        res["mode_kept"][key] = all(q.training for q in m.modules())
    m.eval()
    return res


def _measure(m, xs, fs, cls_idx, prefix):
    """Both kinds of CAM with the model's current class weights: shapes, range and the
    largest difference from the definition computed on the model's own features ``fs``."""
    (x1, x2), b = xs, xs[0].shape[0]
    with torch.no_grad():
        logits, cams = m(x1, return_cam=True)
        cam_c = m.generate_cam(x2, cls_idx)          # after a forward on x1: no stale maps
        want_c = _expected(m, fs[1], torch.full((b,), cls_idx, dtype=torch.long))
        want_b = _expected(m, fs[0], logits.argmax(1))
    res = {prefix + "cam_shape": list(cams.shape), prefix + "camc_shape": list(cam_c.shape)}
    for key, cam, want in (("batch", cams, want_b), ("class", cam_c, want_c)):
        key = prefix + key
        res[key + "_min"], res[key + "_max"] = float(cam.min()), float(cam.max())
        res[key + "_diff"] = (float((cam.float() - want).abs().max())
                              if cam.shape == want.shape else None)
    return res


def _positive(model, seed):
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed + 3)
        cw = model.classifier.weight
        p = (torch.rand(cw.shape, generator=g, dtype=torch.float64) + 0.1) * 1e4
        cw.copy_(p.to(cw.dtype))
    return p


def _architecture(model, x, seed):
    """``features(x)`` with the grader's weights in every layer (keyed by its place in the
    architecture, the same for the reference), the leaf layers in the order they ran, and
    the parameter count of ``features``. A conv written with ``bias=False`` before its
    BatchNorm (the usual style: the norm cancels a bias) is given one, so it compares with
    the reference's conv as the same layer."""
    feats = model.features
    ran = []
    leaves = [m for m in feats.modules() if not any(True for _ in m.children())]
    hooks = [m.register_forward_hook(lambda m, a, o: ran.append(m)) for m in leaves]
    model.eval()
    try:
        with torch.no_grad():
            feats(x)
    finally:
        for hk in hooks:
            hk.remove()
    for i, m in enumerate(ran):  # a conv bias before BatchNorm is cancelled by it: optional
        if isinstance(m, torch.nn.Conv2d) and m.bias is None and i + 1 < len(ran) \
                and isinstance(ran[i + 1], torch.nn.BatchNorm2d):
            m.bias = torch.nn.Parameter(torch.zeros(m.out_channels))
    _fill(model, ran, [], seed)
    with torch.no_grad():
        out = feats(x)
    return {"values": out.detach().clone() if isinstance(out, torch.Tensor) else None,
            "order": [type(m).__name__ for m in ran],
            "params": int(sum(p.numel() for p in feats.parameters()))}


def _mixed_signs(model, p, fs):
    """Large class weights of both signs: w = p − t·1 with ``p`` the positive ones and t per
    class between the ratios Σ p·F / Σ F seen in each image, so that every image's
    Σ w·F has positive and negative parts (and the CAM's ReLU changes it); where the
    images' ranges do not overlap, t is the median ratio."""
    with torch.no_grad():
        f = torch.cat(fs).double().flatten(2)                                 # (N, K, P)
        total = f.sum(1)                                                      # (N, P)
        ratio = torch.einsum("ck,nkp->cnp", p, f) / total
        live = (total > 0).expand_as(ratio)
        low = torch.where(live, ratio, torch.inf).amin(-1).amax(-1)          # (C,)
        high = torch.where(live, ratio, -torch.inf).amax(-1).amin(-1)
        median = torch.where(live, ratio, torch.nan).flatten(1).nanmedian(-1).values
        t = torch.nan_to_num(torch.where(low < high, (low + high) / 2, median), nan=0.0)
        cw = model.classifier.weight
        cw.copy_((p - t[:, None]).to(cw.dtype))
