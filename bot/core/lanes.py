"""Grading lanes: which queue a submission waits in, so a drill is never
queued behind a training check.

An exercise's lane follows from what the curriculum says it may cost
(``limits`` and ``device`` in its YAML), not from its week or kind:

* ``quick`` — the sandbox's default limits, or raised to at most
  :data:`QUICK_MAX_S` seconds (drills, most problems: milliseconds each);
* ``heavy`` — allowed more time or memory than that (training loops, the
  week-6 challenges: seconds each, up to a minute);
* ``gpu`` — ``device: cuda`` exercises, for workers in front of a GPU grader.

Each lane has its own worker slots (:class:`LaneSlots`), so a burst of
training checks can fill the heavy slots and never the quick ones; the grader
applies the same rule (:func:`grader.limits.lane_of`) to its own workers.
Pure data: no database, no engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# One rule for the bot's dispatch and the grader's pool (grader/limits.py is
# torch-free): the grader keeps a worker for quick jobs by the same lanes.
from grader.limits import GPU, HEAVY, QUICK, QUICK_MAX_S, lane_of

LANES = (QUICK, HEAVY, GPU)
#: Most gradings one process holds at once in a lane.
MAX_SLOTS = 256
__all__ = ["GPU", "HEAVY", "LANES", "QUICK", "QUICK_MAX_S", "LaneSlots", "lane_of",
           "parse_lanes"]


def parse_lanes(text: str | None) -> tuple[str, ...]:
    """``"quick,heavy"`` → the lanes; ``"all"`` (or empty: None) → every lane;
    ``"none"`` → no lane (a process that only enqueues)."""
    if text is None or not text.strip() or text.strip().lower() == "all":
        return LANES
    if text.strip().lower() == "none":
        return ()
    lanes = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    unknown = [p for p in lanes if p not in LANES]
    if unknown:
        raise ValueError(f"unknown lane(s) {', '.join(unknown)}: use {', '.join(LANES)}, "
                         "all or none")
    return lanes


@dataclass(frozen=True)
class LaneSlots:
    """How many submissions of each lane one process grades at once.

    ``quick`` should keep every grader worker busy (the grader queues the rest
    and answers 503 when its queue is full); ``heavy`` should stay below the
    grader's worker count so a training check never takes the last worker a
    drill could use. The defaults fit the default grader on two cores; a
    process sizes them to its grader's health (:meth:`for_grader`) unless
    ``TORCHDOJO_LANE_SLOTS`` says otherwise."""

    quick: int = 4
    heavy: int = 1
    gpu: int = 1

    def of(self, lane: str) -> int:
        return int(getattr(self, lane))

    @classmethod
    def parse(cls, text: str | None, base: LaneSlots | None = None) -> LaneSlots:
        """``"quick=8,heavy=2"``: override some lanes of ``base``."""
        values = dict(vars(base or cls()))
        for part in (text or "").split(","):
            if not part.strip():
                continue
            name, sep, number = part.partition("=")
            name = name.strip().lower()
            if not sep or name not in LANES:
                raise ValueError(f"{part.strip()!r}: write LANE=N with LANE one of "
                                 f"{', '.join(LANES)}")
            try:
                count = int(number)
            except ValueError:
                raise ValueError(f"{part.strip()!r}: N must be a whole number") from None
            if not 1 <= count <= MAX_SLOTS:
                raise ValueError(f"{part.strip()!r}: N must be between 1 and {MAX_SLOTS}")
            values[name] = count
        return cls(**values)

    @classmethod
    def for_grader(cls, health: Mapping[str, Any] | None) -> LaneSlots:
        """Slots sized to what a grader says it can take (its ``/v1/health``),
        so a grader on a bigger machine is kept busy without configuration:

        * ``quick``: twice the workers quick jobs may use (each worker has the
          next job waiting; the grader queues the rest);
        * ``heavy``: the workers heavy jobs may hold (a warm pool keeps one
          worker for drills; a container grader, which has no lanes, all but one);
        * ``gpu``: one (the grader runs one CUDA job at a time).

        Anything missing or malformed (an older grader, one that cannot be
        reached: ``None``) leaves that lane at its default. Hostile or broken
        numbers are bounded like ``TORCHDOJO_LANE_SLOTS``'s (1..256)."""
        base = cls()
        if not isinstance(health, Mapping):
            return base

        def number(value: Any) -> int | None:
            ok = type(value) is int and value >= 1
            return min(value, MAX_SLOTS) if ok else None

        lanes = health.get("lanes")
        if isinstance(lanes, Mapping):
            def limit(lane: str) -> int | None:
                entry = lanes.get(lane)
                return number(entry.get("limit")) if isinstance(entry, Mapping) else None

            quick, heavy = limit(QUICK), limit(HEAVY)
        else:
            quick = number(health.get("workers"))
            heavy = max(1, quick - 1) if quick else None
        return cls(quick=min(2 * quick, MAX_SLOTS) if quick else base.quick,
                   heavy=heavy or base.heavy, gpu=base.gpu)

    def describe(self, lanes: tuple[str, ...] = LANES) -> str:
        return ", ".join(f"{lane}×{self.of(lane)}" for lane in lanes) or "none"
