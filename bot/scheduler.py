"""APScheduler wiring: jobs derived from database state.

At start the scheduler first *catches up* (every post due in the last week that
nobody claimed is sent once), then derives its jobs from the database: one
cron job per cohort at its local post time (in the cohort's zone, so DST is
APScheduler's business, not ours), one date job per challenge window opening
and closing, a reminder sweep every 15 minutes and a queue sweep that retries
submissions the grader could not take. A periodic resync picks up cohorts and
windows created by another process.

Every job body is idempotent: it plans from the database and *claims* each post
by inserting a row under a unique key (see ``bot.core.schedule``), so two bot
processes on one database, or a catch-up racing a cron job, never send a post
twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from bot.core import rules
from bot.core.dojo import Dojo
from bot.core.schedule import Planner
from bot.core.types import Event, Outbox
from bot.db import ChallengeWindow, Cohort

log = logging.getLogger(__name__)


class BotScheduler:
    def __init__(
        self,
        dojo: Dojo,
        outbox: Outbox,
        planner: Planner | None = None,
        *,
        resync_s: float = 300,
        grading_s: float = 15,
    ) -> None:
        self.dojo = dojo
        self.outbox = outbox
        self.planner = planner or Planner(dojo)
        self.resync_s = resync_s
        self.grading_s = grading_s
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )

    # ---- job bodies (all idempotent) ------------------------------------------------

    async def run_due(self) -> list[Event]:
        try:
            return await self.planner.dispatch_due(self.outbox)
        except Exception:
            log.exception("sending due posts failed")
            return []

    async def run_reminders(self) -> list[Event]:
        try:
            return await self.planner.send_reminders(self.outbox)
        except Exception:
            log.exception("streak reminders failed")
            return []

    async def run_grading(self) -> list[Event]:
        """Grade what is queued (after an outage or a restart) and tell the members."""
        try:
            events = await self.dojo.grade_pending()
        except Exception:
            log.exception("grading sweep failed")
            return []
        for ev in events:
            try:
                await self.outbox.deliver(ev)
            except Exception:
                log.exception("could not deliver a grading result")
        return events

    # ---- deriving jobs from the database -----------------------------------------------

    async def sync_jobs(self) -> list[str]:
        """(Re)create the per-cohort and per-window jobs; drop stale ones."""
        now = self.dojo.now()
        wanted: set[str] = set()
        async with self.dojo.db.session() as s:
            cohorts = (await s.scalars(select(Cohort))).all()
            windows = (
                await s.scalars(
                    select(ChallengeWindow).where(
                        ChallengeWindow.member_id.is_(None), ChallengeWindow.closes_at >= now
                    )
                )
            ).all()
        for c in cohorts:
            if c.paused_since is not None:
                continue
            at = rules.parse_hhmm(c.post_time)
            job_id = f"cohort:{c.id}:daily"
            wanted.add(job_id)
            self.scheduler.add_job(
                self.run_due,
                CronTrigger(hour=at.hour, minute=at.minute, timezone=rules.zone(c.tz)),
                id=job_id,
                replace_existing=True,
            )
        for w in windows:
            for what, when in (("open", w.opens_at), ("close", w.closes_at)):
                if when < now:
                    continue
                job_id = f"window:{w.id}:{what}"
                wanted.add(job_id)
                self.scheduler.add_job(
                    self.run_due, DateTrigger(run_date=when), id=job_id, replace_existing=True
                )
        for job in self.scheduler.get_jobs():
            if job.id.startswith(("cohort:", "window:")) and job.id not in wanted:
                job.remove()
        return sorted(wanted)

    async def start(self) -> None:
        """Catch up on missed posts once, derive jobs, start the clock."""
        await self.run_due()
        await self.run_grading()
        await self.sync_jobs()
        self.scheduler.add_job(
            self.sync_jobs, IntervalTrigger(seconds=self.resync_s), id="resync",
            replace_existing=True,
        )
        self.scheduler.add_job(
            self.run_due, IntervalTrigger(seconds=self.resync_s), id="catch-up",
            replace_existing=True,
        )
        self.scheduler.add_job(
            self.run_reminders, CronTrigger(minute="*/15", timezone=UTC), id="reminders",
            replace_existing=True,
        )
        self.scheduler.add_job(
            self.run_grading, IntervalTrigger(seconds=self.grading_s), id="grading",
            replace_existing=True,
        )
        if not self.scheduler.running:
            self.scheduler.start()

    def kick_grading(self) -> None:
        """Run the grading sweep now (an adapter that deferred a submission calls
        this instead of waiting for the next interval)."""
        if self.scheduler.running and self.scheduler.get_job("grading"):
            self.scheduler.modify_job("grading", next_run_time=datetime.now(UTC))

    def job_ids(self) -> list[str]:
        return sorted(j.id for j in self.scheduler.get_jobs())

    def next_run(self, job_id: str) -> datetime | None:
        job = self.scheduler.get_job(job_id)
        return job.next_run_time if job else None

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
