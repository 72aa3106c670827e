"""Week 4's schedule: every week-4 item once on days 22-28, following the seed's routines."""

from __future__ import annotations


def _day_of(curriculum) -> dict[str, int]:
    return {i: day for day, ids in curriculum.schedule.items() for i in ids}


def test_week4_schedule_covers_every_item_once(curriculum):
    week4 = {e.id for e in curriculum.ordered(4)}
    posted = [i for day in range(22, 29) for i in curriculum.schedule.get(day, [])]
    assert sorted(posted) == sorted(week4)
    assert all(curriculum.schedule.get(day) for day in range(22, 29))


def test_week4_follows_the_seeds_daily_memorization_schedule(curriculum):
    day_of = _day_of(curriculum)
    # 4.2: day 1 Linear, Conv2d, MaxPool2d; day 2 BatchNorm, Dropout, ReLU; day 3 LSTM/GRU,
    # Embedding; day 4 review
    assert {day_of[i] for i in ("4.2.1", "4.2.2", "4.2.4")} == {22}
    assert {day_of[i] for i in ("4.2.5", "4.2.6", "4.2.7")} == {23}
    assert {day_of[i] for i in ("4.2.8", "4.2.9")} == {24}
    # 4.1 one practice set a day, in order; applications after the module drill starts
    assert [day_of[f"4.1.{k}"] for k in range(1, 6)] == list(range(22, 27))
    apps = [e.id for e in curriculum.ordered(4) if e.id.startswith("4.3.")]
    assert [day_of[i] for i in apps] == sorted(day_of[i] for i in apps)
    assert min(day_of[i] for i in apps) > max(day_of[f"4.2.{k}"] for k in range(1, 10)) - 1
