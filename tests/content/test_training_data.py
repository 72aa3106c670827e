"""The training checks' synthetic data is equally hard on every seed.

A correct loop must clear its bar on whatever seed a grading draws: a generator
with a rare hard case fails a correct submission now and then (5.1.1's cubic
once reached R² 0.28 for the reference, 1 seed in 400).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from curriculum.judges.data import classification, regression

ROOT = Path(__file__).resolve().parents[2]


def test_the_cubics_linear_and_cubic_terms_never_cancel() -> None:
    # x and x³ are 0.92 correlated on [-2, 2]: with opposite signs the target is a small,
    # ill-conditioned signal that 15 epochs of SGD at lr=0.01 do not fit.
    for seed in range(300):
        X, _y, Xt, yt = regression(np.random.default_rng(seed), "poly", 480)
        assert X.shape == (480, 3)
        design = np.hstack([np.ones((len(Xt), 1)), Xt])
        (_b, c1, _c2, c3), *_ = np.linalg.lstsq(design, yt[:, 0], rcond=None)
        assert c1 * c3 > 0, (seed, c1, c3)
        assert abs(c1) >= 0.29 and abs(c3) >= 0.19, (seed, c1, c3)


def test_the_ten_clusters_are_equally_far_apart_on_every_seed() -> None:
    # 5.1.2 variant 7: Gaussian cluster means put two clusters close now and then, and the
    # reference's 100 SGD steps reached 0.61 held-out accuracy (bar 0.65).
    for seed in range(100):
        X, y, _Xt, _yt = classification(np.random.default_rng(seed), "clusters", 2000)
        means = np.stack([X[y == c].mean(0) for c in range(10)])
        gaps = np.linalg.norm(means[:, None] - means[None], axis=-1)[np.triu_indices(10, 1)]
        assert gaps.min() > 6.8 and gaps.max() < 8.5, (seed, gaps.min(), gaps.max())


def test_the_6_3_1_targets_are_equally_steep_on_every_seed() -> None:
    # A long weight vector drawn by chance made 15 epochs of Adam at lr=0.001 fall short
    # of halving the MSE (the reference: 2.643 → 1.365 on seed 20034's data).
    exec_ns: dict = {}
    source = (ROOT / "curriculum/week6/6.3.1.checks.py").read_text()
    exec(compile(source, "6.3.1.checks.py", "exec"), exec_ns)
    for seed in range(200):
        d = exec_ns["make_regression"](np.random.default_rng(seed))
        w, *_ = np.linalg.lstsq(d["x"].numpy(), d["y"].numpy(), rcond=None)
        assert abs(np.linalg.norm(w) - 0.25 * np.sqrt(10)) < 1e-4, seed


# Seeds on which the reference once failed: 5.1.2 variant 7 had two clusters close
# together (20090); variant 9's 100 Adam steps at lr=0.005 did not undo an unlucky
# initial model (20112, balanced accuracy 0.635; now 15 batches an epoch); the first
# epoch had the lowest (noisy) validation loss, so 5.1.3's variant 14 saved a barely
# trained model (held-out accuracy 0.50); 6.3.1's target was steeper than 15 epochs
# could fit; final.3's noisy validation labels made early stopping keep an epoch-4 model
# (0.771, bar 0.8).
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("exercise_id", "seed"),
                         [("5.1.2", 20090), ("5.1.2", 20112), ("5.1.3", 20033), ("6.3.1", 20034),
                          ("final.3", 21033)])
async def test_the_reference_passes_on_a_seed_it_once_failed(grader, exercise_id, seed) -> None:
    result = await grader.grade(exercise_id, grader.exercise(exercise_id).reference, seed=seed)
    assert result["status"] == "passed", [c for c in result["checks"] if c["status"] != "passed"]
