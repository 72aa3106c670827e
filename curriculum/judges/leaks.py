"""Validation leaks: did the model train on validation rows?

The probe keeps the distinct rows of the training forwards (their first features, and how
often each came: ``curriculum/probes/rows.py``, ``track_distinct_rows``). Here, outside the
sandbox, they are matched against the training and validation rows the grader made. An exact
copy is found whatever the order of the rows; so is a copy normalised feature by feature
(``(X - X.mean(0)) / X.std(0)``, min-max scaling, …) with statistics of any rows: one
per-feature affine map ``a * x + b``, the same for every row, is fitted to the rows and a
trained row that it maps a validation row onto, to float precision, is that validation row.

A loop that normalises each training batch with the batch's own statistics maps every batch
differently: the probe also keeps which rows each training forward held, and each batch (of
at least ``MIN_BATCH`` rows) is matched with a map of its own. A row normalised on its own
(``(x - x.mean(1)) / x.std(1)``, ``x / x.norm()``: one scale and shift per row) is matched
by its own standardised values.

A loop that normalises with the training rows' statistics (or each batch of training rows
with its own) and trains on the training rows only maps every trained row onto a training
row: no leak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from curriculum.judges.compare import at_most, close
from curriculum.probes.rows import BATCH_LIMIT, DISTINCT_LIMIT, DISTINCT_WIDTH

#: RMS residual, in units of each feature's spread among the trained rows, under which a
#: trained row is the affine image of a grader row (float32 normalising leaves ~1e-6; another
#: row is ~1 away).
MATCH_RTOL = 1e-3
#: Fewest rows of a batch matched with a map of its own: two per-feature parameters fit any two
#: rows onto any two others, a handful of rows only their own images.
MIN_BATCH = 8


@dataclass(frozen=True)
class Leak:
    rows: int = 0          # distinct validation rows trained on
    times: int = 0         # how many rows of the training batches they were, in all
    rescaled: bool = False  # matched through a per-feature map other than the identity
    how: str = ""          # "": one map for all rows; "batch": each batch its own; "row": each row


def affine_copies(trained: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, bool]:
    """For every row of ``trained`` [m, k] the index of the row of ``pool`` [n, k] it is a copy
    of under one per-feature affine map (the same for all rows), or -1; and whether that map
    is other than the identity."""
    s, p = np.asarray(trained, dtype=np.float64), np.asarray(pool, dtype=np.float64)
    none = np.full(len(s), -1)
    if s.ndim != 2 or p.ndim != 2 or s.shape[1] != p.shape[1] or not len(s) or not len(p):
        return none, False
    ok = np.isfinite(s).all(axis=1)
    if int(ok.sum()) < 2:
        return none, False
    sd_s, sd_p = s[ok].std(axis=0), p.std(axis=0)
    cols = (sd_s > 0) & (sd_p > 0)  # compare: ok (a constant feature says nothing)
    if not cols.any():
        return none, False
    with np.errstate(all="ignore"):  # hostile rows: inf/NaN end as no match, not an error
        return _fit(s[:, cols], p[:, cols], ok, sd_s[cols], sd_p[cols])


def _fit(s, p, ok, sd_s, sd_p) -> tuple[np.ndarray, bool]:
    none = np.full(len(s), -1)
    sz = np.where(ok[:, None], (s - s[ok].mean(axis=0)) / sd_s, 0.0)
    pz = (p - p.mean(axis=0)) / sd_p
    # nearest grader row in standardised space: the same row, whatever statistics the learner
    # normalised with (they shift a row by a few hundredths of a spread; rows lie ~1 apart)
    d2 = (sz ** 2).sum(1)[:, None] + (pz ** 2).sum(1)[None, :] - 2 * sz @ pz.T
    nearest = d2.argmin(axis=1)
    dist = d2[np.arange(len(s)), nearest]
    # the map, fitted feature by feature on the closer half of the pairs
    fit = ok & (dist <= np.median(dist[ok]))  # compare: ok (ranks finite distances)
    if int(fit.sum()) < 2:
        return none, False
    x, y = p[nearest[fit]], s[fit]
    xm, ym = x.mean(axis=0), y.mean(axis=0)
    var = ((x - xm) ** 2).mean(axis=0)
    scale = np.where(var > 0, ((x - xm) * (y - ym)).mean(axis=0) / np.where(var > 0, var, 1),
                     1.0)  # compare: ok (a zero variance keeps the identity)
    shift = ym - scale * xm
    resid = np.sqrt((((s - (scale * p[nearest] + shift)) / sd_s) ** 2).mean(axis=1))
    match = ok & np.array([at_most(r, MATCH_RTOL) for r in resid])
    identity = close(scale, np.ones_like(scale), rtol=0.0, atol=1e-4) and close(
        shift / sd_s, np.zeros_like(shift), rtol=0.0, atol=1e-4)
    return np.where(match, nearest, -1), not identity


def _row_standardised(a: np.ndarray) -> np.ndarray:
    """Each row centred and scaled over its own features (NaN where it is constant)."""
    m, sd = a.mean(axis=1, keepdims=True), a.std(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        return np.where(sd > 0, (a - m) / np.where(sd > 0, sd, 1.0), np.nan)  # compare: ok


def row_copies(trained: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """For every row of ``trained`` the index of the row of ``pool`` it is a copy of under a
    scale and shift of its own (a row normalised on its own), or -1."""
    zs, zp = _row_standardised(trained), _row_standardised(pool)
    ok_s, ok_p = np.isfinite(zs).all(axis=1), np.isfinite(zp).all(axis=1)
    none = np.full(len(zs), -1)
    if not ok_s.any() or not ok_p.any():
        return none
    zs, zp = np.where(ok_s[:, None], zs, 0.0), np.where(ok_p[:, None], zp, 1e6)
    d2 = (zs ** 2).sum(1)[:, None] + (zp ** 2).sum(1)[None, :] - 2 * zs @ zp.T
    nearest = d2.argmin(axis=1)
    resid = np.sqrt(((zs - zp[nearest]) ** 2).mean(axis=1))
    match = ok_s & np.array([at_most(r, MATCH_RTOL) for r in resid])
    return np.where(match, nearest, -1)


def _batches(got: object, n: int) -> list[np.ndarray]:
    """The probe's batches (positions among the kept rows), each of at least MIN_BATCH distinct
    positions in range; anything else is left out."""
    if not isinstance(got, list):
        return []
    out = []
    for b in got[:BATCH_LIMIT]:
        if not (isinstance(b, list) and all(isinstance(i, int) and not isinstance(i, bool)
                                            and 0 <= i < n for i in b)):
            continue
        unique = np.unique(np.asarray(b, dtype=np.int64))
        if len(unique) >= MIN_BATCH:  # compare: ok (a count of rows)
            out.append(unique)
    return out


def validation_rows_trained(got: object, train: torch.Tensor, val: torch.Tensor) -> Leak:
    """The validation rows among what ``track_distinct_rows`` kept (``got``: the probe's
    ``distinct_rows`` dict, untrusted). ``train``/``val``: the grader's rows [n, features]
    (a validation row equal to a training row is not a leak)."""
    if not isinstance(got, dict):
        return Leak()
    rows, counts = got.get("rows"), got.get("counts")
    if not (isinstance(rows, torch.Tensor) and isinstance(counts, torch.Tensor)
            and rows.dim() == 2 and rows.is_floating_point() and counts.dim() == 1
            and len(counts) == len(rows) and not counts.is_floating_point()
            and counts.dtype != torch.bool and len(rows) and rows.shape[1] > 0):
        return Leak()
    # the probe keeps no more: a larger answer is not an honest probe's (and would cost the
    # trusted process a rows × pool distance matrix)
    rows, counts = rows[:DISTINCT_LIMIT, :DISTINCT_WIDTH], counts[:DISTINCT_LIMIT]
    width = int(rows.shape[1])
    train_f = train.detach().float().reshape(len(train), -1)[:, :width]
    val_f = val.detach().float().reshape(len(val), -1)[:, :width]
    if train_f.shape[1] != width:
        return Leak()
    seen = {r.numpy().tobytes() for r in train_f}
    val_only = torch.stack([r for r in val_f if r.numpy().tobytes() not in seen]) \
        if any(r.numpy().tobytes() not in seen for r in val_f) else None
    if val_only is None:
        return Leak()
    pool = torch.cat([train_f, val_only]).double().numpy()
    trained = rows.detach().double().numpy()
    n_train = len(train_f)
    index, rescaled = affine_copies(trained, pool)
    how = ""
    # each training batch normalised with its own statistics: a map per batch
    per_batch = np.full(len(trained), -1)
    for b in _batches(got.get("batches"), len(trained)):
        found, _ = affine_copies(trained[b], pool)
        per_batch[b] = np.maximum(per_batch[b], found)
    # each row normalised on its own
    per_row = row_copies(trained, pool)
    # the reading that finds the most validation rows names how they were rescaled
    for other, kind in ((per_batch, "batch"), (per_row, "row")):
        if int((other >= n_train).sum()) > int((index >= n_train).sum()):
            index, rescaled, how = other, True, kind
    leaked = index >= n_train
    if not leaked.any():
        return Leak()
    times = counts.detach().reshape(-1).to(torch.int64).numpy()
    return Leak(rows=len(set(index[leaked].tolist())),
                times=int(times[leaked].clip(min=0).sum()), rescaled=bool(rescaled), how=how)
