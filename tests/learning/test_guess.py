"""Which exercise a piece of code answers, on SQLite and PostgreSQL:
``/dojo submit`` without an id guesses from every exercise when today's items
do not match, and a verdict says when the code defines another exercise's
names ("this looks like 1.1.1")."""

from __future__ import annotations

from bot.chat import render
from bot.chat.handler import ChatHandler, Incoming

from .conftest import World, cohort, grade


async def submit_without_id(world: World, code: str) -> str:
    handler = ChatHandler(world.dojo)
    replies = await handler.handle(Incoming("test", "c1", "ann", "Ann",
                                            f"/dojo submit\n```python\n{code}\n```"))
    return replies[0].as_text()


async def test_submit_without_an_id_looks_beyond_today(world: World) -> None:
    await cohort(world, ["ann"])  # day 1: 1.1.1 and 1.1.2
    assert "`2.1.1` received" in await submit_without_id(world, "v_2_1_1 = 1  # FAIL")
    assert "`1.1.2` received" in await submit_without_id(world, "v_1_1_2 = 1  # FAIL")
    text = await submit_without_id(world, "nothing_known = 1")
    assert "Which exercise is this for?" in text  # no names to go by


async def test_the_verdict_says_which_exercise_the_code_answers(world: World) -> None:
    await cohort(world, ["ann"])
    ev = await grade(world, "ann", "1.1.2", "v_1_1_1 = 1  # FAIL")
    assert ev.looks_like == "1.1.1"
    lines = render.graded(ev).as_text().splitlines()
    assert "This looks like `1.1.1`" in lines[1] and "/dojo submit 1.1.1" in lines[1]
    ev = await grade(world, "ann", "1.1.2", "v_1_1_2 = 1  # FAIL")
    assert ev.looks_like is None
