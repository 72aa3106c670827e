"""The Slack adapter end to end: the real Bolt app behind its HTTP endpoint
(signed requests as Slack sends them), the real slack_sdk Web API client
pointed at a local fake Slack (``SLACK_API_URL``), a SQLite database in a temp
file, the real core and the session's sandboxed in-process grader."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import pytest_asyncio
from aiohttp import web
from sqlalchemy import select

from bot.adapters.slack import EVENTS_PATH, SlackBot, SlackConfig, chunks, clip, reply_blocks
from bot.chat.replies import Reply
from bot.config import ConfigError, load_settings
from bot.core.clock import ManualClock
from bot.db import Submission
from bot.grader_client import GraderClient, HTTPGraderClient
from bot.runtime import Runtime
from bot.scheduler import BotScheduler

from .fake_slack import (
    Call,
    FakeSlack,
    command_body,
    event_body,
    payload_body,
    post_signed,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "s3cret-signing"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, after the 09:00 post
FORM = "application/x-www-form-urlencoded"



@dataclass
class Env:
    fake: FakeSlack
    rt: Runtime
    bot: SlackBot
    url: str
    clock: ManualClock

    async def cmd(self, text: str, user: str = "UMEM", channel: str = "C1",
                  trigger: str = "trig") -> str:
        body = command_body(text, user, channel, f"{self.fake.url}respond/{user}", trigger)
        status, out, took = await post_signed(self.url, body, FORM, SECRET)
        assert status == 200, out
        assert took < 3.0, f"slash command acknowledged after {took:.1f}s"
        return out

    async def event(self, event: dict[str, Any], event_id: str = "Ev1") -> None:
        status, out, took = await post_signed(self.url, event_body(event, event_id),
                                              "application/json", SECRET)
        assert status == 200, out
        assert took < 3.0

    async def interact(self, payload: dict[str, Any]) -> str:
        payload = {"team": {"id": "T1"}, "api_app_id": "A1", "token": "legacy", **payload}
        status, out, took = await post_signed(self.url, payload_body(payload), FORM, SECRET)
        assert status == 200, out
        assert took < 3.0
        return out

    def mark(self) -> int:
        return len(self.fake.calls)

    def scheduler(self) -> BotScheduler:
        return BotScheduler(self.rt.dojo, self.bot.outbox)


@pytest_asyncio.fixture(loop_scope="session")
async def fake() -> AsyncIterator[FakeSlack]:
    f = await FakeSlack(users={"UADMIN": {"is_admin": True}},
                        groups={"SCOACHES": ["UGROUP"]}).start()
    yield f
    await f.close()


def _env_vars(monkeypatch: pytest.MonkeyPatch, fake: FakeSlack, tmp_path: Path,
              app_token: str | None = None) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake.url + "api/")
    monkeypatch.setenv("SLACK_INSTRUCTORS", "UCOACH")
    monkeypatch.setenv("SLACK_INSTRUCTOR_GROUP", "SCOACHES")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/slack.sqlite3")
    monkeypatch.delenv("GRADER_URL", raising=False)
    if app_token:
        monkeypatch.setenv("SLACK_APP_TOKEN", app_token)
    else:
        monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


@pytest_asyncio.fixture(loop_scope="session")
async def make_env(fake: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                   ) -> AsyncIterator[Callable[[GraderClient], Awaitable[Env]]]:
    made: list[tuple[Env, web.AppRunner]] = []

    async def make(grader: GraderClient) -> Env:
        _env_vars(monkeypatch, fake, tmp_path)
        settings = load_settings()
        config = SlackConfig.from_settings(settings)
        clock = ManualClock(T0)
        rt = await Runtime.start(settings, grader=grader, clock=clock)
        bot = SlackBot(rt, config)
        runner = await bot.serve_http("127.0.0.1", 0)
        port = runner.addresses[0][1]
        env = Env(fake, rt, bot, f"http://127.0.0.1:{port}{EVENTS_PATH}", clock)
        made.append((env, runner))
        return env

    yield make
    for env, runner in made:
        await runner.cleanup()
        await env.bot.close()
        await env.rt.close()


@pytest_asyncio.fixture(loop_scope="session")
async def env(make_env: Callable[[GraderClient], Awaitable[Env]], grader_client: Any) -> Env:
    return await make_env(grader_client)


def has_text(needle: str) -> Callable[[Call], bool]:
    return lambda c: needle in c.text_all()


async def cohort(env: Env, channel: str = "C1") -> None:
    """An instructor creates the cohort, a member joins, day 1 is posted."""
    await env.cmd("cohort create Torch Study tz=UTC time=09:00", user="UCOACH", channel=channel)
    await env.fake.wait_for("chat.postMessage", has_text("Torch Study"))
    n = env.mark()
    await env.cmd("cohort join", user="UMEM", channel=channel)
    await env.fake.wait_for("chat.postMessage", has_text("Welcome"), after=n)


def drill_posts(fake: FakeSlack) -> dict[str, Call]:
    out = {}
    for c in fake.of("chat.postMessage"):
        for b in c.args.get("blocks") or []:
            if b.get("type") == "actions":
                out[b["block_id"].removeprefix("ex:")] = c
    return out


def fenced(code: str) -> str:
    """As Slack delivers message text: ``&``, ``<``, ``>`` as entities."""
    body = "```\n" + code + "\n```"
    return body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- the whole path ------------------------------------------------------------------------

async def test_drill_post_button_and_thread_submission_end_to_end(env: Env) -> None:
    fake = env.fake
    await cohort(env)
    sent = await env.scheduler().run_due()
    assert sent, "day 1 was due at 09:00"
    day1 = env.rt.dojo.curriculum.schedule[1]
    posts = drill_posts(fake)
    assert list(posts) == day1
    first = posts[day1[0]]
    ts = first.result["ts"]
    blob = first.text_all()
    assert "points" in blob and "counts for your streak" in blob and "Full prompt" in blob

    # "Full prompt" opens a modal with the whole prompt
    await env.interact({
        "type": "block_actions", "user": {"id": "UMEM"}, "trigger_id": "trig-prompt",
        "channel": {"id": "C1"}, "message": {"ts": ts},
        "container": {"type": "message", "message_ts": ts, "channel_id": "C1"},
        "actions": [{"type": "button", "action_id": "dojo_prompt", "value": day1[0],
                     "block_id": f"ex:{day1[0]}"}]})
    ex = env.rt.dojo.curriculum.get(day1[0])
    view = await fake.wait_for("views.open", lambda c: c.args.get("trigger_id") == "trig-prompt")
    assert view.args["view"]["title"]["text"] == f"Exercise {day1[0]}"
    assert len(view.text_all()) > len(ex.summary)

    # a code block in the drill's thread submits for that drill
    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM",
                     "text": "my try\n" + fenced(ex.reference), "ts": "1700009999.000001",
                     "thread_ts": ts, "channel_type": "channel"})
    status = await fake.wait_for(
        "chat.postMessage", lambda c: c.args.get("thread_ts") == ts, after=n)
    assert "grading" in status.args["text"] and "<@UMEM>" in status.args["text"]
    done = await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"],
                               after=n)
    assert "passed" in done.args["text"]
    blob = done.text_all()
    assert "✓" in blob and "✗" not in blob and "streak" in blob
    # Slack redelivering the same event does not submit twice
    await env.event({"type": "message", "channel": "C1", "user": "UMEM",
                     "text": "my try\n" + fenced(ex.reference), "ts": "1700009999.000001",
                     "thread_ts": ts, "channel_type": "channel"})
    await asyncio.sleep(0.3)
    async with env.rt.dojo.db.session() as s:
        sub = (await s.scalars(select(Submission))).one()
    assert sub.passed and sub.exercise_id == day1[0]
    assert sub.origin_message_id == "1700009999.000001"

    # an ordinary thread reply, or code in a thread that is not a drill's, is
    # conversation, not a submission
    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM", "text": "thanks!",
                     "ts": "1700009999.000002", "thread_ts": ts}, "Ev2")
    await env.event({"type": "message", "channel": "C1", "user": "UMEM",
                     "text": "look:\n" + fenced("x = 1"), "ts": "1700009999.000004",
                     "thread_ts": "1700009999.000003"}, "Ev2b")
    await asyncio.sleep(0.3)
    assert not [c for c in fake.calls[n:] if c.method.startswith("chat.")]

    # App Home: streak, progress picture, standing and next items
    await env.event({"type": "app_home_opened", "user": "UMEM", "channel": "D1",
                     "tab": "home"}, "Ev3")
    home = await fake.wait_for("views.publish", lambda c: c.args.get("user_id") == "UMEM")
    blob = home.text_all()
    assert "Torch Study" in blob and "🔥 1 days" in blob and "🟩" in blob
    assert "#1 of 1" in blob and day1[1] in blob


async def test_an_edited_thread_reply_is_graded_again_in_its_status_message(env: Env) -> None:
    """As on Discord: a thread reply edited within five minutes of posting it is graded
    again, its verdict replacing the old one in the same status message (no second
    status, no second message); a reply that made no submission (code without a
    block) is handled when the edit adds the block; a late edit, a same-text edit
    (a link unfurled) and a redelivered edit change nothing."""
    fake = env.fake
    await cohort(env)
    await env.scheduler().run_due()
    day1 = env.rt.dojo.curriculum.schedule[1]
    drill = drill_posts(fake)[day1[0]].result["ts"]
    ex = env.rt.dojo.curriculum.get(day1[0])
    wrong = "import torch\nanswer = None\n"
    posted = "1700009000.000001"

    def edit(text: str, at: float, event_id: str, previous: str) -> dict[str, Any]:
        return {"type": "message", "subtype": "message_changed", "channel": "C1",
                "ts": f"{at:.6f}", "event_ts": f"{at:.6f}",
                "message": {"type": "message", "user": "UMEM", "text": text, "ts": posted,
                            "thread_ts": drill, "edited": {"user": "UMEM", "ts": f"{at:.6f}"}},
                "previous_message": {"type": "message", "user": "UMEM", "text": previous,
                                     "ts": posted, "thread_ts": drill}}

    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM",
                     "text": fenced(wrong), "ts": posted, "thread_ts": drill}, "EvE1")
    status = await fake.wait_for("chat.postMessage", lambda c: c.args.get("thread_ts") == drill
                                 and "grading" in c.args.get("text", ""), after=n)
    await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"], after=n)

    n = env.mark()
    await env.event(edit(fenced(ex.reference), float(posted) + 60, "EvE2", fenced(wrong)),
                    "EvE2")
    again = await fake.wait_for(
        "chat.update", lambda c: c.args["ts"] == status.result["ts"]
        and "grading" not in c.args["text"].lower(), after=n)
    assert "passed" in again.args["text"]
    assert not [c for c in fake.calls[n:] if c.method == "chat.postMessage"
                and "grading" in c.args.get("text", "")], "a second status message"
    async with env.rt.dojo.db.session() as s:
        subs = (await s.scalars(select(Submission).where(
            Submission.origin_message_id == posted).order_by(Submission.id))).all()
    assert [sub.passed for sub in subs] == [False, True]

    # redelivered, late, or the same text (an unfurl): nothing happens
    n = env.mark()
    await env.event(edit(fenced(ex.reference), float(posted) + 60, "EvE2", fenced(wrong)),
                    "EvE2")
    await env.event(edit(fenced(wrong), float(posted) + 900, "EvE3", fenced(ex.reference)),
                    "EvE3")
    await env.event(edit(fenced(ex.reference), float(posted) + 90, "EvE4",
                         fenced(ex.reference)), "EvE4")
    await asyncio.sleep(0.3)
    assert not [c for c in fake.calls[n:] if c.method.startswith("chat.")]

    # code without a block is told how; the edit that adds the block is graded
    bare = "1700009100.000001"
    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM",
                     "text": ex.reference, "ts": bare, "thread_ts": drill}, "EvE5")
    told = await fake.wait_for("chat.postEphemeral", has_text("code block"), after=n)
    assert "grading" not in told.args.get("text", "")
    posted = bare
    n = env.mark()
    await env.event(edit(fenced(ex.reference), float(bare) + 30, "EvE6", ex.reference),
                    "EvE6")
    status = await fake.wait_for("chat.postMessage", lambda c: c.args.get("thread_ts") == drill
                                 and "grading" in c.args.get("text", ""), after=n)
    done = await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"],
                               after=n)
    assert "passed" in done.args["text"]


async def test_snippet_upload_modal_submit_and_failed_checks(env: Env) -> None:
    fake = env.fake
    await cohort(env)
    await env.scheduler().run_due()
    day1 = env.rt.dojo.curriculum.schedule[1]
    ts = drill_posts(fake)[day1[2]].result["ts"]

    # an uploaded .py snippet in the thread (downloaded with the bot token)
    ref = env.rt.dojo.curriculum.get(day1[2]).reference
    fake.files["solution.py"] = ref.encode()
    n = env.mark()
    await env.event({"type": "message", "subtype": "file_share", "channel": "C1",
                     "user": "UMEM", "text": "", "ts": "1700010000.000001", "thread_ts": ts,
                     "files": [{"id": "F9", "name": "solution.py", "filetype": "python",
                                "size": len(ref),
                                "url_private_download": fake.url + "files/solution.py"}]})
    got = await fake.wait_for("GET /files", after=n)
    assert got.headers["Authorization"] == "Bearer xoxb-test"
    status = await fake.wait_for("chat.postMessage", lambda c: c.args.get("thread_ts") == ts,
                                 after=n)
    done = await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"],
                               after=n)
    assert "passed" in done.args["text"]

    # /dojo submit without code opens the modal
    n = env.mark()
    await env.cmd(f"submit {day1[1]}", trigger="trig-submit")
    modal = await fake.wait_for("views.open", lambda c: c.args.get("trigger_id") == "trig-submit")
    view = modal.args["view"]
    assert view["callback_id"] == "dojo_submit"
    assert view["blocks"][0]["element"]["initial_value"] == day1[1]

    def submission(ex_id: str, code: str) -> dict[str, Any]:
        return {"type": "view_submission", "user": {"id": "UMEM"}, "trigger_id": "t",
                "view": {"id": "V1", "type": "modal", "callback_id": "dojo_submit",
                         "private_metadata": view["private_metadata"],
                         "state": {"values": {"exercise": {"value": {"type": "plain_text_input",
                                                                      "value": ex_id}},
                                              "code": {"value": {"type": "plain_text_input",
                                                                  "value": code}}}}}}

    # an unknown id keeps the modal open with the error on the field
    out = await env.interact(submission("9.9.9", "x = 1"))
    assert json.loads(out)["response_action"] == "errors"
    assert "9.9.9" in json.loads(out)["errors"]["exercise"]

    # a wrong answer: every check ✓/✗ with its teaching message; output can't ping
    code = ("import torch\nprint('<!channel> <!here> <@U999> @everyone')\n"
            + "\n".join(f"zeros_{k} = torch.ones(2)" for k in range(1, 11)) + "\n")
    n = env.mark()
    assert await env.interact(submission(day1[1], code)) == ""
    status = await fake.wait_for("chat.postMessage", has_text("grading"), after=n)
    done = await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"],
                               after=n)
    blob = done.text_all()
    # every name is missing: one line says so and folds the ten name checks
    assert "Not defined: ones_1" in blob and "10 checks not run" in blob and "error" in blob
    for c in fake.calls[n:]:
        text = c.text_all()
        assert "<!channel>" not in text and "<!here>" not in text and "<@U999>" not in text

    # the form's code box read as a paste: a fenced block pasted in, no-break spaces from a
    # web page (graded raw, they were a SyntaxError on line 1); an empty box is told so
    right = env.rt.dojo.curriculum.get(day1[1]).reference.replace(" = ", "\u00a0=\u00a0")
    n = env.mark()
    assert await env.interact(submission(day1[1], f"```python\n{right}\n```")) == ""
    status = await fake.wait_for("chat.postMessage", has_text("grading"), after=n)
    done = await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"],
                               after=n)
    assert "passed" in done.args["text"], done.text_all()
    n = env.mark()
    assert await env.interact(submission(day1[1], "  \n")) == ""
    told = await fake.wait_for("chat.postEphemeral", after=n)
    assert "code box is empty" in told.text_all(), told.text_all()


async def test_a_long_paste_as_a_text_snippet_is_read_as_its_text(env: Env) -> None:
    """The audit's ``s_bad`` "long paste as text snippet": Slack offers to send a message
    too long for one as a text snippet; the bot kept only Python files and said nothing,
    though it held a correct solution. Now it is read as the message's text: code (in a
    block or not) is graded, a file that is not text or Python is told what is read."""
    fake = env.fake
    await cohort(env)
    await env.scheduler().run_due()
    day1 = env.rt.dojo.curriculum.schedule[1]
    ts = drill_posts(fake)[day1[0]].result["ts"]
    k = iter(range(1, 100))

    async def share(name: str, data: bytes, filetype: str, mimetype: str) -> int:
        fake.files[name] = data
        n = env.mark()
        i = next(k)
        await env.event({"type": "message", "subtype": "file_share", "channel": "C1",
                         "user": "UMEM", "text": "", "ts": f"1700040000.{i:06d}",
                         "thread_ts": ts, "files": [{
                             "id": f"FP{i}", "name": name, "filetype": filetype,
                             "mimetype": mimetype, "mode": "snippet", "size": len(data),
                             "url_private_download": fake.url + "files/" + name}]},
                        f"EvP{i}")
        return n

    ref = env.rt.dojo.curriculum.get(day1[0]).reference
    n = await share("message.txt", ref.encode(), "text", "text/plain")
    status = await fake.wait_for("chat.postMessage", lambda c: c.args.get("thread_ts") == ts,
                                 after=n)
    done = await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"],
                               after=n)
    assert "passed" in done.args["text"], done.text_all()

    for name, data, filetype, mimetype, says in [
            ("latin.txt", "# café\nzeros_1 = 1\n".encode("latin-1"), "text", "text/plain",
             "not UTF-8"),
            ("message.txt", b"x = 1\n" * 20000, "text", "text/plain", "the limit is"),
            ("answer.ipynb", b"{}", "json", "application/json", "only read .py attachments")]:
        n = await share(name, data, filetype, mimetype)
        told = await fake.wait_for("chat.postEphemeral", after=n)
        assert says in told.text_all(), (name, told.text_all())

    # a picture, or a long question sent as a snippet, is conversation
    n = await share("screen.png", b"\x89PNG\r\n", "png", "image/png")
    await share("question.txt", b"Why does my loss go up after epoch 3? " * 80, "text",
                "text/plain")
    await asyncio.sleep(0.5)
    assert [c.text_all() for c in fake.calls[n:] if c.method.startswith("chat.")] == []


async def test_a_direct_message_gets_a_pointer_to_the_cohort_channel(env: Env) -> None:
    """The audit's ``s_bad`` "code in DM": a solution sent to the app directly got no reply.
    Nothing is graded from a DM (it reaches no cohort); the member is told where to go."""
    fake = env.fake
    await cohort(env)
    await env.scheduler().run_due()
    ref = env.rt.dojo.curriculum.get(env.rt.dojo.curriculum.schedule[1][0]).reference
    n = env.mark()
    await env.event({"type": "message", "channel": "DUMEM", "channel_type": "im",
                     "user": "UMEM", "text": fenced(ref), "ts": "1700050000.000001"}, "EvD1")
    told = await fake.wait_for("chat.postMessage", after=n)
    assert told.args["channel"] == "DUMEM", told.args
    assert "/dojo submit ID" in told.args["text"] and "thread" in told.args["text"]
    await asyncio.sleep(0.3)
    async with env.rt.dojo.db.session() as s:
        assert (await s.scalars(select(Submission))).all() == []


# ---- permissions and bad input ------------------------------------------------------------------

async def test_instructors_refusals_and_bad_input(env: Env) -> None:
    fake = env.fake
    # a channel with no cohort
    n = env.mark()
    await env.cmd("today", channel="CNONE")
    r = await fake.wait_for("response_url", after=n)
    assert r.args["response_type"] == "ephemeral" and "no cohort" in r.args["text"]

    # a member may not create a cohort; the refusal says who can
    n = env.mark()
    await env.cmd("cohort create Nope", user="UMEM", channel="C2")
    r = await fake.wait_for("response_url", after=n)
    assert "only instructors" in r.args["text"].lower()
    assert await env.rt.dojo.get_cohort("slack", "C2") is None

    # workspace admins, listed users and the instructor user group may
    for user, channel in (("UADMIN", "C3"), ("UCOACH", "C4"), ("UGROUP", "C5")):
        n = env.mark()
        await env.cmd(f"cohort create Group {user}", user=user, channel=channel)
        await fake.wait_for("chat.postMessage", has_text(f"Group {user}"), after=n)

    await cohort(env)
    # an unknown exercise id
    n = env.mark()
    await env.cmd("show 9.9.9")
    r = await fake.wait_for("response_url", after=n)
    assert "no exercise" in r.args["text"].lower()

    # a typo'd verb gets a suggestion
    n = env.mark()
    await env.cmd("leaderbord")
    r = await fake.wait_for("response_url", after=n)
    assert "leaderboard" in r.args["text"]

    # pictures and files: /dojo progress uploads a PNG to the channel; an
    # instructor's export goes to their DM, not the channel
    n = env.mark()
    await env.cmd("progress")
    done = await fake.wait_for("files.completeUploadExternal", after=n)
    assert done.args["channel_id"] == "C1"
    up = await fake.wait_for("POST /upload", after=n)
    assert fake.uploads[up.args["file_id"]].startswith(b"\x89PNG")
    n = env.mark()
    await env.cmd("export", user="UCOACH")
    await fake.wait_for("conversations.open", lambda c: c.args["users"] == "UCOACH", after=n)
    done = await fake.wait_for("files.completeUploadExternal", after=n)
    assert done.args["channel_id"] == "DUCOACH"
    up = await fake.wait_for("POST /upload", after=n)
    assert fake.uploads[up.args["file_id"]].startswith(b"submission") or \
        b"," in fake.uploads[up.args["file_id"]]

    # a code block over the limit, in a drill thread
    await env.scheduler().run_due()
    ts = next(iter(drill_posts(fake).values())).result["ts"]
    n = env.mark()
    big = "x = 1  # " + "y" * 70_000
    await env.event({"type": "message", "channel": "C1", "user": "UMEM", "text": fenced(big),
                     "ts": "1700020000.000001", "thread_ts": ts}, "EvBig")
    r = await fake.wait_for("chat.postEphemeral", after=n)
    assert "KB" in r.args["text"] and r.args["user"] == "UMEM"
    async with env.rt.dojo.db.session() as s:
        assert (await s.scalars(select(Submission))).all() == []


async def test_a_known_member_does_not_wait_for_a_slow_users_info(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cache's five minutes a command goes on with the name it knows;
    the fresh one (here: a new display name) is fetched beside it."""
    from bot.adapters import slack

    await cohort(env)
    fake = env.fake
    monkeypatch.setattr(slack, "USER_CACHE_S", 0.0)  # every entry has expired
    fake.users["UMEM"] = {"profile": {"display_name": "Renamed"}}
    fake.delays["users.info"] = 1.5
    try:
        n = env.mark()
        started = time.monotonic()
        await env.cmd("today")
        await fake.wait_for("chat.postMessage", has_text("day 1"), after=n)
        assert time.monotonic() - started < 1.2  # did not wait for users.info
        assert env.bot._users["UMEM"].name == "Umem"  # the known name, for now
        await fake.wait_for("users.info", lambda c: c.args.get("user") == "UMEM", after=n)
        for _ in range(100):
            if env.bot._users["UMEM"].name == "Renamed":
                break
            await asyncio.sleep(0.05)
        assert env.bot._users["UMEM"].name == "Renamed"
    finally:
        fake.delays.clear()
        fake.users.pop("UMEM", None)


