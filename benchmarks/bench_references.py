"""Grading time of every reference solution through the real sandboxed grader.

Issue budgets (weeks 4-6): each reference grades in ≤ 10 s on a 2-core CPU and
the whole set in ≤ 4 minutes. Prints one JSON object: per exercise the
grader's own duration and status, the slowest ones, and the wall time of the
whole set graded on the pool's workers in parallel (as the CI test does).

    .venv/bin/python benchmarks/bench_references.py            # weeks 4-6
    .venv/bin/python benchmarks/bench_references.py --weeks 1,2,3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.grading import Grader


async def measure(weeks: set[int], workers: int, seed: int) -> dict[str, Any]:
    grader = Grader.from_settings(workers=workers)
    await grader.start()
    try:
        ids = [ex.id for ex in grader.curriculum.ordered() if ex.week in weeks]
        gate = asyncio.Semaphore(workers)

        async def one(ex_id: str) -> tuple[str, dict, float]:
            async with gate:
                t0 = time.perf_counter()
                result = await grader.grade(ex_id, grader.exercise(ex_id).reference, seed=seed)
                return ex_id, result, time.perf_counter() - t0

        t0 = time.perf_counter()
        done = await asyncio.gather(*(one(i) for i in ids))
        wall = time.perf_counter() - t0
    finally:
        await grader.close()
    per = {ex_id: {"status": r["status"], "seconds": round(s, 2)} for ex_id, r, s in done}
    slowest = sorted(per.items(), key=lambda kv: -kv[1]["seconds"])[:5]
    return {
        "weeks": sorted(weeks), "workers": workers, "exercises": len(ids),
        "all_passed": all(v["status"] == "passed" for v in per.values()),
        "suite_wall_seconds": round(wall, 1),
        "max_seconds": max(v["seconds"] for v in per.values()),
        "slowest": dict(slowest), "per_exercise": per,
        "budgets": {"each_s": 10, "suite_s": 240},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", default="4,5,6")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    weeks = {int(w) for w in args.weeks.split(",")}
    out = asyncio.run(measure(weeks, args.workers, args.seed))
    print(json.dumps(out, indent=2))
    return 0 if out["all_passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
