"""The one delivery path for what grading has to say to a member.

A grading's outcome (verdict, delay, "could not be graded") is written as a
``notices`` row in the same transaction as the submission's state change
(transactional outbox). Whichever process serves the cohort's platform claims
undelivered notices with a short lease, hands each as an event to its outbox
(which edits the member's "⏳ grading…" message found through the submission's
stored :class:`StatusRef`) and marks it delivered. So a verdict is delivered
exactly once even when the process that graded is not the one connected to
the chat, and survives restarts of either side: an unmarked notice whose lease
ran out is claimed again (editing the same message twice is harmless).

Progress of a long grading (:mod:`bot.core.progress`) travels the same way
as ``progress`` notices; one whose grading has finished, or that a newer one
replaced, is dropped unsaid.

A submission's notices are said in order: none is claimed while an older one
of the same submission is claimed and not yet delivered (in flight in another
delivery round or process, or waiting out a failed attempt's pause), so a
late progress edit or delay notice never overwrites the verdict. That is what
lets a chat adapter run several delivery rounds at once
(:data:`ROUNDS_AT_ONCE`): a verdict written while a round is stuck on others'
edits goes out in a round of its own (after :data:`OVERLAP_AFTER_S`).

Wake-ups: a notice written by this process wakes the delivery loop at once
(:attr:`NoticeService.wake`); on PostgreSQL a notice written by any process (a
grading worker on another machine) wakes it too, through LISTEN/NOTIFY
(:mod:`bot.db.listen`); a slow poll remains as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import CoreContext
from bot.core.types import (
    BestNote,
    CouldNotGradeNotice,
    DelayNotice,
    FreezeNews,
    GradedNotice,
    GradingProgress,
    HintOffer,
    Outbox,
    ReviewNote,
    StatusRef,
    SubmissionNotice,
)
from bot.db import Cohort, Member, Notice, Submission, SubmissionStatus
from bot.db.listen import NOTICES_CHANNEL, listen
from grader.result import GradeResult, ResultFormatError, Status

log = logging.getLogger(__name__)

GRADED, DELAYED, COULD_NOT_GRADE = "graded", "delayed", "could_not_grade"
PROGRESS = "progress"
CLAIM_LEASE = timedelta(seconds=60)
#: How long a verdict waits for the adapter to say where its "grading…" message is.
AWAIT_STATUS = timedelta(seconds=15)
MAX_DELIVERY_ATTEMPTS = 5
#: Members whose notices a chat adapter delivers side by side in one round.
DELIVER_AT_ONCE = 8
#: Delivery rounds a chat adapter runs at once on SQLite (each claims what is
#: ready). On PostgreSQL one: there a claim is several round trips in a
#: transaction that locks the rows it claims, and overlapping rounds measured
#: slower (bench_chat's burst p50 0.64–1.1 s against 0.50–0.71 s).
ROUNDS_AT_ONCE = 3
#: A notice written while a round runs waits this long for it to end before
#: it gets a round of its own (a claim costs CPU; a hanging edit costs more).
OVERLAP_AFTER_S = 0.05

# Built once (every verdict goes through them; see bot.core.context).
#: Submissions with a notice claimed and not yet delivered (their newer ones wait).
_IN_FLIGHT = select(Notice.submission_id).where(
    Notice.delivered_at.is_(None), Notice.claimed_until >= bindparam("now"))
#: Undelivered, unclaimed notices of a platform, oldest first. The submission,
#: cohort and member come along (into the session's identity map), so building
#: each event costs no query.
_READY = (
    select(Notice, Submission, Cohort, Member)
    .join(Cohort, Cohort.id == Notice.cohort_id)
    .outerjoin(Submission, Submission.id == Notice.submission_id)
    .outerjoin(Member, Member.id == Notice.member_id)
    .where(Notice.delivered_at.is_(None), Cohort.platform == bindparam("platform"),
           or_(Notice.claimed_until.is_(None), Notice.claimed_until < bindparam("now")))
    .order_by(Notice.id)
    .limit(bindparam("limit")))
#: Claiming a round's notices: one statement; the ids it returns are the ones
#: won (another process may have claimed some first).
_CLAIM = (update(Notice)
          .where(Notice.id.in_(bindparam("ids", expanding=True)), Notice.delivered_at.is_(None),
                 or_(Notice.claimed_until.is_(None), Notice.claimed_until < bindparam("now")))
          .values(claimed_until=bindparam("until"), claimed_by=bindparam("by"),
                  attempts=Notice.attempts + 1)
          .returning(Notice.id)
          .execution_options(synchronize_session=False))
_DELIVERED = (update(Notice).where(Notice.id.in_(bindparam("ids", expanding=True)))
              .values(delivered_at=bindparam("now"), claimed_until=None)
              .execution_options(synchronize_session=False))


class NoticeService:
    def __init__(self, ctx: CoreContext, instance: str | None = None) -> None:
        self.ctx = ctx
        self.instance = instance or uuid.uuid4().hex[:12]
        self.wake = asyncio.Event()

    # ---- writing (inside the caller's transaction) -----------------------------------

    def add(self, s: AsyncSession, kind: str, sub: Submission,
            payload: dict[str, Any] | None = None) -> Notice:
        notice = Notice(
            cohort_id=sub.cohort_id, member_id=sub.member_id, submission_id=sub.id,
            kind=kind, payload=payload or {}, created_at=self.ctx.now(), claimed_by="",
            attempts=0,
        )
        s.add(notice)
        return notice

    def notify(self) -> None:
        """Wake this process's delivery loop (call after the transaction committed)."""
        self.wake.set()

    # ---- reading them back as events ---------------------------------------------------

    async def event(self, s: AsyncSession, notice: Notice) -> SubmissionNotice | None:
        sub = await s.get(Submission, notice.submission_id) if notice.submission_id else None
        cohort = await s.get(Cohort, notice.cohort_id)
        member = await s.get(Member, notice.member_id) if notice.member_id else None
        if sub is None or cohort is None or member is None:
            return None
        target = self.ctx.target(cohort)
        status = None
        if sub.reply_state == "posted" and sub.reply_channel:
            status = StatusRef(sub.reply_channel, sub.reply_message, sub.reply_private)
        elif sub.reply_private:
            status = StatusRef(sub.reply_channel or cohort.channel_id, None, True)
        data = notice.payload or {}
        if notice.kind == PROGRESS:
            return GradingProgress(
                target=target, user_id=member.user_id, submission_id=sub.id,
                exercise_id=sub.exercise_id, stage=str(data.get("stage", "running")),
                index=data.get("index"), total=data.get("total"), kind=str(data.get("kind", "")),
                elapsed_s=float(data.get("elapsed_s", 0.0)), status=status, notice_id=notice.id)
        if notice.kind == GRADED:
            try:
                result = GradeResult.from_dict(sub.result)
            except ResultFormatError:
                result = GradeResult(sub.exercise_id, Status.error, 0, sub.max_score or 0,
                                     message="the stored result is unreadable")
            ex = self.ctx.catalog.get(sub.exercise_id)
            return GradedNotice(
                target=target, user_id=member.user_id, member_name=member.display_name,
                submission_id=sub.id, exercise_id=sub.exercise_id,
                exercise_title=ex.title if ex else sub.exercise_id, result=result,
                points=int(data.get("points", 0)), bonus=int(data.get("bonus", 0)),
                late=bool(data.get("late")), first_pass=bool(data.get("first_pass")),
                delayed=bool(data.get("delayed")), streak=int(data.get("streak", 0)),
                status=status, notice_id=notice.id, graded_at=sub.graded_at,
                hinted=int(data.get("hinted", 0)), **learning_fields(data),
            )
        cls = DelayNotice if notice.kind == DELAYED else CouldNotGradeNotice
        return cls(target, member.user_id, sub.id, sub.exercise_id,
                   str(data.get("reason", "")), status, notice.id)

    # ---- delivering ----------------------------------------------------------------------

    async def claim(self, platform: str, *, limit: int = 50,
                    owns: Callable[[str], bool] | None = None) -> list[SubmissionNotice]:
        """Claim undelivered notices of ``platform`` (whose status message, if one
        is coming, is known) and return them as events, oldest first."""
        now = self.ctx.now()
        out: list[SubmissionNotice] = []
        wanted: list[Notice] = []
        async with self.ctx.db.session() as s:
            in_flight = set((await s.scalars(_IN_FLIGHT, {"now": now})).all())
            rows = (await s.execute(_READY, {"platform": platform, "now": now,
                                             "limit": limit * 4})).all()
            newest = {n.submission_id: n.id for n, *_ in rows if n.kind == PROGRESS}
            for notice, sub, cohort, _member in rows:
                if len(wanted) >= limit:
                    break
                if owns is not None and not owns(cohort.channel_id):
                    continue
                reply_state = sub.reply_state if sub is not None else None
                if notice.kind == PROGRESS and (
                        sub is None or sub.status != SubmissionStatus.grading
                        or newest[notice.submission_id] != notice.id
                        or reply_state != "posted"):
                    notice.delivered_at = now  # stale, replaced, or nowhere to show it
                    continue
                if notice.submission_id in in_flight:
                    continue  # an older notice of it is under way (or will be retried)
                if sub is not None and reply_state == "awaiting" \
                        and now - sub.received_at < AWAIT_STATUS:
                    continue  # the adapter is still posting "grading…"; it will wake us
                wanted.append(notice)
            won = await self._take(s, [n.id for n in wanted], now) if wanted else set()
            for notice in wanted:
                if notice.id not in won:
                    continue  # another process claimed it first
                event = await self.event(s, notice)
                if event is None:
                    notice.delivered_at = now  # its submission is gone: nothing to say
                    continue
                out.append(event)
        return out

    async def _take(self, s: AsyncSession, ids: list[int], now: datetime) -> set[int]:
        """Claims these notices if still unclaimed; the ids won (on PostgreSQL
        another process may have taken some since they were read)."""
        return set((await s.scalars(_CLAIM, {"ids": ids, "now": now,
                                             "until": now + CLAIM_LEASE,
                                             "by": self.instance})).all())

    async def delivered(self, *notice_ids: int) -> None:
        async with self.ctx.db.session() as s:
            await s.execute(_DELIVERED, {"ids": list(notice_ids), "now": self.ctx.now()})

    async def failed(self, notice_id: int) -> None:
        """Delivery failed: retry after a short pause, give up after a few tries."""
        now = self.ctx.now()
        async with self.ctx.db.session() as s:
            notice = await s.get(Notice, notice_id)
            if notice is None:
                return
            if notice.attempts >= MAX_DELIVERY_ATTEMPTS:
                log.error("giving up delivering notice %s after %s attempts", notice_id,
                          notice.attempts)
                notice.delivered_at = now
            else:
                notice.claimed_until = now + timedelta(seconds=5 * notice.attempts)

    async def undelivered(self, platform: str | None = None) -> int:
        """How many notices wait (health and tests)."""
        async with self.ctx.db.session() as s:
            query = select(Notice.id).where(Notice.delivered_at.is_(None))
            if platform is not None:
                query = query.join(Cohort, Cohort.id == Notice.cohort_id).where(
                    Cohort.platform == platform)
            return len((await s.scalars(query)).all())

    async def deliver_pending(self, platform: str, outbox: Outbox,
                              owns: Callable[[str], bool] | None = None, *,
                              at_once: int = 1) -> int:
        """Claim and deliver every ready notice of ``platform`` once; returns how
        many were delivered.

        ``at_once``: how many members' notices are delivered side by side (a
        chat's API round trips overlap; one member's notices stay in order).
        The notices of a claimed batch are marked delivered together, in one
        transaction, also when the round is cancelled half-way."""
        count = 0
        limit = 50
        gate = asyncio.Semaphore(max(at_once, 1))
        while True:
            events = await self.claim(platform, limit=limit, owns=owns)
            if not events:
                return count
            done: list[int] = []
            try:
                if at_once <= 1:  # strictly oldest first (the console's transcript)
                    for event in events:
                        await self._deliver([event], outbox, gate, done)
                else:  # one task per submission: its notices in order
                    by_submission: dict[int, list[SubmissionNotice]] = {}
                    for event in events:
                        by_submission.setdefault(event.submission_id, []).append(event)
                    await asyncio.gather(*(self._deliver(g, outbox, gate, done)
                                           for g in by_submission.values()))
            finally:
                if done:
                    await asyncio.shield(self.delivered(*done))
            count += len(done)
            if len(events) < limit:
                return count  # all there was (a newer one sets the wake event)

    async def _deliver(self, group: list[SubmissionNotice], outbox: Outbox,
                       gate: asyncio.Semaphore, done: list[int]) -> None:
        """One submission's notices, in order; the delivered ones go to ``done``."""
        async with gate:
            for event in group:
                assert event.notice_id is not None
                try:
                    await outbox.deliver(event)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("delivering notice %s failed", event.notice_id)
                    await self.failed(event.notice_id)
                    continue
                done.append(event.notice_id)

    async def run(self, platform: str, outbox: Outbox, *, poll_s: float = 2.0,
                  owns: Callable[[str], bool] | None = None,
                  at_once: int = DELIVER_AT_ONCE, rounds: int | None = None) -> None:
        """Deliver forever: at once when any process wrote a notice for this
        platform (this one, or — on PostgreSQL — another), and every ``poll_s``
        for retries and as a safety net. Up to ``rounds`` delivery rounds run
        at once (default: :data:`ROUNDS_AT_ONCE` on SQLite, one on PostgreSQL):
        a notice written while one is busy gets a round of its own."""
        loop = asyncio.get_running_loop()
        if rounds is None:
            rounds = ROUNDS_AT_ONCE if self.ctx.db.is_sqlite else 1

        def heard(payload: str) -> None:
            if payload in ("", platform):
                self.wake.set()

        async def one_round() -> None:
            try:
                await self.deliver_pending(platform, outbox, owns, at_once=at_once)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery round failed")

        listener = loop.create_task(listen(self.ctx.db, NOTICES_CHANNEL, heard),
                                    name="notices listener")
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                if running:  # the next round waits for the last, briefly …
                    await asyncio.wait(running, timeout=OVERLAP_AFTER_S,
                                       return_when=asyncio.FIRST_COMPLETED)
                if len(running) >= max(rounds, 1):  # … or, with all rounds busy, until one ends
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                self.wake.clear()
                task = loop.create_task(one_round(), name="notices round")
                running.add(task)
                task.add_done_callback(running.discard)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), poll_s)
        finally:
            listener.cancel()
            for task in list(running):
                task.cancel()
            for task in [listener, *running]:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