async def test_a_mention_of_the_bot_points_to_its_command(env: Env) -> None:
    """``@TorchDojo help`` in a channel went unanswered: on Slack the bot answers /dojo.
    The pointer is for the member alone; other people's messages stay conversation."""
    fake = env.fake
    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM",
                     "ts": "1700030000.000001", "text": "<@UBOT> leaderboard please"}, "EvM1")
    told = await fake.wait_for("chat.postEphemeral", after=n)
    assert told.args["user"] == "UMEM" and "try /dojo leaderboard" in told.args["text"]
    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM",
                     "ts": "1700030000.000002", "text": "<@UBOT>"}, "EvM2")
    assert "try /dojo help" in (await fake.wait_for("chat.postEphemeral", after=n)).args["text"]
    n = env.mark()
    await env.event({"type": "message", "channel": "C1", "user": "UMEM",
                     "ts": "1700030000.000003", "text": "ask <@UOTHER> about it"}, "EvM3")
    await asyncio.sleep(0.3)
    assert [c for c in fake.calls[n:] if c.method.startswith("chat.")] == []


async def test_app_home_without_a_cohort_says_how_to_join(env: Env) -> None:
    await env.event({"type": "app_home_opened", "user": "UNEW", "channel": "D9",
                     "tab": "home"}, "EvHome")
    home = await env.fake.wait_for("views.publish", lambda c: c.args.get("user_id") == "UNEW")
    assert home.args["view"]["type"] == "home" and "cohort join" in home.text_all()


