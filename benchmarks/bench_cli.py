"""`torchdojo grade` wall time next to `python -c "import torch"`, measured in one run.

A learner checking a file locally should wait about as long as one torch
import (issue 16: ≤ 2.5 s on the 2-core reference machine). Prints one JSON
object: the p50/min of N runs of each command, and the ratio of the p50s.
The CLI grades the 1.1.1 reference solution through the local one-shot jail
(``GRADER_URL`` is cleared so no running service is used).

Usage: ``python benchmarks/bench_cli.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "1.1.1"
TARGET_S = 2.5


def wall(argv: list[str], env: dict[str, str], expect: int = 0) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env, timeout=120)
    elapsed = time.perf_counter() - t0
    if proc.returncode != expect:
        raise SystemExit(f"{argv[0]} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed


def summary(times: list[float]) -> dict[str, float]:
    return {"p50_s": round(statistics.median(times), 3), "min_s": round(min(times), 3)}


def main(runs: int) -> dict:
    exe = Path(sys.executable)
    cli = str(exe.with_name("torchdojo"))
    env = {k: v for k, v in os.environ.items() if k != "GRADER_URL"}
    reference = (ROOT / "curriculum" / "week1" / f"{EXERCISE}.ref.py").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answer.py"
        path.write_text(reference)
        grade = [cli, "grade", EXERCISE, str(path), "--json"]
        torch_import = [str(exe), "-c", "import torch"]
        wall(grade, env)  # page cache warm for both
        cli_times, torch_times = [], []
        for _ in range(runs):  # interleaved, so both see the same machine load
            torch_times.append(wall(torch_import, env))
            cli_times.append(wall(grade, env))
    cli_s, torch_s = summary(cli_times), summary(torch_times)
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "runs": runs,
        "cli_grade": cli_s,
        "import_torch": torch_s,
        "cli_over_import_torch": round(cli_s["p50_s"] / torch_s["p50_s"], 2),
        "target": {"cli_grade_p50_s": TARGET_S},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command")
    args = parser.parse_args()
    print(json.dumps(main(args.runs), indent=2))
