"""The scale benchmark runs end to end with small numbers (timings not asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench_core.py"


async def test_benchmark_smoke_mode() -> None:
    spec = importlib.util.spec_from_file_location("bench_core", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = bench.parse_args(["--smoke", "--no-postgres"])
    result = await bench.main_async(args)
    sq = result["sqlite"]
    assert sq["seeded_rows"] > 2000
    for key in ("leaderboard_week", "leaderboard_all", "streak"):
        assert sq[key]["n"] == args.queries and sq[key]["p50_ms"] > 0
    assert sq["leaderboard_all"]["mean_rows"] > 0
    assert sq["plan"]["cohorts"] == args.plan_cohorts and sq["plan"]["posts_planned"] > 0
