"""Progress of a long grading, shown where the member is looking.

Training checks take 2–20 s. While a grading runs, the grader reports what it
is doing as data (:class:`bot.grader_client.GradeProgress`); a
:class:`ProgressTracker` turns the latest report into a ``progress`` notice,
delivered like every notice by the process serving the member's platform,
which edits the member's "⏳ grading…" message ("⏳ training check 2/4…").

Quiet by default: nothing is written for a grading that finishes within
:data:`SHOW_AFTER_S`, and after that at most one update per platform interval
(:data:`EVERY_S`), well inside each platform's edit rate limits — Discord's
message edits share a per-channel budget of about five per five seconds with
everything else the bot says there; Slack's ``chat.update`` is a Tier 3 method
(about 50 a minute). Delivery drops a progress notice whose grading has
finished or that a newer one replaced (:mod:`bot.core.notices`), so a late
progress edit never overwrites a verdict.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from bot.core.context import CoreContext
from bot.core.notices import PROGRESS, NoticeService
from bot.db import Submission
from bot.grader_client import GradeProgress

log = logging.getLogger(__name__)

SHOW_AFTER_S = 2.0
#: Seconds between two updates of one member's status message, per platform.
EVERY_S = {"discord": 5.0, "slack": 3.0}
DEFAULT_EVERY_S = 3.0


class ProgressTracker:
    """Progress of one submission's grading; :meth:`report` is the grader
    client's callback, :meth:`stop` ends it (before the verdict is written)."""

    def __init__(self, ctx: CoreContext, notices: NoticeService, sub: Submission,
                 platform: str, *, show_after_s: float = SHOW_AFTER_S,
                 every_s: float | None = None) -> None:
        self.ctx = ctx
        self.notices = notices
        self.sub = sub
        self.show_after_s = show_after_s
        self.every_s = every_s if every_s is not None else EVERY_S.get(platform,
                                                                       DEFAULT_EVERY_S)
        self.started = time.monotonic()
        self.latest: GradeProgress | None = None
        self.written: GradeProgress | None = None
        self.updates = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def report(self, step: GradeProgress) -> None:
        self.latest = step
        self._changed.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        await asyncio.sleep(max(self.show_after_s - (time.monotonic() - self.started), 0))
        while True:
            step = self.latest
            if step is not None and step != self.written:
                try:
                    await self._write(step)
                except asyncio.CancelledError:
                    raise
                except Exception:  # progress is a courtesy; the grading goes on
                    log.warning("could not write progress of #%s", self.sub.id, exc_info=True)
                self.written = step
            self._changed.clear()
            await asyncio.sleep(self.every_s)
            await self._changed.wait()

    async def _write(self, step: GradeProgress) -> None:
        async with self.ctx.db.session() as s:
            self.notices.add(s, PROGRESS, self.sub, {
                "stage": step.stage, "index": step.index, "total": step.total,
                "kind": step.kind, "elapsed_s": round(time.monotonic() - self.started, 1),
            })
        self.updates += 1
        self.notices.notify()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
