"""One status list (grader/result.py) for grader and bot: every status has its
own wording in the chat, every status survives the bot's reading of a result,
and a result the bot cannot read is reported, not guessed."""

from __future__ import annotations

import pytest

from bot.chat import render
from bot.core.types import GradedNotice, Target
from grader.result import STATUSES, GradeResult, ResultFormatError, Status

TARGET = Target("test", "c1", 1, "Cohort", "UTC")


def notice(result: GradeResult) -> GradedNotice:
    return GradedNotice(TARGET, "u1", "Ann", 7, "1.1.1", "Zeros", result, 0, 0, False, False,
                        False)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_its_own_wording(status: Status) -> None:
    icon, word, advice = render.STATUS_WORDING[status]
    assert icon and word
    message = "Your code printed more than 1024 KB; printing was stopped. Print less." \
        if status is Status.output_limit else ""
    result = GradeResult.from_dict({"exercise": "1.1.1", "status": status.value, "score": 0,
                                    "max_score": 10, "checks": [], "message": message})
    text = render.graded(notice(result)).as_text()
    assert word in text and icon in text
    if status.is_limit or status is Status.rejected:
        assert (message or advice) in text
    words = {w for _, w, _ in render.STATUS_WORDING.values()}
    assert len(words) == len(Status)  # no two statuses read alike


def test_the_status_list_lives_in_one_place() -> None:
    assert set(render.STATUS_WORDING) == set(Status)
    assert {"output_limit", "file_limit", "process_limit"} <= set(STATUSES)


@pytest.mark.parametrize("bad", [
    None, [], {"status": "exploded"}, {"status": "passed", "score": "ten"},
    {"status": "passed", "checks": [{"id": "a", "status": "maybe"}]},
    {"status": "passed", "checks": "all good"},
])
def test_unreadable_results_are_refused(bad: object) -> None:
    with pytest.raises(ResultFormatError):
        GradeResult.from_dict(bad)


def test_a_result_is_read_within_hard_caps() -> None:
    result = GradeResult.from_dict({
        "exercise": "1.1.1", "status": "failed", "score": 1, "max_score": 10,
        "stdout": "x" * 10_000_000, "message": "m" * 100_000,
        "checks": [{"id": "c", "kind": "value", "status": "failed", "message": "y" * 100_000,
                    "points": 0, "max_points": 1}],
    })
    assert len(result.stdout) <= 64 * 1024 and len(result.message) <= 4000
    assert len(result.checks[0].message) <= 4000
    assert GradeResult.from_dict(result.to_dict()) == result


def test_time_left_under_an_hour_is_in_minutes() -> None:
    """A streak reminder 20 minutes before midnight said "(0h left)"."""
    from bot.chat.render import time_left

    assert [time_left(h) for h in (5.4, 1.0, 0.34, 0.001)] == ["5h", "1h", "20 min", "1 min"]
