"""A probe's exception reaches the learner with a pointer when its text is one learners
cannot read: a None operand, a value cut off from the autograd graph."""

from __future__ import annotations

from grader.checks.base import Outcome


def _described(kind: str, message: str) -> str:
    return Outcome(error={"type": kind, "message": message,
                          "frames": [{"line": 32}]}).describe_error()


def test_a_none_operand_points_at_a_missing_return_or_a_non_leaf_grad():
    text = _described("TypeError", "unsupported operand type(s) for *: 'float' and 'NoneType'")
    assert text.startswith("TypeError: unsupported operand") and "(line 32)" in text
    assert "not a leaf" in text and "`return`" in text


def test_a_value_without_a_graph_points_at_python_numbers():
    text = _described("RuntimeError", "element 0 of tensors does not require grad and does "
                                      "not have a grad_fn")
    assert "math.sin" in text and ".item()" in text


def test_other_errors_are_shown_as_they_are():
    assert _described("ValueError", "bad shape") == "ValueError: bad shape (line 32)"
