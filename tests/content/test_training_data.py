"""The training checks' synthetic data is equally hard on every seed.

A correct loop must clear its bar on whatever seed a grading draws: a generator
with a rare hard case fails a correct submission now and then (5.1.1's cubic
once reached R² 0.28 for the reference, 1 seed in 400).
"""

from __future__ import annotations

import numpy as np

from curriculum.judges.data import regression


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
