"""One expensive probe run (a training run) judged by several checks of an exercise.

The first check's probe trains; its judge files what it found under a key in
``ctx.secrets`` (trusted side, per job). Later checks use the ``nothing``
probe (``curriculum/probes/nothing.py``) and read that outcome instead of
training again.
"""

from __future__ import annotations

from typing import Any

SHARED = "_shared_run"


def shared(ctx: Any, key: str) -> Any:
    """What an earlier check of this job filed under ``key`` (None if it did not run)."""
    return ctx.secrets.get(SHARED, {}).get(key)


def share(ctx: Any, key: str, value: Any) -> None:
    """File ``value`` for the later checks of this job."""
    ctx.secrets.setdefault(SHARED, {})[key] = value
