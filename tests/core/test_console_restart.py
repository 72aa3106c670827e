"""The console keeps its state across restarts: post ids never repeat (a reply
names exactly one post), a verdict edits the "grading…" post the member saw
even when it arrives after a restart, and the simulated clock continues."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.adapters.console import Console, group_messages, run_console
from bot.config import load_settings
from bot.core.clock import ManualClock, OffsetClock
from bot.db import PostedMessage
from bot.runtime import Runtime

from .conftest import T0, FakeGrader


async def start(url: str, curriculum: Any, grader: FakeGrader | None = None,
                clock: Any = None) -> Runtime:
    return await Runtime.start(load_settings(), database_url=url, grader=grader or FakeGrader(),
                               clock=clock or ManualClock(T0), curriculum=curriculum)


async def say(console: Console, *lines: str) -> str:
    out = console.out
    assert isinstance(out, io.StringIO)
    before = len(out.getvalue())
    await console.run(group_messages(lines), echo=True)
    return out.getvalue()[before:]


async def test_reply_after_a_restart_grades_the_post_it_answers(tmp_path: Path,
                                                                tiny_curriculum: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/console.sqlite3"
    rt = await start(url, tiny_curriculum)
    first = Console(rt, out=io.StringIO(), output_dir=tmp_path)
    await first.ensure_demo()
    text = await say(first, "/dojo clock +2h")  # day 1 posts: 1.1.1 and 1.1.2
    posts_run1 = dict(re.findall(r"\[post (m\d+)\]\n\s+`(\d\.\d\.\d)`", text))
    await rt.close()

    rt = await start(url, tiny_curriculum, clock=ManualClock(T0))
    second = Console(rt, out=io.StringIO(), output_dir=tmp_path)
    await second.restore_clock()
    text = await say(second, "/dojo clock +1d")  # day 2 posts 1.2.1 under new ids
    posts_run2 = dict(re.findall(r"\[post (m\d+)\]\n\s+`(\d\.\d\.\d)`", text))
    assert not set(posts_run1) & set(posts_run2), "post ids repeated after a restart"
    post_112 = next(mid for mid, ex in posts_run1.items() if ex == "1.1.2")
    text = await say(second, f"/dojo reply {post_112}", "```python", "v_1_1_2 = 1  # PASS",
                     "```")
    assert "`1.1.2`" in text and "passed" in text and "`1.1.1`" not in text
    async with rt.dojo.db.session() as s:
        dupes = await s.scalar(select(func.count()).select_from(
            select(PostedMessage.cohort_id, PostedMessage.message_id)
            .group_by(PostedMessage.cohort_id, PostedMessage.message_id)
            .having(func.count() > 1).subquery()))
    assert dupes == 0
    await rt.close()


async def test_a_verdict_after_a_restart_edits_the_post_the_member_saw(
        tmp_path: Path, tiny_curriculum: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/console.sqlite3"
    grader = FakeGrader()
    grader.down = True
    rt = await start(url, tiny_curriculum, grader)
    console = Console(rt, out=io.StringIO(), output_dir=tmp_path)
    await console.ensure_demo()
    text = await say(console, "/dojo submit 1.1.1", "```python", "x = 1  # PASS", "```")
    status_post = re.search(r"\[post (m\d+)\] @you\n\s+⏳ #1", text).group(1)
    assert f"[edit {status_post}]" in text and "safely queued" in text
    await rt.close()  # the bot goes down with the submission still queued

    grader.down = False
    clock = ManualClock(T0)
    rt = await start(url, tiny_curriculum, grader, clock)
    console = Console(rt, out=io.StringIO(), output_dir=tmp_path)
    await console.restore_clock()
    text = await say(console, "/dojo clock +10m")
    assert f"[edit {status_post}]" in text and "passed" in text and "grader is back" in text
    text = await say(console, "/dojo clock +10m")
    assert "passed" not in text  # delivered exactly once
    await rt.close()


async def test_the_simulated_clock_survives_a_restart(tmp_path: Path,
                                                      tiny_curriculum: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/console.sqlite3"
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("/dojo clock +12d\n/dojo today\n")
    second.write_text("/dojo today\n")
    rt = await start(url, tiny_curriculum, clock=OffsetClock())
    out = io.StringIO()
    await run_console(rt, script=first, demo=True, output_dir=tmp_path, out=out)
    day = re.findall(r"day (\d+)", out.getvalue())[-1]
    await rt.close()

    rt = await start(url, tiny_curriculum, clock=OffsetClock())
    out = io.StringIO()
    await run_console(rt, script=second, demo=True, output_dir=tmp_path, out=out)
    text = out.getvalue()
    assert "simulated clock restored" in text
    assert re.findall(r"day (\d+)", text)[-1] == day
    await rt.close()
