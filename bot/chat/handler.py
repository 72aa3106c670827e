"""The chat layer's entry point: one incoming message → neutral replies.

Adapters build an :class:`Incoming` (who, where, what, attachments, which
message it replies to, and the platform-neutral role) and render what comes
back. Every user-facing failure becomes a helpful reply; an unexpected bug
becomes a short apology plus a log entry — never a traceback in the channel.
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.chat import render
from bot.chat.extract import Attachment, extract_code
from bot.chat.parser import HELP, Command, ParseError, is_command, parse
from bot.chat.replies import File, Image, Reply, Table, error
from bot.chat.safe import neutralize
from bot.core import rules
from bot.core.dojo import Dojo
from bot.core.errors import DojoError
from bot.core.signin import dashboard_link
from bot.core.types import Actor, Role
from bot.db import PostedMessage, Submission

log = logging.getLogger(__name__)


@dataclass
class Incoming:
    platform: str
    channel_id: str
    user_id: str
    user_name: str
    text: str
    role: Role = Role.member
    attachments: list[Attachment] = field(default_factory=list)
    reply_to: str | None = None  # platform id of the message this one replies to
    message_id: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.platform, self.channel_id, self.user_id, self.user_name, self.role)


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")


def parse_duration(text: str) -> timedelta:
    text = text.strip().lower()
    if text.isdigit():
        return timedelta(minutes=int(text))
    m = _DURATION.match(text)
    if not m or not any(m.groups()):
        raise DojoError(f"{text!r} is not a duration", "write 90m, 2h or 1h30m")
    return timedelta(hours=int(m.group(1) or 0), minutes=int(m.group(2) or 0))


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """ISO date-time (naive = cohort time zone), or HH:MM meaning the next such time."""
    text = text.strip()
    zone = rules.zone(tz)
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        at = rules.parse_hhmm(text)
        local_now = now.astimezone(zone)
        when = rules.local_at_utc(local_now.date(), at, zone)
        return when if when >= now - timedelta(minutes=1) else when + timedelta(days=1)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise DojoError(f"{text!r} is not a time", "write 18:00 or 2026-12-01T18:00") from None
    return dt.replace(tzinfo=zone) if dt.tzinfo is None else dt


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DojoError(f"{text!r} is not a date", "write it as YYYY-MM-DD") from None


def defined_names(code: str) -> set[str]:
    """Top-level names the code binds (to guess which drill it answers)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set(re.findall(r"^([A-Za-z_]\w*)\s*=", code, re.M))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
    return names


