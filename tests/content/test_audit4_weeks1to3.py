"""Fourth audit of weeks 1–3 (held-out learner submissions): wrong verdicts and
misleading messages it found.

Each test grades a submission the audit found mis-judged or mis-explained, so it
fails on the old checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ASYNC = pytest.mark.asyncio(loop_scope="session")

SEED = 4344
ROOT = Path(__file__).resolve().parents[2]


def _reference(exercise_id: str) -> str:
    week = exercise_id.split(".")[0]
    return (ROOT / "curriculum" / f"week{week}" / f"{exercise_id}.ref.py").read_text()


def _failed(result: dict) -> dict[str, str]:
    return {c["id"]: c["kind"] for c in result["checks"] if c["status"] == "failed"}


def _message(result: dict, check_id: str) -> str:
    return next(c["message"] for c in result["checks"] if c["id"] == check_id)


def _replace(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


# --- 1.3.4: a report dict missing a key names the key ---------------------------------

@ASYNC
async def test_134_report_without_z_scores_names_the_missing_key(grader) -> None:
    source = _replace(_reference("1.3.4"), ', "z_scores": normalized}', "}")
    result = await grader.grade("1.3.4", source, seed=SEED)
    assert _failed(result).get("report") == "type", result["checks"]
    message = _message(result, "report")
    assert "lacks 'z_scores'" in message and "found dict" not in message, message
