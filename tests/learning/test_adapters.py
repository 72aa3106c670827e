"""The learning loop's messages on the real platform clients against the local
fakes (``tests/adapters``): review nudges go to the member's DMs, progress
edits the "⏳ grading…" message quietly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from adapters.fake_slack import FakeSlack
from adapters.test_discord import open_world

from bot.adapters.slack import SlackBot, SlackConfig
from bot.config import load_settings
from bot.core.clock import ManualClock
from bot.core.types import ExerciseItem, GradingProgress, ReviewNudge, StatusRef, Target
from bot.runtime import Runtime

from .conftest import FakeGrader

ITEMS = [ExerciseItem("1.1.3", "Practice Set 3: torch.rand()", "drill", 10, ""),
         ExerciseItem("2.1.6", "Practice Set 6: permute()", "drill", 15, "")]


@pytest.mark.asyncio(loop_scope="session")
async def test_discord_nudges_in_dms_and_edits_progress_quietly(tmp_path: Path) -> None:
    async with open_world(tmp_path, FakeGrader()) as w:
        target = Target("discord", w.channel, 1, "Alpha", "UTC")
        mark = w.fake.mark()
        await w.bot.deliver(ReviewNudge(target, w.alice.id, "alice", ITEMS))
        dm = await w.call_after(mark, lambda c: c.method == "POST"
                                and c.path == "/users/@me/channels")
        assert str(dm.json["recipient_id"]) == w.alice.id
        sent = await w.call_after(mark, lambda c: c.method == "POST"
                                  and c.path.endswith("/messages") and "1.1.3" in str(c.json))
        assert w.channel not in sent.path  # privately, never in the cohort channel
        assert "2 reviews due today" in str(sent.json)

        mark = w.fake.mark()
        await w.bot.deliver(GradingProgress(target, w.alice.id, 12, "5.1.3", "check", 2, 4,
                                            "train", 6.0, StatusRef(w.channel, "777")))
        edit = await w.call_after(mark, lambda c: c.method == "PATCH")
        assert edit.path == f"/channels/{w.channel}/messages/777"
        assert "training check 2/4" in str(edit.json)
        assert edit.json["allowed_mentions"]["parse"] == []  # an edit pings nobody
        assert not [c for c in w.fake.since(mark) if c.method == "POST"]


@pytest.mark.asyncio(loop_scope="session")
async def test_slack_nudges_in_dms_and_updates_progress(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        tiny_curriculum: Any) -> None:
    fake = await FakeSlack().start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_API_URL", fake.url + "api/")
    settings = load_settings()
    rt = await Runtime.start(settings, database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db",
                             grader=FakeGrader(), curriculum=tiny_curriculum,
                             clock=ManualClock(datetime(2026, 3, 2, 10, tzinfo=UTC)))
    bot = SlackBot(rt, SlackConfig.from_settings(settings))
    try:
        target = Target("slack", "C1", 1, "Torch Study", "UTC")
        await bot.outbox.deliver(ReviewNudge(target, "UMEM", "Mem", ITEMS))
        opened = await fake.wait_for("conversations.open")
        assert opened.args["users"] == "UMEM"
        posted = await fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == "DUMEM")
        assert "2 reviews due today" in posted.text_all()

        await bot.outbox.deliver(GradingProgress(target, "UMEM", 12, "5.1.3", "running",
                                                 status=StatusRef("C1/17.1", "17.2")))
        update = await fake.wait_for("chat.update")
        assert (update.args["channel"], update.args["ts"]) == ("C1", "17.2")
        assert "running your code" in update.text_all()
        n = len(fake.calls)  # an ephemeral status cannot be updated: nothing is sent
        await bot.outbox.deliver(GradingProgress(target, "UMEM", 13, "6.1.1", "judging",
                                                 status=StatusRef("C1", None, True)))
        assert len(fake.calls) == n
    finally:
        await bot.close()
        await rt.close()
        await fake.close()
