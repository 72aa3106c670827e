"""Thirteenth audit (held-out mutants, weeks 1, 2 and 5): hidden cases that never reached
the contract's edge.

- 1.3.2: ``find_roots`` must return an empty tensor for a polynomial with no real root;
  every hidden polynomial had one, so a ``torch.stack`` of the kept roots (which raises on
  none) passed. A polynomial with no real root is now drawn too. The reference kept a
  repeated root twice (the contract says distinct); it now keeps it once.
- 2.3.1c: only ``L < window_size`` gives no window; no hidden sequence was exactly as long
  as the window, so ``L <= window_size`` passed. Such a sequence is now drawn.
- 5.2.2: the schedule's thirds (``epoch < num_epochs // 3``) and counts
  (``int(0.4 * n)``) were only tried on 6 / 12 epochs and n = 300, where ceil and round
  agree with them. A second schedule, num_epochs not a multiple of 3 and n whose 40 % and
  70 % are not whole, is now judged.
"""

from __future__ import annotations

from audit_support import audit_tests

SEEDS = (5, 23)

_ROOTS = ("    real = eig.real[eig.imag.abs() < tol]\n"
          "    return torch.sort(real).values")

# (exercise, edits of the reference, failing check, fragments of its message)
WRONG = {
    "1.3.2-roots-stacked-raises-on-no-real-root": ("1.3.2", [
        (_ROOTS, "    real = [e.real for e in eig if abs(e.imag) < tol]\n"
                 "    return torch.sort(torch.stack(real)).values")],
        "roots", ["no real root", "return an empty 1-D tensor"]),
    "2.3.1c-no-window-when-L-equals-the-window": ("2.3.1c", [
        ("if length < window_size:", "if length <= window_size:")],
        "create_sliding_windows", ["only L < window_size gives none"]),
    "5.2.2-thirds-rounded-up": ("5.2.2", [
        ("if epoch < num_epochs // 3:", "if epoch < -(-num_epochs // 3):"),
        ("elif epoch < 2 * num_epochs // 3:", "elif epoch < 2 * (num_epochs // 3):")],
        "scoring", ["not a multiple of 3", "epoch < num_epochs // 3"]),
    "5.2.2-counts-rounded": ("5.2.2", [
        ("count = int(0.4 * total)", "count = round(0.4 * total)"),
        ("count = int(0.7 * total)", "count = round(0.7 * total)")],
        "scoring", ["int(0.4 * n)", "round down"]),
}

CORRECT = {
    "1.3.2-reference": ("1.3.2", []),
    "1.3.2-roots-from-a-list": ("1.3.2", [
        (_ROOTS, "    real = [e.real for e in eig if abs(e.imag) < tol]\n"
                 "    return torch.sort(torch.tensor(real, dtype=torch.float64)).values")]),
    "1.3.2-roots-unique-exactly-real": ("1.3.2", [
        (_ROOTS, "    return torch.unique(eig.real[eig.imag == 0])")]),
    "2.3.1c-reference": ("2.3.1c", []),
    "2.3.1c-stacked-slices": ("2.3.1c", [
        ("    windows = sequence.unfold(1, window_size, stride)",
         "    starts = range(0, length - window_size + 1, stride)\n"
         "    return torch.stack([sequence[:, s:s + window_size, :] for s in starts],\n"
         "                       dim=1)\n"
         "    windows = sequence.unfold(1, window_size, stride)")]),
    "5.2.2-reference": ("5.2.2", []),
    "5.2.2-integer-arithmetic": ("5.2.2", [
        ("if epoch < num_epochs // 3:", "if 3 * (epoch + 1) <= num_epochs:"),
        ("elif epoch < 2 * num_epochs // 3:", "elif 3 * (epoch + 1) <= 2 * num_epochs:"),
        ("count = int(0.4 * total)", "count = total * 4 // 10"),
        ("count = int(0.7 * total)", "count = total * 7 // 10")]),
}

test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS)


def test_1_3_2_reference_keeps_a_repeated_root_once(curriculum):
    import torch

    namespace: dict = {}
    exec(compile(curriculum.get("1.3.2").reference, "1.3.2.ref.py", "exec"), namespace)
    for coefficients, roots in (([1.0, -2.0, 1.0], [1.0]), ([2.0, -6.0, 0.0, 8.0], [-1.0, 2.0])):
        found = namespace["find_roots"](torch.tensor(coefficients, dtype=torch.float64))
        assert torch.allclose(found, torch.tensor(roots, dtype=torch.float64), atol=1e-6), found
