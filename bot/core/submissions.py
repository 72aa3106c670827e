"""Submissions coming in: validation, storing each one queued,
where the member's "⏳ grading…" message is (so the verdict can edit it),
a member's recent submissions, and an instructor's regrade.

Grading itself (claim, lease, finish) is :mod:`bot.core.queue`; this module
only ever creates queued work and reads it."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from bot.core.catalog import kind_of
from bot.core.challenges import ChallengeService
from bot.core.context import CoreContext
from bot.core.errors import DojoError, NotFound
from bot.core.notices import NoticeService
from bot.core.types import Actor, StatusRef
from bot.core.views import SubmissionView, SubmitReceipt
from bot.db import Cohort, Submission, SubmissionStatus
from grader.limits import MAX_CODE_BYTES

MAX_PENDING_PER_MEMBER = 3
#: reply_state values: the adapter is posting "grading…" / it did / there is none.
AWAITING, POSTED, NO_STATUS = "awaiting", "posted", "none"


# Built once (a submission's way in runs them for every message of a burst).
_PENDING_OF_MEMBER = select(Submission.id).where(
    Submission.member_id == bindparam("member"), Submission.status.in_(SubmissionStatus.pending))
_NO_STATUS = (update(Submission).where(Submission.id == bindparam("sid"))
              .values(reply_state=NO_STATUS).execution_options(synchronize_session=False))
_STATUS_POSTED = (update(Submission).where(Submission.id == bindparam("sid"))
                  .values(reply_state=POSTED, reply_channel=bindparam("channel"),
                          reply_message=bindparam("message"), reply_private=bindparam("private"))
                  .execution_options(synchronize_session=False))


def submission_view(sub: Submission) -> SubmissionView:
    return SubmissionView(sub.id, sub.exercise_id, sub.status, sub.result_status,
                          sub.received_at, sub.graded_at, sub.score, sub.max_score)


class SubmissionService:
    def __init__(self, ctx: CoreContext, challenges: ChallengeService,
                 notices: NoticeService) -> None:
        self.ctx = ctx
        self.challenges = challenges
        self.notices = notices

    async def receive(
        self,
        actor: Actor,
        exercise_id: str,
        code: str,
        origin_message_id: str | None = None,
        *,
        status_coming: bool = False,
    ) -> SubmitReceipt:
        """Store the submission, queued for grading, in one transaction.

        ``status_coming``: the adapter is about to post a "⏳ grading…" message and
        will say where (:meth:`attach_status`); the verdict waits for that briefly
        so it edits the message instead of arriving as a new one."""
        ex = self.ctx.catalog.exercise(exercise_id)
        size = len(code.encode("utf-8", "surrogatepass"))
        if size > MAX_CODE_BYTES:
            raise DojoError(
                f"your code is {size / 1024:.0f} KB; the limit is {MAX_CODE_BYTES // 1024} KB",
                "submit only the code the exercise asks for",
            )
        if not code.strip():
            raise DojoError("the code block is empty", "paste your solution inside ```python … ```")
        try:
            code.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8
            raise DojoError("your code is not UTF-8 text",
                            "save it as UTF-8 and paste it again") from None
        if "\x00" in code:  # never Python, and PostgreSQL cannot store it: say so, not "went wrong"
            raise DojoError("your code contains NUL characters (a file saved as UTF-16 has one "
                            "after every letter)", "save it as UTF-8 text and send it again")
        now = self.ctx.now()
        private = kind_of(ex) == "challenge"
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member, joined = await self.ctx.member_of(s, cohort, actor, join=True)
            if private:
                await self.challenges.check_submittable(s, cohort, member, ex.id)
            pending = (await s.scalars(_PENDING_OF_MEMBER, {"member": member.id})).all()
            if len(pending) >= MAX_PENDING_PER_MEMBER:
                raise DojoError(
                    f"you already have {len(pending)} submissions waiting "
                    f"({', '.join('#' + str(p) for p in pending)})",
                    "wait for their results, then submit again",
                )
            sub = Submission(
                cohort_id=cohort.id,
                member_id=member.id,
                exercise_id=ex.id,
                code=code,
                status=SubmissionStatus.queued,
                received_at=now,
                next_attempt_at=now,
                attempts=0,
                failures=0,
                origin_message_id=origin_message_id,
                reply_state=AWAITING if status_coming else NO_STATUS,
                reply_channel=actor.channel_id,
                reply_private=private,
            )
            s.add(sub)
            await s.flush()
            return SubmitReceipt(sub.id, ex.id, len(pending), joined, private)

    async def attach_status(self, submission_id: int, status: StatusRef | None) -> None:
        """Where the adapter put the "⏳ grading…" message (None: it could not post
        one; the verdict then comes as a new message)."""
        async with self.ctx.db.session() as s:
            if status is None:
                await s.execute(_NO_STATUS, {"sid": submission_id})
            else:
                await s.execute(_STATUS_POSTED, {
                    "sid": submission_id, "channel": status.channel_id,
                    "message": status.message_id, "private": status.private})
        self.notices.notify()  # a verdict may be waiting for exactly this

    async def made_by(self, origin_message_id: str) -> bool:
        """Whether a platform message made a submission at all (queued, graded, or
        still waiting for its status message)."""
        async with self.ctx.db.session() as s:
            found = await s.scalar(select(Submission.id).where(
                Submission.origin_message_id == origin_message_id).limit(1))
        return found is not None

    async def origin_of(self, platform: str, origin_message_id: str) -> tuple[int,
                                                                              StatusRef] | None:
        """The newest submission made by a platform message, with its status message
        (an edited message is regraded in place)."""
        async with self.ctx.db.session() as s:
            row = (
                await s.execute(
                    select(Submission)
                    .where(Submission.origin_message_id == origin_message_id)
                    .order_by(Submission.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if row is None or row.reply_state != POSTED or row.reply_channel is None:
                return None
            cohort = await s.get(Cohort, row.cohort_id)
            if cohort is None or cohort.platform != platform:
                return None
            return row.id, StatusRef(row.reply_channel, row.reply_message, row.reply_private)

    async def recent(self, actor: Actor, number: int | None = None,
                     limit: int = 5) -> list[SubmissionView]:
        """The member's latest submissions (or one by number)."""
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member_id = await self.ctx.member_id(s, cohort, actor.user_id)
            if member_id is None:
                return []
            query = select(Submission).where(Submission.member_id == member_id)
            if number is not None:
                query = query.where(Submission.id == number)
            rows = await s.scalars(query.order_by(Submission.id.desc()).limit(limit))
            return [submission_view(r) for r in rows.all()]

    async def get(self, actor: Actor, submission_id: int) -> SubmissionView:
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            sub = await s.get(Submission, submission_id)
            if sub is None or sub.cohort_id != cohort.id:
                raise NotFound(f"no submission #{submission_id} in this cohort")
            return submission_view(sub)

    async def regrade(self, actor: Actor, submission_id: int) -> int:
        """An instructor grades a stored submission again (e.g. after a curriculum
        fix): a new queued submission with the same code, graded through the same
        queue. It keeps the original's receive time, so window, late and streak
        rules judge it as of when the learner sent it; its first pass scores like
        any other (once per member and exercise)."""
        self.ctx.require_instructor(actor, "regrade a submission")
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            # locked (PostgreSQL; SQLite writes one at a time): two clicks on Regrade are
            # one regrade, not the same code queued twice and two verdicts in the channel
            old = await s.get(Submission, submission_id, with_for_update=True)
            if old is None or old.cohort_id != cohort.id:
                raise NotFound(f"no submission #{submission_id} in this cohort")
            if old.status in SubmissionStatus.pending:
                raise DojoError(f"#{old.id} is still waiting to be graded",
                                "regrade it once it has a result")
            waiting = await s.scalar(select(Submission.id).where(
                Submission.regrade_of == old.id,
                Submission.status.in_(SubmissionStatus.pending)).limit(1))
            if waiting is not None:
                raise DojoError(f"#{old.id} is already queued for grading again as #{waiting}",
                                "its verdict comes in the channel like any other")
            sub = Submission(
                cohort_id=old.cohort_id, member_id=old.member_id, exercise_id=old.exercise_id,
                code=old.code, status=SubmissionStatus.queued, received_at=old.received_at,
                attempts=0, failures=0, next_attempt_at=self.ctx.now(),
                reply_state=NO_STATUS, reply_channel=cohort.channel_id,
                reply_private=old.reply_private, regrade_of=old.id,
            )
            s.add(sub)
            await s.flush()
            return sub.id
