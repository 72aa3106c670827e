"""Exercise 2.3: wrong data-processing solutions fail on the check a teacher would expect."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def _sub(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new)


# (exercise, text in the reference, replacement, {check id: failing kind})
WRONG = [
    # the seed's view on a permuted tensor
    ("2.3.1a", "images.reshape(images.shape[0], -1)", "images.view(images.shape[0], -1)",
     {"flatten_for_mlp": "value"}),
    ("2.3.1a", "images.reshape(images.shape[0], -1)", "images.reshape(4, -1)",
     {"flatten_for_mlp": ("shape", "value")}),
    ("2.3.1a", "return images.permute(0, 3, 1, 2)",
     "b, h, w, c = images.shape\n    return images.reshape(b, c, h, w)",
     {"convert_hwc_to_chw": "value"}),
    ("2.3.1a", "return images.permute(0, 3, 1, 2)", "return images.transpose(1, 3).transpose(2, 3)",
     {"convert_hwc_to_chw": "api"}),
    ("2.3.1b", "cropped = images[:, :, :ph * p, :pw * p]", "cropped = images",
     {"extract_image_patches": "value"}),
    ("2.3.1b", "patches.permute(0, 2, 4, 1, 3, 5)", "patches.permute(0, 4, 2, 1, 3, 5)",
     {"extract_image_patches": "value"}),
    ("2.3.1b", "patches.permute(0, 2, 4, 1, 3, 5)", "patches.permute(0, 2, 4, 1, 5, 3)",
     {"extract_image_patches": "value"}),
    ("2.3.1c", "    if length < window_size:\n", "    if False:\n",
     {"create_sliding_windows": "value"}),
    ("2.3.1c", "return windows.transpose(2, 3)", "return windows",
     {"create_sliding_windows": "shape"}),
    ("2.3.1d", "data[:, :364].reshape(data.shape[0], 52, 7)", "data[:, :364].view(10, 52, 7)",
     {"reshape_to_weeks": "value"}),
    ("2.3.1d", "data[:, :360].reshape(data.shape[0], 12, 30)",
     "data[:, 5:365].reshape(data.shape[0], 12, 30)", {"reshape_to_months": "value"}),
    ("2.3.1d", "data[:, :364].reshape(data.shape[0], 4, 91)",
     "data[:, :364].reshape(data.shape[0], 91, 4).transpose(1, 2)",
     {"seasonal_analysis": "value"}),
    ("2.3.1e", "padded[:, :days] = data", "padded[:, weeks * 7 - days:] = data",
     {"pad_to_weeks": "value"}),
    ("2.3.1e", "    weeks = math.ceil(days / 7)", "    weeks = days // 7 + 1",
     {"pad_to_weeks": "shape"}),
    ("2.3.1e", "        lengths[1] = 29\n", "        lengths[-1] = 32\n",
     {"monthly_means": "value"}),
    ("2.3.1e", ".reshape(data.shape[0], 4, 91).mean(dim=2)",
     ".reshape(data.shape[0], 4, 91).sum(dim=2)", {"seasonal_means": "value"}),
    ("2.3.1e", ".reshape(data.shape[0], 4, 91).mean(dim=2)",
     ".reshape(data.shape[0], 4, 91).mean(dim=2).double()", {"seasonal_means": "dtype"}),
]


@pytest.mark.parametrize(("exercise_id", "old", "new", "expected"), WRONG,
                         ids=[f"{w[0]}-{next(iter(w[3]))}-{i}" for i, w in enumerate(WRONG)])
async def test_wrong_solution_fails_on_expected_check(grader, curriculum, exercise_id, old, new,
                                                      expected):
    source = _sub(curriculum.get(exercise_id).reference, old, new)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "failed", result
    failed = _failed(result)
    assert set(failed) == set(expected), result["checks"]
    for check_id, kinds in expected.items():
        assert failed[check_id] in (kinds if isinstance(kinds, tuple) else (kinds,)), failed


async def test_seed_view_error_message_teaches(grader, curriculum):
    source = _sub(curriculum.get("2.3.1a").reference, "images.reshape(images.shape[0], -1)",
                  "images.view(images.shape[0], -1)")
    result = await grader.grade("2.3.1a", source)
    msg = next(c["message"] for c in result["checks"] if c["id"] == "flatten_for_mlp")
    assert "seed's example" in msg and "reshape" in msg


async def test_missing_function_is_a_name_error(grader, curriculum):
    source = _sub(curriculum.get("2.3.1d").reference, "def seasonal_analysis(", "def seasons(")
    result = await grader.grade("2.3.1d", source)
    assert result["status"] == "error"
    assert _failed(result) == {"seasonal_analysis": "name"}