async def test_rejects_unsigned_wrongly_signed_and_stale_requests(env: Env) -> None:
    body = command_body("cohort create Evil", "UADMIN", "C9", env.fake.url + "respond/x")
    n = env.mark()
    for kwargs in ({"sign": False}, {"bad": True}, {"timestamp": int(time.time()) - 600}):
        status, _, _ = await post_signed(env.url, body, FORM, SECRET, **kwargs)
        assert status == 401, kwargs
    await asyncio.sleep(0.2)
    assert env.fake.calls[n:] == []
    assert await env.rt.dojo.get_cohort("slack", "C9") is None


async def test_rate_limited_by_slack_retries_after_retry_after(env: Env) -> None:
    await cohort(env)
    env.fake.fail_next["chat.postMessage"] = [(429, {"Retry-After": "1"})]
    n = env.mark()
    t0 = time.monotonic()
    await env.cmd("leaderboard all")
    ok = await env.fake.wait_for("chat.postMessage", has_text("all time"), after=n)
    assert time.monotonic() - t0 >= 0.9
    limited = [c for c in env.fake.calls[n:] if c.status == 429]
    assert len(limited) == 1 and limited[0].method == "chat.postMessage"
    assert env.fake.calls.index(limited[0]) < env.fake.calls.index(ok)


