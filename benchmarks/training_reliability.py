"""Pass rates of every training check over many seeds (a script, not a test).

Training items are discovered, not listed: every exercise with a ``python``
check whose ``check_kind`` is ``train`` (weeks 4-6, whoever wrote them). For
each item and seed it grades, through the real sandboxed grader,

* the reference solution — every train check must pass, and
* four learners that do not learn, each the reference with a prelude that
  breaks training for every model and optimizer it touches:

  - ``constant``: every module (losses excepted) sees an all-zero input, so
    the model's prediction cannot depend on its input;
  - ``frozen``: after every optimizer step the parameters are put back to
    their values before the first step (kept on each parameter: keyed by
    ``id()`` they were once restored from a freed model's parameters, and a
    lucky random initialisation passed);
  - ``no_step``: ``optimizer.step()`` does nothing (every optimizer class);
  - ``no_zero_grad``: ``optimizer.zero_grad()`` / ``model.zero_grad()`` do
    nothing, so gradients accumulate across updates (the calls are renamed to a
    no-op method: torch's own ``zero_grad`` is put back before each check).

  Every train check must fail for each of them.

Prints one JSON object: per item and check, the reference's pass count and
each mutant's fail count over the seeds, plus the reference's grading time.

    .venv/bin/python benchmarks/training_reliability.py                # 50 seeds
    .venv/bin/python benchmarks/training_reliability.py --seeds 3 --items 5.1.1,5.1.4
    # the same 50 seeds in chunks (stop and resume between them), then merged:
    .venv/bin/python benchmarks/training_reliability.py --seeds 5 --seed-base 1000 --out r0.json
    .venv/bin/python benchmarks/training_reliability.py --combine r*.json
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MUTANTS: dict[str, str] = {
    "constant": '''
import torch as _t0
def _zero_input(_m, _args):
    if isinstance(_m, _t0.nn.modules.loss._Loss) or not _args:
        return None
    if not isinstance(_args[0], _t0.Tensor):
        return None
    return (_t0.zeros_like(_args[0]),) + tuple(_args[1:])
_t0.nn.modules.module.register_module_forward_pre_hook(_zero_input)
''',
    "frozen": '''
import torch as _t0
from torch.optim.optimizer import register_optimizer_step_pre_hook as _pre0
from torch.optim.optimizer import register_optimizer_step_post_hook as _post0
def _remember(_opt, _a, _k):
    for _g in _opt.param_groups:
        for _p in _g["params"]:
            if not hasattr(_p, "_frozen0"):
                _p._frozen0 = _p.detach().clone()
def _restore(_opt, _a, _k):
    with _t0.no_grad():
        for _g in _opt.param_groups:
            for _p in _g["params"]:
                _p.copy_(_p._frozen0)
_pre0(_remember)
_post0(_restore)
''',
    "no_step": '''
import torch as _t0
def _subclasses0(_c):
    for _s in _c.__subclasses__():
        yield _s
        yield from _subclasses0(_s)
for _c0 in [_t0.optim.Optimizer, *_subclasses0(_t0.optim.Optimizer)]:
    if "step" in _c0.__dict__:
        _c0.step = lambda self, *a, **k: None
''',
    "no_zero_grad": '''
import torch as _t0
_t0.optim.Optimizer._no_zero_grad0 = lambda self, set_to_none=True: None
_t0.nn.Module._no_zero_grad0 = lambda self, set_to_none=True: None
''',
}
#: Edits of the reference's own text a mutant needs besides its prelude: the grader puts
#: torch's own methods back before each check (a submission rebinding them fooled the
#: recorders), so "zero_grad does nothing" calls a method of the mutant's own instead.
MUTANT_EDITS: dict[str, list[tuple[str, str]]] = {
    "no_zero_grad": [(".zero_grad(", "._no_zero_grad0(")],
}


def training_items(curriculum, weeks=(4, 5, 6)) -> dict[str, list[str]]:
    """Exercise id -> ids of its train checks, for every exercise of ``weeks`` that has one."""
    items: dict[str, list[str]] = {}
    for ex in curriculum.ordered():
        if ex.week not in weeks:
            continue
        ids = [c.id for c in ex.checks if getattr(c, "check_kind", None) == "train"]
        if ids:
            items[ex.id] = ids
    return items


def mutate(reference: str, mutant: str) -> str:
    """The reference with the mutant's prelude after its docstring and __future__ imports."""
    import ast

    lines = reference.splitlines()
    head = 0
    for node in ast.parse(reference).body:
        is_doc = (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str) and head == 0)
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (is_doc or is_future):
            break
        head = node.end_lineno
    body = "\n".join(lines[head:])
    for old, new in MUTANT_EDITS.get(mutant, []):
        body = body.replace(old, new)
    return "\n".join([*lines[:head], MUTANTS[mutant].strip(), "", body]) + "\n"


async def measure(seeds: int, items: list[str] | None, workers: int, seed_base: int = 1000,
                  mutants: tuple[str, ...] = tuple(MUTANTS)) -> dict[str, Any]:
    from grader.grading import Grader

    grader = Grader.from_settings(workers=workers)
    await grader.start()
    try:
        return await measure_with(grader, seeds, items, workers, seed_base, mutants)
    finally:
        await grader.close()


