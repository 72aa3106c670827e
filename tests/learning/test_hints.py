"""The hint ladder on SQLite and PostgreSQL: the cost is stated before a
level is revealed, each level used is recorded once and lowers the first
pass's points (capped), and a timed challenge has no hints while a window of
it — the cohort's or the member's own timer — is open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.chat import render
from bot.chat.handler import ChatHandler, Incoming
from bot.core.hints import HintsLocked, target_of
from bot.core.types import Role
from curriculum import load_curriculum
from curriculum.hints import default_hints, unknown_targets
from grader.result import CheckResult, CheckStatus, ErrorCause, GradeResult, Status

from .conftest import FAIL, PASS, World, cohort, grade


async def ask(handler: ChatHandler, who: str, line: str) -> str:
    replies = await handler.handle(Incoming("test", "c1", who, who.title(), line))
    assert all(r.private for r in replies)
    return "\n".join(r.as_text() for r in replies)


async def test_levels_cost_stated_first_and_deducted(world: World) -> None:
    await cohort(world, ["ann"])
    handler = ChatHandler(world.dojo)
    failed = await grade(world, "ann", "1.1.2", FAIL)
    assert failed.hint is not None and (failed.hint.level, failed.hint.cost) == (1, 1)
    ladder = [h.replace("{check}", "c1") for h in default_hints().for_check("1.1.2", "c1", "value")]
    assert len(ladder) == 3

    text = await ask(handler, "ann", "/dojo hint 1.1.2")
    assert "costs 1 point" in text and "(10 → 9 of 10)" in text
    assert "/dojo hint 1.1.2 yes" in text and ladder[0] not in text
    assert (await world.dojo.hint(world.actor("ann"), "1.1.2")).level == 1  # nothing recorded

    text = await ask(handler, "ann", "/dojo hint 1.1.2 yes")
    assert ladder[0] in text and "first pass now scores at most 9" in text
    await ask(handler, "ann", "/dojo hint 1.1.2")  # level 2's cost, offered
    text = await ask(handler, "ann", "/dojo hint 1.1.2 yes")
    assert ladder[1] in text and "at most 7" in text
    step = await world.dojo.hint(world.actor("ann"), "1.1.2")
    assert (step.level, step.cost) == (3, 2)  # 3 points, but hints cost at most half in all
    await ask(handler, "ann", "/dojo hint 1.1.2")
    await ask(handler, "ann", "/dojo hint 1.1.2 yes")
    text = await ask(handler, "ann", "/dojo hint 1.1.2")
    assert "every hint" in text and all(h in text for h in ladder)  # seen again, free

    passed = await grade(world, "ann", "1.1.2", PASS)
    assert passed.points == 5 and passed.hinted == 5
    assert "+5 points (5 less for the hints used)" in render.graded(passed).as_text()
    with pytest.raises(Exception, match="passed — no hint needed"):
        await world.dojo.hint(world.actor("ann"), "1.1.2")


async def test_yes_confirms_only_the_cost_offered_last(world: World) -> None:
    """Walkthrough 14: '/dojo hint ID yes' right after a failing verdict revealed
    level 1 and charged it, and 'yes' twice revealed level 2 without its cost
    ever being shown. 'yes' now confirms only the offer made to this member for
    this exercise and level, while it is still current; otherwise the offer is
    stated and nothing is revealed."""
    await cohort(world, ["ann", "bob"])
    handler = ChatHandler(world.dojo)
    ladder = [h.replace("{check}", "c1") for h in default_hints().for_check("1.1.2", "c1", "value")]
    await grade(world, "ann", "1.1.2", FAIL)

    text = await ask(handler, "ann", "/dojo hint 1.1.2 yes")  # never offered: the offer only
    assert ladder[0] not in text and "costs 1 point" in text and "Nothing revealed" in text
    assert (await world.dojo.hint(world.actor("ann"), "1.1.2")).level == 1  # not charged
    text = await ask(handler, "ann", "/dojo hint 1.1.2 yes")  # that offer is now confirmed
    assert ladder[0] in text and "at most 9" in text

    text = await ask(handler, "ann", "/dojo hint 1.1.2 yes")  # level 2 was never offered
    assert ladder[1] not in text and "Hint 2 of 3 costs 2 points" in text
    assert (await world.dojo.hint(world.actor("ann"), "1.1.2")).level == 2

    # a new attempt makes the offer stale: its cost may differ, so it is offered again
    await grade(world, "ann", "1.1.2", FAIL)
    text = await ask(handler, "ann", "/dojo hint 1.1.2 yes")
    assert ladder[1] not in text and "Hint 2 of 3 costs" in text
    # another member's offer, or an offer for another exercise, confirms nothing
    await grade(world, "bob", "1.1.2", FAIL)
    await grade(world, "bob", "1.1.1", FAIL)
    await ask(handler, "bob", "/dojo hint 1.1.2")
    await ask(handler, "bob", "/dojo hint 1.1.1")
    text = await ask(handler, "bob", "/dojo hint 1.1.2 yes")  # offered, then another's
    assert ladder[0] in text
    text = await ask(handler, "ann", "/dojo hint 1.1.2 yes")  # ann's own, current offer
    assert ladder[1] in text and "at most 7" in text


async def test_hints_are_free_once_scored_and_need_an_attempt(world: World) -> None:
    await cohort(world, ["bob"])
    with pytest.raises(Exception, match="no graded attempt"):
        await world.dojo.hint(world.actor("bob"), "1.1.1")
    await grade(world, "bob", "1.1.1", PASS)
    failed = await grade(world, "bob", "1.1.1", FAIL)  # experimenting after the pass
    assert failed.hint is not None and failed.hint.cost == 0
    text = await ask(ChatHandler(world.dojo), "bob", "/dojo hint 1.1.1")
    assert "(hint 1 of 3, free)" in text  # no confirmation needed for a free hint


async def test_no_hints_while_a_challenge_window_is_open(world: World) -> None:
    await cohort(world, ["ann", "bob"])
    await world.dojo.start_timer(world.actor("ann"), "1.4.1")  # her own 60-minute timer
    coach = world.actor("coach", Role.instructor)
    await world.dojo.open_challenge(coach, "1.4.1", duration=timedelta(minutes=30))
    for who in ("ann", "bob"):
        failed = await grade(world, who, "1.4.1", FAIL)
        assert failed.hint is None  # not even offered
        with pytest.raises(HintsLocked):
            await world.dojo.hint(world.actor(who), "1.4.1")
    world.clock.advance(timedelta(minutes=40))  # the cohort window closed; her timer did not
    await world.dojo.hint(world.actor("bob"), "1.4.1")
    with pytest.raises(HintsLocked):
        await world.dojo.hint(world.actor("ann"), "1.4.1")
    world.clock.advance(timedelta(minutes=30))
    step = await world.dojo.hint(world.actor("ann"), "1.4.1", reveal=True)
    assert step.text and step.cost == 3
    late = await grade(world, "ann", "1.4.1", PASS)
    assert late.late and late.points == 15 - 3  # half points after the window, less the hint


def test_the_hint_targets_what_stopped_the_code_first() -> None:
    checks = (CheckResult("zeros_1", "shape", CheckStatus.failed, "expected (3, 4)"),
              CheckResult("zeros_2", "run", CheckStatus.not_run))
    failed = GradeResult("1.1.1", Status.failed, 0, 2, checks)
    assert target_of(failed) == ("zeros_1", "check", "shape")
    broken = GradeResult("1.1.1", Status.error, 0, 2, checks,
                         cause=ErrorCause("SyntaxError", "'(' was never closed", 2, 10))
    assert target_of(broken) == ("SyntaxError", "error", "SyntaxError")
    slow = GradeResult("1.1.1", Status.timeout, 0, 2, checks[1:])
    assert target_of(slow) == ("timeout", "status", "timeout")
    assert target_of(GradeResult("1.1.1", Status.passed, 2, 2)) is None
    book = default_hints()
    assert book.for_cause("SyntaxError") and book.for_status("timeout")
    assert book.for_check("9.9.9", "x", "grad") == book.kinds["grad"]


def test_written_ladders_cover_weeks_one_and_two_and_name_real_checks() -> None:
    curriculum = load_curriculum()
    book = default_hints()
    assert unknown_targets(book, curriculum) == []
    early = [ex.id for ex in curriculum.ordered() if ex.week <= 2]
    assert [ex_id for ex_id in early if ex_id not in book.exercises] == []
    assert {"3.1.2", "3.2.1", "4.1.1", "5.1.1"} <= set(book.exercises)  # most failed later
    for kind in ("shape", "dtype", "value", "api", "name", "grad", "train", "module"):
        assert len(book.kinds[kind]) == 3, kind
    ladders = [ladder for by_check in book.exercises.values() for ladder in by_check.values()]
    ladders += [*book.kinds.values(), *book.causes.values(), *book.statuses.values(),
                book.default]
    assert not [h for ladder in ladders for h in ladder if "seed" in h.lower()]
