"""Checks of 1.3.3 (matrix transformations): the seed's 45° rotation, (2, 0.5) scaling
and unit square, then hidden random angles, scales, point sets and matrices.
"""

import math

import torch

from curriculum.judges.cases import NO_ARGUMENTS, each_case
from curriculum.judges.source import binding_calls
from curriculum.judges.values import tensor_problem
from grader.checks.base import Verdict

UNIT_SQUARE = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]


def inputs_rotation(rng):
    return [(45,), (round(float(rng.uniform(-360, 0)), 2),), (int(rng.integers(91, 359)),),
            (round(float(rng.uniform(360, 720)), 2),)]


def inputs_scaling(rng):
    """(2, 0.5), three hidden float pairs and one pair of ints (in a random place among
    the hidden ones): the matrix is a float tensor whatever the scales' Python type, so
    ``torch.tensor([[scale_x, 0], [0, scale_y]])`` (int64 for ints) fails."""
    hidden = [(round(float(rng.uniform(-3, 3)), 3), round(float(rng.uniform(0.1, 4)), 3))
              for _ in range(3)]
    hidden.insert(int(rng.integers(0, 4)), (int(rng.integers(1, 5)), int(rng.integers(1, 5))))
    return [(2, 0.5), *hidden]


def inputs_apply(rng):
    r = math.radians(45)
    seed_rot = torch.tensor([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    cases = [(torch.tensor(UNIT_SQUARE), seed_rot)]
    for _ in range(3):
        n = int(rng.integers(3, 11))
        points = torch.from_numpy(rng.uniform(-5, 5, size=(n, 2)))
        matrix = torch.from_numpy(rng.uniform(-2, 2, size=(2, 2)))
        matrix[0, 1] += 1.0  # clearly not symmetric: points @ M and points @ M.T differ
        cases.append((points, matrix))
    return cases


def inputs_none(rng):
    return [()]


def _matrix(found, expected, what):
    if isinstance(found, torch.Tensor) and not found.is_floating_point():
        return "dtype", (f"{what} should be a float tensor (the contract's 2×2 float tensor, "
                         f"whatever the Python type of the arguments); found "
                         f"{str(found.dtype).replace('torch.', '')} — use float values or "
                         "pass dtype=torch.float32")
    return tensor_problem(found, expected, what, rtol=1e-5, atol=1e-6, check_dtype=False)


def judge_rotation(learner, reference, inputs, ctx):
    return each_case(learner, reference, "create_rotation_matrix", _matrix, examples=1)


def judge_scaling(learner, reference, inputs, ctx):
    return each_case(learner, reference, "create_scaling_matrix", _matrix, examples=1)


def judge_apply(learner, reference, inputs, ctx):
    return each_case(learner, reference, "apply_transformation",
                     lambda f, e, w: tensor_problem(f, e, w, rtol=1e-6, atol=1e-6),
                     examples=1)


def judge_pipeline(learner, reference, inputs, ctx):
    def compare(found, expected, what):
        if not isinstance(found, dict):
            return "type", (f"{what} should be a dict with keys 'rotated', 'scaled', 'combined'; "
                    f"found {type(found).__name__}")
        for key in ("rotated", "scaled", "combined"):
            if key not in found:
                return "type", f"{what} should be a dict with the key {key!r}; it has {sorted(found)}"
            problem = tensor_problem(found[key], expected[key], f"{what}[{key!r}]", rtol=1e-5,
                                      atol=1e-5, check_dtype=False)
            if problem:
                return problem
        return None

    verdict = each_case(learner, reference, "matrix_transformations", compare, [NO_ARGUMENTS])
    if not verdict.ok:
        return verdict
    calls = binding_calls(ctx, "matrix_transformations") or set()
    got = learner.value
    applied = got[0].get("applied") if isinstance(got, list) and got and isinstance(
        got[0], dict) else None
    if "apply_transformation" not in calls or type(applied) is not int or applied < 3:
        return Verdict(False, "api", "`matrix_transformations` should build each of its three "
                                     "point sets with your `apply_transformation` (and the "
                                     "matrix functions), not type them in; it called "
                                     f"`apply_transformation` {applied} time(s)")
    return Verdict(True, "value")