async def test_grader_outage_member_hears_back_when_grading_resumes(
        make_env: Callable[[GraderClient], Awaitable[Env]], grader: Any) -> None:
    from grader.service import make_app

    with socket.socket() as s:  # a port with nothing behind it (yet)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = await make_env(HTTPGraderClient(f"http://127.0.0.1:{port}", timeout_s=30))
    fake = env.fake
    await cohort(env)
    ex_id = env.rt.dojo.curriculum.schedule[1][0]
    ref = env.rt.dojo.curriculum.get(ex_id).reference
    n = env.mark()
    await env.cmd(f"submit {ex_id}", trigger="trig-out")
    modal = (await fake.wait_for("views.open", after=n)).args["view"]
    await env.interact({"type": "view_submission", "user": {"id": "UMEM"}, "view": {
        "id": "V1", "type": "modal", "callback_id": "dojo_submit",
        "private_metadata": modal["private_metadata"],
        "state": {"values": {"exercise": {"value": {"value": ex_id}},
                             "code": {"value": {"value": ref}}}}}})
    status = await fake.wait_for("chat.postMessage", has_text("grading"), after=n)
    queued = await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"],
                                 after=n)
    assert "safely queued" in queued.args["text"]

    app = make_app(grader)
    app.on_startup.clear()  # the session owns the pool: neither start nor close it here
    app.on_cleanup.clear()
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        env.clock.advance(timedelta(minutes=10))
        n = env.mark()
        await env.scheduler().run_grading()
        done = await fake.wait_for("chat.update", lambda c: c.args["ts"] == status.result["ts"],
                                   after=n)
        assert "passed" in done.args["text"] and "grader is back" in done.text_all()
        ping = await fake.wait_for("chat.postMessage", has_text("result above"), after=n)
        assert ping.args["thread_ts"] == status.result["ts"]
        assert "<@UMEM>" in ping.args["text"]
    finally:
        await runner.cleanup()


