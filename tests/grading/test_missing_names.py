"""The result's "Not defined:" line names what the learner must define — the functions and
classes the prompt asks for — not the grader's check ids (for 1.3.1 it said "verify,
system_3x3" for a submission without ``verify_solution`` and ``solve_3x3_system``).
A drill's check ids are its names, so its line is unchanged."""

from __future__ import annotations

import re

import pytest

from grader.grading import _bound_names, _missing_names

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _without(source: str, *names: str) -> str:
    """The reference with the top-level functions or classes ``names`` removed."""
    for name in names:
        start = re.search(rf"^(def|class) {name}\b", source, re.M).start()
        body = source.index("\n", start) + 1
        end = re.compile(r"^\S", re.M).search(source, body)
        source = source[:start] + (source[end.start():] if end else "")
    return source


async def test_a_drill_names_its_missing_bindings(grader):
    code = "import torch\nzeros_1 = torch.zeros(3, 4)\nzeros_2 = torch.zeros(2, 3, 4)\n"
    result = await grader.grade("1.1.1", code)
    assert result["status"] == "error"
    assert result["message"].startswith("Not defined: zeros_3, zeros_4, zeros_5"), result["message"]


async def test_a_problem_names_its_missing_functions(grader, curriculum):
    code = _without(curriculum.get("1.3.1").reference, "verify_solution", "solve_3x3_system")
    assert "def solve_linear_system" in code and "def verify_solution" not in code
    result = await grader.grade("1.3.1", code)
    assert result["status"] == "error"
    assert result["message"] == "Not defined: verify_solution, solve_3x3_system.", result
    assert {c["id"] for c in result["checks"] if c["kind"] == "name"} == {"verify", "system_3x3"}


async def test_a_class_and_its_training_function_are_both_named(grader):
    """6.1.1's training check stops at SpeedMLP, before it looks for train_model: both are
    named all the same."""
    result = await grader.grade("6.1.1", "import torch\n")
    assert result["status"] == "error"
    assert result["message"] == "Not defined: SpeedMLP, train_model.", result["message"]


async def test_only_the_names_still_missing_are_named(grader, curriculum):
    """6.1.1 with SpeedMLP but no train_model; 5.2.2 with nothing defined."""
    code = _without(curriculum.get("6.1.1").reference, "train_model")
    result = await grader.grade("6.1.1", code)
    assert result["message"] == "Not defined: train_model.", result["message"]
    result = await grader.grade("5.2.2", "import torch\n")
    assert result["message"] == ("Not defined: difficulty_scorer, create_curriculum_schedule, "
                                 "curriculum_training_loop."), result["message"]


async def test_a_name_the_source_may_bind_is_not_listed(curriculum):
    """Only a name the source never binds is added to the one the run stopped at (the run is
    the truth; the source is read for the others)."""
    from grader.checks import Outcome

    ex = curriculum.get("6.1.1")
    learner = {c.id: Outcome(error={"type": "NameError",
                                    "message": "name 'SpeedMLP' is not defined"})
               for c in ex.checks}
    entries = [{"kind": "name" if c.id != "validation" else "value"} for c in ex.checks]
    for source in ("globals()['train_model'] = print\n", "from helpers import *\n",
                   "def train_model():\n    pass\n", "train_model = None\n"):
        assert _missing_names(ex, learner, entries, source) == ["SpeedMLP"], source
    assert _missing_names(ex, learner, entries, "import torch\n") == ["SpeedMLP", "train_model"]
    assert "*" in _bound_names("def broken(:\n")


async def test_every_missing_name_is_named_up_to_the_cap(grader):
    """The chat folds the per-name check lines into this one line, so the line must
    name them all (it named 8 and ended ' ….' — the ninth was nowhere)."""
    result = await grader.grade("1.1.1", "import torch\nzeros_1 = torch.zeros(3, 4)\n")
    names = ", ".join(f"zeros_{i}" for i in range(2, 11))
    assert result["message"] == f"Not defined: {names}.", result["message"]



async def test_a_file_that_stopped_early_says_so_in_every_check_it_left_unchecked(
        grader, curriculum):
    """A syntax error (nothing ran) or an exception at module level (the file stopped
    there) left the names below it unbound: the checks say that, not "name 'f' is not
    defined" for a function the file defines."""
    source = curriculum.get("1.3.4").reference
    broken = source.replace("def ", "def (", 1)
    result = await grader.grade("1.3.4", broken)
    assert result["status"] == "error" and result["message"].startswith("SyntaxError on line")
    line = result["message"].split("on line ")[1].split(":")[0]
    named = [c for c in result["checks"] if c["kind"] == "name"]
    assert named and all(c["message"] == f"not checked: the file has a SyntaxError on line "
                                          f"{line}, so none of it ran" for c in named), named
    assert not any("is not defined" in c["message"] for c in result["checks"])

    result = await grader.grade("1.3.4", "  x = 1\n" + source)  # "an IndentationError"
    named = [c for c in result["checks"] if c["kind"] == "name"]
    assert named and all(c["message"] == "not checked: the file has an IndentationError on "
                                         "line 1, so none of it ran" for c in named), named

    first_def = source.index("\ndef ") + 1
    stopped = source[:first_def] + "x = 1 / 0\n" + source[first_def:]
    result = await grader.grade("1.3.4", stopped)
    assert result["status"] == "error", result
    named = [c for c in result["checks"] if c["kind"] == "name"]
    line = stopped[:first_def].count("\n") + 1
    assert named and all(c["message"] == "not checked: the file stopped with ZeroDivisionError "
                                         f"on line {line} before defining it" for c in named), named


async def test_a_hostile_exception_type_at_module_level_is_not_quoted_in_the_checks(grader):
    code = ("import torch\nzeros_1 = torch.zeros(3, 4)\n"
            "raise type('<!channel> @everyone', (Exception,), {})()\n")
    result = await grader.grade("1.1.1", code)
    named = [c for c in result["checks"] if c["kind"] == "name"]
    assert named and all(c["message"] == "not checked: the file stopped with an exception on "
                                         "line 3 before defining it" for c in named), named
