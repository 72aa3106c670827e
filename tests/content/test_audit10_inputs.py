"""Tenth audit: functions that change the inputs they were given, and an argument only ever
tried at one value.

- Weeks 1–2 (``curriculum/probes/calls.py``): the probe deep-copied each case's arguments
  and never looked at them again, so ``pad_sequences`` that padded the caller's list in
  place passed. The probe now keeps an untouched copy and marks a case whose arguments
  changed (``"changed": "list"`` …); :func:`curriculum.judges.cases.each_case` fails it.
- 5.2.5: ``simulated_all_reduce`` that summed into the first worker's tensors (``+=``,
  ``/=``) passed; the probe now compares the gradients it handed over with saved copies.
  And one that divided by a typed-in 4 passed: every simulator had 4 workers. A second
  simulator with 3 workers (3 lists) must average over 3.
- 5.2.4: ``evaluate_adversarial_accuracy`` that called ``X.requires_grad_(True)`` on the
  caller's X passed (only ``generate_adversarial_examples`` was watched), and one that
  ignored its ``epsilon`` passed (only the default 0.1 was used). It is now checked for a
  changed X and called again at a hidden epsilon (0.25–0.35).
"""

from __future__ import annotations

import math

import torch
from audit_support import audit_tests

from curriculum.judges.cases import each_case
from curriculum.probes import calls
from grader.checks.base import Verdict

SEEDS = (3, 17)

_PAD_BODY = (
    "    batch_size = len(sequences)\n"
    "    padded = torch.full((batch_size, max_length), pad_value, dtype=sequences[0].dtype)\n"
    "    attention_mask = torch.zeros(batch_size, max_length)\n"
    "    for i, seq in enumerate(sequences):\n"
    "        n = min(len(seq), max_length)      # truncate sequences that are too long\n"
    "        padded[i, :n] = seq[:n]\n"
    "        attention_mask[i, :n] = 1\n"
    "    return padded, attention_mask\n")
_PAD_IN_PLACE = (
    "    masks = []\n"
    "    for i, seq in enumerate(sequences):\n"
    "        seq = seq[:max_length]\n"
    "        n = len(seq)\n"
    "        sequences[i] = torch.cat([seq, torch.full((max_length - n,), pad_value,\n"
    "                                                  dtype=seq.dtype)])\n"
    "        masks.append(torch.cat([torch.ones(n), torch.zeros(max_length - n)]))\n"
    "    return torch.stack(sequences), torch.stack(masks)\n")
_PAD_NEW_LIST = _PAD_IN_PLACE.replace("    masks = []\n", "    masks = []\n"
                                      "    sequences = list(sequences)\n")
_REDUCE = "            mean = torch.stack(grads).mean(dim=0)\n"
_REDUCE_IN_PLACE = ("            mean = grads[0]\n"
                    "            for g in grads[1:]:\n"
                    "                mean += g\n"
                    "            mean /= len(grads)\n")
_EVAL = "    adversarial = generate_adversarial_examples(model, X, y, epsilon)\n"
_EVAL_ON_X = ("    X.requires_grad_(True)\n"
              "    loss = F.cross_entropy(model(X), y)\n"
              "    (g,) = torch.autograd.grad(loss, X)\n"
              "    adversarial = torch.clamp(X + epsilon * g.sign(), 0, 1)\n")

