"""The dashboard's read models against a real database: heatmap states,
streaks and who is behind, exercise statistics with grouped failures, one
submission (never across cohorts), regrading through the queue, and the
summary sheet's formula escaping."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot.core.errors import DojoError, NotAllowed, NotFound
from bot.core.insights import CellState, Insights

from .conftest import HOSTILE_CODE, HOSTILE_NAME, Seeded

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def seeded(world) -> Seeded:  # type: ignore[no-untyped-def]
    return await Seeded(world).build()


async def test_overview_states_streaks_points_and_behind(seeded: Seeded) -> None:
    ov = await Insights(seeded.world.dojo).overview(seeded.cohort_id, week=1, behind_days=3)
    assert ov.cohort.name == "Torch Evenings" and ov.cohort.day == 5
    ids = [c.id for c in ov.columns]
    assert ids[:2] == ["1.1.1", "1.1.2"] and "2.1.1" not in ids
    rows = {r.user_id: r for r in ov.rows}
    assert set(rows) == {"alice", "bob", "carol", "mallory"}  # not the other cohort's zed
    states = {u: dict(zip(ids, (c.state for c in r.cells), strict=True)) for u, r in rows.items()}
    assert states["alice"]["1.1.1"] is CellState.first_try
    assert states["alice"]["1.1.2"] is CellState.after_tries
    assert states["bob"]["1.1.1"] is CellState.failing
    assert states["carol"]["1.1.1"] is CellState.not_tried
    alice = rows["alice"]
    assert (alice.points, alice.passed, alice.submissions) == (20, 2, 3)
    # passes on Mon 2 and Tue 3; today is Fri 6: the streak broke on Wed
    assert (alice.streak, alice.best_streak) == (0, 2)
    assert alice.days_since_pass == 3 and alice.behind
    assert rows["carol"].last_pass is None and rows["carol"].behind
    bob_cell = rows["bob"].cells[0]
    assert bob_cell.graded == 2 and bob_cell.latest_id == seeded.subs["bob_1_fail2"]
    assert ov.state_counts[CellState.failing] == 2  # bob and mallory on 1.1.1
    relaxed = await Insights(seeded.world.dojo).overview(seeded.cohort_id, week=None,
                                                         behind_days=5)
    assert not {r.user_id: r for r in relaxed.rows}["alice"].behind
    assert len(relaxed.columns) > len(ov.columns)  # every week
    current = await Insights(seeded.world.dojo).overview(seeded.cohort_id)
    assert current.week == 1 and [c.id for c in current.columns] == ids


async def test_overview_sorts_the_whole_cohort_then_pages(seeded: Seeded) -> None:
    from bot.core.insights.overview import overview

    world = seeded.world
    pages = [await overview(world.db, world.dojo.curriculum, seeded.cohort_id, world.clock.now(),
                            week=1, sort="points", descending=True, page=n, per_page=3)
             for n in (1, 2, 9)]
    assert [p.page for p in pages] == [1, 2, 2] and pages[0].pages == 2
    assert pages[0].rows[0].user_id == "alice" and len(pages[1].rows) == 1
    assert pages[0].members == 4 and len(pages[0].behind) == 4  # all pages
    last = pages[1].rows[0]  # cells were read for the second page's member too
    assert len(last.cells) == len(pages[1].columns)
    assert sum(pages[1].state_counts.values()) == len(pages[1].columns)


async def test_streak_matches_the_chat_command(seeded: Seeded) -> None:
    """The overview's streak for a member is the one /dojo streak reports."""
    world = seeded.world
    world.clock.set(world.clock.now() - timedelta(days=3))  # Tue 3rd, noon
    ov = await Insights(world.dojo).overview(seeded.cohort_id)
    info = await world.dojo.streak(world.actor("alice"))
    row = next(r for r in ov.rows if r.user_id == "alice")
    assert (row.streak, row.best_streak) == (info.streak.current, info.streak.best) == (2, 2)


async def test_exercise_view_groups_failures(seeded: Seeded) -> None:
    view = await Insights(seeded.world.dojo).exercise(seeded.cohort_id, "1.1.1")
    assert (view.members_tried, view.members_passed) == (3, 1)
    assert view.pass_rate == pytest.approx(1 / 3)
    assert view.median_tries == 1.0 and view.median_time_to_pass == timedelta(0)
    assert view.result_counts == {"failed": 3, "passed": 1}
    (check,) = view.failing_checks
    assert check.check_id == "c1" and check.failures == 3 and check.members == 2
    (group,) = check.groups  # the grader double's one message, three times
    assert group.count == 3 and group.pattern.startswith("expected #, found #")
    assert {r.id for r in group.submissions} == {
        seeded.subs["bob_1_fail"], seeded.subs["bob_1_fail2"], seeded.subs["mallory"]}
    assert view.members[0].name == "Bob"  # the most stuck first
    second = await Insights(seeded.world.dojo).exercise(seeded.cohort_id, "1.1.2")
    assert second.median_tries == 2.0 and second.median_time_to_pass == timedelta(days=1, hours=1)
    with pytest.raises(NotFound):
        await Insights(seeded.world.dojo).exercise(seeded.cohort_id, "9.9.9")


