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
    ("2.3.2a", "n = min(len(seq), max_length)",
     "n = len(seq)", {"pad_sequences": "value"}),
    ("2.3.2a", "    attention_mask = torch.zeros(batch_size, max_length)",
     "    attention_mask = torch.zeros(batch_size, max_length, dtype=torch.long)",
     {"pad_sequences": "dtype"}),
    ("2.3.2a", "pad_value, dtype=sequences[0].dtype)", "0, dtype=sequences[0].dtype)",
     {"pad_sequences": "value"}),
    ("2.3.2b", "    if len(sequence) < n:\n", "    if False:\n", {"create_ngrams": "value"}),
    # hard-coded to the seed's examples
    ("2.3.2b", "return sequence.unfold(0, n, 1)",
     "return torch.tensor([[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7], [6, 7, 8]])",
     {"create_ngrams": ("shape", "value", "dtype")}),
    ("2.3.2a", "        max_length = max(len(seq) for seq in sequences)",
     "        max_length = 7", {"pad_sequences": ("shape", "value")}),
    ("2.3.2b", "return torch.empty(0, n, dtype=sequence.dtype)", "return torch.empty(0, n)",
     {"create_ngrams": "dtype"}),
    ("2.3.2b", "return sequence.unfold(0, n, 1)", "return sequence.unfold(0, n, n)",
     {"create_ngrams": ("shape", "value")}),
    ("2.3.2b", "torch.tensor([sep_token])])", "torch.tensor([102])])",
     {"prepare_for_transformer": "value"}),
    ("2.3.2b", "    position_ids = torch.arange(seq_length).unsqueeze(0).expand(batch_size, -1)",
     "    position_ids = torch.arange(1, seq_length + 1).unsqueeze(0).expand(batch_size, -1)",
     {"prepare_for_transformer": "value"}),
    ("2.3.2b", '"position_ids": position_ids}', '"positions": position_ids}',
     {"prepare_for_transformer": "type"}),
    ("2.3.2c", "return features + bias", "return features + bias.repeat(features.shape[0], 1)",
     {"batch_bias_addition": "api"}),
    ("2.3.2c", "return features * scales", "return features * scales.T",
     {"per_sample_scaling": ("shape", "value")}),
    ("2.3.2c", "return diff.pow(2).sum(dim=-1).sqrt().to(points.dtype)",
     "return diff.pow(2).sum(dim=-1).to(points.dtype)", {"pairwise_distances": "value"}),
    ("2.3.2c", "return diff.pow(2).sum(dim=-1).sqrt().to(points.dtype)",
     "return torch.cdist(points, points)", {"pairwise_distances": "api"}),
    ("2.3.2c", "return diff.pow(2).sum(dim=-1).sqrt().to(points.dtype)",
     "return diff.pow(2).sum(dim=-1).sqrt()", {"pairwise_distances": "dtype"}),
    ("2.3.2d", "weights = torch.softmax(scores, dim=-1)", "weights = torch.softmax(scores, dim=1)",
     {"simplified_attention": "value"}),
    ("2.3.2d", "/ math.sqrt(d_model)", "/ math.sqrt(64)", {"simplified_attention": "value"}),
    ("2.3.2d", "K.transpose(-2, -1)", "K.T", {"simplified_attention": "value"}),
]

# Correct alternatives to the references that must pass too.
RIGHT = [
    ("2.3.2c", "return diff.pow(2).sum(dim=-1).sqrt().to(points.dtype)",
     "sq = torch.sum(points ** 2, dim=1, keepdim=True)\n"
     "    d2 = sq + sq.t() - 2 * torch.matmul(points, points.t())\n"
     "    return torch.sqrt(torch.clamp(d2, min=0))"),
    ("2.3.2d", "    scores = torch.matmul(Q, K.transpose(-2, -1)) / math.sqrt(d_model)\n",
     "    scores = torch.einsum('bqd,bkd->bqk', Q / d_model ** 0.5, K)\n"),
    ("2.3.1b", "    patches = cropped.reshape(b, c, ph, p, pw, p)",
     "    patches = cropped.unfold(2, p, p).unfold(3, p, p).permute(0, 1, 2, 4, 3, 5)"),
    ("2.3.1c", "    windows = sequence.unfold(1, window_size, stride)   # (B, num_windows, F, "
     "window_size)\n    return windows.transpose(2, 3)",
     "    return torch.stack([sequence[:, i:i + window_size] for i in "
     "range(0, length - window_size + 1, stride)], dim=1)"),
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
    assert "the example" in msg and "reshape" in msg


async def test_missing_function_is_a_name_error(grader, curriculum):
    source = _sub(curriculum.get("2.3.1d").reference, "def seasonal_analysis(", "def seasons(")
    result = await grader.grade("2.3.1d", source)
    assert result["status"] == "error"
    assert _failed(result) == {"seasonal_analysis": "name"}


@pytest.mark.parametrize(("exercise_id", "old", "new"), RIGHT,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(RIGHT)])
async def test_other_correct_solutions_pass(grader, curriculum, exercise_id, old, new):
    source = _sub(curriculum.get(exercise_id).reference, old, new)
    result = await grader.grade(exercise_id, source)
    assert result["status"] == "passed", result["checks"]


async def test_a_pad_value_written_as_zero_fails_on_every_seed(grader, curriculum):
    """The hidden batch with a non-zero pad value now always needs padding: when all its
    sequences happened to be of one length (about 1 seed in 60, e.g. 5014), padding
    with 0 instead of pad_value passed."""
    source = _sub(curriculum.get("2.3.2a").reference, "pad_value, dtype=sequences[0].dtype)",
                  "0, dtype=sequences[0].dtype)")
    for seed in (5014, 5160, 5241):
        result = await grader.grade("2.3.2a", source, seed=seed)
        assert result["status"] == "failed", (seed, result)
