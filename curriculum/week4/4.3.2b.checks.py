"""Checks of 4.3.2b (ImageClassifierWithCAM): logits, CAM shapes, CAM in [0, 1], CAM values."""

from curriculum.judges.compare import at_least, at_most, mismatch
from curriculum.judges.modules import VALUE_ATOL, VALUE_RTOL
from grader.checks.base import Verdict

ARCHITECTURE = ("three blocks of (Conv2d 3×3 padding 1 → BatchNorm2d → ReLU) × 2 with 64, 128 "
                "and 256 channels, MaxPool2d(2, 2) after the first two blocks")


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
    """The three small random runs only (keeps the fast checks fast); the probe also sends
    ``features(x)`` with the grader's weights (``arch``)."""
    return [{**run, "arch": True} for run in inputs(rng)[1:]]


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
    if not at_most(g["logits_same"], 1e-5):
        return False, "forward(x, return_cam=True) must return the same logits as forward(x)"
    if not g["hook_ok"]:
        return Verdict(False, "module", "`register_forward_hook` is no longer callable: do not "
                       "assign `self.register_forward_hook = True` (see errata) — it hides "
                       "nn.Module's method")
    if not at_most(g["gap_diff"], 1e-4):
        return Verdict(False, "module", "CAM needs logits = classifier(global average pool of "
                       "features(x)); "
                       "yours differ (keep `self.features`, global average pooling and "
                       "`self.classifier` = nn.Linear)")
    if "arch" in r:
        bad = _architecture_problem(g.get("arch"), r["arch"], inputs)
        if bad:
            return Verdict(False, "module", bad)
    return True, ""


def _architecture_problem(got, ref, inputs):
    """``features(x)`` with the grader's weights (the same, layer by layer, in the learner's
    model and the reference) against the reference's: shapes alone pass a block without
    BatchNorm, one conv per block or an average pool for a max pool."""
    if not isinstance(got, dict):
        return f"could not read `features(x)` of {_where(inputs)} with the grader's weights"
    ran = " → ".join(map(str, got.get("order") or [])) or "no nn layers"
    if got.get("params") != ref["params"]:
        return (f"`self.features` must be {ARCHITECTURE} ({ref['params']:,} parameters for "
                f"input_channels={inputs['ic']}); yours has {got.get('params')!s} parameters "
                f"and ran {ran}")
    bad = mismatch(got.get("values"), ref["values"], rtol=VALUE_RTOL,
                   atol=VALUE_ATOL * max(float(ref["values"].abs().max()), 1e-3),
                   what="features(x)")
    if bad:
        return (f"{_where(inputs)}: the grader loaded the same weights into your model and the "
                f"reference; {bad}. `self.features` must compute {ARCHITECTURE} — check which "
                f"layers run, in which order, and the pooling kind (yours ran {ran})")
    return None


_SIGNS = {"": "", "relu_": " with class weights of both signs (where the ReLU matters)",
          "flat_": " with every class weight negative (each CAM is flat: all 0 after the ReLU, "
                   "max == min)"}
_FLAT = ("a flat CAM (max == min) is not normalised — the contract divides by max - min only "
         "when max > min; dividing by 0 gives NaN")


def _cam_range(g, r, inputs):
    for prefix, signs in _SIGNS.items():
        for key, call in (("cam_shape", "forward(x, return_cam=True)"),
                          ("camc_shape", "generate_cam(x, class_idx)")):
            if g[prefix + key] != r[prefix + key]:
                return False, (f"{_where(inputs)}: {call} must give CAMs of shape (batch, H/4, "
                               f"W/4) = {tuple(r[prefix + key])}; got {tuple(g[prefix + key])}")
        for key in ("batch", "class"):
            lo, hi = g[prefix + key + "_min"], g[prefix + key + "_max"]
            if not (at_least(lo, -1e-6) and at_most(hi, 1 + 1e-6)):
                rule = _FLAT if prefix == "flat_" else "ReLU, then per-image min-max " \
                                                       "normalisation"
                return False, (f"{_where(inputs)}{signs}: CAM values must lie in [0, 1] "
                               f"({rule}); found values in [{lo}, {hi}]")
    for key, call in (("generate_cam", "generate_cam(x, class_idx)"),
                      ("return_cam", "forward(x, return_cam=True)")):
        if (g.get("mode_kept") or {}).get(key, True) is False:
            return False, (f"{_where(inputs)}: {call}, called in train() mode, left the model "
                           "(or a layer of it) in eval() mode; computing a CAM must not change "
                           "the model's mode — the training after it would normalise with "
                           "BatchNorm's running statistics instead of the batch's. Leave the mode "
                           "alone (or restore it: `was = self.training; ...; "
                           "self.train(was)`)")
    return True, ""


def _cam_values(g, r, inputs):
    for prefix, signs in _SIGNS.items():
        for key, call in (("batch", "forward(x, return_cam=True) (predicted classes)"),
                          ("class", "generate_cam(x, class_idx) in eval() mode, called after a "
                                    "forward on another batch")):
            d = g[prefix + key + "_diff"]
            if not at_most(d, 1e-4):
                err = "shape mismatch" if d is None else f"max abs error {d} > 1e-4"
                rule = f" — {_FLAT}" if prefix == "flat_" else ""
                return False, (f"{_where(inputs)}, {call}{signs}: the map must be "
                               "ReLU(Σ_k w[class, k] · features(x)[k]) normalised to [0, 1] "
                               f"per image (minus its min, over max - min, when max > min), "
                               f"computed from *this* x ({err}){rule}")
    return True, ""


judge_logits = _each(_logits)
judge_cam_range = _each(_cam_range)
judge_cam_values = _each(_cam_values)
