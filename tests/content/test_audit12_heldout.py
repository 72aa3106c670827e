"""Twelfth audit (held-out submissions, weeks 4–6): hidden cases that never told two
rules apart.

- 5.2.3: the ×1.5 patience needs the variance of the LAST 10 training losses above 0.1;
  every hidden history was uniform throughout, so the variance of the whole history gave
  the same answer and passed 8/8. A history that varied a lot earlier and barely in its
  last 10 now keeps the patience at 10.
- 6.1.3b: ``f1_score`` must be 0.0 when there is no true positive; the hidden cases had
  no positive prediction at all, or perfect ones, so one that divided by zero when every
  positive prediction is wrong passed 10/10. Such cases are now drawn too.
"""

from __future__ import annotations

from audit_support import audit_tests

SEEDS = (5, 23)

# (exercise, edits of the reference, failing check, fragments of its message)
WRONG = {
    "5.2.3-variance-of-the-whole-history": ("5.2.3", [
        ("torch.tensor(self.loss_history[-10:])", "torch.tensor(self.loss_history)")],
        "early_stopping", ["the earlier ones vary far more",
                           "the variance is that of the LAST 10 training losses"]),
    "6.1.3b-f1-divides-by-zero-when-every-positive-is-wrong": ("6.1.3b", [
        ("    if tp == 0:\n        return 0.0\n", "    if tp + fp == 0:\n        return 0.0\n")],
        "f1", ["ZeroDivisionError"]),
}

CORRECT = {
    "5.2.3-reference": ("5.2.3", []),
    "6.1.3b-reference": ("6.1.3b", []),
    "6.1.3b-f1-from-precision-and-recall-guarded": ("6.1.3b", [
        ("    if tp == 0:\n        return 0.0\n", "    if tp + fp == 0 or tp + fn == 0 or tp == 0:"
                                                  "\n        return 0.0\n")]),
}

test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS)