@pytest.mark.slow  # grading a week-6 challenge prepares its reference first (~10 s)
async def test_challenge_submissions_stay_private(env: Env) -> None:
    cur = env.rt.dojo.curriculum
    challenge = next((e for e in cur.ordered() if env.rt.dojo.catalog.is_challenge(e.id)), None)
    if challenge is None:  # pragma: no cover - depends on the curriculum on disk
        pytest.skip("no timed challenge in the curriculum")
    fake = env.fake
    await cohort(env)
    # a personal timer reveals the prompt to that member only, with the buttons
    n = env.mark()
    await env.cmd(f"challenge start {challenge.id}", user="USOLO")
    r = await fake.wait_for("response_url", has_text("timer"), after=n)
    assert r.args["response_type"] == "ephemeral" and "Full prompt" in r.text_all()
    n = env.mark()
    await env.cmd(f"challenge open {challenge.id} for=30m", user="UCOACH")
    await fake.wait_for("chat.postMessage", has_text("Window for"), after=n)
    await env.scheduler().run_due()  # posts the opening with its buttons
    n = env.mark()
    await env.interact({"type": "view_submission", "user": {"id": "UMEM"}, "view": {
        "id": "V1", "type": "modal", "callback_id": "dojo_submit",
        "private_metadata": json.dumps({"channel": "C1", "thread_ts": None}),
        "state": {"values": {"exercise": {"value": {"value": challenge.id}},
                             "code": {"value": {"value": "def broken(:\n"}}}}}})
    first = await fake.wait_for("chat.postEphemeral", has_text("grading"), after=n)
    result = await fake.wait_for("chat.postEphemeral", lambda c: c is not first
                                 and challenge.id in c.args["text"], after=n)
    assert result.args["user"] == "UMEM"
    public = [c for c in fake.calls[n:] if c.method in ("chat.postMessage", "chat.update")]
    assert public == []

    # longer than the form takes (3,000 characters; the week-6 answers are ~4,000): the
    # code block right after the command, graded privately too
    long = "import torch\n" + "# notes\n" * 500 + "def broken(:\n"
    assert len(long) > 3_000
    n = env.mark()
    await env.cmd(f"submit {challenge.id}\n```python\n{long}```", user="ULONG")
    verdict = await fake.wait_for("chat.postEphemeral", lambda c: challenge.id in c.text_all()
                                  and "error" in c.text_all(), after=n)
    assert verdict.args["user"] == "ULONG"
    public = [c for c in fake.calls[n:] if c.method in ("chat.postMessage", "chat.update")
              and challenge.id in c.text_all()]  # (a welcome to the cohort is public)
    assert public == []

    # at the close the cohort sees who passed, in the channel
    env.clock.advance(timedelta(minutes=31))
    n = env.mark()
    await env.scheduler().run_due()
    closed = await fake.wait_for("chat.postMessage", has_text("closed"), after=n)
    assert closed.args["channel"] == "C1" and challenge.id in closed.args["text"]


