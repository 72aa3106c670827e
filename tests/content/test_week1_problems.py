"""Exercise 1.3 problems: wrong solutions fail on the check a teacher would expect."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def _sub(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


async def _grade_variant(grader, curriculum, exercise_id, old, new):
    source = _sub(curriculum.get(exercise_id).reference, old, new)
    return await grader.grade(exercise_id, source)


SOLVE = "    try:\n        x = torch.linalg.solve(A, b)\n"
RANK = "    if torch.linalg.matrix_rank(A) < A.shape[0]:\n"
MAY_FAIL = "may fail"  # a check this wrong answer may fail too, depending on the draw

# (exercise, old text, new text, {check id: expected kind})
WRONG_131 = [
    # hard-coded to the seed's example
    ("hardcoded", "def solve_linear_system(A, b):\n",
     "def solve_linear_system(A, b):\n    return torch.tensor([1.6, 1.8])\n",
     {"random_systems": ("dtype", "shape"), "singular": "value", "system_3x3": "shape"}),
    # right values by the wrong API; singular matrices raise LinAlgError, not ValueError
    ("inverse", SOLVE, "    try:\n        x = torch.inverse(A) @ b\n", {"random_systems": "api"}),
    # converts to float32: wrong dtype on the float64 hidden systems (and a nearly
    # singular hidden system may then solve instead of raising: that may fail too)
    ("float32", SOLVE, "    try:\n        x = torch.linalg.solve(A.float(), b.float())\n",
     {"random_systems": "dtype", "singular": MAY_FAIL}),
    ("no-valueerror", "raise ValueError(\"A is singular: its rank is below its size\")",
     "raise ArithmeticError(\"singular\")", {"singular": "type"}),
    # exact singularity tests: every job has a singular matrix that rounding leaves with a
    # tiny non-zero determinant, on which torch.linalg.solve returns instead of raising
    ("det-exact", RANK, "    if torch.linalg.det(A) == 0:\n", {"singular": "value"}),
    ("catch-only", RANK, "    if False:\n", {"singular": "value"}),
    ("verify-always-true", "    return torch.allclose(A @ x, b, atol=atol)\n",
     "    return True\n", {"verify": "value"}),
    ("3x3-typed-in", "    return solve_linear_system(A, b)\n",
     "    return torch.tensor([1.0, -1 / 3, 4 / 3])\n", {"system_3x3": "api"}),
    ("3x3-wrong-system", "[2.0, 1.0, 1.0]]", "[2.0, 1.0, -1.0]]", {"system_3x3": "value"}),
]


@pytest.mark.parametrize(("label", "old", "new", "expected"), WRONG_131,
                         ids=[w[0] for w in WRONG_131])
async def test_131_wrong_solutions(grader, curriculum, label, old, new, expected):
    result = await _grade_variant(grader, curriculum, "1.3.1", old, new)
    assert result["status"] == "failed", result
    failed = _failed(result)
    required = {c: k for c, k in expected.items() if k != MAY_FAIL}
    assert set(required) <= set(failed) <= set(expected), result["checks"]
    for check_id, kinds in required.items():
        assert failed[check_id] in (kinds if isinstance(kinds, tuple) else (kinds,)), failed


async def test_131_exact_det_test_fails_in_every_job(grader, curriculum):
    """`det == 0` passed about two jobs in three when every hidden singular matrix was an
    integer one; a matrix singular only up to rounding is now in every job, and the message
    names the rank test."""
    source = _sub(curriculum.get("1.3.1").reference, RANK, "    if torch.linalg.det(A) == 0:\n")
    for seed in (1, 2, 3, 4, 5, 6):
        result = await grader.grade("1.3.1", source, seed=seed)
        assert _failed(result) == {"singular": "value"}, (seed, result["checks"])
        message = next(c["message"] for c in result["checks"] if c["id"] == "singular")
        assert "det == 0" in message and "matrix_rank" in message, message


async def test_131_missing_function(grader, curriculum):
    result = await _grade_variant(grader, curriculum, "1.3.1", "def verify_solution(",
                                  "def verify_solution_renamed(")
    assert result["status"] == "error"
    assert _failed(result) == {"verify": "name"}


async def test_131_example_note_hint(grader, curriculum):
    result = await _grade_variant(grader, curriculum, "1.3.1", "    return x\n",
                                  "    return x if x.shape[0] != 2 or A.dtype != torch.float32 "
                                  "else torch.tensor([1.0, 3.0])\n")
    assert _failed(result) == {"example": "value"}
    msg = next(c["message"] for c in result["checks"] if c["id"] == "example")
    assert "note in the prompt" in msg and "1e-05" in msg


SEED = 20260101  # fixed job seed: hidden inputs are random per job

WRONG_132 = [
    ("evaluate-hardcoded", "    n = coefficients.shape[0]\n    powers",
     "    return torch.tensor([5.0, 9.0, 35.0, 101.0, 225.0])\n    n = coefficients.shape[0]\n"
     "    powers", {"evaluate": "shape"}),
    ("evaluate-float32", "    n = coefficients.shape[0]\n    powers",
     "    x, coefficients = x.float(), coefficients.float()\n    n = coefficients.shape[0]\n"
     "    powers", {"evaluate": "dtype"}),
    ("horner-reversed", "    for c in coefficients:\n", "    for c in coefficients.flip(0):\n",
     {"horner": "value", "derivative_eval": "value", "create": "value"}),
    ("create-typed-in", "    values = evaluate_polynomial(points, coefficients)\n"
     "    assert torch.allclose(values, horner_evaluation(points, coefficients))\n",
     "    values = torch.tensor([5.0, 9.0, 35.0, 101.0, 225.0])\n", {"create": "api"}),
    ("derivative-constant-empty",
     "    if n == 1:\n        return torch.zeros(1, dtype=coefficients.dtype)\n", "",
     {"derivative": "shape"}),
    ("derivative-off-by-one", "torch.arange(n - 1, 0, -1, dtype=coefficients.dtype)",
     "torch.arange(n, 1, -1, dtype=coefficients.dtype)",
     {"derivative": "value", "derivative_eval": "value"}),
    ("roots-hardcoded", "    c = coefficients.to(torch.float64)\n",
     "    return torch.tensor([-1.5626])\n    c = coefficients.to(torch.float64)\n",
     {"roots": "value"}),
    ("roots-unfiltered", "    real = eig.real[eig.imag.abs() < tol]\n", "    real = eig.real\n",
     {"roots": "value"}),
]


@pytest.mark.parametrize(("label", "old", "new", "expected"), WRONG_132,
                         ids=[w[0] for w in WRONG_132])
async def test_132_wrong_solutions(grader, curriculum, label, old, new, expected):
    source = _sub(curriculum.get("1.3.2").reference, old, new)
    result = await grader.grade("1.3.2", source, seed=SEED)
    assert result["status"] == "failed", result
    assert _failed(result) == expected, result["checks"]


ROT = "    c, s = torch.cos(theta), torch.sin(theta)\n"
WRONG_133 = [
    ("rotation-sign", "torch.stack([torch.stack([c, -s]), torch.stack([s, c])])",
     "torch.stack([torch.stack([c, s]), torch.stack([-s, c])])",
     {"rotation": "value", "pipeline": "value"}),
    ("rotation-math-module", ROT,
     "    c = torch.tensor(math.cos(theta.item()))\n    s = torch.tensor(math.sin(theta.item()))\n",
     {"rotation": "api"}),
    ("rotation-no-radians", "torch.tensor(math.radians(angle_degrees))",
     "torch.tensor(float(angle_degrees))", {"rotation": "value", "pipeline": "value"}),
    ("apply-no-transpose", "    return points @ transform_matrix.T\n",
     "    return points @ transform_matrix\n", {"apply": "value", "pipeline": "value"}),
    ("apply-float32", "    return points @ transform_matrix.T\n",
     "    return points.float() @ transform_matrix.float().T\n", {"apply": "dtype"}),
    ("apply-wrong-shape", "    return points @ transform_matrix.T\n",
     "    return (points @ transform_matrix.T).T\n", {"apply": "shape", "pipeline": "shape"}),
    ("combined-order", "scaling @ rotation", "rotation @ scaling", {"pipeline": "value"}),
    # hard-coded to the seed's 45°: hidden angles fail
    ("rotation-hardcoded-45", "    theta = torch.tensor(math.radians(angle_degrees))\n",
     "    theta = torch.tensor(math.radians(45))\n", {"rotation": "value"}),
]


@pytest.mark.parametrize(("label", "old", "new", "expected"), WRONG_133,
                         ids=[w[0] for w in WRONG_133])
async def test_133_wrong_solutions(grader, curriculum, label, old, new, expected):
    source = _sub(curriculum.get("1.3.3").reference, old, new)
    result = await grader.grade("1.3.3", source, seed=SEED)
    assert result["status"] == "failed", result
    assert _failed(result) == expected, result["checks"]


WRONG_134 = [
    ("population-std", '"std": torch.std(data),', '"std": torch.std(data, correction=0),',
     {"statistics": "value", "report": "value"}),
    ("median-is-mean", '"median": torch.median(data),', '"median": torch.mean(data),',
     {"statistics": "value", "report": "value"}),
    ("stats-hardcoded", "def calculate_statistics(data):\n",
     "def calculate_statistics(data):\n    return {'mean': 24.8714, 'std': 1.919, "
     "'median': 24.1, 'min': 22.5, 'max': 28.2}\n", {"statistics": "value", "report": "value"}),
    ("z-float32", "    return (data - torch.mean(data)) / torch.std(data)\n",
     "    data = data.float()\n    return (data - torch.mean(data)) / torch.std(data)\n",
     {"z_scores": "dtype", "report": "dtype"}),
    ("outliers-mask", "    return data[z.abs() > threshold]\n", "    return z.abs() > threshold\n",
     {"outliers": "value", "report": "shape"}),
    ("outliers-ignore-threshold", "    return data[z.abs() > threshold]\n",
     "    return data[z.abs() > 2.0]\n", {"outliers": "value"}),
    ("weeks-wrong-dim", "    mean = data.mean(dim=1)\n", "    mean = data.mean(dim=0)\n",
     {"weeks": "shape"}),
    ("weeks-most-stable-argmax", '"most_stable": int(torch.argmin(std)),',
     '"most_stable": int(torch.argmax(std)),', {"weeks": "value"}),
]


@pytest.mark.parametrize(("label", "old", "new", "expected"), WRONG_134,
                         ids=[w[0] for w in WRONG_134])
async def test_134_wrong_solutions(grader, curriculum, label, old, new, expected):
    source = _sub(curriculum.get("1.3.4").reference, old, new)
    result = await grader.grade("1.3.4", source, seed=SEED)
    assert result["status"] == "failed", result
    assert _failed(result) == expected, result["checks"]
