"""Bad input gets a clear result or error — never a crash or a hang."""

from __future__ import annotations

import pytest

from grader.errors import UnknownExercise

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(("code", "fragment"), [
    ("", "empty"),
    ("   \n\t\n", "empty"),
    ("x = 1\x00", "NUL"),
    (b"zeros_1 = 1 # \xff\xfe", "UTF-8"),
    ("#" * (10 * 1024 * 1024), "limited to"),
    ("x" * (1024 * 1024), "limited to"),
])
async def test_rejected_before_running(grader, code, fragment):
    result = await grader.grade("1.1.1", code)
    assert result["status"] == "rejected"
    assert fragment in result["message"]
    assert result["score"] == 0 and all(c["status"] == "not_run" for c in result["checks"])


@pytest.mark.parametrize("code", [
    "x = " + "+".join(["0"] * 600),                  # a recursive AST walk would overflow
    "x = torch.zeros(1)" + ".T" * 900,
    "f = " + "lambda: " * 900 + "0",
    "x = " + "0 if 0 else " * 400 + "0",
])
async def test_deeply_nested_code_is_rejected_not_a_crash(grader, code):
    """1.2 KB of code nesting hundreds of levels: a clear verdict, not an internal error."""
    result = await grader.grade("1.1.1", "import torch\n" + code + "\n")
    assert result["status"] == "rejected", result
    assert "levels deep" in result["message"] and "Split it" in result["message"]


async def test_ordinary_nesting_still_grades(grader):
    code = "import torch\nzeros_1 = torch.zeros(3, 4)\nx = " + "+".join(["0"] * 100) + "\n"
    result = await grader.grade("1.1.1", code)
    assert result["status"] != "rejected" and result["checks"][0]["status"] == "passed"


async def test_no_names_defined(grader):
    result = await grader.grade("1.1.1", "import torch\nprint('hi')\n")
    assert result["status"] == "error"
    assert "zeros_1" in result["message"]
    assert {c["kind"] for c in result["checks"]} == {"name"}
    assert result["stdout"] == "hi\n"


async def test_syntax_error_names_the_line(grader):
    result = await grader.grade("1.1.1", "import torch\nzeros_1 = torch.zeros(3, 4\n")
    assert result["status"] == "error"
    assert result["message"].startswith("SyntaxError on line 2")


async def test_exception_names_type_and_line(grader):
    result = await grader.grade("1.1.1", "import torch\n\nzeros_1 = torch.zeros(3, 4)\n1 / 0\n")
    assert result["status"] == "error"
    assert "ZeroDivisionError on line 4" in result["message"]
    passed = [c["id"] for c in result["checks"] if c["status"] == "passed"]
    assert passed == ["zeros_1"]  # what ran before the error is still judged


async def test_unknown_exercise_suggests_close_ids(grader):
    with pytest.raises(UnknownExercise) as info:
        await grader.grade("1.1.99", "x = 1")
    assert "1.1.9" in info.value.suggestions or info.value.suggestions


async def test_result_json_shape(grader, curriculum):
    result = await grader.grade("1.1.1", curriculum.get("1.1.1").reference)
    assert set(result) >= {"exercise", "status", "score", "max_score", "checks", "stdout",
                           "duration_ms", "environment"}
    assert result["environment"]["torch"].startswith("2.")
    assert result["environment"]["device"] == "cpu"
    check = result["checks"][0]
    assert set(check) >= {"id", "kind", "status", "message", "points"}
