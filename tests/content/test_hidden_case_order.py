"""Hidden cases come in a random order (and number) per job.

A submission that learns the pattern of one job's hidden inputs (printing
them once is enough) and then answers by call index — raise on call 6,
answer True/False alternately — must fail on other jobs. Each test below
builds such a replaying submission from one seed's inputs, checks that it
would pass that very job (so the replay is faithful), and that it fails the
others.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from grader.checks.api import index_source
from grader.checks.base import CheckContext
from grader.checks.python import PythonJudge

LEARNED_SEED = 101
OTHER_SEEDS = [202, 303, 404, 505]


def hidden_inputs(exercise, seed: int) -> tuple[dict, dict]:
    """The hidden inputs (and trusted secrets) the grader draws for ``exercise`` at ``seed``."""
    scope: dict = {"__name__": "checks"}
    if exercise.checks_source:
        exec(compile(exercise.checks_source, f"{exercise.id}.checks.py", "exec"), scope)
    ctx = CheckContext(exercise.id, index_source(""), seed, module=scope)
    for check in exercise.checks:
        if check.kind == "python":
            PythonJudge().probes(check, ctx)
    return ctx.inputs, ctx.secrets


def _replay_131(exercise, seed: int) -> str:
    _, secrets = hidden_inputs(exercise, seed)
    # call 1 is the example; then the random_systems list (its decoys are singular), then the
    # singular list (its decoys are regular): raise exactly where that job had a singular A
    n_random = len(secrets["random_systems"])
    raise_at = {i + 2 for i, k in enumerate(secrets["random_systems"]) if k == "decoy"}
    raise_at |= {i + 2 + n_random for i, k in enumerate(secrets["singular"]) if k == "singular"}
    verify = [k == "right" for k in secrets["verify"]]
    return (
        "import torch\n\n"
        f"_RAISE = {sorted(raise_at)!r}\n_VERIFY = {verify!r}\n"
        "_n = {'solve': 0, 'verify': 0}\n\n\n"
        "def solve_linear_system(A, b):\n"
        "    _n['solve'] += 1\n"
        "    if _n['solve'] in _RAISE:\n"
        "        raise ValueError('singular (by call index)')\n"
        "    return torch.linalg.solve(A, b)\n\n\n"
        "def verify_solution(A, x, b):\n"
        "    _n['verify'] += 1\n"
        "    return _VERIFY[(_n['verify'] - 1) % len(_VERIFY)]\n\n\n"
        "def solve_3x3_system():\n"
        "    A = torch.tensor([[3.0, 2.0, -1.0], [1.0, -1.0, 2.0], [2.0, 1.0, 1.0]])\n"
        "    return torch.linalg.solve(A, torch.tensor([1.0, 4.0, 3.0]))\n"
    )


@pytest.mark.asyncio(loop_scope="session")
async def test_131_call_index_replay_fails_on_other_jobs(grader, curriculum):
    exercise = curriculum.get("1.3.1")
    source = _replay_131(exercise, LEARNED_SEED)
    learned = await grader.grade("1.3.1", source, seed=LEARNED_SEED)
    assert learned["status"] == "passed", learned["checks"]  # a faithful replay of that job
    others = await asyncio.gather(*(grader.grade("1.3.1", source, seed=s) for s in OTHER_SEEDS))
    for seed, result in zip(OTHER_SEEDS, others, strict=True):
        failed = {c["id"] for c in result["checks"] if c["status"] != "passed"}
        assert failed & {"singular", "verify"}, (seed, result["checks"])


def test_case_kinds_and_counts_vary_between_jobs(curriculum):
    """The regular/singular mix and the right/wrong verify mix differ from job to job."""
    exercise = curriculum.get("1.3.1")
    patterns = set()
    for seed in range(20):
        _, secrets = hidden_inputs(exercise, seed)
        patterns.add((tuple(secrets["random_systems"]), tuple(secrets["singular"]),
                      tuple(secrets["verify"])))
        assert {"regular", "decoy"} == set(secrets["random_systems"])
        assert {"singular", "decoy"} == set(secrets["singular"])
        assert {"right", "wrong", "near"} == set(secrets["verify"])
    assert len(patterns) == 20
    lengths = {len(hidden_inputs(exercise, s)[1]["verify"]) for s in range(20)}
    assert len(lengths) > 1 and np.all([n >= 4 for n in lengths])


def _kind_patterns(exercise, check_id, kind_of, seeds=range(12)) -> set[tuple]:
    """The sequence of case kinds the grader draws for one check, per seed."""
    patterns = set()
    for seed in seeds:
        inputs, secrets = hidden_inputs(exercise, seed)
        kinds = secrets.get(check_id)
        patterns.add(tuple(kinds) if kinds is not None else tuple(map(kind_of, inputs[check_id])))
    return patterns


def _broadcasts(a, b) -> bool:
    import torch

    try:
        torch.broadcast_shapes(tuple(a), tuple(b))
    except RuntimeError:
        return False
    return True


# exercise, check, how to tell a case's kind from its inputs (None: the kinds are secrets)
MIXED = [
    ("2.2.4", "can_expand", lambda c: c[0].dim() <= len(c[1]) and all(
        s in (1, t) or t == -1
        for s, t in zip(reversed(c[0].shape), reversed(c[1]), strict=False))),
    ("2.2.5", "broadcast_shape", lambda c: _broadcasts(*c)),
    ("2.2.5", "safe_add", lambda c: _broadcasts(c[0].shape, c[1].shape)),
    ("1.3.2", "derivative", lambda c: c[0].numel() == 1),
    ("2.3.2b", "create_ngrams", lambda c: len(c[0][0]) < c[1].get("n", 3)),
    ("6.1.3b", "f1", None),
    ("final.2", "loss", None),
]


@pytest.mark.parametrize(("exercise_id", "check_id", "kind_of"), MIXED,
                         ids=[f"{m[0]}-{m[1]}" for m in MIXED])
def test_kinds_of_hidden_cases_come_in_a_different_order_every_job(curriculum, exercise_id,
                                                                   check_id, kind_of):
    patterns = _kind_patterns(curriculum.get(exercise_id), check_id, kind_of)
    assert len(patterns) >= 4, patterns  # 12 jobs: the kind at a given call number changes
    assert all(len(set(p)) > 1 for p in patterns), patterns  # every job mixes the kinds
