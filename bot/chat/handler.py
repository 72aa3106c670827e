"""The chat layer's entry point: one incoming message → neutral replies.

Adapters build an :class:`Incoming` (who, where, what, attachments, which
message it replies to, whether the channel sees it, and the platform-neutral
role) and lay out what comes back. Every decision is made here, once, for all
platforms: whether a message is a submission at all, which exercise it
answers, whether a reply is private, whether a member's message must come
down (a timed-challenge answer posted in the open), whether a prompt may be
shown. Every user-facing failure becomes a helpful reply; an unexpected bug
becomes a short apology plus a log entry — never a traceback in the channel.

Submissions: :meth:`ChatHandler.handle` stores the submission and answers with
a "⏳ grading…" reply (``status_of`` set). The adapter posts it and says where
with :meth:`ChatHandler.status_posted`; the verdict arrives later through the
core's notices and replaces that message (see :mod:`bot.core.notices`).

Long on purpose: one method per chat verb, each a few lines of wording; the
verbs share parsing and privacy rules that would only be scattered if split.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import ModuleType

from bot.chat import render
from bot.chat.extract import Attachment, extract_code, looks_like_code
from bot.chat.parser import (
    ALIASES,
    CONSOLE_HELP,
    CONSOLE_VERBS,
    HELP,
    HELP_STREAK,
    VERB_HELP,
    VERBS,
    YES_WORDS,
    Command,
    ParseError,
    help_verb,
    help_word,
    is_command,
    parse,
    split_words,
    usage,
)
from bot.chat.replies import File, Image, Reply, Table, error
from bot.chat.safe import OPEN, display_name, neutralize, untrusted
from bot.core import rules
from bot.core.dojo import Dojo
from bot.core.errors import DatabaseUnavailable, DojoError, NotFound
from bot.core.signin import LINK_TTL, dashboard_link
from bot.core.types import Actor, ExerciseItem, Role, StatusRef
from bot.core.views import PromptView

log = logging.getLogger(__name__)
#: Editing a submitted message this soon after posting it grades it again (every
#: platform whose messages can be edited: Discord, Slack).
EDIT_REGRADE_WINDOW = timedelta(minutes=5)

#: Pictures are drawn on one thread of their own: a drawing takes a few hundred
#: milliseconds that must not hold the event loop every chat shares, and
#: pyplot keeps global state, so drawings take turns.
_PICTURES = ThreadPoolExecutor(1, thread_name_prefix="pictures")


async def draw(paint: Callable[[ModuleType], bytes]) -> bytes:
    """``paint(bot.chat.pictures)`` on the picture thread (which also pays
    matplotlib's import the first time)."""
    def run() -> bytes:
        return paint(importlib.import_module("bot.chat.pictures"))

    return await asyncio.get_running_loop().run_in_executor(_PICTURES, run)


@dataclass(frozen=True)
class EditPlan:
    """What an edited chat message comes to (:meth:`ChatHandler.edit_plan`):
    ``handle`` it again — its verdict replacing the one in ``status`` when the
    edit regrades a submission — or not; ``replies`` are said instead."""

    handle: bool = False
    status: StatusRef | None = None
    replies: tuple[Reply, ...] = ()


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
    public: bool = False  # the channel sees this message (not a slash command or form)

    def __post_init__(self) -> None:
        # A display name is the platform's, not the member's message: one cut inside a
        # character (a lone surrogate, which no database or chat API takes) must not
        # refuse their submission as "not UTF-8 text". The broken character shows as �.
        self.user_name = _SURROGATES.sub("\ufffd", self.user_name or "").replace("\x00", "")

    @property
    def actor(self) -> Actor:
        return Actor(self.platform, self.channel_id, self.user_id, self.user_name, self.role)


@dataclass(frozen=True)
class HomeCard:
    """One cohort of a member at a glance (Slack's App Home)."""

    cohort_name: str
    channel_id: str
    day: int
    streak: rules.StreakResult
    hours_left_today: float
    points: int
    standing: str
    week_rows: list[list[str]]  # per week: the day states' values
    next_items: list[ExerciseItem]


#: What a member reads when the database cannot be reached: the action did not
#: happen, so a submission must be sent again (it was never stored).
UNAVAILABLE = {
    "submit": "I can't reach my database right now, so your submission was NOT saved",
    "": "I can't reach my database right now, so nothing was done",
}
_SURROGATES = re.compile("[\ud800-\udfff]")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")


#: What an argument may hold and still be echoed as it is: ids, times, zones,
#: numbers. Anything else (a link, a mention, markup) is quoted as inert text.
_PLAIN_WORD = re.compile(r"[\w.,:;/#+=\-']*")


def command_words(text: str) -> list[str]:
    """The words of a message's command line (and each key=value's value)."""
    first = (text or "").lstrip().partition("\n")[0].partition("```")[0]
    words = split_words(first)
    return words + [w.partition("=")[2] for w in words if "=" in w]


def echo_error(words: list[str], message: str, hint: str | None = None) -> Reply:
    """An error reply quoting what the member typed (``no exercise 'x'``,
    ``unknown time zone 'x'``, ``/dojo remind has no 'x'``): a quoted word that
    is not a plain id, time or name — a link, a mention, Markdown — is shown as
    inert text, never as the bot's own link or formatting."""
    def inert(text: str) -> str:
        for word in sorted(set(words), key=len, reverse=True):
            if not word or (_PLAIN_WORD.fullmatch(word) and "://" not in word
                            and "www." not in word.lower()):
                continue
            for cut in (word, word[:40], word[:20]):
                text = text.replace(repr(cut), untrusted(cut, 80))
        return neutralize(text) if OPEN not in text and any(
            w and neutralize(w) != w for w in words) else text
    return error(inert(message), inert(hint) if hint else None)


def parse_duration(text: str) -> timedelta:
    text = text.strip().lower()
    if text.isdigit():
        return timedelta(minutes=int(text))
    m = _DURATION.match(text)
    if not m or not any(m.groups()):
        raise DojoError(f"{text!r} is not a duration", "write 90m, 2h or 1h30m")
    return timedelta(hours=int(m.group(1) or 0), minutes=int(m.group(2) or 0))


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """ISO date-time (naive = cohort time zone), or HH:MM meaning that time today (in
    the cohort's zone). A start earlier today is in the past: a window with time left
    opens now, one already over is refused (docs/chat-commands.md) — never silently
    moved to tomorrow; a later day is written with its date."""
    text = text.strip()
    zone = rules.zone(tz)
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        at = rules.parse_hhmm(text)
        return rules.local_at_utc(now.astimezone(zone).date(), at, zone)
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


#: Where code too long for a platform's private form goes instead (its own words only:
#: a Discord member was told about Slack's code block too).
LONG_CODE_WAY = {"slack": "the code block right after the command",
                 "discord": "the command's `file` option, a .py file"}


def locked_prompt(view: PromptView) -> str:
    """Where a hidden challenge prompt shows: the cohort's window when one is set (a
    timer of one's own is refused then), else one's own timer."""
    if view.cohort_opens is not None:
        opens = view.cohort_opens.astimezone(rules.zone(view.tz))
        return (f"A timed challenge for the whole cohort: the prompt shows when its window "
                f"opens, {opens:%a %d %b %H:%M} ({view.tz}). "
                f"/dojo challenge status {view.item.id} shows the window.")
    return (f"A timed challenge: the prompt is revealed when you start your timer with "
            f"/dojo challenge start {view.item.id}.")


class ChatHandler:
    """Maps parsed commands onto the core and its results onto replies."""

    def __init__(self, dojo: Dojo, *, console: bool = False) -> None:
        self.dojo = dojo
        self.console = console

    # ---- decisions adapters ask for ------------------------------------------------------

    def wants(self, msg: Incoming) -> bool:
        """Whether a message is for the bot at all: a command, or code (a block
        or a .py file) replying to one of the bot's posts. Anything else is
        people talking; the bot stays out of it."""
        text = msg.text or ""
        return is_command(text) or bool(msg.reply_to and (
            "```" in text or msg.attachments or looks_like_code(text)))

    def is_submission(self, msg: Incoming) -> bool:
        if not self.wants(msg):
            return False
        text = msg.text or ""
        if not is_command(text):
            return True
        cmd = parse(text)
        return isinstance(cmd, Command) and cmd.verb == "submit"

    def private_exercise(self, exercise_id: str | None) -> bool:
        """Answers to (and verdicts of) a timed challenge stay private."""
        return self.dojo.catalog.is_challenge(exercise_id)

    def answers_privately(self, text: str) -> bool:
        """Whether the command in ``text`` answers only its asker, known before handling
        it (Discord fixes a slow answer's visibility when it says "thinking…"; a typed
        command's private answer goes to direct messages): one's own help, status,
        reviews, hints, reminders, zone, exports, sign-in link and timer, and a timed
        challenge's prompt or answer — as the ``cmd_*`` methods below mark their replies.
        Anything else — a public verb, or text that is no valid command — is False;
        a refusal is private whatever the verb."""
        cmd = parse(text, console=self.console) if is_command(text) else None
        if not isinstance(cmd, Command):
            return False
        if cmd.verb in ("help", "status", "review", "hint", "remind", "tz", "export",
                        "dashboard"):
            return True
        if cmd.verb == "challenge":
            return cmd.sub == "start"
        return cmd.verb in ("show", "submit") and bool(cmd.args) \
            and self.private_exercise(cmd.args[0])

    def unknown_exercise(self, exercise_id: str) -> str | None:
        """What to tell someone who typed an exercise id into a form (None: fine)."""
        try:
            self.dojo.catalog.exercise(exercise_id)
        except DojoError as exc:
            return f"{exc.message}; {exc.hint}" if exc.hint else exc.message
        return None

    def exercise_choices(self, current: str) -> list[tuple[str, str]]:
        """(id, "id title") pairs for an autocomplete box."""
        return [(it.id, f"{it.id} {it.title}") for it in self.dojo.catalog.choices(current)]

    async def status_posted(self, reply: Reply, where: StatusRef | None) -> None:
        """The adapter posted a submission's "⏳ grading…" reply (``where``; None
        when it could not): its verdict will edit exactly that message."""
        if reply.status_of is not None:
            await self.dojo.submissions.attach_status(reply.status_of, where)

    async def edit_plan(self, msg: Incoming, age: timedelta) -> EditPlan:
        """What an edited chat message comes to (``msg`` as it reads now, ``age``
        the time from posting it to the edit).

        Within :data:`EDIT_REGRADE_WINDOW`, a submission it made is graded again
        and the verdict replaces the old one in the same status message; a
        submission attempt that made none (refused: an unknown id, no code block, a
        file the bot could not read) is handled as a new message, so the member
        fixes it by editing, as they would a typo, without pasting the code again.
        Conversation, a submission graded long ago and one whose status message is
        gone are left be. When the database cannot be reached the member is told
        the edit was not graded — never silence they would take for grading."""
        if age > EDIT_REGRADE_WINDOW or not msg.message_id or not self.is_submission(msg):
            return EditPlan()
        try:
            found = await self.dojo.submissions.origin_of(msg.platform, msg.message_id)
            if found is not None and found[1] is not None:
                return EditPlan(handle=True, status=found[1])
            if await self.dojo.submissions.made_by(msg.message_id):
                return EditPlan()
        except DatabaseUnavailable:
            log.warning("database unreachable handling an edit of %s", msg.message_id)
            return EditPlan(replies=(error(
                "I can't reach my database right now, so your edited submission was NOT "
                "graded", "edit it again, or send it again, in a minute"),))
        return EditPlan(handle=True)

    async def prompt(self, msg: Incoming, exercise_id: str) -> Reply:
        """An exercise's full prompt and starter for a "Full prompt" button:
        always private; a challenge's only once its window opened for them."""
        try:
            view = await self.dojo.challenges.prompt(msg.actor, exercise_id)
        except DojoError as exc:
            return error(exc.message, exc.hint)
        if not view.visible:
            return Reply(text=locked_prompt(view), private=True)
        text = view.prompt
        if view.starter:
            text += f"\n\n**Starter**\n```python\n{view.starter.rstrip()}\n```"
        return Reply(title=f"`{view.item.id}` {view.item.title}", text=text,
                     exercise_id=view.item.id, private=True)

    async def home_cards(self, platform: str, user_id: str, limit: int = 5) -> list[HomeCard]:
        """Every cohort the user is in, at a glance."""
        cards = []
        for channel in (await self.dojo.cohorts.channels_of(platform, user_id))[:limit]:
            actor = Actor(platform, channel, user_id, "")
            try:
                info = await self.dojo.streak(actor)
                prog = await self.dojo.progress(actor)
                cohort, label, week_rows = await self.dojo.leaderboard(actor, "week")
                _, _, all_rows = await self.dojo.leaderboard(actor, "all", limit=1000)
                today = await self.dojo.today(actor)
            except DojoError:
                continue
            mine = next((r for r in all_rows if r.user_id == user_id), None)
            week = next((r for r in week_rows if r.user_id == user_id), None)
            standing = (f"#{mine.rank} of {len(all_rows)} all time, {mine.points} pts"
                        if mine else "no points yet")
            if week:
                standing += f"; #{week.rank} in {label}"
            weeks = [[state.value for _, _, state in prog.days[i:i + 7]]
                     for i in range(0, len(prog.days), 7)]
            cards.append(HomeCard(cohort.name, channel, max(today.day, 0), info.streak,
                                  info.hours_left_today, prog.total, standing, weeks,
                                  [i for i in today.items if i.status != "passed"]))
        return cards

    # ---- messages ----------------------------------------------------------------------

    async def handle(self, msg: Incoming) -> list[Reply]:
        text = msg.text or ""
        if not self.wants(msg):
            if self.console and msg.reply_to:
                return [error(f"only a code block answers post {msg.reply_to}",
                              f"/dojo reply {msg.reply_to}, then ```python, your code and ``` "
                              "on lines of their own")]
            if self.console and text.lstrip().startswith("```"):
                return [error("a code block on its own is not sent anywhere",
                              "type /dojo submit ID on the line before it (several blocks: "
                              "paste them together after one /dojo submit), or /dojo reply "
                              "POST-ID to answer a drill post")]
            if self.console:
                words = text.partition("\n")[0].split()
                if words and words[0].lower().lstrip("/") == "dojo":
                    words = words[1:]
                if words:
                    words[0] = words[0].lstrip("/").lower()
                if words and (words[0] in VERBS or words[0] in CONSOLE_VERBS
                              or words[0] in ALIASES):  # "today", "/help", "dojo today"
                    return [error("commands start with /dojo",
                                  f"did you mean /dojo {' '.join(words)[:80]}?")]
                return [error("commands start with /dojo", "/dojo help")]
            return []  # ordinary conversation: not for the bot
        if not is_command(text):
            # Code replying to one of the bot's drill posts submits for that drill; code
            # in any other thread is people talking, not a submission.
            if not await self._answers_a_post(msg):
                return [error(f"{msg.reply_to} is not a drill post", "/dojo today")] \
                    if self.console else []
            if "```" not in text and not msg.attachments:  # code pasted without a block
                return [error("that looks like code, but I only grade code inside a code block",
                              "send it again between a ```python line and a ``` line (or "
                              "attach a .py file), replying to the drill post as before")]
            text = "/dojo submit\n" + text
        parsed = parse(text, console=self.console)
        words = command_words(text)
        if isinstance(parsed, ParseError):
            return [echo_error(words, parsed.message, f"did you mean {parsed.suggestion}?"
                               if parsed.suggestion and parsed.suggestion.startswith("/dojo ")
                               else parsed.suggestion)]
        try:
            return await self.dispatch(parsed, msg)
        except DojoError as exc:
            return [echo_error(words, exc.message, exc.hint)]
        except DatabaseUnavailable:
            log.warning("database unreachable handling %r", (msg.text or "")[:80])
            return [error(UNAVAILABLE.get(parsed.verb, UNAVAILABLE[""]),
                          "send it again in a minute")]
        except UnicodeError:  # undecodable bytes in the message (e.g. a terminal's)
            return [error("that message is not UTF-8 text", "type it again as UTF-8")]
        except ValueError as exc:  # bad time zone, time of day, … from the rules
            return [echo_error(words, str(exc), usage(parsed.verb))]
        except Exception:
            log.exception("command failed: %r", (msg.text or "")[:200])
            return [error("something went wrong on my side handling that command",
                          "try again; if it keeps happening, tell an instructor")]

    async def dispatch(self, cmd: Command, msg: Incoming) -> list[Reply]:
        fn = getattr(self, f"cmd_{cmd.verb}", None)
        if fn is None:
            return [error(f"/dojo {cmd.verb} only works in the console")]
        return await fn(cmd, msg, msg.actor)

    # ---- simple views -------------------------------------------------------------------

    async def cmd_help(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        everything = HELP + ("\n" + CONSOLE_HELP if self.console else "")
        if not cmd.args:
            return [Reply(text=everything, private=True)]
        topic = " ".join(cmd.args)  # "/dojo help /dojo submit" names submit
        if help_word(topic) in ("streak", "streaks", "freeze", "freezes"):
            return [Reply(text=HELP_STREAK, private=True)]
        verb = help_verb(topic, console=self.console)
        if verb is None:
            return [Reply(text=f"There is no command {untrusted(topic, 40)}; these are all of "
                               f"them.\n\n{everything}", private=True)]
        return [Reply(title=f"/dojo {verb}", text=VERB_HELP[verb]
                      + "\n\n/dojo help — all commands", private=True)]

    async def cmd_today(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        view = await self.dojo.today(actor)
        c = view.cohort
        join = "" if view.member else (
            "\nYou are not a member of this cohort: /dojo cohort join to take part.")
        if view.day < 1:
            start = rules.date_of_day(c.start_date, 1, c.paused_days)
            return [Reply(text=f"{display_name(c.name)} starts on {start:%a %d %b} at "
                               f"{c.post_time} ({c.tz}).{join}")]
        note = "" if view.posted else f" (day {view.day + 1} posts at {c.post_time} {c.tz})"
        reviews = await self._reviews_line(actor) if view.member else ""
        if not view.items:
            return [Reply(text=f"Day {view.day}: nothing scheduled — a rest day{note}."
                          + (f"\n{reviews}" if reviews else "") + join)]
        # whose marks these are: on Slack a public answer does not show who asked
        name = actor.name or actor.user_id
        whose = ("Day" if not view.member else "Your day" if name == "you"  # the console's user
                 else f"{display_name(name)}'s day")
        return [Reply(title=f"📅 {whose} {view.day} in {display_name(c.name)}{note}",
                      text="\n".join(render.item_line(i) for i in view.items)
                      + (f"\n{reviews}" if reviews else "")
                      + "\n\n/dojo show ID for a prompt; /dojo submit ID with a code block."
                      + join)]

    async def _reviews_line(self, actor: Actor) -> str:
        """"🔁 2 reviews due: …" for a member, "" for everyone else."""
        try:
            queue = await self.dojo.review(actor)
        except NotFound:
            return ""
        if not queue.due:
            return ""
        n = len(queue.due)
        return (f"🔁 {n} review{'s' if n != 1 else ''} due: "
                f"{render.items_list([r.item for r in queue.due], 4)} — /dojo review")

    async def cmd_review(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        queue = await self.dojo.review(actor)
        if cmd.args:  # one exercise: is it due, when does it come back, is it queued at all
            ex = self.dojo.catalog.exercise(cmd.args[0])
            return [Reply(title="🔁 Spaced review", private=True,
                          text=render.review_of(queue, ex.id, ex.title))]
        return [Reply(title="🔁 Your spaced reviews", text=render.review_queue(queue),
                      private=True)]

    async def cmd_hint(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        ids = [a for a in cmd.args if a.lower() not in YES_WORDS]  # "hint yes 1.1.1" too
        if not ids:
            return [error("which exercise?", "/dojo hint 1.1.1")]
        confirm = len(ids) < len(cmd.args)
        step = await self.dojo.ask_hint(actor, ids[0], confirm=confirm)
        return [Reply(title=f"💡 Hints for `{step.item.id}` {step.item.title}",
                      text=render.hint_step(step), private=True)]

    async def cmd_show(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        if not cmd.args:
            return [error("which exercise?", "/dojo show 1.1.1 (see /dojo today)")]
        view = await self.dojo.challenges.prompt(actor, cmd.args[0])
        item = view.item
        fields = [("kind", item.kind), ("points", str(item.max_score))]
        if item.time_limit_min:
            fields.append(("time limit", f"{item.time_limit_min} min"))
        if not view.visible:
            return [Reply(title=render.item_line(item), fields=fields,
                          text=locked_prompt(view))]
        text = view.prompt if self.console else view.summary
        if view.starter and self.console:
            text += f"\n\nStarter:\n```python\n{view.starter.rstrip()}\n```"
        return [Reply(title=render.item_line(item), text=text, fields=fields,
                      exercise_id=item.id, private=self.private_exercise(item.id))]

    async def cmd_streak(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        info = await self.dojo.streak(actor)
        st = info.streak
        if st.today_passed:
            today = "today ✅ done"
        else:
            today = f"today still open ({render.time_left(info.hours_left_today)} left, {info.tz})"
        news = "".join("\n" + render.freeze_line(n) for n in info.news)
        name = display_name(info.name)
        if st.current:
            head = f"🔥 {name}: {st.current}-day streak (best {st.best})"
        elif st.best:  # it ended: say so, and no fire for it
            head = (f"{name}: your streak ended (best {render.plural(st.best, 'day')}); "
                    "pass something new or due to start a new one")
        else:
            head = f"{name}: no streak yet; pass something new or due to start one"
        return [Reply(
            text=f"{head}, {st.freezes} freeze{'s' if st.freezes != 1 else ''} banked; "
                 f"{today}.{news}",
            fields=[("frozen days", ", ".join(f"{d:%d %b}" for d in st.frozen_in_current[-5:]))]
            if st.frozen_in_current else [])]

    async def cmd_progress(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        data = await self.dojo.progress(actor)
        counts: dict[str, int] = {}
        for _, _, state in data.days:
            counts[state.value] = counts.get(state.value, 0) + 1
        summary = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no cohort days yet"
        lines = [f"📈 {display_name(data.name)}: {render.plural(data.total, 'point')}; "
                 f"days: {summary}."]
        if data.reviews is not None and data.reviews.cards:
            lines.append(render.review_summary(data.reviews))
        lines += [render.best_summary(b) for b in data.bests]
        return [Reply(
            text="\n".join(lines),
            images=[Image(f"progress-{_slug(actor.user_id)}.png",
                          await draw(lambda pictures: pictures.progress_png(data)),
                          "your progress")])]

    async def cmd_leaderboard(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        scope = cmd.sub or "week"
        image = "image" in [a.lower() for a in cmd.args]
        cohort, label, rows = await self.dojo.scoring.leaderboard(actor, scope, 20,
                                                                  everyone=image)
        scored = [r for r in rows if r.points or r.reached_at is not None]
        reply = Reply(title=f"🏆 {display_name(cohort.name)} — {label}",
                      table=render.board_table(scored, cohort.tz) if scored else None,
                      text="" if scored else "No points yet — be the first!")
        if image and rows:
            title = f"{cohort.name} — {label}"
            reply.images.append(Image(f"leaderboard-{scope}.png",
                                      await draw(lambda pictures: pictures.leaderboard_png(
                                          title, rows)),
                                      f"leaderboard {label}"))
        return [reply]

    async def cmd_status(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        number = None
        if cmd.args:
            try:
                number = int(cmd.args[0].lstrip("#"))
            except ValueError:
                raise DojoError(f"{cmd.args[0][:20]!r} is not a submission number",
                                "/dojo status #12") from None
            if number < 1:
                raise DojoError("submission numbers start at #1",
                                "/dojo status lists your latest, with their numbers")
        rows = await self.dojo.submissions.recent(actor, number)
        if not rows:
            if number:
                return [error(f"you have no submission #{number} here",
                              "/dojo status lists your latest, with their numbers")]
            return [error("you have no submissions here yet",
                          "/dojo today shows what's on; /dojo submit ID with a code block "
                          "sends your answer")]
        own, cohort_tz = await self.dojo.cohorts.member_tz(actor)
        tz = own or cohort_tz  # the zone the member's days are in, as the streak's
        table = Table(["#", "exercise", "state", "result", f"received ({tz})"], [
            [str(r.id), r.exercise_id, r.state.replace("_", " "), r.result_status or "—",
             render.local(r.received_at, tz)] for r in rows])
        return [Reply(title="Your latest submissions", table=table, private=True)]

    # ---- submissions ----------------------------------------------------------------------

    async def cmd_submit(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        found = extract_code(cmd.body, msg.attachments)
        if found.problem:
            return [error(found.problem, found.hint)]
        if found.code is None and ((cmd.body or "").strip() or len(cmd.args) > 1):
            # code pasted without the fences (on the lines below, or on the command's own)
            known = self.dojo.catalog.resolve(cmd.args[0]) if cmd.args else None
            return [error("that looks like code, but I only grade code inside a code block",
                          f"send it again: /dojo submit {known or 'ID'}, then a ```python "
                          "line, your code, and a ``` line")]
        if found.code is None:
            return [error("I found no code to grade",
                          "put it in a ```python code block``` after the command, attach a .py "
                          "file, or reply to the drill post with a code block")]
        ex_id = cmd.args[0] if cmd.args else None
        if ex_id is None and msg.reply_to:
            ex_id = await self.dojo.planner.exercise_of_reply(msg.platform, msg.channel_id,
                                                              msg.reply_to)
        if ex_id is None:
            ex_id = await self._guess_exercise(actor, found.code)
        if ex_id is None:
            return [error("which exercise is this for?", "/dojo submit 1.1.1 with the code block")]
        ex_id = self.dojo.catalog.resolve(ex_id) or ex_id  # `1.1.1`, 1,1,1 → 1.1.1
        if msg.public and self.private_exercise(ex_id):
            longer = LONG_CODE_WAY.get(msg.platform, "")
            return [Reply(
                text=f"🙈 `{ex_id}` is a timed challenge: answers stay private, so this one "
                     f"was not graded here. Submit with /dojo submit {ex_id} (a private form"
                     + (f"; code longer than the form takes: {longer}" if longer else "")
                     + ").",
                mention=actor.user_id, private=True, level="warning", takedown=True)]
        receipt = await self.dojo.submit(actor, ex_id, found.code, msg.message_id,
                                         status_coming=True)
        ahead = f" ({receipt.ahead} of yours ahead of it)" if receipt.ahead else ""
        replies = [Reply(text=f"⏳ #{receipt.submission_id} `{receipt.exercise_id}` "
                              f"received — grading…{ahead}",
                         status_of=receipt.submission_id, private=receipt.private,
                         mention=actor.user_id)]
        if receipt.joined:
            replies.append(Reply(text=f"👋 Welcome {display_name(actor.name)} — you joined the "
                                      "cohort with this submission."))
        return replies

    async def _answers_a_post(self, msg: Incoming) -> bool:
        return bool(msg.reply_to) and await self.dojo.planner.exercise_of_reply(
            msg.platform, msg.channel_id, msg.reply_to or "") is not None

    async def _guess_exercise(self, actor: Actor, code: str) -> str | None:
        """No id given: the item of today's whose names the code defines, else any
        exercise's whose names it defines, else today's only item."""
        try:
            items = [i.id for i in (await self.dojo.today(actor)).items]
        except DojoError:
            items = []
        catalog = self.dojo.catalog
        return (catalog.best_match(code, items)
                or catalog.best_match(code, catalog.ids())
                or (items[0] if len(items) == 1 else None))

    # ---- challenges -------------------------------------------------------------------------

    async def cmd_challenge(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        sub = cmd.sub or "status"
        if sub == "open":
            return await self._open_window(cmd, actor)
        if sub == "start":
            if not cmd.args:
                return [error("which challenge?", "/dojo challenge start ID")]
            timer = await self.dojo.start_timer(actor, cmd.args[0])
            item = timer.item
            practice = (" — a practice run: no points, your time is kept"
                        if timer.practice else "")
            tz = (await self.dojo.cohorts.get(actor)).tz
            return [Reply(
                title=f"⏱️ Your timer for `{item.id}` {item.title} started: "
                      f"{item.time_limit_min} min, until "
                      f"{render.local(timer.window.closes_at, tz)} ({tz}){practice}"
                      + self._shared(item.id, "one clock for"),
                text=timer.prompt if self.console else timer.summary,
                mention=actor.user_id, exercise_id=item.id, private=True)]
        infos = await self.dojo.challenge_status(actor, cmd.args[0] if cmd.args else None)
        if not infos:
            return [Reply(text="No challenge windows or timers yet.\n→ /dojo challenge start ID "
                               "starts your own timer for a timed challenge; instructors open "
                               "one for the cohort with /dojo challenge open ID.")]
        cohort = await self.dojo.cohorts.get(actor)
        now = self.dojo.now()
        out = []
        for info in infos:
            lines = []
            for w in info.windows:
                state = ("upcoming" if w.opens_at > now else
                         "open" if w.closes_at > now else "closed")
                who = "your timer" if w.personal else "cohort window"
                left = (f", {render.span((w.closes_at - now).total_seconds() / 60)} left"
                        if state == "open" else "")
                lines.append(f"{who}: {render.local(w.opens_at, cohort.tz)} → "
                             f"{render.local(w.closes_at, cohort.tz)} {cohort.tz} "
                             f"({state}{left})")
            open_until = [w.closes_at for w in info.windows
                          if not w.personal and w.opens_at <= now < w.closes_at]
            if open_until and info.passers:  # the cohort sees the results when it closes
                lines.append(f"{len(info.passers)} passed so far; who and in what time shows "
                             f"when the window closes ({render.local(max(open_until), cohort.tz)}"
                             f" {cohort.tz})")
            out.append(Reply(title=render.item_line(info.item),
                             text="\n".join(lines) or f"No window yet: /dojo challenge start "
                                                     f"{info.item.id} starts your own timer.",
                             table=render.board_table(info.passers, cohort.tz)
                             if info.passers and not open_until else None))
        return out

    async def _open_window(self, cmd: Command, actor: Actor) -> list[Reply]:
        if not cmd.args:
            return [error("which challenge?", "/dojo challenge open ID [at=18:00] [for=90m]")]
        cohort = await self.dojo.cohorts.get(actor)
        args = list(cmd.args[1:])
        at = cmd.opts.get("at")
        dur = cmd.opts.get("for") or cmd.opts.get("duration")
        while args:  # also accept "at 18:00 for 90m"
            word = args.pop(0).lower()
            if word == "at" and args:
                at = args.pop(0)
            elif word == "for" and args:
                dur = args.pop(0)
        start = parse_when(at, cohort.tz, self.dojo.now()) if at else None
        duration = parse_duration(dur) if dur else None
        cohort, window = await self.dojo.open_challenge(actor, cmd.args[0], start, duration)
        item = self.dojo.catalog.item(window.exercise_id)
        when = ("now" if window.opens_at <= self.dojo.now()
                else render.local(window.opens_at, cohort.tz))
        return [Reply(text=f"⏱️ Window for `{item.id}` {item.title}: opens {when}, closes "
                           f"{render.local(window.closes_at, cohort.tz)} ({cohort.tz})"
                           + self._shared(item.id, "one window for") + ". I'll post the "
                           "prompt at the start and results at the close.")]

    def _shared(self, exercise_id: str, what: str) -> str:
        """" — one window for both parts: `6.1.5a`, `6.1.5b`" for a challenge in parts."""
        parts = self.dojo.catalog.parts_of(exercise_id)
        if len(parts) < 2:
            return ""
        both = "both" if len(parts) == 2 else f"all {len(parts)}"
        return f" — {what} {both} parts: " + ", ".join(f"`{p}`" for p in parts)

    # ---- cohorts and schedule ----------------------------------------------------------------

    async def cmd_cohort(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        sub = cmd.sub or "info"
        if sub == "create":
            name = (" ".join(cmd.args) or cmd.opts.get("name") or "").strip()
            if not name:  # a cohort's name is permanent: never make one up
                return [error("a cohort needs a name",
                              "/dojo cohort create NAME [tz=…] [start=YYYY-MM-DD] [time=HH:MM]")]
            start = parse_date(cmd.opts["start"]) if "start" in cmd.opts else None
            c = await self.dojo.create_cohort(
                actor, name, tz=cmd.opts.get("tz", "UTC"), start=start,
                post_time=cmd.opts.get("time", "09:00"))
            return [Reply(text=f"🎓 Cohort {display_name(c.name)} created: starts "
                               f"{c.start_date:%a %d %b}, daily post at {c.post_time} ({c.tz}). "
                               "Members join with /dojo cohort join.")]
        if sub == "join":
            tz = cmd.opts.get("tz") or (cmd.args[0] if cmd.args else None)
            joined = await self.dojo.join(actor, tz)
            c, m = joined.cohort, joined.member
            if not joined.new:
                return [Reply(text=f"You're already in {display_name(c.name)}"
                                   + (f"; time zone set to {tz}." if tz else "."))]
            if joined.returning:
                return [Reply(text=f"👋 Welcome back to {display_name(c.name)}, "
                                   f"{display_name(m.name)}! Your points, passes and streak are "
                                   f"as you left them; streaks count in {m.tz or c.tz}. "
                                   "/dojo today shows what's on.")]
            return [Reply(text=f"👋 Welcome to {display_name(c.name)}, {display_name(m.name)}! "
                               f"Streaks count in {m.tz or c.tz}. /dojo today shows what's on.")]
        if sub == "leave":
            c = await self.dojo.leave(actor)
            return [Reply(text=f"You left {display_name(c.name)}. Your points stay; "
                               "/dojo cohort join to come back.")]
        info = await self.dojo.cohort_info(actor)
        fields = [
            ("time zone", info.tz),
            ("started" if info.day >= 1 else "starts", f"{info.start_date:%a %d %b %Y}"),
            ("daily post", info.post_time + (" (paused)" if info.paused else "")),
            ("today", f"day {info.day}, week {info.week}" if info.day >= 1 else "not started"),
        ]
        if info.next_post_at:
            fields.append(("next post", f"{render.local(info.next_post_at, info.tz)} ({info.tz})"))
        names = ", ".join(display_name(n) + (f" ({tz})" if tz else "") for n, tz in info.members)
        fields.append((f"members ({len(info.members)})", names or "nobody yet"))
        return [Reply(title=f"🎓 {display_name(info.name)}", fields=fields)]

    async def cmd_schedule(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        sub = cmd.sub or "show"
        if sub == "pause":
            await self.dojo.pause(actor)
            return [Reply(text="⏸️ Paused: no daily posts, and the schedule will pick up where "
                               "it left off on /dojo schedule resume.")]
        if sub == "resume":
            c = await self.dojo.resume(actor)
            return [Reply(text=f"▶️ Resumed: day {c.day} of {display_name(c.name)}; the "
                               f"schedule moved by the days paused ({c.paused_days} so far).")]
        if sub in ("time", "tz", "start"):
            value = cmd.args[0] if cmd.args else cmd.opts.get(sub)
            if not value:
                example = {"time": "09:00", "tz": "Europe/Berlin", "start": "2026-03-02"}[sub]
                return [error(f"/dojo schedule {sub} needs a value",
                              f"/dojo schedule {sub} {example}")]
            if sub == "time":
                c = await self.dojo.cohorts.update_schedule(actor, post_time=value)
            elif sub == "tz":
                c = await self.dojo.cohorts.update_schedule(actor, tz=value)
            else:
                c = await self.dojo.cohorts.update_schedule(actor, start=parse_date(value))
            return [Reply(text=f"🗓️ Schedule: starts {c.start_date}, posts at {c.post_time} "
                               f"({c.tz}).")]
        info, days = await self.dojo.cohorts.schedule_days(actor)
        rows = [[str(d.day), f"{d.date:%a %d %b}", ", ".join(d.exercise_ids) or "—"]
                for d in days]
        return [Reply(title=f"🗓️ {display_name(info.name)}: posts at {info.post_time} "
                            f"({info.tz})" + (" — paused" if info.paused else ""),
                      table=Table(["day", "date", "items"], rows))]

    async def cmd_export(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        name, data = await self.dojo.export_csv(actor)
        lines = data.count(b"\n") - 1
        return [Reply(text=f"📄 {render.plural(lines, 'submission')} exported.",
                      files=[File(name, data, "text/csv")], private=True)]

    async def cmd_dashboard(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        link = await dashboard_link(self.dojo, actor)
        return [Reply(title=f"🖥️ Dashboard of {display_name(link.cohort_name)}",
                      text=f"Your sign-in link (works once, for the next "
                           f"{LINK_TTL // timedelta(minutes=1)} minutes; only you see it):\n"
                           f"{link.url}", private=True)]

    async def cmd_remind(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        if cmd.sub is None:  # show, never change: only "on" and "off" switch
            on = await self.dojo.cohorts.reminders(actor)
            state = ("🔔 Your streak reminders and review nudges are on" if on else
                     "🔕 Your streak reminders and review nudges are off")
            return [Reply(text=f"{state}.\n→ /dojo remind {'off' if on else 'on'} to turn "
                               f"them {'off' if on else 'on'}.", private=True)]
        on = cmd.sub == "on"
        await self.dojo.cohorts.set_reminders(actor, on)
        return [Reply(text="🔔 Streak reminders and review nudges on." if on else
                      "🔕 Streak reminders and review nudges off.", private=True)]

    async def cmd_tz(self, cmd: Command, msg: Incoming, actor: Actor) -> list[Reply]:
        value = cmd.args[0] if cmd.args else cmd.opts.get("tz")
        if not value:  # show, never change: only "clear" clears
            own, cohort_tz = await self.dojo.cohorts.member_tz(actor)
            now = (f"🕰️ Your streak days follow {own} (your own zone; the cohort's is "
                   f"{cohort_tz})." if own else
                   f"🕰️ Your streak days follow the cohort's time zone, {cohort_tz}.")
            return [Reply(text=now + "\n→ /dojo tz ZONE to set your own (e.g. /dojo tz "
                                     "Europe/Berlin), /dojo tz clear to follow the cohort's.",
                          private=True)]
        tz = await self.dojo.cohorts.set_member_tz(
            actor, None if value.lower() == "clear" else value)
        return [Reply(text=f"🕰️ Your streak days now follow {tz}.", private=True)]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:40] or "member"