class ChatHandler:
    """Maps parsed commands onto the core and its results onto replies."""

    def __init__(self, dojo: Dojo, *, console: bool = False, grade_inline: bool = True) -> None:
        """``grade_inline``: grade a submission before replying (drills take
        milliseconds). An adapter that must answer within a deadline can turn it
        off; the scheduler's grading sweep then grades and delivers the result."""
        self.dojo = dojo
        self.console = console
        self.grade_inline = grade_inline

    async def handle(self, msg: Incoming) -> list[Reply]:
        text = msg.text or ""
        if not is_command(text):
            if msg.reply_to and ("```" in text or msg.attachments):
                # A code block in reply to a drill post means "submit for that drill".
                text = "/dojo submit\n" + text
            elif self.console:
                return [error("commands start with /dojo", "/dojo help")]
            else:
                return []  # ordinary conversation: not for the bot
        parsed = parse(text, console=self.console)
        if isinstance(parsed, ParseError):
            return [error(parsed.message, f"did you mean {parsed.suggestion}?"
                          if parsed.suggestion and parsed.suggestion.startswith("/dojo ")
                          else parsed.suggestion)]
        try:
            return await self.dispatch(parsed, msg)
        except DojoError as exc:
            return [error(exc.message, exc.hint)]
        except ValueError as exc:  # bad time zone, time of day, … from the rules
            return [error(str(exc))]
        except Exception:
            log.exception("command failed: %r", msg.text[:200])
            return [error("something went wrong on my side handling that command",
                          "try again; if it keeps happening, tell an instructor")]

    async def dispatch(self, cmd: Command, msg: Incoming) -> list[Reply]:
        actor = msg.actor
        fn = getattr(self, f"cmd_{cmd.verb}", None)
        if fn is None:
            return [error(f"/dojo {cmd.verb} only works in the console")]
        return await fn(cmd, msg, actor)

    # ---- simple views -------------------------------------------------------------

    async def cmd_help(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        from bot.chat.parser import CONSOLE_HELP

        return [Reply(text=HELP + ("\n" + CONSOLE_HELP if self.console else ""), ephemeral=True)]

    async def cmd_today(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        c, day, items, posted = await self.dojo.today(actor)
        if day < 1:
            start = rules.date_of_day(c.start_date, 1, c.paused_days)
            return [Reply(text=f"{c.name} starts on {start:%a %d %b} at {c.post_time} ({c.tz}).")]
        note = "" if posted else f" (day {day + 1} posts at {c.post_time} {c.tz})"
        if not items:
            return [Reply(text=f"Day {day}: nothing scheduled — a rest day{note}.")]
        return [Reply(title=f"📅 {c.name} — day {day}{note}",
                      text="\n".join(render.item_line(i) for i in items)
                      + "\n\n/dojo show ID for a prompt; /dojo submit ID with a code block.")]

    async def cmd_show(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        if not cmd.args:
            return [error("which exercise?", "/dojo show 1.1.1 (see /dojo today)")]
        ex = self.dojo.exercise(cmd.args[0])
        item = self.dojo.item(ex)
        fields = [("kind", item.kind), ("points", str(item.max_score))]
        if item.time_limit_min:
            fields.append(("time limit", f"{item.time_limit_min} min"))
        if not await self.dojo.can_see_prompt(actor, ex):
            return [Reply(title=render.item_line(item), fields=fields,
                          text=f"A timed challenge: the prompt is revealed when you start "
                               f"your timer with /dojo challenge start {ex.id}.")]
        text = ex.prompt if self.console else ex.summary
        if ex.starter and self.console:
            text += f"\n\nStarter:\n```python\n{ex.starter.rstrip()}\n```"
        return [Reply(title=render.item_line(item), text=text, fields=fields, exercise_id=ex.id)]

    async def cmd_streak(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        info = await self.dojo.streak(actor)
        st = info.streak
        if st.today_passed:
            today = "today ✅ done"
        else:
            today = f"today still open ({info.hours_left_today:.0f}h left, {info.tz})"
        return [Reply(
            text=f"🔥 {neutralize(info.name)}: {st.current}-day streak (best {st.best}), "
                 f"{st.freezes} freeze{'s' if st.freezes != 1 else ''} banked; {today}.",
            fields=[("frozen days", ", ".join(f"{d:%d %b}" for d in st.frozen_days[-5:]))]
            if st.frozen_days else [])]

    async def cmd_progress(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        from bot.chat.pictures import progress_png

        data = await self.dojo.progress(actor)
        counts: dict[str, int] = {}
        for _, _, state in data.days:
            counts[state.value] = counts.get(state.value, 0) + 1
        summary = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no cohort days yet"
        return [Reply(
            text=f"📈 {neutralize(data.name)}: {data.total} points; days: {summary}.",
            images=[Image(f"progress-{_slug(actor.user_id)}.png", progress_png(data),
                          f"progress of {data.name}")])]

    async def cmd_leaderboard(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        scope = cmd.sub or "week"
        c, label, rows = await self.dojo.leaderboard(actor, scope)
        reply = Reply(title=f"🏆 {c.name} — {label}",
                      table=render.board_table(rows, c.tz) if rows else None,
                      text="" if rows else "No points yet — be the first!")
        if "image" in [a.lower() for a in cmd.args] and rows:
            from bot.chat.pictures import leaderboard_png

            reply.images.append(Image(f"leaderboard-{scope}.png",
                                      leaderboard_png(f"{c.name} — {label}", rows),
                                      f"leaderboard {label}"))
        return [reply]

    async def cmd_status(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        mid = await self.dojo.member_id(actor)
        if mid is None:
            return [error("you have no submissions here yet")]
        async with self.dojo.db.session() as s:
            q = select(Submission).where(Submission.member_id == mid)
            if cmd.args:
                try:
                    q = q.where(Submission.id == int(cmd.args[0].lstrip("#")))
                except ValueError:
                    return [error(f"{cmd.args[0]!r} is not a submission number",
                                  "/dojo status #12")]
            rows = (await s.scalars(q.order_by(Submission.id.desc()).limit(5))).all()
        if not rows:
            return [error("no such submission")]
        table = Table(["#", "exercise", "state", "result", "received"], [
            [str(r.id), r.exercise_id, r.status.replace("_", " "), r.result_status or "—",
             render.local(r.received_at, "UTC") + " UTC"] for r in rows])
        return [Reply(title="Your latest submissions", table=table, ephemeral=True)]

    # ---- submissions ----------------------------------------------------------------

    async def cmd_submit(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        found = extract_code(cmd.body, msg.attachments)
        if found.problem:
            return [error(found.problem)]
        if found.code is None:
            return [error("I found no code to grade",
                          "put it in a ```python code block``` after the command, attach a .py "
                          "file, or reply to the drill post with a code block")]
        ex_id = cmd.args[0] if cmd.args else None
        if ex_id is None and msg.reply_to:
            ex_id = await self._exercise_of_message(msg)
        if ex_id is None:
            ex_id = await self._guess_exercise(actor, found.code)
        if ex_id is None:
            return [error("which exercise is this for?", "/dojo submit 1.1.1 with the code block")]
        receipt = await self.dojo.submit(actor, ex_id, found.code, msg.message_id)
        replies: list[Reply] = []
        if receipt.joined:
            replies.append(Reply(text=f"👋 Welcome {neutralize(actor.name)} — you joined the "
                                      "cohort with this submission."))
        events = []
        if self.grade_inline:
            mid = await self.dojo.member_id(actor)
            events = await self.dojo.grade_pending(member_id=mid)
        graded_now = False
        for ev in events:
            replies.extend(render.event(ev))
            if getattr(ev, "submission_id", None) == receipt.submission_id:
                graded_now = True
        if not graded_now and not events:
            ahead = f", {receipt.ahead} of yours ahead of it" if receipt.ahead else ""
            replies.append(Reply(text=f"📥 #{receipt.submission_id} `{receipt.exercise_id}` "
                                      f"received and queued{ahead}; you'll get the result here.",
                                 mention=actor.user_id, submission_id=receipt.submission_id))
        return replies

    async def _exercise_of_message(self, msg: Incoming) -> str | None:
        c = await self.dojo.get_cohort(msg.platform, msg.channel_id)
        if c is None:
            return None
        async with self.dojo.db.session() as s:
            return await s.scalar(select(PostedMessage.exercise_id).where(
                PostedMessage.cohort_id == c.id, PostedMessage.message_id == msg.reply_to))

    async def _guess_exercise(self, actor: Actor, code: str) -> str | None:
        """No id given: today's only item, or the item whose names the code defines."""
        try:
            _, _, items, _ = await self.dojo.today(actor)
        except DojoError:
            return None
        if len(items) == 1:
            return items[0].id
        names = defined_names(code)
        best, score = None, 0
        for it in items:
            ex = self.dojo.curriculum.get(it.id)
            wanted = {getattr(ch, "name", None) or ch.id for ch in ex.checks}
            hit = len(wanted & names)
            if hit > score:
                best, score = it.id, hit
        return best

    # ---- challenges -----------------------------------------------------------------

    async def cmd_challenge(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        sub = cmd.sub or "status"
        if sub == "open":
            if not cmd.args:
                return [error("which challenge?", "/dojo challenge open ID [at=18:00] [for=90m]")]
            c = await self.dojo.get_cohort(actor.platform, actor.channel_id)
            tz = c.tz if c else "UTC"
            args = list(cmd.args[1:])
            at = cmd.opts.get("at")
            dur = cmd.opts.get("for") or cmd.opts.get("duration")
            while args:  # also accept "at 18:00 for 90m"
                word = args.pop(0).lower()
                if word == "at" and args:
                    at = args.pop(0)
                elif word == "for" and args:
                    dur = args.pop(0)
            start = parse_when(at, tz, self.dojo.now()) if at else None
            duration = parse_duration(dur) if dur else None
            c, w, item = await self.dojo.open_challenge(actor, cmd.args[0], start, duration)
            when = "now" if w.opens_at <= self.dojo.now() else render.local(w.opens_at, c.tz)
            return [Reply(text=f"⏱️ Window for `{item.id}` {item.title}: opens {when}, closes "
                               f"{render.local(w.closes_at, c.tz)} ({c.tz}). I'll post the "
                               "prompt at the start and results at the close.")]
        if sub == "start":
            if not cmd.args:
                return [error("which challenge?", "/dojo challenge start ID")]
            w, ex = await self.dojo.start_timer(actor, cmd.args[0])
            return [Reply(
                title=f"⏱️ Your timer for `{ex.id}` {ex.title} started: "
                      f"{ex.time_limit_min} min, until {w.closes_at:%H:%M} UTC",
                text=ex.prompt if self.console else ex.summary,
                mention=actor.user_id, exercise_id=ex.id)]
        infos = await self.dojo.challenge_status(actor, cmd.args[0] if cmd.args else None)
        if not infos:
            return [Reply(text="No challenge windows or timers yet.")]
        c = await self.dojo.get_cohort(actor.platform, actor.channel_id)
        tz = c.tz if c else "UTC"
        now = self.dojo.now()
        out = []
        for info in infos:
            lines = []
            for kind, opens, closes in info.windows:
                state = ("upcoming" if opens > now else "open" if closes > now else "closed")
                who = "cohort window" if kind == "cohort" else "your timer"
                left = f", {(closes - now).total_seconds() / 60:.0f} min left" \
                    if state == "open" else ""
                lines.append(f"{who}: {render.local(opens, tz)} → {render.local(closes, tz)} "
                             f"({state}{left})")
            out.append(Reply(title=render.item_line(info.item), text="\n".join(lines) or
                             "no window yet",
                             table=render.board_table(info.passers, tz) if info.passers else None))
        return out

    # ---- cohorts and schedule --------------------------------------------------------

    async def cmd_cohort(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        sub = cmd.sub or "info"
        if sub == "create":
            name = " ".join(cmd.args) or cmd.opts.get("name") or "Cohort"
            start = parse_date(cmd.opts["start"]) if "start" in cmd.opts else None
            c = await self.dojo.create_cohort(
                actor, name, tz=cmd.opts.get("tz", "UTC"), start=start,
                post_time=cmd.opts.get("time", "09:00"))
            return [Reply(text=f"🎓 Cohort **{neutralize(c.name)}** created: starts "
                               f"{c.start_date:%a %d %b}, daily post at {c.post_time} ({c.tz}). "
                               "Members join with /dojo cohort join.")]
        if sub == "join":
            tz = cmd.opts.get("tz") or (cmd.args[0] if cmd.args else None)
            c, m, new = await self.dojo.join(actor, tz)
            if not new:
                return [Reply(text=f"You're already in {neutralize(c.name)}"
                                   + (f"; time zone set to {tz}." if tz else "."))]
            return [Reply(text=f"👋 Welcome to {neutralize(c.name)}, {neutralize(m.display_name)}! "
                               f"Streaks count in {m.tz or c.tz}. /dojo today shows what's on.")]
        if sub == "leave":
            c = await self.dojo.leave(actor)
            return [Reply(text=f"You left {neutralize(c.name)}. Your points stay; "
                               "/dojo cohort join to come back.")]
        info = await self.dojo.cohort_info(actor)
        fields = [
            ("time zone", info.tz),
            ("started" if info.day >= 1 else "starts", f"{info.start_date:%a %d %b %Y}"),
            ("daily post", info.post_time + (" (paused)" if info.paused else "")),
            ("today", f"day {info.day}, week {info.week}" if info.day >= 1 else "not started"),
        ]
        if info.next_post_at:
            fields.append(("next post", render.local(info.next_post_at, info.tz)))
        names = ", ".join(neutralize(n) + (f" ({tz})" if tz else "") for n, tz in info.members)
        fields.append((f"members ({len(info.members)})", names or "nobody yet"))
        return [Reply(title=f"🎓 {neutralize(info.name)}", fields=fields)]

    async def cmd_schedule(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        sub = cmd.sub or "show"
        if sub == "pause":
            await self.dojo.pause(actor)
            return [Reply(text="⏸️ Paused: no daily posts, and the schedule will pick up where "
                               "it left off on /dojo schedule resume.")]
        if sub == "resume":
            c = await self.dojo.resume(actor)
            return [Reply(text=f"▶️ Resumed: day {self.dojo.cohort_day(c)} of {c.name}; the "
                               f"schedule moved by the days paused ({c.paused_days} so far).")]
        if sub in ("time", "tz", "start"):
            value = cmd.args[0] if cmd.args else cmd.opts.get(sub)
            if not value:
                return [error(f"/dojo schedule {sub} needs a value")]
            kwargs = {"time": {"post_time": value}, "tz": {"tz": value},
                      "start": {"start": parse_date(value) if sub == "start" else None}}[sub]
            c = await self.dojo.update_schedule(actor, **kwargs)  # type: ignore[arg-type]
            return [Reply(text=f"🗓️ Schedule: starts {c.start_date}, posts at {c.post_time} "
                               f"({c.tz}).")]
        info = await self.dojo.cohort_info(actor)
        sched = self.dojo.curriculum.schedule
        rows = []
        first = max(info.day, 1)
        for n in range(first, first + 7):
            ids = sched.get(n, [])
            d = rules.date_of_day(info.start_date, n, info.paused_days)
            rows.append([str(n), f"{d:%a %d %b}", ", ".join(ids) or "—"])
        return [Reply(title=f"🗓️ {neutralize(info.name)}: posts at {info.post_time} ({info.tz})"
                            + (" — paused" if info.paused else ""),
                      table=Table(["day", "date", "items"], rows))]

    async def cmd_export(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        name, data = await self.dojo.export_csv(actor)
        lines = data.count(b"\n") - 1
        return [Reply(text=f"📄 {lines} submissions exported.",
                      files=[File(name, data, "text/csv")], ephemeral=True)]

    async def cmd_dashboard(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        link = await dashboard_link(self.dojo, actor)
        return [Reply(title=f"🖥️ Dashboard of {neutralize(link.cohort_name)}",
                      text=f"Your sign-in link (works once, until "
                           f"{render.local(link.expires_at, 'UTC')} UTC; only you see it):\n"
                           f"{link.url}", ephemeral=True)]

    async def cmd_remind(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        on = (cmd.sub or "on") == "on"
        await self.dojo.set_reminders(actor, on)
        return [Reply(text="🔔 Streak reminders on." if on else "🔕 Streak reminders off.",
                      ephemeral=True)]

    async def cmd_tz(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        value = cmd.args[0] if cmd.args else None
        tz = await self.dojo.set_member_tz(actor, None if value in (None, "clear") else value)
        return [Reply(text=f"🕰️ Your streak days now follow {tz}.", ephemeral=True)]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:40] or "member"
