"""Spaced review: what a member failed, needed several tries for or passed
slowly comes back to them on a schedule computed by FSRS (the ``fsrs``
package, the scheduler Anki uses), until they can write it without looking.

Ratings come from the verdicts (:func:`bot.core.rules.review_rating`): a fail
is *Again*, a pass after failures or a slow timed pass is *Hard*, a first-try
pass is *Good*. An exercise passed on its first try never gets a card. A
review is an ordinary submission of the exercise, graded by the same grader on
fresh hidden inputs (every grading draws its own), so nothing here grades.

One review per local day (the member's zone): the first graded attempt of a
day starts a *session* from the card as it was, and each later attempt that
day re-rates that same starting card with the day's outcome so far. Ten tries
in an evening are one review rated by how the evening went, not ten lapses —
and the card is always exactly what FSRS says for that day's outcome.

Reviews are dated at noon of the member's local day (:func:`review_instant`):
FSRS counts whole days between reviews, and a review at 09:30 of a card due
at 10:00 is a review on its day, not a same-day repeat. So a card is due on a
local day, and "due today" means the same thing to FSRS and to the member.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fsrs import Card, Rating, Scheduler
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.catalog import item_of
from bot.core.context import CoreContext
from bot.core.types import Actor, ReviewNote
from bot.core.views import ReviewItem, ReviewQueue
from bot.db import Award, Cohort, Member, ReviewCard, Submission

RATINGS = {
    rules.ReviewRating.again: Rating.Again,
    rules.ReviewRating.hard: Rating.Hard,
    rules.ReviewRating.good: Rating.Good,
}
#: How far ahead "coming up" looks in /dojo review and /dojo progress.
UPCOMING_DAYS = 7


def scheduler(fuzz: bool = True) -> Scheduler:
    """FSRS with day-sized steps only: minute-long learning steps are made for
    flash cards, not for exercises that come back with the next day's post."""
    return Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=fuzz)


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)  # fsrs insists on timezone.utc itself


def review_instant(at: datetime, tz: str) -> datetime:
    """Noon of ``at``'s local day in ``tz``, in UTC: the instant FSRS is told."""
    return _utc(rules.local_at_utc(rules.local_date(at, tz), time(12), tz))


#: The member's review card of an exercise (built once: every grading reads it).
_CARD_OF = select(ReviewCard).where(ReviewCard.member_id == bindparam("member"),
                                    ReviewCard.exercise_id == bindparam("exercise"))


