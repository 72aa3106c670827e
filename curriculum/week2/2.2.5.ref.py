"""Reference solution of 2.2.5 (Broadcasting error handling: incompatible shapes)."""

import torch


def safe_add(t1, t2):
    """(t1 + t2, None) when the shapes broadcast, else (None, the RuntimeError's message)."""
    try:
        result = t1 + t2
    except RuntimeError as e:
        return None, str(e)
    return result, None


def broadcast_shape(shape1, shape2):
    """The broadcast shape of two shapes by the rules, or ValueError if incompatible."""
    n = max(len(shape1), len(shape2))
    a = (1,) * (n - len(shape1)) + tuple(shape1)
    b = (1,) * (n - len(shape2)) + tuple(shape2)
    out = []
    for i, (da, db) in enumerate(zip(a, b, strict=True)):
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)
        else:
            raise ValueError(f"sizes {da} and {db} do not match at dimension {i - n}")
    return tuple(out)