# ---- what a verdict says besides the result, as notice payload ------------------------

def learning_payload(*, counted: bool, review: ReviewNote | None, best: BestNote | None,
                     hint: HintOffer | None, looks_like: str | None,
                     news: list[FreezeNews]) -> dict[str, Any]:
    """The learning loop's part of a GRADED notice (plain JSON)."""
    out: dict[str, Any] = {"counted": counted, "looks_like": looks_like}
    if review is not None:
        out["review"] = {"rating": review.rating, "due": review.due.isoformat(),
                         "was_due": review.was_due, "tz": review.tz}
    if best is not None:
        out["best"] = {"elapsed_s": best.elapsed_s, "previous_s": best.previous_s,
                       "best_s": best.best_s, "practice": best.practice}
    if hint is not None:
        out["hint"] = {"level": hint.level, "cost": hint.cost, "check_id": hint.check_id}
    out["news"] = [{"kind": n.kind, "day": n.day.isoformat(), "banked": n.banked,
                    "streak": n.streak} for n in news]
    return out


def learning_fields(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`learning_payload` read back into GradedNotice fields (payloads
    written before it existed have none of them)."""
    review = data.get("review")
    best = data.get("best")
    hint = data.get("hint")
    return {
        "counted": bool(data.get("counted", True)),
        "looks_like": data.get("looks_like") or None,
        "review": ReviewNote(review["rating"], datetime.fromisoformat(review["due"]),
                             bool(review["was_due"]), review.get("tz", "UTC"))
        if review else None,
        "best": BestNote(float(best["elapsed_s"]), best["previous_s"], float(best["best_s"]),
                         bool(best["practice"])) if best else None,
        "hint": HintOffer(int(hint["level"]), int(hint["cost"]), str(hint["check_id"]))
        if hint else None,
        "freeze_news": [FreezeNews(n["kind"], date.fromisoformat(n["day"]), int(n["banked"]),
                                   int(n["streak"])) for n in data.get("news", [])],
    }
