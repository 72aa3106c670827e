"""Checks of 1.3.4 (statistical analysis): the seed's week of temperatures, then hidden
random weeks (float64). Standard deviations are torch.std's default (sample std,
divided by n − 1). Outlier data never has a |z-score| near the threshold under
either std convention, so only the rule itself decides — except one data set whose
largest |z-score| is exactly the threshold in every usual way of computing it, so that
``>=`` (the contract says greater than) is told apart.
"""

import numpy as np
import torch

from curriculum.judges.cases import each_case, shuffled
from curriculum.judges.values import int_problem, number_problem, tensor_problem

SEED_TEMPS = [22.5, 25.1, 23.8, 28.2, 26.5, 24.1, 23.9]
STAT_KEYS = ("mean", "std", "median", "min", "max")


def _week(rng, n):
    return torch.from_numpy(rng.normal(25, 3, size=n).round(2))


def _even_week(rng, n):
    """A week of an even number of days whose two middle values differ: torch.median
    (the lower one) and an averaged median (torch.quantile(data, 0.5)) disagree."""
    while True:
        data = _week(rng, n)
        low, high = torch.sort(data).values[n // 2 - 1: n // 2 + 1].tolist()
        if high - low > 0.05:
            return data


def inputs_stats(rng):
    """The example, then three hidden weeks of 7–15 days: an odd and an even length on
    every seed (the median of an even count is where median conventions differ), and
    one of any length, in a random order."""
    hidden = [(_week(rng, int(rng.choice([7, 9, 11, 13, 15]))),),
              (_even_week(rng, int(rng.choice([8, 10, 12, 14]))),)]
    n = int(rng.integers(7, 16))
    hidden.append((_even_week(rng, n) if n % 2 == 0 else _week(rng, n),))
    return shuffled(rng, [(torch.tensor(SEED_TEMPS),), *hidden], examples=1)


def _bumped(rng, counts, sizes):
    """15–25 readings around 25 °C, ``counts`` of them pushed by ``sizes`` degrees either
    way; with the |z-scores| for both standard deviations (n and n − 1)."""
    n = int(rng.integers(15, 26))
    data = rng.normal(25, 2, size=n)
    k = int(rng.integers(*counts))
    idx = rng.choice(n, size=k, replace=False)
    data[idx] += rng.choice([-1.0, 1.0], size=k) * rng.uniform(*sizes, size=k)
    data = data.round(2)
    return data, [np.abs(data - data.mean()) / data.std(ddof=d) for d in (0, 1)]


def _outlier_case(rng, threshold):
    while True:
        data, zs = _bumped(rng, (0, 3), (9, 14))
        if all(np.min(np.abs(z - threshold)) > 0.15 for z in zs):
            return torch.from_numpy(data), threshold


def _threshold_case(rng, threshold):
    """Moderate outliers whose count at ``threshold`` differs from the count at the default
    2.0 (for either standard deviation), so a find_outliers that ignores its threshold
    argument fails; still no |z-score| within 0.15 of the threshold."""
    while True:
        data, zs = _bumped(rng, (1, 4), (3, 6))
        if all(np.min(np.abs(z - threshold)) > 0.15 and (z > threshold).sum() != (z > 2.0).sum()
               for z in zs):
            return torch.from_numpy(data), threshold


def _unsorted_case(rng, threshold):
    """Two or three clear outliers whose original order is not ascending (for either
    standard deviation), so outliers returned sorted (torch.sort, torch.unique) fail."""
    while True:
        data, zs = _bumped(rng, (2, 4), (9, 14))
        picked = [data[z > threshold] for z in zs]
        if all(np.min(np.abs(z - threshold)) > 0.15 for z in zs) and all(
                len(p) >= 2 and bool((np.diff(p) < 0).any()) for p in picked):
            return torch.from_numpy(data), threshold


def inputs_outliers(rng):
    hidden = [_unsorted_case(rng, 2.0), _outlier_case(rng, 2.0), _outlier_case(rng, 1.5),
              _outlier_case(rng, 2.5), _threshold_case(rng, 1.5), _threshold_case(rng, 2.5)]
    cases = shuffled(rng, [(torch.tensor(SEED_TEMPS), 2.0), *hidden], examples=1)
    tie = _tie_case(rng)  # drawn after the others, so they stay what they were
    cases.insert(int(rng.integers(1, len(cases) + 1)), tie)
    return cases


def _z_every_way(data):
    """The |z-scores| of ``data`` as learners compute them (mean and std apart or at once,
    the variance's root, the sum over n − 1): a tie must be a tie for each."""
    n = data.numel()
    std, mean = torch.std_mean(data)
    var, mean_v = torch.var_mean(data)
    centred = data - data.mean()
    ways = [centred / torch.std(data), (data - mean) / std, (data - mean_v) / var.sqrt(),
            centred / data.var().sqrt(), centred / torch.sqrt((centred ** 2).sum() / (n - 1)),
            (data - data.sum() / n) / data.std(correction=1)]
    return [w.abs() for w in ways]


def _tie_case(rng, threshold=2.0):
    """An odd count n of 15–25 readings whose deviations, in units of the sample std, are
    one ±2, (n − 7) / 2 of ±1 and (n − 3) / 2 of ∓1, and four 0: the mean and the std are
    exact, and the ±2 reading's |z-score| is exactly ``threshold`` — no outlier (greater
    than, not ≥). Reorderings are drawn until every way of computing z agrees exactly
    (torch.std_mean's running mean rounds on some orders)."""
    n = int(rng.choice([15, 17, 19, 21, 23, 25]))
    sign = float(rng.choice([-1.0, 1.0]))
    ones = (n - 7) // 2
    units = [2.0] + [1.0] * ones + [-1.0] * (ones + 2) + [0.0] * 4
    centre, scale = float(rng.integers(18, 31)), float(rng.choice([0.5, 1.0, 2.0]))
    for _ in range(500):
        order = rng.permutation(n)
        data = torch.tensor([centre + sign * scale * units[i] for i in order],
                            dtype=torch.float64)
        if all(float(z.max()) == threshold for z in _z_every_way(data)):
            break
    return data, threshold


def inputs_z(rng):
    return [(torch.tensor(SEED_TEMPS),), *((_week(rng, n),) for n in (7, 11, 20))]


def inputs_report(rng):
    return [(torch.tensor(SEED_TEMPS),), (_week(rng, 7),)]


def _weeks(rng, w):
    while True:
        data = rng.normal(25, 3, size=(w, 7)).round(2)
        mean, std = np.sort(data.mean(axis=1)), np.sort(data.std(axis=1, ddof=1))
        if np.min(np.diff(mean)) > 1e-3 and np.min(np.diff(std)) > 1e-3:
            return (torch.from_numpy(data),)


def inputs_weeks(rng):
    return [_weeks(rng, 5), _weeks(rng, int(rng.integers(2, 5))), _weeks(rng, int(rng.integers(6, 10)))]


def _stats(found, expected, what, data=None):
    if not isinstance(found, dict):
        return "type", (f"{what} should be a dict with keys {list(STAT_KEYS)}; found "
                        f"{type(found).__name__}")
    for key in STAT_KEYS:
        if key not in found:
            return "type", (f"{what} should be a dict with the key {key!r}; it has "
                            f"{sorted(map(str, found))}")
        problem = number_problem(found[key], float(expected[key]), f"{what}[{key!r}]",
                                  rtol=1e-5, atol=1e-5)
        if problem:
            if key == "std":
                problem = problem[0], problem[1] + (" — torch.std's default is the sample "
                                                    "standard deviation (divides by n − 1)")
            if key == "median":
                problem = problem[0], problem[1] + (
                    " — use torch.median (for an even number of values it returns the lower "
                    "of the two middle values, not their average)")
            return problem
    return None


def judge_stats(learner, reference, inputs, ctx):
    return each_case(learner, reference, "calculate_statistics", _stats, examples=1)


def _tensor(found, expected, what):
    return tensor_problem(found, expected, what, rtol=1e-5, atol=1e-5)


def judge_outliers(learner, reference, inputs, ctx):
    def compare(found, expected, what):
        if isinstance(found, torch.Tensor) and found.dim() == 1 and found.shape != expected.shape:
            return (f"{what} returned {found.numel()} outliers, expected {expected.numel()} "
                    f"(values with |z-score| > threshold — strictly greater: a value exactly "
                    f"at the threshold is not an outlier — z from torch.mean and torch.std)")
        bad = _tensor(found, expected, what + " (outlier values, in their original order)")
        if (bad and bad[0] == "value" and found.dtype == expected.dtype
                and _tensor(torch.sort(found).values, torch.sort(expected).values, what) is None):
            return "value", (f"{what}: the right outliers in another order — keep them in "
                             "their original order (data[mask] does; sorting or "
                             "torch.unique does not)")
        return bad

    return each_case(learner, reference, "find_outliers", compare, examples=1)


def judge_z(learner, reference, inputs, ctx):
    return each_case(learner, reference, "normalize_to_z_scores", _tensor, examples=1)


def judge_report(learner, reference, inputs, ctx):
    def compare(found, expected, what):
        if not isinstance(found, dict):
            return "type", (f"{what} should return a dict with keys 'stats', 'outliers', "
                            f"'z_scores'; found {type(found).__name__}")
        missing = [key for key in ("stats", "outliers", "z_scores") if key not in found]
        if missing:
            return "type", (f"{what} should return a dict with keys 'stats', 'outliers', "
                            f"'z_scores'; yours lacks {', '.join(map(repr, missing))}")
        return (_stats(found["stats"], expected["stats"], what + "['stats']")
                or _tensor(found["outliers"], expected["outliers"], what + "['outliers']")
                or _tensor(found["z_scores"], expected["z_scores"], what + "['z_scores']"))

    return each_case(learner, reference, "create_summary_report", compare, examples=1)


def judge_weeks(learner, reference, inputs, ctx):
    def compare(found, expected, what):
        if not isinstance(found, dict):
            return "type", f"{what} should return a dict; found {type(found).__name__}"
        for key in ("mean", "std"):
            if key not in found:
                return "type", f"{what} should have the key {key!r}"
            problem = _tensor(found[key], expected[key], f"{what}[{key!r}] (one value per week)")
            if problem:
                return problem
        for key in ("most_stable", "warmest", "coldest"):
            if key not in found:
                return "type", f"{what} should have the key {key!r}"
            problem = int_problem(found[key], int(expected[key]), f"{what}[{key!r}]")
            if problem:
                return problem
        return None

    return each_case(learner, reference, "analyze_multiple_weeks", compare)
