"""Audit of weeks 1–3 (findings F1, F4–F8): wrong verdicts and misleading messages.

Each test grades a submission the audit found mis-judged (or checks the hidden
cases behind the verdict on many seeds), so it fails on the old checks.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

ASYNC = pytest.mark.asyncio(loop_scope="session")

SEED = 4242


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def _message(result: dict, check_id: str) -> str:
    return next(c["message"] for c in result["checks"] if c["id"] == check_id)


def _checks_scope(curriculum, exercise_id: str) -> dict:
    """The exercise's checks module (its hidden-case generators), run here as the grader does."""
    scope: dict = {}
    exec(compile(curriculum.get(exercise_id).checks_source, f"{exercise_id}.checks.py", "exec"),
         scope)
    return scope


# --- F1: 3.1.1 variants 11–20 each need their own .requires_grad_() call ---------------

def _variant(source: str, k: int, code: str) -> str:
    """The reference with variant k's lines (``x_k = …`` and ``x_k.requires_grad_…``)
    replaced by ``code``."""
    pattern = re.compile(rf"^x_{k}\b.*\n(?:x_{k}\..*\n)?", re.M)
    assert pattern.search(source), k
    return pattern.sub(code.rstrip("\n") + "\n", source, count=1)


def _all_keyword(source: str, makes: dict[int, str]) -> str:
    for k, make in makes.items():
        source = _variant(source, k, f"x_{k} = {make}")
    return source


KEYWORD_11_TO_19 = {
    11: "torch.randn(3, 4, requires_grad=True)", 12: "torch.zeros(5, 5, requires_grad=True)",
    13: "torch.ones(2, 3, requires_grad=True)", 14: "torch.randn(10, requires_grad=True)",
    15: "torch.tensor(3.0, requires_grad=True)", 16: "torch.arange(10.0, requires_grad=True)",
    17: "torch.randn(1, 1, requires_grad=True)",
    18: "torch.linspace(0, 1, 11, requires_grad=True)", 19: "torch.eye(3, requires_grad=True)",
}


@ASYNC
async def test_3_1_1_one_requires_grad_call_does_not_cover_the_other_variants(grader,
                                                                              curriculum):
    """Audit 3.1.1_2: x_11…x_19 with the keyword, only x_20 calls the method."""
    source = _all_keyword(curriculum.get("3.1.1").reference, KEYWORD_11_TO_19)
    assert "x_20.requires_grad_(True)" in source
    result = await grader.grade("3.1.1", source, seed=SEED)
    assert _failed(result) == {f"x_{k}": "api" for k in range(11, 20)}
    assert "x_11.requires_grad_(True)" in _message(result, "x_11")


@ASYNC
async def test_3_1_1_setting_the_attribute_is_not_the_method(grader, curriculum):
    source = _variant(curriculum.get("3.1.1").reference, 13,
                      "x_13 = torch.ones(2, 3)\nx_13.requires_grad = True")
    result = await grader.grade("3.1.1", source, seed=SEED)
    assert _failed(result) == {"x_13": "api"}
    message = _message(result, "x_13")
    assert "sets the attribute" in message and "x_13.requires_grad_(True)" in message


@ASYNC
async def test_3_1_1_a_call_on_another_name_does_not_count(grader, curriculum):
    source = _variant(curriculum.get("3.1.1").reference, 14,
                      "t = torch.randn(10)\nt.requires_grad_(True)\nx_14 = t")
    result = await grader.grade("3.1.1", source, seed=SEED)
    assert _failed(result) == {"x_14": "api"}


@ASYNC
async def test_3_1_1_the_method_in_the_binding_or_on_the_name_passes(grader, curriculum):
    source = curriculum.get("3.1.1").reference
    source = _variant(source, 11, "x_11 = torch.randn(3, 4).requires_grad_(True)")
    source = _variant(source, 12, "x_12 = torch.zeros(5, 5)\nx_12 = x_12.requires_grad_()")
    source = _variant(source, 13, "x_13 = torch.ones(2, 3)\n_ = x_13.requires_grad_(True)")
    result = await grader.grade("3.1.1", source, seed=SEED)
    assert result["status"] == "passed", _failed(result)


# --- F4: 2.3.2a hidden tokens equal to the pad value ----------------------------------

VALUE_MASK = '''
import torch

def pad_sequences(sequences, max_length=None, pad_value=0):
    if max_length is None:
        max_length = max(len(s) for s in sequences)
    padded = torch.full((len(sequences), max_length), pad_value, dtype=torch.long)
    for i, seq in enumerate(sequences):
        n = min(len(seq), max_length)
        padded[i, :n] = seq[:n]
    return padded, (padded != pad_value).float()
'''


