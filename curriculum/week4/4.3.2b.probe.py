"""4.3.2b: what the checks measure inside the jail, next to the learner's code (data only)."""

import torch
import torch.nn.functional as F


def _x(shape, seed):
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=g)


def _expected(model, x, classes):
    f = model.features(x)
    w = model.classifier.weight[classes]
    cam = F.relu(torch.einsum("bk,bkhw->bhw", w, f))
    flat = cam.flatten(1)
    lo = flat.min(1).values.view(-1, 1, 1)
    hi = flat.max(1).values.view(-1, 1, 1)
    return torch.where(hi > lo, (cam - lo) / (hi - lo).clamp_min(1e-12), cam), f


def probe(ns, inputs):
    if "ImageClassifierWithCAM" not in ns:
        raise NameError("name 'ImageClassifierWithCAM' is not defined")
    return [_one(ns["ImageClassifierWithCAM"], run) for run in inputs]


def _one(cls, inputs):
    b, c, ic, h, w, cls_idx, seed = (inputs[k] for k in ("b", "c", "ic", "h", "w", "cls", "seed"))
    torch.manual_seed(seed)
    m = cls(num_classes=c, input_channels=ic)
    m.eval()
    with torch.no_grad():   # positive, large class weights: every CAM is non-trivial, and
        g = torch.Generator().manual_seed(seed + 3)   # an unnormalised one leaves [0, 1]
        cw = m.classifier.weight
        cw.copy_((torch.rand(cw.shape, generator=g) + 0.1) * 1e4)
    res = {"hook_ok": callable(getattr(m, "register_forward_hook", None))}
    x1, x2 = _x((b, ic, h, w), seed + 1), _x((b, ic, h, w), seed + 2)
    with torch.no_grad():
        logits = m(x1)
        y = m(x1, return_cam=True)
        if not isinstance(y, (tuple, list)) or len(y) != 2:
            raise TypeError("forward(x, return_cam=True) must return (logits, cam_maps)")
        logits2, cams = y
        cam_c = m.generate_cam(x2, cls_idx)          # after a forward on x1: no stale maps
        want_c, _ = _expected(m, x2, torch.full((b,), cls_idx, dtype=torch.long))
        want_b, f1 = _expected(m, x1, logits.argmax(1))
        gap = m.classifier(f1.mean(dim=(2, 3)))
    size = 1.0 + float(logits.abs().max())
    res.update({"logits": list(logits.shape),
                "logits_same": float((logits - logits2).abs().max()) / size,
                "cam_shape": list(cams.shape), "camc_shape": list(cam_c.shape)})
    for key, cam, want in (("batch", cams, want_b), ("class", cam_c, want_c)):
        res[key + "_min"], res[key + "_max"] = float(cam.min()), float(cam.max())
        res[key + "_diff"] = (float((cam.float() - want).abs().max())
                              if cam.shape == want.shape else None)
    res["gap_diff"] = float((gap - logits).abs().max()) / size
    return res