async def measure_with(grader, seeds: int, items: list[str] | None, workers: int = 2,
                       seed_base: int = 1000, mutants: tuple[str, ...] = tuple(MUTANTS)
                       ) -> dict[str, Any]:
    """The measurement on an already started grader (the CI test passes its own).

    ``mutants`` may be fewer than all (none: a long sweep of the references alone, to find
    the seeds on which a correct loop misses its bar)."""
    found = training_items(grader.curriculum)
    if items:
        unknown = sorted(set(items) - set(found))
        if unknown:
            raise SystemExit(f"not training items: {', '.join(unknown)}")
        found = {i: found[i] for i in items}
    gate = asyncio.Semaphore(workers)
    report: dict[str, Any] = {}

    async def one(ex_id: str, variant: str, seed: int) -> tuple[str, str, int, dict, float]:
        ex = grader.exercise(ex_id)
        code = ex.reference if variant == "reference" else mutate(ex.reference, variant)
        async with gate:
            t0 = time.perf_counter()
            result = await grader.grade(ex_id, code, seed=seed)
            return ex_id, variant, seed, result, time.perf_counter() - t0

    jobs = [one(ex_id, v, seed_base + s) for ex_id in found
            for v in ["reference", *mutants] for s in range(seeds)]
    results = await asyncio.gather(*jobs)
    for ex_id, checks in found.items():
        entry: dict[str, Any] = {"checks": {}, "reference_seconds": []}
        for cid in checks:
            entry["checks"][cid] = {"reference_passed": 0,
                                    **{f"{m}_failed": 0 for m in mutants}}
        report[ex_id] = entry
    failures: list[dict] = []
    for ex_id, variant, seed, result, seconds in results:
        entry = report[ex_id]
        by_id = {c["id"]: c for c in result["checks"]}
        if variant == "reference":
            entry["reference_seconds"].append(round(seconds, 2))
        for cid in found[ex_id]:
            passed = by_id.get(cid, {}).get("status") == "passed"
            if variant == "reference":
                entry["checks"][cid]["reference_passed"] += passed
                if not passed:
                    failures.append({"item": ex_id, "check": cid, "variant": variant,
                                     "seed": seed, "status": result["status"],
                                     "message": (by_id.get(cid, {}).get("message")
                                                 or result.get("message", ""))[:300]})
            else:
                entry["checks"][cid][f"{variant}_failed"] += not passed
                if passed:
                    failures.append({"item": ex_id, "check": cid, "variant": variant,
                                     "seed": seed, "status": "passed"})
    for entry in report.values():
        secs = entry.pop("reference_seconds")
        entry["reference_seconds_max"] = max(secs) if secs else None
        entry["reference_seconds_mean"] = round(sum(secs) / len(secs), 2) if secs else None
    return {"seeds": seeds, "seed_base": seed_base, "mutants": list(mutants),
            "all_reliable": _reliable(report, seeds, mutants), "items": report,
            "unexpected": failures[:50]}


def _reliable(report: dict[str, Any], seeds: int, mutants) -> bool:
    return all(c["reference_passed"] == seeds and all(c[f"{m}_failed"] == seeds
                                                      for m in mutants)
               for e in report.values() for c in e["checks"].values())


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from runs over disjoint seed ranges (a long run done in chunks).

    Refuses overlapping seeds, so no seed is counted twice, and runs that
    did not cover the same items and checks.
    """
    ranges = sorted((r["seed_base"], r["seed_base"] + r["seeds"]) for r in runs)
    for (_, end), (start, _) in itertools.pairwise(ranges):
        if start < end:
            raise ValueError(f"seed ranges overlap: {ranges}")
    shapes = {json.dumps({i: sorted(e["checks"]) for i, e in r["items"].items()}, sort_keys=True)
              for r in runs}
    if len(shapes) != 1:
        raise ValueError("runs cover different items or checks")
    if len({tuple(r["mutants"]) for r in runs}) != 1:
        raise ValueError("runs tried different mutants")
    mutants = runs[0]["mutants"]
    seeds = sum(r["seeds"] for r in runs)
    items: dict[str, Any] = {}
    for ex_id, first in runs[0]["items"].items():
        entries = [r["items"][ex_id] for r in runs]
        checks = {cid: {key: sum(e["checks"][cid][key] for e in entries) for key in counts}
                  for cid, counts in first["checks"].items()}
        means = [(e["reference_seconds_mean"], r["seeds"]) for e, r in zip(entries, runs,
                                                                            strict=True)]
        items[ex_id] = {
            "checks": checks,
            "reference_seconds_max": max(e["reference_seconds_max"] for e in entries),
            "reference_seconds_mean": round(sum(m * n for m, n in means) / seeds, 2),
        }
    return {"seeds": seeds, "seed_ranges": [list(r) for r in ranges],
            "mutants": mutants, "all_reliable": _reliable(items, seeds, mutants), "items": items,
            "unexpected": [u for r in runs for u in r["unexpected"]][:50],
            "wall_seconds": round(sum(r.get("wall_seconds", 0) for r in runs), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--items", default="", help="comma-separated exercise ids (default: all "
                                                    "training items)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed-base", type=int, default=1000)
    parser.add_argument("--references-only", action="store_true",
                        help="grade only the references (no mutants): a long sweep for the "
                             "seeds on which a correct loop misses its bar")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--combine", type=Path, nargs="+", metavar="REPORT",
                        help="merge reports of runs over disjoint seed ranges instead of "
                             "measuring (run 50 seeds as 10 chunks of 5)")
    args = parser.parse_args(argv)
    if args.combine:
        out = combine([json.loads(p.read_text()) for p in args.combine])
    else:
        items = [i for i in args.items.split(",") if i] or None
        t0 = time.perf_counter()
        mutants = () if args.references_only else tuple(MUTANTS)
        out = asyncio.run(measure(args.seeds, items, args.workers, args.seed_base, mutants))
        out["wall_seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(out, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0 if out["all_reliable"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