# ---- Socket Mode ---------------------------------------------------------------------------

async def test_socket_mode_against_a_local_websocket(
        fake: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        grader_client: Any) -> None:
    _env_vars(monkeypatch, fake, tmp_path, app_token="xapp-1-test")
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    config = SlackConfig.from_settings(load_settings())
    assert config.socket_mode
    rt = await Runtime.start(load_settings(), grader=grader_client,
                             clock=ManualClock(T0))
    bot = SlackBot(rt, config)
    handler = await bot.connect_socket_mode()
    try:
        opened = await fake.wait_for("apps.connections.open")
        assert opened.headers["Authorization"] == "Bearer xapp-1-test"
        payload = dict(parse_qsl(command_body("help", "UMEM", "C1", fake.url + "respond/sock")))
        await fake.send_envelope({"envelope_id": "env-1", "type": "slash_commands",
                                  "accepts_response_payload": True, "payload": payload})
        ack = await fake.wait_for("ws ack", lambda c: c.args.get("envelope_id") == "env-1")
        assert ack.args["envelope_id"] == "env-1"
        r = await fake.wait_for("response_url", has_text("TorchDojo commands"))
        assert r.args["response_type"] == "ephemeral"
    finally:
        await handler.close_async()
        await bot.close()
        await rt.close()