async def test_submission_detail_stays_inside_its_cohort(seeded: Seeded) -> None:
    insights = Insights(seeded.world.dojo)
    detail = await insights.submission(seeded.cohort_id, seeded.subs["mallory"])
    assert detail.code == HOSTILE_CODE and detail.member_name == HOSTILE_NAME
    assert detail.result_status == "failed" and detail.checks[0].status == "failed"
    assert detail.stdout.startswith("hello") and detail.environment
    with pytest.raises(NotFound):
        await insights.submission(seeded.cohort_id, seeded.subs["other"])
    with pytest.raises(NotFound):
        await insights.submission(seeded.other_cohort_id, seeded.subs["mallory"])


async def test_regrade_queues_a_copy_graded_by_the_same_queue(seeded: Seeded) -> None:
    world = seeded.world
    old = seeded.subs["bob_1_fail"]
    with pytest.raises(NotAllowed):
        await world.dojo.regrade(world.actor("bob"), old)
    with pytest.raises(NotFound):  # another cohort's instructor
        await world.dojo.regrade(seeded.other_coach, old)
    new = await world.dojo.regrade(seeded.coach, old)
    # a second click while that one waits: refused, not the same code queued twice (two
    # verdicts in the channel)
    with pytest.raises(DojoError, match=f"already queued for grading again as #{new}"):
        await world.dojo.regrade(seeded.coach, old)
    detail = await Insights(world.dojo).submission(seeded.cohort_id, new)
    assert detail.state in ("queued", "grading") and detail.code == "# FAIL\n"
    assert detail.received_at == (await Insights(world.dojo).submission(
        seeded.cohort_id, old)).received_at
    await world.dojo.dispatcher.settle()  # the regrade went into the one queue
    graded = await Insights(world.dojo).submission(seeded.cohort_id, new)
    assert graded.state == "graded" and graded.result_status == "failed"
    assert [h.id for h in graded.history][-1] == new
    assert await world.dojo.regrade(seeded.coach, old) > new  # graded: again is fine


async def test_summary_sheet_escapes_formulas(seeded: Seeded) -> None:
    world = seeded.world
    await world.dojo.join(world.actor("eve").__class__(
        "test", "c1", "eve", "=HYPERLINK(\"http://x\")"))
    name, data = await Insights(world.dojo).summary_csv(seeded.cohort_id)
    assert name == "torch-evenings-members.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    by_user = {r["user_id"]: r for r in rows}
    assert by_user["eve"]["member"] == "'=HYPERLINK(\"http://x\")"
    assert by_user["alice"]["points"] == "20" and by_user["alice"]["passed_first_try"] == "1"
    assert rows[0]["user_id"] == "alice"  # most points first


async def test_days_since_pass_sorts_who_never_passed_first(seeded: Seeded) -> None:
    """Sorting by "days since pass" (where the falling-behind list sends an
    instructor when it overflows) puts who never passed at the top, longest
    joined first, in the falling-behind list's own order."""
    world = seeded.world
    ov = await Insights(world.dojo).overview(seeded.cohort_id, week=1, sort="since_pass",
                                             descending=True)
    order = [r.user_id for r in ov.rows]
    assert order == ["bob", "carol", "mallory", "alice"], order  # mallory joined at 10:00
    assert [r.user_id for r in ov.behind] == order
    ascending = await Insights(world.dojo).overview(seeded.cohort_id, week=1,
                                                    sort="since_pass", descending=False)
    assert [r.user_id for r in ascending.rows][:2] == ["alice", "mallory"]


async def test_member_drill_down_stays_inside_its_cohort(seeded: Seeded) -> None:
    """One member's page: the overview's standing, each exercise's state and
    every submission newest first; another cohort's member is not found, and
    one who left is still shown (their submissions are linked from pages)."""
    world = seeded.world
    insights = Insights(world.dojo)
    alice_id = await world.member_id("alice")
    view = await insights.member(seeded.cohort_id, alice_id)
    m = view.member
    assert (m.user_id, m.points, m.passed, m.tried, m.first_try) == ("alice", 20, 2, 2, 1)
    assert (m.streak, m.best_streak, m.days_since_pass) == (0, 2, 3) and m.behind
    assert [(e.exercise.id, e.cell.state) for e in view.exercises] == [
        ("1.1.1", CellState.first_try), ("1.1.2", CellState.after_tries)]
    assert [s.id for s in view.submissions] == [
        seeded.subs["alice_2"], seeded.subs["alice_2_fail"], seeded.subs["alice_1"]]
    assert [(s.status, s.points) for s in view.submissions] == [
        ("passed", 10), ("failed", None), ("passed", 10)]
    assert view.total_submissions == 3 and not view.left
    assert view.hints == []
    carol = await insights.member(seeded.cohort_id, await world.member_id("carol"))
    assert carol.exercises == [] and carol.submissions == [] and carol.member.last_pass is None
    # why a member's first pass may score less: the hints they revealed, and what they cost
    bob = world.actor("bob")
    steps = [await world.dojo.hint(bob, "1.1.1", reveal=True) for _ in range(2)]
    hinted = (await insights.member(seeded.cohort_id, await world.member_id("bob"))).hints
    assert [(h.exercise_id, h.revealed) for h in hinted] == [("1.1.1", 2)]
    assert hinted[0].deduction == sum(step.cost for step in steps) > 0
    with pytest.raises(NotFound):
        await insights.member(seeded.cohort_id, await world.member_id("zed"))  # cohort 2's
    with pytest.raises(NotFound):
        await insights.member(seeded.other_cohort_id, alice_id)
    await world.dojo.leave(world.actor("alice"))
    gone = await insights.member(seeded.cohort_id, alice_id)
    assert gone.left and gone.member.points == 20
