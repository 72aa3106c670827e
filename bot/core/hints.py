"""The hint ladder: up to three hints per failing check (concept → API →
near-solution shape), revealed one level at a time with ``/dojo hint ID``.

The hint is for what stopped the member's latest graded attempt of the
exercise: the error that stopped the code (cause first, like the verdict),
else the limit it hit, else its first failing check. Ladders are data
(:mod:`curriculum.hints`): written ones for the checks learners fail most,
generic ones by check kind for the rest.

Each level revealed is recorded and costs that exercise's first pass a share
of its points (:func:`bot.core.rules.hint_cost`, capped in all), stated
before it is revealed: :meth:`HintService.next` says what the next level
costs, :meth:`HintService.reveal` records and shows it. In chat,
:meth:`HintService.ask` does both under the confirmation rule: a costly level
is revealed only when the member confirms the offer made to them last for
that exercise and level, and that offer is still the current one (same
attempt, same level, same cost); otherwise the offer is (re)stated and
nothing is revealed. An offer is recorded as a notice of kind
``hint_offer``, delivered at once (it *is* the reply), so no table is needed
for it. Scoring applies the
deduction (:meth:`bot.core.scoring.ScoringService.hint_deduction`). Once the
exercise is scored hints are free. Never for a timed challenge while a
window of it (the cohort's or the member's timer) is open.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import rules
from bot.core.catalog import item_of, kind_of
from bot.core.context import CoreContext
from bot.core.errors import DojoError, NotFound
from bot.core.scoring import AWARD_OF, ScoringService, windows_of
from bot.core.types import Actor, HintOffer
from bot.core.views import HintStep
from bot.db import Cohort, HintUse, Member, Notice, Submission, SubmissionStatus
from curriculum.hints import HintBook, Ladder, default_hints
from grader.result import GradeResult, ResultFormatError, Status


class HintsLocked(DojoError):
    """No hints for a timed challenge while its window is open."""


#: The notice kind that records a hint's cost as offered to a member (see :meth:`HintService.ask`).
OFFER = "hint_offer"


def target_of(result: GradeResult) -> tuple[str, str, str] | None:
    """(target id, what it is, kind) a hint is for: the error that stopped the
    code, the limit it hit, or the first failing check; None when it passed."""
    if result.passed:
        return None
    if result.cause is not None:
        return result.cause.type, "error", result.cause.type
    if result.status.is_limit or result.status is Status.rejected:
        return result.status.value, "status", result.status.value
    failing = [c for c in result.checks if not c.passed and c.kind not in ("run", "")]
    if failing:
        return failing[0].id, "check", failing[0].kind
    return result.status.value, "status", result.status.value


class HintService:
    def __init__(self, ctx: CoreContext, scoring: ScoringService,
                 book: HintBook | None = None) -> None:
        self.ctx = ctx
        self.scoring = scoring
        self._book = book

    @property
    def book(self) -> HintBook:
        if self._book is None:
            self._book = default_hints()
        return self._book

    def ladder(self, exercise_id: str, target: str, about: str, kind: str) -> Ladder:
        if about == "error":
            return self.book.for_cause(target)
        if about == "status":
            return self.book.for_status(target)
        return self.book.for_check(exercise_id, target, kind)

    # ---- the member's verbs ----------------------------------------------------------

    async def next(self, actor: Actor, exercise_id: str) -> HintStep:
        """What the next hint is about and what it costs (nothing is revealed)."""
        async with self.ctx.db.session() as s:
            step, _, _ = await self._step(s, actor, exercise_id)
            return step

    async def ask(self, actor: Actor, exercise_id: str, *, confirm: bool = False) -> HintStep:
        """``/dojo hint ID [yes]``: a free level is revealed at once; a costly one
        only when ``confirm`` answers the offer made to this member last for this
        exercise, and that offer is still current (the same latest attempt, level
        and cost). Otherwise the offer is stated (and recorded) and nothing is
        revealed; ``step.unconfirmed`` tells a ``yes`` that confirmed nothing."""
        async with self.ctx.db.session() as s:
            step, ladder, (cohort, member, sub) = await self._step(s, actor, exercise_id)
            if step.level > step.levels:
                return step
            if step.cost == 0 or (confirm and await self._offered(s, member, sub, step)):
                return await self._record(s, step, ladder, cohort, member, sub)
            s.add(Notice(cohort_id=cohort.id, member_id=member.id, submission_id=sub.id,
                         kind=OFFER, payload=self._offer_of(step), created_at=self.ctx.now(),
                         claimed_by="", attempts=0, delivered_at=self.ctx.now()))
            return HintStep(**{**step.__dict__, "unconfirmed": confirm})

    @staticmethod
    def _offer_of(step: HintStep) -> dict[str, object]:
        return {"exercise": step.item.id, "target": step.target[:200], "level": step.level,
                "cost": step.cost}

    async def _offered(self, s: AsyncSession, member: Member, sub: Submission,
                       step: HintStep) -> bool:
        """Whether the offer made to the member last for this exercise is this step's."""
        offers = (await s.scalars(
            select(Notice).where(Notice.member_id == member.id, Notice.kind == OFFER)
            .order_by(Notice.id.desc()).limit(50))).all()
        last = next((n for n in offers if (n.payload or {}).get("exercise") == step.item.id),
                    None)
        return (last is not None and last.submission_id == sub.id
                and last.payload == self._offer_of(step))

    async def reveal(self, actor: Actor, exercise_id: str) -> HintStep:
        """Record the next level as used (its cost now counts) and return its text."""
        async with self.ctx.db.session() as s:
            step, ladder, (cohort, member, sub) = await self._step(s, actor, exercise_id)
            if step.level > step.levels:
                return step  # everything seen: nothing new to record
            return await self._record(s, step, ladder, cohort, member, sub)

    async def _record(self, s: AsyncSession, step: HintStep, ladder: Ladder, cohort: Cohort,
                      member: Member, sub: Submission) -> HintStep:
        try:
            async with s.begin_nested():
                s.add(HintUse(cohort_id=cohort.id, member_id=member.id,
                              exercise_id=step.item.id, check_id=step.target[:200],
                              level=step.level, cost=step.cost, submission_id=sub.id,
                              used_at=self.ctx.now()))
        except IntegrityError:
            raise DojoError("that hint was just revealed",
                            f"/dojo hint {step.item.id} to see it") from None
        text = ladder[step.level - 1].replace("{check}", step.target)
        return HintStep(**{**step.__dict__, "text": text})

    # ---- for a verdict (inside the grading's transaction) --------------------------------

    async def offer(self, s: AsyncSession, cohort: Cohort, member: Member, sub: Submission,
                    result: GradeResult) -> HintOffer | None:
        """The next hint this failing verdict could reveal, and its cost."""
        target = target_of(result)
        ex = self.ctx.catalog.get(sub.exercise_id)
        if target is None or ex is None or await self._window_open(s, cohort, member, ex.id):
            return None
        ladder = self.ladder(ex.id, *target)
        used = await self._used(s, member.id, ex.id)
        level = len(used.get(target[0][:200], {})) + 1
        if level > len(ladder):
            return None
        scored = await self._scored(s, member.id, ex.id)
        cost = 0 if scored else self._cost(ex.max_score, level, used)
        return HintOffer(level, cost, target[0])

    # ---- shared ------------------------------------------------------------------------

    async def _step(self, s: AsyncSession, actor: Actor, exercise_id: str
                    ) -> tuple[HintStep, Ladder, tuple[Cohort, Member, Submission]]:
        ex = self.ctx.catalog.exercise(exercise_id)
        cohort = await self.ctx.cohort_of(s, actor)
        member, _ = await self.ctx.member_of(s, cohort, actor)
        if await self._window_open(s, cohort, member, ex.id):
            raise HintsLocked(f"no hints for {ex.id} while its timed window is open",
                              "hints open up once the window closes")
        sub = await s.scalar(
            select(Submission)
            .where(Submission.member_id == member.id, Submission.exercise_id == ex.id,
                   Submission.status == SubmissionStatus.graded)
            .order_by(Submission.id.desc()).limit(1))
        if sub is None:
            raise NotFound(f"you have no graded attempt of {ex.id} yet",
                           f"submit one with /dojo submit {ex.id}; hints are for the check "
                           "it gets stuck on")
        try:
            result = GradeResult.from_dict(sub.result)
        except ResultFormatError:
            raise NotFound(f"your latest {ex.id} result cannot be read",
                           "submit it again") from None
        target = target_of(result)
        if target is None:
            raise DojoError(f"your latest attempt of {ex.id} passed — no hint needed",
                            "/dojo review shows what is due for review")
        ladder = self.ladder(ex.id, *target)
        used = await self._used(s, member.id, ex.id)
        seen_levels = used.get(target[0][:200], {})
        level = len(seen_levels) + 1
        scored = await self._scored(s, member.id, ex.id)
        spent = rules.hint_deduction(ex.max_score, [c for lv in used.values()
                                                    for c in lv.values()])
        cost = 0 if scored or level > len(ladder) else self._cost(ex.max_score, level, used)
        base = ex.max_score
        seen = [ladder[i].replace("{check}", target[0])
                for i in range(min(len(seen_levels), len(ladder)))]
        step = HintStep(item_of(ex), target[0], target[1], level, len(ladder), cost,
                        base - spent, base - spent - cost, scored, seen)
        return step, ladder, (cohort, member, sub)

    @staticmethod
    def _cost(max_score: int, level: int, used: dict[str, dict[int, int]]) -> int:
        """This level's cost, within what the cap leaves."""
        spent = [c for levels in used.values() for c in levels.values()]
        room = rules.hint_deduction(max_score, [*spent, 10**9]) - rules.hint_deduction(
            max_score, spent)
        return min(rules.hint_cost(max_score, level), room)

    @staticmethod
    async def _used(s: AsyncSession, member_id: int,
                    exercise_id: str) -> dict[str, dict[int, int]]:
        """Levels used per target: {target: {level: cost}}."""
        rows = (await s.execute(select(HintUse.check_id, HintUse.level, HintUse.cost).where(
            HintUse.member_id == member_id, HintUse.exercise_id == exercise_id))).all()
        out: dict[str, dict[int, int]] = {}
        for check, level, cost in rows:
            out.setdefault(check, {})[level] = cost
        return out

    @staticmethod
    async def _scored(s: AsyncSession, member_id: int, exercise_id: str) -> bool:
        return await s.scalar(AWARD_OF, {"member": member_id,
                                         "exercise": exercise_id}) is not None

    async def _window_open(self, s: AsyncSession, cohort: Cohort, member: Member,
                           exercise_id: str) -> bool:
        ex = self.ctx.catalog.get(exercise_id)
        if ex is None or kind_of(ex) != "challenge":
            return False
        now = self.ctx.now()
        return any(w.opens_at <= now < w.closes_at
                   for w in await windows_of(s, cohort.id, exercise_id, member.id))
