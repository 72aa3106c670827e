"""Week 1's schedule: every week-1 item posted once on days 1-7, drills before applications."""

from __future__ import annotations


def test_week1_schedule_covers_every_item_once(curriculum):
    week1 = {e.id for e in curriculum.ordered(1)}
    posted = [i for day in range(1, 8) for i in curriculum.schedule.get(day, [])]
    assert sorted(posted) == sorted(week1)
    assert all(curriculum.schedule.get(day) for day in range(1, 8))


def test_week1_drills_come_before_applications(curriculum):
    day_of = {i: day for day, ids in curriculum.schedule.items() for i in ids}
    drills = [e.id for e in curriculum.ordered(1) if e.kind == "drill"]
    problems = [e.id for e in curriculum.ordered(1) if e.kind == "problem"]
    assert max(day_of[d] for d in drills if d.startswith("1.1.")) < min(
        day_of[p] for p in problems)
    # the seed's 1.2 routine: basic indexing first, mixed practice (the quiz) on day 7
    assert day_of["1.2.1"] <= 2 and day_of["1.2.7"] == 7
    # each exercise's items in seed order
    for prefix in ("1.1.", "1.2.", "1.3."):
        ids = [e.id for e in curriculum.ordered(1) if e.id.startswith(prefix)]
        assert [day_of[i] for i in ids] == sorted(day_of[i] for i in ids)