# ---- configuration and limits --------------------------------------------------------------

async def test_config_fails_at_start_with_a_clear_message() -> None:
    ok = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        SlackConfig.from_settings(load_settings(SLACK_BOT_TOKEN=""), env={})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        SlackConfig.from_settings(load_settings(SLACK_BOT_TOKEN="xoxb-1",
                                                SLACK_SIGNING_SECRET="", SLACK_APP_TOKEN=""),
                                  env={})
    with pytest.raises(ConfigError, match="SLACK_INSTRUCTORS"):
        SlackConfig.from_settings(load_settings(**ok), env={"SLACK_INSTRUCTORS": "bob"})
    with pytest.raises(ConfigError, match="xapp"):
        SlackConfig.from_settings(load_settings(**ok, SLACK_APP_TOKEN="xoxb-2"), env={})


async def test_blocks_fit_slack_limits_and_defuse_learner_text() -> None:
    long = "\n".join(f"line {i} " + "z" * 200 for i in range(400))
    text, blocks = reply_blocks(Reply(title="T", text=long, code="<!channel> " + "q" * 5000,
                                      fields=[(f"f{i}", "v" * 3000) for i in range(12)]),
                                mention="U1")
    assert len(blocks) <= 50 and len(text) <= 3000
    for b in blocks:
        if "text" in b:
            assert len(b["text"]["text"]) <= 3000
        for f in b.get("fields", []):
            assert len(f["text"]) <= 2000
    assert "<!channel>" not in json.dumps(blocks) and text.startswith("<@U1> ")
    assert blocks[-1]["text"]["text"].endswith("…```") or "…" in json.dumps(blocks)
    assert clip("abcdef", 4) == "abc…"
    pieces = chunks("```\n" + "a = 1\n" * 2000 + "```")
    assert all(p.count("```") % 2 == 0 for p in pieces) and len(pieces) > 1