def test_2_3_2a_every_seed_has_real_tokens_equal_to_the_pad_value(curriculum):
    """A mask from the values (``padded != pad_value``) differs from the positional one
    on a hidden case of every seed."""
    scope = _checks_scope(curriculum, "2.3.2a")
    for seed in range(30):
        hidden = scope["make_cases"](np.random.default_rng(seed))[1:]
        caught = 0
        for args, kwargs in hidden:
            sequences = args[0]
            max_length = kwargs.get("max_length", args[1] if len(args) > 1 else None)
            pad = kwargs.get("pad_value", 0)
            keep = max_length or max(len(s) for s in sequences)
            caught += any(bool((s[:keep] == pad).any()) for s in sequences)
        assert caught >= 3, seed


@ASYNC
@pytest.mark.parametrize("seed", [0, 1, 2, SEED])
async def test_2_3_2a_a_mask_from_the_values_fails(grader, seed):
    result = await grader.grade("2.3.2a", VALUE_MASK, seed=seed)
    assert _failed(result) == {"pad_sequences": "value"}


# --- F5: 2.2.5 size-0 dims --------------------------------------------------------------

MAX_RULE = '''
import torch

def safe_add(t1, t2):
    try:
        return t1 + t2, None
    except RuntimeError as e:
        return None, str(e)

def broadcast_shape(shape1, shape2):
    n = max(len(shape1), len(shape2))
    a = [1] * (n - len(shape1)) + list(shape1)
    b = [1] * (n - len(shape2)) + list(shape2)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"{x} vs {y}")
        out.append(max(x, y))
    return tuple(out)
'''


def test_2_2_5_every_seed_has_size_0_dims_against_a_1(curriculum):
    scope = _checks_scope(curriculum, "2.2.5")
    for seed in range(30):
        pairs = scope["make_shape_cases"](np.random.default_rng(seed))
        zero_vs_one = [p for p in pairs if _broadcasts(*p)
                       and 0 in torch.broadcast_shapes(*p) and any(1 in s for s in p)]
        assert len(zero_vs_one) >= 2, seed
        clash = [p for p in pairs if any(0 in s for s in p) and not _broadcasts(*p)]
        assert clash, seed


def _broadcasts(a: tuple, b: tuple) -> bool:
    try:
        torch.broadcast_shapes(a, b)
    except RuntimeError:
        return False
    return True


@ASYNC
@pytest.mark.parametrize("seed", [0, 1, SEED])
async def test_2_2_5_max_of_the_sizes_fails(grader, seed):
    result = await grader.grade("2.2.5", MAX_RULE, seed=seed)
    assert _failed(result) == {"broadcast_shape": "value"}
    assert "a size 0 is not 1" in _message(result, "broadcast_shape")


@ASYNC
async def test_2_2_5_reference_handles_size_0(grader, curriculum):
    result = await grader.grade("2.2.5", curriculum.get("2.2.5").reference, seed=SEED)
    assert result["status"] == "passed", _failed(result)


# --- F6: 1.3.4 even-length weeks --------------------------------------------------------

def test_1_3_4_every_seed_has_an_even_week_whose_medians_differ(curriculum):
    scope = _checks_scope(curriculum, "1.3.4")
    for seed in range(30):
        cases = scope["inputs_stats"](np.random.default_rng(seed))
        assert torch.equal(cases[0][0], torch.tensor(scope["SEED_TEMPS"]))  # the example first
        lengths = [len(c[0]) for c in cases[1:]]
        assert all(7 <= n <= 15 for n in lengths), lengths
        even = [c[0] for c in cases[1:] if len(c[0]) % 2 == 0]
        assert any(abs(float(torch.median(d)) - float(torch.quantile(d, 0.5))) > 1e-3
                   for d in even), seed


@ASYNC
@pytest.mark.parametrize("seed", [0, 1, SEED])
async def test_1_3_4_an_averaged_median_fails(grader, curriculum, seed):
    source = curriculum.get("1.3.4").reference
    assert "torch.median(data)" in source
    source = source.replace("torch.median(data)", "torch.quantile(data, 0.5)", 1)
    result = await grader.grade("1.3.4", source, seed=seed)
    assert _failed(result) == {"statistics": "value"}
    message = _message(result, "statistics")
    assert "median" in message and "lower of the two middle values" in message


# --- F7: messages -----------------------------------------------------------------------

@ASYNC
async def test_1_3_3_messages_name_the_example_and_the_call_without_input(grader,
                                                                         curriculum):
    source = curriculum.get("1.3.3").reference
    assert "points @ transform_matrix.T" in source
    source = source.replace("points @ transform_matrix.T", "points @ transform_matrix")
    result = await grader.grade("1.3.3", source, seed=SEED)
    apply, pipeline = _message(result, "apply"), _message(result, "pipeline")
    assert "the example from the prompt" in apply and "hidden input #1" not in apply
    assert "`matrix_transformations()`" in pipeline and "hidden input" not in pipeline