# (exercise, edits of the reference, failing check, fragments its message must contain)
WRONG = {
    # passed: the probe's copy of the list was never compared after the call
    "2.3.2a-pads-the-callers-list": ("2.3.2a", [(_PAD_BODY, _PAD_IN_PLACE)], "pad_sequences", [
        "`pad_sequences` changed the list it was given (the example from the prompt)",
        "build a new one instead of changing the caller's"]),
    "2.3.2c-adds-the-bias-in-place": ("2.3.2c", [
        ("    return features + bias\n", "    features += bias\n    return features\n")],
        "batch_bias_addition", ["`batch_bias_addition` changed the tensor it was given",
                                "compute a new tensor"]),
    # passed: 1.3.1 and 2.2.5 read the case records themselves, not through each_case
    "1.3.1-verify-subtracts-from-the-callers-b": ("1.3.1", [
        ("    return torch.allclose(A @ x, b, atol=atol)\n",
         "    b.sub_(A @ x)\n    return bool((b.abs() <= atol).all())\n")],
        "verify", ["`verify_solution` changed the tensor it was given (hidden case "]),
    "2.2.5-safe-add-adds-into-the-callers-t1": ("2.2.5", [
        ("        result = t1 + t2\n", "        result = t1.add_(t2)\n")],
        "safe_add", ["`safe_add` changed the tensor it was given (hidden pair "]),
    # passed: the gradients handed over were copies nobody looked at
    "5.2.5-all-reduce-sums-into-the-workers-tensors": ("5.2.5", [(_REDUCE, _REDUCE_IN_PLACE)],
        "all_reduce", ["simulated_all_reduce changed the gradients it was given",
                       "compute the means in new tensors"]),
    # passed: every simulator had 4 workers
    "5.2.5-all-reduce-divides-by-a-typed-in-4": ("5.2.5", [
        (_REDUCE, "            mean = sum(grads) / 4\n")],
        "all_reduce", ["the all-reduce (3 workers) must return the mean of the 3 workers'",
                       "not a typed-in 4"]),
    # passed: only generate_adversarial_examples was watched for a changed input
    "5.2.4-evaluate-makes-the-callers-x-require-grad": ("5.2.4", [(_EVAL, _EVAL_ON_X)],
        "fgsm", ["evaluate_adversarial_accuracy changed the X it was given",
                 "X.clone().detach().requires_grad_(True)"]),
    # passed: evaluate was only called with the default epsilon 0.1
    "5.2.4-evaluate-ignores-epsilon": ("5.2.4", [
        (_EVAL, _EVAL.replace(", epsilon)", ")"))],
        "fgsm", ["evaluate_adversarial_accuracy called with epsilon=0.",
                 "pass the `epsilon` argument on to the attack"]),
}

# (exercise, edits of the reference): right, written another way
CORRECT = {
    "2.3.2a-reference": ("2.3.2a", []),
    "2.3.2a-pads-its-own-list": ("2.3.2a", [(_PAD_BODY, _PAD_NEW_LIST)]),
    "2.3.2c-adds-the-bias-in-place-on-a-copy": ("2.3.2c", [
        ("    return features + bias\n",
         "    out = features.clone()\n    out += bias\n    return out\n")]),
    "5.2.5-reference": ("5.2.5", []),
    "5.2.5-all-reduce-sums-into-a-new-tensor": ("5.2.5", [
        (_REDUCE, _REDUCE_IN_PLACE.replace("grads[0]\n", "grads[0].clone()\n"))]),
    "5.2.4-reference": ("5.2.4", []),
    "5.2.4-evaluate-on-a-copy-of-x": ("5.2.4", [
        (_EVAL, _EVAL_ON_X.replace("    X.requires_grad_(True)\n",
                                   "    X = X.clone().detach().requires_grad_(True)\n"))]),
}



test_wrong_solution_fails_with_its_cause, test_correct_solution_passes = audit_tests(
    WRONG, CORRECT, SEEDS, slow=False)


def _call(fn, cases, **probe_args):
    calls.PROBE_ARGS.clear()
    calls.PROBE_ARGS.update({"fn": "f", **probe_args})
    try:
        return calls.probe({"f": fn}, cases)
    finally:
        calls.PROBE_ARGS.clear()


def _nan_tensor():
    return torch.tensor([1.0, math.nan, 3.0])


