"""The whole bot in a terminal: the embedded default.

Lines are the same ``/dojo …`` commands chat users type; a code block may span
several lines (the message ends when its fences balance). Console-only verbs:
``/dojo as USER [instructor]`` (act as another member), ``/dojo clock TIME``
(move time — naive times are in the cohort's zone — or ``+1d``/``+3h``/``-30m``),
``/dojo reply MSGID`` (the following code block replies to that post), and
``/dojo submit ID < file.py`` (attach a file). After every line the clock-driven
work runs (posts, windows, reminders, queued gradings), exactly what the
scheduler does in production, and verdicts arrive through the same notices as
on every platform, replacing their "⏳ grading…" post. Pictures and files are
written to disk and their paths shown.

The console keeps its state in the database: post ids (``m1``, ``m2``, …) never
repeat across restarts, so ``/dojo reply m2`` always names one post, and the
simulated clock is saved, so a restarted demo is still on the day it reached.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.chat import render
from bot.chat.extract import Attachment
from bot.chat.handler import ChatHandler, Incoming
from bot.chat.replies import Reply
from bot.core import rules
from bot.core.clock import ManualClock, OffsetClock
from bot.core.errors import DojoError
from bot.core.types import (
    CouldNotGradeNotice,
    DelayNotice,
    Event,
    GradedNotice,
    GradingProgress,
    Role,
    StatusRef,
)
from bot.dashboard.serve import start_console_dashboard
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "console"
CHANNEL = "console"
#: How often notices are delivered while a grading runs (its progress edits).
PROGRESS_POLL_S = 0.25
_CONT = re.compile(r"^\s*/dojo\s+(submit|reply)\b", re.I)
_REL = re.compile(r"^([+-])(\d+)([dhm])$")


def group_messages(lines: Iterable[str]) -> Iterator[str]:
    """Join lines into messages: open code fences continue, and a bare
    ``/dojo submit`` swallows a code block that starts on the next line."""
    it = iter(lines)
    pending: list[str] = []

    def nxt() -> str | None:
        if pending:
            return pending.pop()
        return next(it, None)

    while True:
        line = nxt()
        if line is None:
            return
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue  # blank lines and transcript comments
        buf = [line]

        def absorb_block(buf: list[str]) -> None:
            while "\n".join(buf).count("```") % 2 == 1:
                more = nxt()
                if more is None:
                    return
                buf.append(more.rstrip("\n"))

        def next_block(buf: list[str]) -> bool:
            """Take the code block that starts on the next non-blank line, if one does."""
            peek = nxt()
            while peek is not None and not peek.strip():
                peek = nxt()
            if peek is not None and peek.lstrip().startswith("```"):
                buf.append(peek.rstrip("\n"))
                absorb_block(buf)
                return True
            if peek is not None:
                pending.append(peek)
            return False

        absorb_block(buf)
        # A bare "/dojo submit" swallows the block on the next line; a submission
        # pasted as several blocks (as chat joins them) takes each that follows.
        if _CONT.match(line) and "<" not in line and ("```" in line or next_block(buf)):
            while next_block(buf):
                pass
        yield "\n".join(buf)


class ConsoleOutbox:
    """Prints posts as they would appear in the channel, ids ``m1``, ``m2``, …
    (numbered by a counter kept in the database, so never reused)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def new_id(self) -> str:
        return f"m{await self.console.rt.dojo.console_state.next_number('post_id')}"

    async def deliver(self, event: Event) -> list[str]:
        if isinstance(event, GradedNotice | DelayNotice | CouldNotGradeNotice | GradingProgress):
            ref = event.status.message_id if event.status else None
            for reply in render.event(event, render.FULL):
                self.console.show(reply, label=f"edit {ref}" if ref else None)
            return []
        ids = []
        for reply in render.event(event, render.FULL):
            mid = await self.new_id()
            self.console.show(reply, label=f"post {mid}")
            if reply.exercise_id or not ids:
                ids.append(mid)
        # a DayPost maps one id per exercise item: drop the header's id
        items = getattr(event, "items", None)
        if items is not None and len(ids) > len(items):
            ids = ids[1:]
        return ids


