"""A newcomer's and a new instructor's walk through the chat verbs, and the
bad input they type: every reply says what happened and what to do next, an
exercise id written another way still finds its exercise, and nothing a
member sent is lost or graded as something else.

The real chat handler, core and a SQLite database; the grader double of
``conftest.py`` (code containing PASS passes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.chat import render
from bot.chat.handler import ChatHandler, Incoming
from bot.core.types import ListOutbox, Role, StatusRef
from bot.db import Database, Submission

from .conftest import World


@pytest_asyncio.fixture
async def chat(tmp_path: Path, tiny_curriculum: Any) -> AsyncIterator[tuple[World, ChatHandler]]:
    url = f"sqlite+aiosqlite:///{tmp_path}/walk.sqlite3"
    db = Database(url)
    await db.upgrade()
    await db.close()
    w = World(url, tiny_curriculum)
    h = ChatHandler(w.dojo)
    await h.handle(msg("/dojo cohort create Torch tz=UTC", "coach", Role.instructor))
    yield w, h
    await w.close()


def msg(text: str, user: str = "ann", role: Role = Role.member, **kw: Any) -> Incoming:
    return Incoming("test", "c1", user, user.title(), text, role, **kw)


async def say(h: ChatHandler, *args: Any, **kw: Any) -> str:
    """Every reply to a message, and the verdict delivered after grading."""
    replies = await h.handle(msg(*args, **kw))
    for r in replies:
        if r.status_of is not None:
            await h.status_posted(r, StatusRef("c1", f"s{r.status_of}"))
    outbox = ListOutbox()
    await h.dojo.dispatcher.settle()
    await h.dojo.notices.deliver_pending("test", outbox)
    replies += [r for ev in outbox.events for r in render.event(ev)]
    return "\n---\n".join(r.as_text() for r in replies)


async def submissions(w: World) -> list[tuple[str, str]]:
    async with w.db.session() as s:
        rows = (await s.execute(select(Submission.exercise_id, Submission.code)
                                .order_by(Submission.id))).all()
    return [(e, c) for e, c in rows]


CODE = "```python\nv_1_1_1 = 1  # PASS\n```"


@pytest.mark.parametrize("written", ["`1.1.1`", "1,1,1", "1-1-1", "#1.1.1", "1.1.1:",
                                     "ex 1.1.1", "Ex1.1.1", "exercise 1.1.1", "'1.1.1'"])
async def test_an_id_written_another_way_finds_its_exercise(
        chat: tuple[World, ChatHandler], written: str) -> None:
    w, h = chat
    shown = await say(h, f"/dojo show {written}")
    assert shown.startswith("`1.1.1` Exercise 1.1.1"), shown
    graded = await say(h, f"/dojo submit {written}\n{CODE}")
    assert "`1.1.1`" in graded and "passed" in graded, graded
    assert await submissions(w) == [("1.1.1", "v_1_1_1 = 1  # PASS\n")]


async def test_a_near_miss_id_is_never_taken_for_another_exercise(
        chat: tuple[World, ChatHandler]) -> None:
    w, h = chat
    reply = await say(h, f"/dojo submit 1.1.10\n{CODE}")
    assert "No exercise '1.1.10'" in reply and "Did you mean 1.1.1, 1.1.2?" in reply
    reply = await say(h, "/dojo show 1.1")
    assert "Did you mean 1.1.1, 1.1.2?" in reply, reply
    assert "Did you mean 1.2.1, 1.2.2?" in await say(h, "/dojo show 1.2.3")
    assert await submissions(w) == []


async def test_a_challenge_written_another_way_stays_private(
        chat: tuple[World, ChatHandler]) -> None:
    """1.4.1 is a timed challenge: its answer posted in the open comes down,
    whichever way its id is written."""
    w, h = chat
    for written in ("1,4,1", "`1.4.1`", "ex 1.4.1"):
        (reply,) = await h.handle(msg(f"/dojo submit {written}\n{CODE}", public=True))
        assert reply.takedown and reply.private, written
        assert "`1.4.1` is a timed challenge" in reply.text
    assert await submissions(w) == []