class ReviewService:
    def __init__(self, ctx: CoreContext, fsrs: Scheduler | None = None) -> None:
        self.ctx = ctx
        self.fsrs = fsrs or scheduler()

    # ---- after a grading (inside its transaction) --------------------------------------

    async def record(self, s: AsyncSession, cohort: Cohort, member: Member, sub: Submission,
                     passed: bool, *, elapsed_s: float | None = None,
                     limit_s: float | None = None) -> ReviewNote | None:
        """Rate this attempt into the exercise's review card (creating it for a
        fail or a hard pass). None: the exercise has no card (first-try pass),
        or this is an instructor's regrade of an old attempt (not a review)."""
        if sub.regrade_of is not None:
            return None
        tz = member.tz or cohort.tz
        day = rules.local_date(sub.received_at, tz)
        at = review_instant(sub.received_at, tz)
        row = await s.scalar(_CARD_OF, {"member": member.id, "exercise": sub.exercise_id})
        if row is None:
            first = rules.review_rating(passed=passed, failures=0 if passed else 1,
                                        elapsed_s=elapsed_s, limit_s=limit_s)
            if first is rules.ReviewRating.good:
                return None  # known: nothing to review
            row = ReviewCard(cohort_id=cohort.id, member_id=member.id,
                             exercise_id=sub.exercise_id,
                             card=Card(card_id=sub.id, due=at).to_dict(), due=at, reviews=0,
                             lapses=0, session_failures=0, session_passed=False,
                             session_due=False, created_at=sub.received_at)
            s.add(row)
        if row.session_day != day:
            # A new day's session starts from the card as it is; it is a due review
            # when the card was scheduled for this day or earlier.
            row.session_due = row.reviews > 0 and rules.local_date(row.due, tz) <= day
            row.session_day = day
            row.session_card = dict(row.card)
            row.session_started_at = sub.received_at
            row.session_failures = 0
            row.session_passed = False
            row.reviews += 1
        if row.session_passed:  # tries after the day's pass change nothing
            return self._note(row, tz)
        if passed:
            row.session_passed = True
        else:
            row.session_failures += 1
            if row.session_failures == 1 and row.session_due:
                row.lapses += 1
        rating = rules.review_rating(passed=passed, failures=row.session_failures,
                                     elapsed_s=elapsed_s, limit_s=limit_s)
        start = Card.from_dict(row.session_card)  # type: ignore[arg-type]
        card, _ = self.fsrs.review_card(start, RATINGS[rating], review_datetime=at)
        row.card = card.to_dict()  # type: ignore[assignment]
        row.due = card.due
        return self._note(row, tz, rating)

    @staticmethod
    def _note(row: ReviewCard, tz: str,
              rating: rules.ReviewRating | None = None) -> ReviewNote:
        if rating is None:
            rating = (rules.ReviewRating.good if row.session_failures == 0 else
                      rules.ReviewRating.hard)
        return ReviewNote(rating.value, row.due, row.session_due and row.session_passed, tz)

    # ---- what is due ------------------------------------------------------------------

    async def queue(self, actor: Actor) -> ReviewQueue:
        async with self.ctx.db.session() as s:
            cohort = await self.ctx.cohort_of(s, actor)
            member, _ = await self.ctx.member_of(s, cohort, actor)
            return await self.queue_of(s, cohort, member)

    async def queue_of(self, s: AsyncSession, cohort: Cohort, member: Member) -> ReviewQueue:
        tz = member.tz or cohort.tz
        now = self.ctx.now()
        today = rules.local_date(now, tz)
        horizon = rules.local_midnight_utc(today + timedelta(days=UPCOMING_DAYS + 1), tz)
        rows = (await s.scalars(select(ReviewCard).where(ReviewCard.member_id == member.id)
                                .order_by(ReviewCard.due))).all()
        # what the member passed (scored) before: a review of it earns no points, while
        # one never passed still earns its points on its first pass
        scored = set((await s.scalars(select(Award.exercise_id).where(
            Award.member_id == member.id))).all())
        due: list[ReviewItem] = []
        upcoming: list[ReviewItem] = []
        recall: list[float] = []
        for row in rows:
            card = Card.from_dict(row.card)  # type: ignore[arg-type]
            if card.last_review is not None:
                recall.append(self.fsrs.get_card_retrievability(card, _utc(now)))
            ex = self.ctx.catalog.get(row.exercise_id)
            if ex is None:
                continue  # an exercise that left the curriculum
            # A card answered today is done for today, even if FSRS would take it again.
            done_today = row.session_day == today and row.session_passed
            status = "passed" if ex.id in scored else "tried"
            view = ReviewItem(item_of(ex, status), row.due, rules.local_date(row.due, tz),
                              row.reviews, row.lapses)
            if view.due_day <= today and not done_today:
                due.append(view)
            elif row.due < horizon:
                upcoming.append(view)
        return ReviewQueue(tz, today, due, upcoming, len(rows),
                           sum(recall) / len(recall) if recall else None)

    async def due_count(self, s: AsyncSession, cohort: Cohort, member: Member) -> int:
        return len((await self.queue_of(s, cohort, member)).due)

    @staticmethod
    async def members_with_due(s: AsyncSession, by: datetime) -> list[int]:
        """Members with a card due before ``by`` (a coarse filter: the nudge
        checks each member's own day)."""
        rows = await s.scalars(select(ReviewCard.member_id).where(ReviewCard.due < by)
                               .distinct())
        return list(rows.all())