class Console:
    def __init__(
        self,
        runtime: Runtime,
        out: TextIO | None = None,
        output_dir: Path | str = "torchdojo-output",
        user: str = "you",
    ) -> None:
        self.rt = runtime
        self.out = out or sys.stdout
        self.output_dir = Path(output_dir)
        self.handler = ChatHandler(runtime.dojo, console=True)
        self.outbox = ConsoleOutbox(self)
        self.roles: dict[str, Role] = {"coach": Role.instructor}
        self.user = user
        self._files = 0
        self._last_tick: datetime | None = None
        self.serves_dashboard = False  # set once the console's dashboard is up

    # ---- output -----------------------------------------------------------------

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, reply: Reply, label: str | None = None) -> None:
        head = []
        if label:
            head.append(f"[{label}]")
        if reply.mention:
            head.append(f"@{reply.mention}")
        text = reply.as_text()
        for f in [*reply.images, *reply.files]:
            path = self._write(f.filename, f.data)
            text += f"\n🖼️  picture: {path}" if f in reply.images else f"\n📎 file: {path}"
        prefix = " ".join(head)
        self.print(("bot " + prefix + "\n" if prefix else "bot\n") + _indent(text))

    def _write(self, name: str, data: bytes) -> Path:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self._files += 1
        stem, dot, ext = name.rpartition(".")
        path = self.output_dir / f"{self._files:03d}-{stem or ext}{dot}{ext if stem else ''}"
        path.write_bytes(data)
        return path

    # ---- setup -------------------------------------------------------------------

    async def ensure_demo(self) -> bool:
        """A ready cohort on the console channel (coach instructs, 'you' learn)."""
        if await self.rt.dojo.get_cohort(PLATFORM, CHANNEL) is not None:
            return False
        tz = "UTC"
        coach = Incoming(PLATFORM, CHANNEL, "coach", "coach", "", Role.instructor).actor
        today = rules.local_date(self.rt.dojo.now(), tz)
        await self.rt.dojo.create_cohort(coach, "Demo cohort", tz=tz, start=today,
                                         post_time="09:00")
        you = Incoming(PLATFORM, CHANNEL, self.user, self.user, "").actor
        await self.rt.dojo.join(you)
        return True

    # ---- input -------------------------------------------------------------------

    @property
    def clock(self) -> ManualClock | OffsetClock:
        clock = self.rt.dojo.clock
        assert isinstance(clock, (ManualClock, OffsetClock))
        return clock

    async def cohort_tz(self) -> str:
        c = await self.rt.dojo.get_cohort(PLATFORM, CHANNEL)
        return c.tz if c else "UTC"

    async def message(self, text: str, echo: bool = True) -> None:
        if echo:
            self.print(_indent(text, "> "))
        first, _, rest = text.partition("\n")
        words = first.split()
        verb = words[1].lower() if len(words) > 1 and words[0].lower() == "/dojo" else ""
        try:
            if verb == "as":
                await self.cmd_as(words[2:])
            elif verb == "clock":
                await self.cmd_clock(" ".join(words[2:]))
            elif verb in ("quit", "exit"):
                raise EOFError
            elif verb == "dashboard" and not self.serves_dashboard \
                    and self.roles.get(self.user, Role.member).can_instruct:
                raise DojoError("This console does not serve the dashboard: it is served only "
                                "when the console runs interactively",
                                "./scripts/run.sh, or torchdojo console without --script")
            else:
                await self.chat(first, rest)
        except DojoError as exc:
            self.print(_indent(f"{exc.message}" + (f"\n→ {exc.hint}" if exc.hint else ""),
                               "bot  "))
        if self.rt.dojo.now() == self._last_tick and verb not in (
            "clock", "cohort", "schedule", "challenge"
        ):
            # A stopped clock and nothing that changes the schedule: no post can have
            # become due; only this line's submission may wait for its verdict.
            await self.settle()
            return
        try:
            await self.tick()
        except Exception:  # keep the session alive; details go to the log file
            log.exception("tick failed")
            self.print("bot  (something went wrong running scheduled work; see the log)")

    async def chat(self, first: str, rest: str) -> None:
        reply_to = None
        if re.match(r"^\s*/dojo\s+reply\s*$", first, re.I):
            raise DojoError("which post?", "/dojo reply m2, then your code block on the "
                                           "next lines (post ids are shown as [post m2])")
        m = re.match(r"^\s*/dojo\s+reply\s+(\S+)\s*(.*)$", first, re.I)
        if m:
            # Like a thread reply on a chat platform: the code alone, so the chat
            # layer decides whether that post is one a submission can answer.
            reply_to = m.group(1)
            first = m.group(2) or ""
            if not (first + rest).strip():
                raise DojoError(f"/dojo reply {reply_to} needs your code block on the next "
                                "lines", f"/dojo reply {reply_to}, then ```python, your code "
                                         "and ``` on lines of their own")
        attachments = []
        m2 = re.match(r"^(.*?)\s<\s*(\S+)\s*$", first)
        if m2:
            path = Path(m2.group(2)).expanduser()
            if not path.is_file():
                raise DojoError(f"no file {path}", f"a path relative to {Path.cwd()}, or an "
                                                   "absolute one")
            attachments.append(Attachment(path.name, path.read_bytes()))
            first = m2.group(1)
        text = first + ("\n" + rest if rest else "")
        msg = Incoming(PLATFORM, CHANNEL, self.user, self.user, text,
                       self.roles.get(self.user, Role.member), attachments, reply_to)
        for reply in await self.handler.handle(msg):
            if reply.status_of is not None:
                mid = await self.outbox.new_id()
                self.show(reply, label=f"post {mid}")
                await self.handler.status_posted(reply, StatusRef(CHANNEL, mid, reply.private))
            else:
                self.show(reply)

    async def cmd_as(self, args: list[str]) -> None:
        if not args:
            raise DojoError("who?", "/dojo as alice  (or /dojo as coach instructor)")
        name = re.sub(r"[^\w.-]", "", args[0])[:64] or "you"
        if len(args) > 1:
            role = args[1].lower()
            if role not in ("member", "instructor", "admin"):
                raise DojoError(f"unknown role {args[1]!r}", "member, instructor or admin")
            self.roles[name] = Role(role)
        self.user = name
        role = self.roles.get(name, Role.member).value
        self.print(f"bot  now acting as {name} ({role})")

    async def restore_clock(self) -> bool:
        """Continue the simulated time of the previous run (saved with every move)."""
        saved = await self.rt.dojo.console_state.get("clock")
        if not saved:
            return False
        try:
            kind, value = saved.split(":", 1)
            if kind == "offset" and isinstance(self.clock, OffsetClock):
                self.clock.offset = timedelta(seconds=float(value))
            elif kind == "at":
                self.clock.set(datetime.fromisoformat(value))
            else:
                return False
        except ValueError:
            return False
        return True

    async def save_clock(self) -> None:
        if isinstance(self.clock, OffsetClock):
            value = f"offset:{self.clock.offset.total_seconds()}"
        else:
            value = f"at:{self.rt.dojo.now().isoformat()}"
        await self.rt.dojo.console_state.put("clock", value)

    async def cmd_clock(self, arg: str) -> None:
        tz = await self.cohort_tz()
        arg = arg.strip()
        rel = _REL.match(arg)
        if not arg:
            pass
        elif rel:
            n = int(rel.group(2)) * (1 if rel.group(1) == "+" else -1)
            unit = {"d": "days", "h": "hours", "m": "minutes"}[rel.group(3)]
            self.clock.advance(timedelta(**{unit: n}))
        else:
            try:
                when = datetime.fromisoformat(arg)
            except ValueError:
                raise DojoError(f"{arg!r} is not a time",
                                "/dojo clock 2026-12-01T09:00 or /dojo clock +1d") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=rules.zone(tz))
            self.clock.set(when)
        await self.save_clock()
        now = self.rt.dojo.now()
        self.print(f"bot  🕰️ {render.local(now, tz)} {tz} ({now:%Y-%m-%d %H:%M} UTC)")

    async def tick(self) -> None:
        """Run what the scheduler would have run by now, grade what is queued and
        deliver the verdicts (the same notices every platform delivers)."""
        self._last_tick = self.rt.dojo.now()
        await self.rt.planner.tick(self.outbox)
        await self.settle()

    async def settle(self) -> None:
        """Wait until what is queued is graded, delivering notices meanwhile: a
        long grading's progress edits its "⏳ grading…" line as it goes."""
        settling = asyncio.ensure_future(
            self.rt.dojo.dispatcher.settle(force=isinstance(self.clock, ManualClock)))
        try:
            while not settling.done():
                await asyncio.wait({settling}, timeout=PROGRESS_POLL_S)
                await self.rt.dojo.notices.deliver_pending(PLATFORM, self.outbox)
        finally:
            if not settling.done():
                settling.cancel()
        await settling
        await self.rt.dojo.notices.deliver_pending(PLATFORM, self.outbox)

    async def run(self, messages: AsyncIterator[str] | Iterable[str], echo: bool) -> None:
        if isinstance(messages, AsyncIterator):
            async for text in messages:
                try:
                    await self.message(text, echo)
                except EOFError:
                    return
        else:
            for text in messages:
                try:
                    await self.message(text, echo)
                except EOFError:
                    return


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines()) if text else prefix.rstrip()


