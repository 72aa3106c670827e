"""Shuffling: did the training rows come in a new order every epoch?

For a prompt asking for ``DataLoader(..., shuffle=True)``, the probe records which training
rows each training forward saw (``curriculum/probes/rows.py``: a list of row positions per
forward). A loader without shuffling, or one permutation drawn before the loop, feeds every
epoch in the same order; a loader that shuffles (or a new permutation every epoch) does not.
Epochs that train on different sets of rows (a curriculum's growing subsets) are only
compared with the epochs on the same set.
"""

from __future__ import annotations

from collections.abc import Sequence


def split_epochs(batches: Sequence[Sequence[int]],
                 per_epoch: int | Sequence[int]) -> list[list[int]] | None:
    """The rows of consecutive training batches cut into epochs of ``per_epoch`` rows (one
    count for every epoch, or each epoch's own count; whole batches only). None when the
    batches do not add up to whole epochs (another check tells the count apart)."""
    rows = [int(r) for b in batches for r in b]
    if isinstance(per_epoch, int):
        if per_epoch <= 0:
            return None
        counts = [per_epoch] * (len(rows) // per_epoch)
    else:
        counts = [int(c) for c in per_epoch]
    epochs, start = [], 0
    for count in counts:
        if start + count > len(rows):
            break
        epochs.append(rows[start:start + count])
        start += count
    return epochs or None


def one_order(epochs: Sequence[Sequence[int]] | None) -> bool:
    """True when the epochs repeat their order: at least two epochs train on the same rows,
    and every such epoch feeds them in the order of the first epoch on those rows. Unknown
    rows (-1) are left out; an epoch of unknown rows only is not compared."""
    if not epochs:
        return False
    first: dict[tuple[int, ...], list[int]] = {}
    repeats = 0
    for epoch in epochs:
        # rows the probe could not place (-1: rescaled, augmented) say nothing about order
        rows = [r for r in epoch if r >= 0]
        if not rows:
            continue
        same_set = tuple(sorted(rows))
        if same_set not in first:
            first[same_set] = rows
            continue
        if rows != first[same_set]:
            return False
        repeats += 1
    return repeats > 0


def same_order_problem(epochs: Sequence[Sequence[int]] | None, name: str, loader: str) -> str:
    """'' unless the epochs repeat one order (``one_order``); then what the learner must do.
    ``name``: the learner's function; ``loader``: the DataLoader call the prompt asks for."""
    if not one_order(epochs):
        return ""
    return (f"{name}: every epoch fed the training rows in the same order; the training "
            f"DataLoader must shuffle them anew each epoch: {loader}")
