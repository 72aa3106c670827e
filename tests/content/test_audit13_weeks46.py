"""Thirteenth audit (held-out submissions, weeks 4–6): contract rules no hidden case
exercised.

- 4.3.2b: a CAM is min-max normalised only "when max > min"; no hidden case gave a flat CAM,
  so an unguarded division by max - min (NaN) passed. The CAMs are now also measured with
  every class weight negative (ReLU makes each CAM all 0).
- 6.2.1: precision / recall are 0 where a class is never predicted / never present; every
  hidden case predicted and held every class, so dropping the clamp (0/0 = NaN) passed. Two
  cases (a class never predicted, a class never present) are now drawn after the first.
- 4.3.1a: ``recent_grad_norms`` holds the last 10 grad norms; a long run of 11 batches has
  exactly 10 (the first batch has no gradient), so ``[-11:]`` passed on such draws. The long
  run now always has 12 or more batches.
- final.1: ``ds[i]`` is ``(features[i] as float32, labels[i] as int64)``; the hidden inputs were
  float32 / int64 already, so dropping either cast passed. A dataset of float64 features and
  int32 labels is now read too, and an item of the wrong form is named instead of "could not
  judge what your code produced".
"""

from __future__ import annotations

from audit_support import audit_tests

SEEDS = (7, 23)   # on 7 the long 4.3.1a run drew 11 batches (exactly 10 grad norms)

_CAM = "torch.where(span > 0, (cam - lo) / span.clamp_min(1e-12), cam)"
_F32 = ("torch.as_tensor(features, dtype=torch.float32)", "torch.as_tensor(features)")
_I64 = ("torch.as_tensor(labels, dtype=torch.long)", "torch.as_tensor(labels)")

# (exercise, edits of the reference, failing check, fragments of its message)
WRONG = {
    "4.3.2b-flat-cam-divided-by-zero": ("4.3.2b", [(_CAM, "(cam - lo) / span")],
                                        "cam_range", ["max == min", "dividing by 0 gives NaN"]),
    "6.2.1-precision-nan-when-never-predicted": ("6.2.1", [
        ("tp / confusion.sum(0).clamp(min=1)", "tp / confusion.sum(0)")],
        "evaluation", ["is never predicted", "its precision must be 0", "nan"]),
    "6.2.1-recall-nan-when-never-present": ("6.2.1", [
        ("tp / confusion.sum(1).clamp(min=1)", "tp / confusion.sum(1)")],
        "evaluation", ["is never present", "its recall must be 0", "nan"]),
    "4.3.1a-last-11-grad-norms": ("4.3.1a", [
        ("self.grad_norms[-10:]", "self.grad_norms[-11:]")],
        "tracked", ["recent_grad_norms", "expected a list of 10 values"]),
    "final.1-features-not-cast-to-float32": ("final.1", [_F32], "model_data", [
        "the features must be a float32 tensor", "float64 features", "dtype float64"]),
    "final.1-labels-not-cast-to-int64": ("final.1", [_I64], "model_data", [
        "the label must be an int64 tensor", "int32 labels", "dtype int32"]),
    "final.1-unlabelled-item-a-tuple": ("final.1", [
        ("            return self.features[idx]\n",
         "            return self.features[idx], None\n")],
        "model_data", ["without labels ds[i] must be features[i] alone"]),
    "final.1-labelled-item-without-its-label": ("final.1", [
        ("return self.features[idx], self.labels[idx]", "return self.features[idx], None")],
        "model_data", ["a (features, label) pair", "return labels[i] too"]),
}

CORRECT = {
    "4.3.2b-reference": ("4.3.2b", []),
    "4.3.2b-zeros-for-a-flat-cam": ("4.3.2b", [
        (_CAM, "torch.where(span > 0, (cam - lo) / span, torch.zeros_like(cam))")]),
    "4.3.2b-epsilon-in-the-division": ("4.3.2b", [(_CAM, "(cam - lo) / (span + 1e-12)")]),
    "6.2.1-reference": ("6.2.1", []),
    "6.2.1-nan-to-num": ("6.2.1", [
        ("tp / confusion.sum(0).clamp(min=1)", "torch.nan_to_num(tp / confusion.sum(0))"),
        ("tp / confusion.sum(1).clamp(min=1)", "torch.nan_to_num(tp / confusion.sum(1))")]),
    "4.3.1a-reference": ("4.3.1a", []),
    "4.3.1a-last-10-by-index": ("4.3.1a", [
        ("self.grad_norms[-10:]", "self.grad_norms[max(0, len(self.grad_norms) - 10):]")]),
    "final.1-reference": ("final.1", []),
    "final.1-cast-on-read": ("final.1", [
        _F32, _I64,
        ("return self.features[idx], self.labels[idx]",
         "return self.features[idx].float(), self.labels[idx].long()"),
        ("            return self.features[idx]\n",
         "            return self.features[idx].float()\n")]),
}

test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS)