async def _stdin_lines(prompt: str) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await loop.run_in_executor(None, input, prompt)
        except EOFError:
            return
        yield line


async def _interactive_messages(console: Console) -> AsyncIterator[str]:
    """Messages typed at the prompt; '...' prompts continue an open code block."""
    lines = _stdin_lines("dojo> ")
    async for line in lines:
        buf = [line]
        needs_block = bool(_CONT.match(line)) and "```" not in line and "<" not in line
        if needs_block:
            console.print("... paste a ``` code block (empty line to send as is)")
        while "\n".join(buf).count("```") % 2 == 1 or needs_block:
            try:
                more = await asyncio.get_running_loop().run_in_executor(None, input, "... ")
            except EOFError:
                break
            if needs_block and not more.strip():
                break
            needs_block = False
            buf.append(more)
        yield "\n".join(buf)


async def run_console(
    runtime: Runtime,
    *,
    script: Path | None = None,
    demo: bool = True,
    output_dir: Path | str = "torchdojo-output",
    out: TextIO | None = None,
    restore_clock: bool = True,
) -> int:
    """``restore_clock``: continue the previous run's simulated time (False when
    the caller set the clock explicitly, e.g. ``--clock``)."""
    console = Console(runtime, out=out, output_dir=output_dir)
    _log_to_file(Path(output_dir) / "console.log")
    warm = asyncio.create_task(_warm_grader(runtime))
    if restore_clock and await console.restore_clock():
        now = runtime.dojo.now()
        console.print(f"bot  🕰️ simulated clock restored from the last run: "
                      f"{now:%a %d %b %Y %H:%M} UTC (/dojo clock to move it)")
    else:
        await console.save_clock()
    if demo and await console.ensure_demo():
        console.print(f"bot  🎓 Demo cohort ready: you are 'you' (member), 'coach' is the "
                      f"instructor. Try /dojo today, /dojo help. Pictures go to {output_dir}/.")
    await console.tick()
    dashboard = None if script is not None else await start_console_dashboard(
        runtime, console.print, output_dir)
    console.serves_dashboard = dashboard is not None
    try:
        if script is not None:
            lines = script.read_text(encoding="utf-8").splitlines()
            await console.run(group_messages(lines), echo=True)
            return 0
        console.print("bot  Type /dojo help; Ctrl-D to quit.")
        ticker = asyncio.create_task(_tick_forever(console))
        try:
            await console.run(_interactive_messages(console), echo=False)
        finally:
            ticker.cancel()
        return 0
    finally:
        warm.cancel()
        if dashboard is not None:
            await dashboard.stop()


async def _warm_grader(runtime: Runtime) -> None:
    """Start the grader pool while the user types (its first start takes seconds)."""
    try:
        await runtime.grader.health()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.warning("grader warm-up failed; grading will retry", exc_info=True)


def _log_to_file(path: Path) -> None:
    """Warnings and tracebacks go to a file, never into the conversation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not any(isinstance(h, logging.FileHandler) for h in root.handlers):
        root.addHandler(handler)
        root.setLevel(logging.WARNING)


async def _tick_forever(console: Console, every: float = 20.0) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await console.tick()
        except Exception as exc:  # keep the prompt alive
            console.print(f"bot  (background tick failed: {exc})")