@ASYNC
async def test_1_3_2_case_1_is_the_example_from_the_prompt(grader, curriculum):
    source = curriculum.get("1.3.2").reference
    source = re.sub(r"(def evaluate_polynomial\(x, coefficients\):\n(?:    .*\n)*?)"
                    r"(    return )", r"\1\2 1.0 + ", source, count=1)
    result = await grader.grade("1.3.2", source, seed=SEED)
    message = _message(result, "evaluate")
    assert "on the example from the prompt" in message and "hidden input #1" not in message


@ASYNC
async def test_1_3_4_the_course_week_is_the_example_from_the_prompt(grader, curriculum):
    source = curriculum.get("1.3.4").reference.replace("torch.median(data)",
                                                       "torch.mean(data)", 1)
    result = await grader.grade("1.3.4", source, seed=SEED)
    assert "the example from the prompt" in _message(result, "statistics")


UNCAUGHT_SOLVE = '''
import torch

def solve_linear_system(A, b):
    return torch.linalg.solve(A, b)

def verify_solution(A, x, b):
    return bool(torch.allclose(A @ x, b, atol=1e-5))

def solve_3x3_system():
    A = torch.tensor([[3., 2., -1.], [1., -1., 2.], [2., 1., 1.]])
    return solve_linear_system(A, torch.tensor([1., 4., 3.]))
'''


@ASYNC
async def test_1_3_1_torch_exceptions_are_named_by_their_public_name(grader):
    result = await grader.grade("1.3.1", UNCAUGHT_SOLVE, seed=SEED)
    message = _message(result, "singular")
    assert "raised torch.linalg.LinAlgError" in message and "_LinAlgError" not in message
    # raised by the module itself: the error cause and message use the public name too
    crash = UNCAUGHT_SOLVE + "\nsolve_linear_system(torch.zeros(2, 2), torch.ones(2))\n"
    result = await grader.grade("1.3.1", crash, seed=SEED)
    assert result["status"] == "error"
    assert result["cause"]["type"] == "torch.linalg.LinAlgError"
    assert "_LinAlgError" not in result["message"]


def test_public_names_of_private_torch_exceptions():
    from curriculum.judges.text import exception_name
    from grader.sandbox.harness import exception_type_name

    assert torch.linalg.LinAlgError.__name__ == "_LinAlgError"  # why the mapping exists
    assert exception_type_name(torch.linalg.LinAlgError) == "torch.linalg.LinAlgError"
    assert exception_name("_LinAlgError") == "torch.linalg.LinAlgError"
    assert exception_type_name(ValueError) == "ValueError"
    assert exception_name("ValueError") == "ValueError"

    class _LinAlgError(Exception):  # a learner's own class of that name is not torch's
        pass

    assert exception_type_name(_LinAlgError) == "_LinAlgError"


@ASYNC
async def test_2_1_5_dot_T_says_what_is_expected(grader, curriculum):
    source = curriculum.get("2.1.5").reference
    source = re.sub(r"^transpose_7 = .*$", "transpose_7 = t2.T", source, flags=re.M)
    source = re.sub(r"^transpose_11 = .*$", "transpose_11 = t4.permute(3, 1, 2, 0)", source,
                    flags=re.M)
    result = await grader.grade("2.1.5", source, seed=SEED)
    assert _failed(result) == {"transpose_7": "api", "transpose_11": "api"}
    message = _message(result, "transpose_7")
    assert "`transpose_7 = t2.transpose(0, 1)`" in message and "torch.randn" not in message
    assert "uses `.permute()` instead" in _message(result, "transpose_11")


# --- F8: 1.2.7 q1 says its indices are 0-based ------------------------------------------

@ASYNC
async def test_1_2_7_q1_wording_is_0_based_and_the_answer_unchanged(grader, curriculum):
    ex = curriculum.get("1.2.7")
    q1 = next(c for c in ex.checks if c.id == "q1")
    assert q1.args["expr"] == "x[2, 3, 4]"
    assert "page index 2, row index 3, column index 4" in ex.prompt
    assert "0-based" in ex.prompt and "page 2, row 3" not in ex.prompt + ex.summary
    ordinal = re.sub(r"^q1 = .*$", "q1 = x[1, 2, 3]", ex.reference, flags=re.M)
    result = await grader.grade("1.2.7", ordinal, seed=SEED)
    assert _failed(result) == {"q1": "value"}
