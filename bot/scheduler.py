"""APScheduler wiring: jobs derived from database state.

At start the scheduler first *catches up* (every post due in the last week that
nobody claimed is sent once), then derives its jobs from the database: one
cron job per cohort at its local post time (in the cohort's zone, so DST is
APScheduler's business, not ours), one date job per challenge window opening
and closing, a reminder sweep every 15 minutes and a queue sweep that kicks the
grading of submissions the grader could not take earlier (their verdicts reach
members through the notices, like every verdict). A periodic resync picks up
cohorts and windows created by another process.

Every job body is idempotent: it plans from the database and *claims* each post
by inserting a row under a unique key (see ``bot.core.posts``), so two bot
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

from bot.core import rules
from bot.core.dojo import Dojo
from bot.core.types import Event, Outbox

log = logging.getLogger(__name__)


class BotScheduler:
    def __init__(
        self,
        dojo: Dojo,
        outbox: Outbox,
        *,
        resync_s: float = 300,
        grading_s: float = 15,
    ) -> None:
        self.dojo = dojo
        self.outbox = outbox
        self.planner = dojo.planner
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

    async def run_grading(self) -> None:
        """Grade what is queued and due (retries after an outage, work left by a
        restart); the verdicts go out through the notices."""
        self.dojo.dispatcher.kick()

    # ---- deriving jobs from the database -----------------------------------------------

    async def sync_jobs(self) -> list[str]:
        """(Re)create the per-cohort and per-window jobs; drop stale ones."""
        now = self.dojo.now()
        wanted: set[str] = set()
        cohorts = await self.planner.cohort_schedules()
        windows = await self.dojo.challenges.open_windows(now)
        for cohort_id, post_time, tz, paused in cohorts:
            if paused:
                continue
            at = rules.parse_hhmm(post_time)
            job_id = f"cohort:{cohort_id}:daily"
            wanted.add(job_id)
            self.scheduler.add_job(
                self.run_due,
                CronTrigger(hour=at.hour, minute=at.minute, timezone=rules.zone(tz)),
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

    def job_ids(self) -> list[str]:
        return sorted(j.id for j in self.scheduler.get_jobs())

    def next_run(self, job_id: str) -> datetime | None:
        job = self.scheduler.get_job(job_id)
        return job.next_run_time if job else None

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