# ---- the command line ----------------------------------------------------------------------

@pytest.mark.slow  # a real process: imports, migrations, Bolt (~10 s on a busy machine)
async def test_torchdojo_bot_slack_serves_http_mode(fake: FakeSlack, tmp_path: Path) -> None:
    """``torchdojo bot slack`` as a user runs it: env settings, PORT, Bolt's path."""
    import os
    import signal
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GRADER_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, PORT=str(port),
               SLACK_API_URL=fake.url + "api/", DATABASE_URL=f"sqlite:///{tmp_path}/cli.db")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "bot", "slack", "--host", "127.0.0.1", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
    try:
        body = command_body("help", "UMEM", "C1", fake.url + "respond/cli")
        status = None
        deadline = asyncio.get_running_loop().time() + 90  # a start on a loaded machine
        while status is None and asyncio.get_running_loop().time() < deadline \
                and proc.returncode is None:
            try:
                status, _, _ = await post_signed(url, body, FORM, SECRET)
            except OSError:
                await asyncio.sleep(0.2)
        assert status == 200, f"the bot never answered (exit {proc.returncode})"
        r = await fake.wait_for("response_url", lambda c: "TorchDojo commands" in c.args["text"])
        assert r.args["response_type"] == "ephemeral"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode in (0, 130, -2), out.decode()[-2000:]
