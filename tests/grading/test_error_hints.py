"""A probe's exception reaches the learner with a pointer when its text is one learners
cannot read: a None operand, a value cut off from the autograd graph."""

from __future__ import annotations

import pytest

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


def test_a_target_out_of_bounds_points_at_padding_left_in():
    """6.1.4a with ``ignore_index=-100`` written in: another pad tag passed in reached
    ``F.cross_entropy``, which said only "Target -2 is out of bounds."."""
    text = _described("IndexError", "Target -2 is out of bounds.")
    assert text.startswith("IndexError: Target -2 is out of bounds. (line 32)"), text
    assert "ignore_index" in text and "pad value the function was given" in text


def test_a_lazy_layer_points_at_the_sized_layer_the_prompt_names():
    """4.2.1 with ``nn.LazyLinear(512)``: torch's words told the learner to call forward
    with a dummy batch, which is not what the exercise asks."""
    text = _described("ValueError", "Attempted to use an uninitialized parameter in <method "
                                    "'numel' of 'torch._C.TensorBase' objects>.")
    assert "lazy layer" in text and "nn.Linear(in_features, out_features)" in text, text


def test_other_errors_are_shown_as_they_are():
    assert _described("ValueError", "bad shape") == "ValueError: bad shape (line 32)"


def test_a_type_name_takes_its_article():
    """A message said "found a int": the article follows the name's sound."""
    from curriculum.judges.text import type_name, with_article

    assert type_name(3) == "an int" and type_name(2.5) == "a float"
    assert type_name({}) == "a dict" and type_name(Ellipsis) == "an ellipsis"
    assert [with_article(w) for w in ("int", "OrderedDict", "uint8", "Tensor", "object")] == [
        "an int", "an OrderedDict", "a uint8", "a Tensor", "an object"]


def test_no_message_template_puts_a_bare_a_before_a_type_name():
    """Every 'a {…}' in a judge or checks file is a count or goes through with_article (the
    templates that said "found a int", "could not read a int", "should be a …")."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bare = re.compile(r"\b[aA]n? \{(?!len\()")
    found = [f"{p.relative_to(root)}: {line.strip()}"
             for folder in ("curriculum", "grader/checks")
             for p in sorted((root / folder).rglob("*.py"))
             for line in p.read_text(encoding="utf-8").splitlines()
             if bare.search(line) and "-byte" not in line and "-tag" not in line]
    assert not found, found


@pytest.mark.asyncio(loop_scope="session")
async def test_an_int_where_a_tensor_belongs_is_called_an_int(grader):
    result = await grader.grade("1.1.9", "import torch\nq1 = 3\n")
    message = next(c["message"] for c in result["checks"] if c["id"] == "q1")
    assert message.endswith("found an int"), message
