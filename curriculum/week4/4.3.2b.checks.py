"""Checks of 4.3.2b (ImageClassifierWithCAM): logits, CAM shapes, CAM in [0, 1], CAM values."""

from grader.checks.base import Verdict

PROBE = '''
import torch
import torch.nn as nn
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
        want_c, f2 = _expected(m, x2, torch.full((b,), cls_idx, dtype=torch.long))
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
'''


def inputs(rng):
    """The seed's example (10 classes, 4 RGB images of 64x64) and three small random runs."""
    side = [16, 20, 24]
    runs = [{"b": 4, "c": 10, "ic": 3, "h": 64, "w": 64, "cls": int(rng.integers(0, 10)),
             "seed": int(rng.integers(1, 2**30))}]
    for ic in (1, 3, int(rng.choice([1, 3]))):
        c = int(rng.integers(2, 13))
        runs.append({"b": int(rng.integers(2, 4)), "c": c, "ic": ic, "h": int(rng.choice(side)),
                     "w": int(rng.choice(side)), "cls": int(rng.integers(0, c)),
                     "seed": int(rng.integers(1, 2**30))})
    return runs


def inputs_small(rng):
    """The three small random runs only (keeps the fast checks fast)."""
    return inputs(rng)[1:]


def _each(judge):
    """Run a one-configuration judge over every run; the first failure decides."""
    def run_all(learner, reference, inputs, ctx):
        for g, r, i in zip(learner.value, reference.value, inputs, strict=True):
            verdict = judge(g, r, i)
            if isinstance(verdict, Verdict):
                if not verdict.ok:
                    return verdict
            elif not verdict[0]:
                return verdict
        return True, ""
    return run_all


def _where(i):
    return (f"ImageClassifierWithCAM(num_classes={i['c']}, input_channels={i['ic']}) on images "
            f"of shape ({i['b']}, {i['ic']}, {i['h']}, {i['w']})")


def _logits(g, r, inputs):
    if g["logits"] != r["logits"]:
        return False, f"{_where(inputs)}: logits must have shape {tuple(r['logits'])}; got " \
                      f"{tuple(g['logits'])}"
    if g["logits_same"] > 1e-5:
        return False, "forward(x, return_cam=True) must return the same logits as forward(x)"
    if not g["hook_ok"]:
        return Verdict(False, "module", "`register_forward_hook` is no longer callable: do not "
                       "assign `self.register_forward_hook = True` (see errata) — it hides "
                       "nn.Module's method")
    if g["gap_diff"] > 1e-4:
        return Verdict(False, "module", "CAM needs logits = classifier(global average pool of "
                       "features(x)); "
                       "yours differ (keep `self.features`, global average pooling and "
                       "`self.classifier` = nn.Linear)")
    return True, ""


def _cam_range(g, r, inputs):
    for key, call in (("cam_shape", "forward(x, return_cam=True)"),
                      ("camc_shape", "generate_cam(x, class_idx)")):
        if g[key] != r[key]:
            return False, (f"{_where(inputs)}: {call} must give CAMs of shape (batch, H/4, W/4) ="
                           f" {tuple(r[key])}; got {tuple(g[key])}")
    for key in ("batch", "class"):
        lo, hi = g[key + "_min"], g[key + "_max"]
        if lo < -1e-6 or hi > 1 + 1e-6:
            return False, (f"{_where(inputs)}: CAM values must lie in [0, 1] (ReLU, then "
                           f"per-image min-max "
                           f"normalisation); found values in [{lo:.3g}, {hi:.3g}]")
    return True, ""


def _cam_values(g, r, inputs):
    for key, call in (("batch", "forward(x, return_cam=True) (predicted classes)"),
                      ("class", "generate_cam(x, class_idx) in eval() mode, called after a "
                                "forward on another batch")):
        d = g[key + "_diff"]
        if d is None or d > 1e-4:
            err = "shape mismatch" if d is None else f"max abs error {d:.3g} > 1e-4"
            return False, (f"{_where(inputs)}, {call}: the map must be ReLU(Σ_k w[class, k] · features(x)[k]) "
                           f"normalised to [0, 1] per image, computed from *this* x ({err})")
    return True, ""


judge_logits = _each(_logits)
judge_cam_range = _each(_cam_range)
judge_cam_values = _each(_cam_values)