def test_calls_marks_a_case_whose_arguments_changed():
    def scale(x):
        x.mul_(2)
        return x

    def append(xs):
        xs.append(0)
        return len(xs)

    def set_key(d):
        d["k"] = 1
        return 0

    def grad(x):
        x.requires_grad_(True)
        return 0

    assert _call(scale, [(torch.ones(2),)])[0]["changed"] == "tensor"
    assert _call(append, [([1, 2],)])[0]["changed"] == "list"
    assert _call(set_key, [({},)])[0]["changed"] == "dict"
    assert _call(grad, [(torch.ones(2),)])[0]["changed"] == "tensor"
    assert _call(scale, [((torch.ones(2),), {})], kwargs=True)[0]["changed"] == "tensor"
    assert _call(lambda xs: xs[0].mul_(2), [([torch.ones(2)],)])[0]["changed"] == "list"
    assert _call(lambda x=None: x.add_(1), [((), {"x": torch.ones(2)})],
                 kwargs=True)[0]["changed"] == "tensor"


def test_calls_leaves_unchanged_arguments_alone():
    def nan_sum(x, items, n, d):
        return torch.nansum(x) + len(items) + n + len(d)

    cases = [(_nan_tensor(), [_nan_tensor(), math.nan, "a", None], math.nan,
              {"a": (1, 2.5), "b": torch.arange(3)})]
    assert "changed" not in _call(nan_sum, cases)[0]  # NaN equals itself here
    assert "changed" not in _call(lambda x: x + 1, [(_nan_tensor(),)])[0]
    # something that cannot be compared counts as unchanged
    assert "changed" not in _call(lambda o: 0, [(object(),)])[0]
    # a comparison that raises can only be a hostile value put in the caller's data
    class Raises(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            raise RuntimeError("no")

    def swap(items):
        items[0] = torch.ones(2).as_subclass(Raises)
        return 0
    assert _call(swap, [([torch.ones(2)],)])[0]["changed"] == "list"
    # a contract that asks for in-place changes turns the check off
    assert "changed" not in _call(lambda x: x.mul_(2), [(torch.ones(2),)], mutates=True)[0]
    # the untouched case the grader sent is never changed
    sent = [(torch.ones(2),)]
    _call(lambda x: x.mul_(2), sent)
    assert torch.equal(sent[0][0], torch.ones(2))


class _Outcome:
    def __init__(self, value):
        self.value = value


def test_a_changed_input_fails_its_case_and_a_forged_mark_is_unreadable():
    ref = _Outcome([{"ok": 1}, {"ok": 2}])

    def same(found, expected, where):
        return None if found == expected else f"{where}: wrong"

    assert each_case(_Outcome([{"ok": 1}, {"ok": 2}]), ref, "f", same).ok
    verdict = each_case(_Outcome([{"ok": 1}, {"ok": 2, "changed": "list"}]), ref, "f", same)
    assert verdict == Verdict(False, "value", "`f` changed the list it was given (hidden "
                                              "input #2): build a new one instead of "
                                              "changing the caller's"), verdict
    odd = each_case(_Outcome([{"ok": 1, "changed": "thing"}, {"ok": 2}]), ref, "f", same)
    assert not odd.ok and "changed an argument it was given" in odd.message
    for forged in (True, 1, None, ["list"]):
        verdict = each_case(_Outcome([{"ok": 1, "changed": forged}, {"ok": 2}]), ref, "f", same)
        assert verdict == Verdict(False, "value", "could not read the results of `f`"), forged


def test_rewritten_5_2_5_reduce_records_fail(curriculum):
    from grader.grading import _checks_module

    checks = _checks_module(curriculum.get("5.2.5"))
    grads = [[torch.ones(5, 10), torch.ones(5)] for _ in range(4)]
    good = {"returned": [torch.ones(5, 10), torch.ones(5)],
            "grads": [torch.ones(5, 10), torch.ones(5)], "changed": False}
    inputs = {"worker_grads": grads, "worker_grads3": grads[:3]}
    judge = checks["judge_all_reduce"]
    assert judge(_Outcome({"reduce": {**good, "three": good}}), None, inputs, None).ok
    for three in (None, {**good, "changed": None}, {**good, "returned": "x"}, "x"):
        assert not judge(_Outcome({"reduce": {**good, "three": three}}), None, inputs, None).ok
    assert not judge(_Outcome({"reduce": {**good, "changed": 0, "three": good}}), None,
                     inputs, None).ok
    assert not judge(_Outcome({"reduce": "x"}), None, inputs, None).ok
