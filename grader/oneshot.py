"""One jailed job without a warm pool: what ``torchdojo grade`` runs locally.

A drop-in for :class:`grader.pool.SandboxPool` (``start``/``run``/``health``/
``environment``/``close``, ``gpu_devices``, ``isolated``) holding a single
worker whose zygote runs one job and exits. The jail, the child, the limits,
the cgroup and the judge are the warm pool's, so the verdict is the
service's; what differs is only what pays off over many jobs (huge pages,
the child's warm-up) and, unless the job may build an optimizer, the
``torch._dynamo`` import (~2 s).

Speed comes from overlap: :meth:`start` spawns the jail at once and returns,
so the zygote imports torch in its own process while this one imports torch
and the curriculum for the judge. This module and what it imports are
torch-free for that reason.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from typing import Any

from grader import jail
from grader.cgroups import CgroupManager
from grader.errors import PoolUnavailable, WorkerLost, WorkerUnclean
from grader.limits import (
    HEAVY,
    QUICK,
    WORKER_RESTART_FIRST_S,
    WORKER_RESTART_MAX_S,
    GraderSettings,
    JobLimits,
)
from grader.outage import Outage
from grader.pool import Launch, ProbeProgress, Worker

log = logging.getLogger("torchdojo.grader.oneshot")

# What makes a job import torch._dynamo: optimizers, schedulers, compile/export.
_DYNAMO_HINT = re.compile(r"optim|compile|_dynamo|export")


def may_need_dynamo(*texts: str) -> bool:
    """Whether code may build an optimizer (or compile): then the zygote preloads
    torch._dynamo as the warm pool's does, so the learner's clock is the same."""
    return any(_DYNAMO_HINT.search(text) for text in texts)


class OneShotPool:
    """A single, cold, jailed worker per job (one job, for ``torchdojo grade``).

    Out of service as in the warm pool (:mod:`grader.outage`): a worker that did
    not start, or whose replacement did not, takes the pool out of service and
    the job is refused with :class:`~grader.errors.PoolUnavailable` (it never
    ran: no verdict) while the worker is tried again with back-off; ``health()``
    says so. A worker that died before its job, or has run one already, never
    gets a job: a fresh one is started first.
    """

    def __init__(self, settings: GraderSettings, preload_dynamo: bool = True) -> None:
        self.settings = settings
        self.size = 1
        self.isolated = not settings.unsafe_no_sandbox
        self.cgroups = CgroupManager() if self.isolated else None
        self.gpu_devices = jail.gpu_device_files()
        self.preload_dynamo = preload_dynamo
        #: How each worker's jail is started (the pool's Launch).
        self.launch: Launch = functools.partial(jail.launch, self.isolated, self.gpu_devices,
                                                {"preload_dynamo": preload_dynamo})
        self._worker: Worker | None = None
        self._starting: asyncio.Task | None = None
        self._generation = 0
        self._started = False
        self._outage = Outage(1, self._restart, self._resume,
                              first_s=WORKER_RESTART_FIRST_S, max_s=WORKER_RESTART_MAX_S)

    def _new_worker(self) -> Worker:
        cgroup = self.cgroups.for_worker(0, self._generation) if self.cgroups else None
        worker = Worker(0, self.launch, cgroup, self._generation)
        self._generation += 1
        return worker

    async def start(self) -> None:
        """Checks the sandbox can be built, then spawns the jail without waiting for it."""
        if self._started:
            return
        if self.isolated:
            jail.require_sandbox()
        self._started = True
        self._worker = self._new_worker()
        self._starting = asyncio.create_task(self._worker.start())

    async def run(self, job: dict, blobs: list[bytes], limits: JobLimits, *,
                  lane: str = QUICK, progress: ProbeProgress | None = None
                  ) -> tuple[dict, list[bytes]]:
        """The job on a fresh worker; ``lane`` only sets its niceness (nothing else
        runs here). :class:`~grader.errors.PoolUnavailable` when no worker starts."""
        await self.start()
        if self._outage:
            raise self._outage.refusal()
        nice = self.settings.heavy_nice if lane == HEAVY else 0
        worker = await self._ready()
        try:
            return await worker.run(job, blobs, limits, queued=True, nice=nice,
                                    progress=progress)
        except WorkerUnclean as exc:  # not sent (its cgroup's limits): on a fresh worker
            worker = await self._replacement(str(exc))
            try:
                return await worker.run(job, blobs, limits, queued=True, nice=nice,
                                        progress=progress)
            except WorkerUnclean as again:  # not sent either: the grader is at fault
                raise PoolUnavailable(WORKER_RESTART_FIRST_S, str(again)) from again

    async def _ready(self) -> Worker:
        """The started, unused worker the job goes to (a fresh one if it died or is
        spent); refuses the job and leaves service when none starts."""
        starting, self._starting = self._starting, None
        if starting is not None:
            try:
                await starting
            except Exception as exc:
                await self._drop(self._worker)
                reason = f"the sandbox did not start: {exc.__cause__ or exc}"
                log.error("%s: out of service", reason)
                self._outage.take_out(0, reason)
                raise self._outage.refusal() from exc
        worker = self._worker
        if worker is not None and worker.alive and worker.jobs == 0:
            return worker
        spent = worker is not None and worker.jobs > 0
        return await self._replacement("it has run its job" if spent else "it died before a job")

    async def _replacement(self, reason: str) -> Worker:
        """A fresh worker instead of the current one; out of service when it does not start."""
        try:
            fresh = await self._restart(0, reason)
        except WorkerLost as exc:
            why = f"{reason}; restart failed: {exc.__cause__ or exc}"
            log.error("the one-shot worker could not be restarted (%s): out of service", why)
            self._outage.take_out(0, why)
            raise self._outage.refusal() from exc
        self._resume(0, fresh)
        return fresh

    async def _restart(self, _slot: int, reason: str) -> Worker:
        """Kills the current worker and starts a fresh one (a new cgroup); raises
        :class:`~grader.errors.WorkerLost` (its cause: why) when it does not start."""
        log.warning("replacing the one-shot worker: %s", reason)
        await self._drop(self._worker)
        fresh = self._new_worker()
        try:
            await fresh.start()
        except BaseException as exc:  # a launch that raises, a command that exits at once
            await self._drop(fresh)
            if not isinstance(exc, Exception) or (
                    isinstance(exc, WorkerLost) and exc.__cause__ is not None):
                raise
            raise WorkerLost("the one-shot worker failed to start") from exc
        return fresh

    def _resume(self, _slot: int, fresh: Worker) -> None:
        self._worker = fresh

    @staticmethod
    async def _drop(worker: Worker | None) -> None:
        if worker is not None:
            await worker.kill()
            if worker.cgroup is not None:
                worker.cgroup.remove()
                worker.cgroup = None

    def environment(self) -> dict[str, str]:
        ready = self._worker.ready if self._worker else {}
        return {
            "torch": str(ready.get("torch", "")).split("+")[0],
            "sandbox": "bubblewrap+namespaces" if self.isolated else "UNSAFE: no sandbox",
            "cgroups": self.cgroups.describe() if self.cgroups else "unavailable",
        }

    def health(self) -> dict[str, Any]:
        alive = self._worker is not None and self._worker.alive
        return {"status": self._outage.status(self._started, alive), "workers": 1,
                **self._outage.report(), **self.environment()}

    async def close(self) -> None:
        self._outage.close()
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        await self._drop(self._worker)
        if self.cgroups:
            self.cgroups.remove()
