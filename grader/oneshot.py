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
import re
from typing import Any

from grader import jail
from grader.cgroups import CgroupManager
from grader.errors import WorkerLost
from grader.limits import HEAVY, QUICK, GraderSettings, JobLimits
from grader.pool import ProbeProgress, Worker

# What makes a job import torch._dynamo: optimizers, schedulers, compile/export.
_DYNAMO_HINT = re.compile(r"optim|compile|_dynamo|export")


def may_need_dynamo(*texts: str) -> bool:
    """Whether code may build an optimizer (or compile): then the zygote preloads
    torch._dynamo as the warm pool's does, so the learner's clock is the same."""
    return any(_DYNAMO_HINT.search(text) for text in texts)


class OneShotPool:
    """A single, cold, jailed worker for exactly one job."""

    def __init__(self, settings: GraderSettings, preload_dynamo: bool = True) -> None:
        self.settings = settings
        self.size = 1
        self.isolated = not settings.unsafe_no_sandbox
        self.cgroups = CgroupManager() if self.isolated else None
        self.gpu_devices = jail.gpu_device_files()
        self.preload_dynamo = preload_dynamo
        self._worker: Worker | None = None
        self._starting: asyncio.Task | None = None

    async def start(self) -> None:
        """Checks the sandbox can be built, then spawns the jail without waiting for it."""
        if self._starting is not None:
            return
        if self.isolated:
            jail.require_sandbox()
        launch = functools.partial(jail.launch, self.isolated, self.gpu_devices,
                                   {"preload_dynamo": self.preload_dynamo})
        cgroup = self.cgroups.for_worker(0) if self.cgroups else None
        self._worker = Worker(0, launch, cgroup)
        self._starting = asyncio.create_task(self._worker.start())

    async def run(self, job: dict, blobs: list[bytes], limits: JobLimits, *,
                  lane: str = QUICK, progress: ProbeProgress | None = None
                  ) -> tuple[dict, list[bytes]]:
        """The one job; ``lane`` only sets its niceness (nothing else runs here)."""
        await self.start()
        assert self._starting is not None and self._worker is not None
        await self._starting  # WorkerLost if the jail did not come up
        if not self._worker.alive:
            raise WorkerLost("the one-shot worker has already run its job")
        nice = self.settings.heavy_nice if lane == HEAVY else 0
        return await self._worker.run(job, blobs, limits, queued=True, nice=nice,
                                      progress=progress)

    def environment(self) -> dict[str, str]:
        ready = self._worker.ready if self._worker else {}
        return {
            "torch": str(ready.get("torch", "")).split("+")[0],
            "sandbox": "bubblewrap+namespaces" if self.isolated else "UNSAFE: no sandbox",
            "cgroups": self.cgroups.describe() if self.cgroups else "unavailable",
        }

    def health(self) -> dict[str, Any]:
        return {"status": "ok" if self._worker and self._worker.alive else "degraded",
                "workers": 1, **self.environment()}

    async def close(self) -> None:
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        if self._worker is not None:
            await self._worker.kill()
            if self._worker.cgroup is not None:
                self._worker.cgroup.remove()
        if self.cgroups:
            self.cgroups.remove()
