"""The warm pool: N jailed zygotes, one job each at a time, a bounded queue.

torch is imported once per worker when it starts; every job is a fork of a
warm zygote (see ``sandbox/zygote.py``), never a fresh interpreter. A worker
that dies or stops answering is replaced; the job it held is reported as an
error and the pool keeps serving. So is a worker whose memory cgroup is not
clean after a job (memory still charged, limits that cannot be written): it
gets a fresh cgroup, and ``health()`` counts and explains every replacement.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from grader import jail
from grader.cgroups import CgroupManager, WorkerCgroup
from grader.errors import PoolBusy, WorkerLost, WorkerUnclean
from grader.limits import (
    CONTROL_FRAME_BYTES,
    MB,
    WORKER_BASE_MEMORY_MB,
    WORKER_DIRTY_MB,
    WORKER_GRACE_S,
    WORKER_IDLE_TIMEOUT_S,
    WORKER_START_TIMEOUT_S,
    WORKER_STREAM_BYTES,
    GraderSettings,
    JobLimits,
)

log = logging.getLogger("torchdojo.grader.pool")
# How a worker's process is started: a context giving (argv, descriptors to pass).
Launch = Callable[[], AbstractContextManager[tuple[list[str], tuple[int, ...]]]]


def decode_report(header: dict, output: bytes, result: bytes
                  ) -> tuple[dict, list[bytes | memoryview]]:
    """The zygote's report as the judge wants it: text output and the bare frame.

    The child prefixes its frame with its length; a frame cut short (the
    child died while writing) is dropped, and the exit status tells why.
    """
    header["output"] = output.decode("utf-8", "backslashreplace")
    frame: bytes | memoryview = b""
    if len(result) >= 8 and int.from_bytes(result[:8], "big") == len(result) - 8:
        frame = memoryview(result)[8:]  # no copy: up to result_mb, on the event loop
    return header, [frame]


class Worker:
    """One jailed zygote process and the pipes to it."""

    def __init__(self, index: int, launch: Launch, cgroup: WorkerCgroup | None,
                 generation: int = 0) -> None:
        self.index = index
        self.launch = launch
        self.cgroup = cgroup
        self.generation = generation  # how many workers held this slot before
        self._held_at_start = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.ready: dict[str, Any] = {}
        self.jobs = 0
        self._stderr_task: asyncio.Task | None = None
        self._base_pids = 0
        self._base_memory = 0
        self._counters: dict[str, int] | None = None

    async def start(self) -> None:
        preexec = self.cgroup.join_self if self.cgroup else None
        with self.launch() as (argv, fds):
            self.proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={},
                cwd="/",
                preexec_fn=preexec,
                pass_fds=fds,
                limit=WORKER_STREAM_BYTES,
            )
        self._stderr_task = asyncio.create_task(self._drain_stderr())
        try:
            header, _ = await asyncio.wait_for(self._read_frame(), WORKER_START_TIMEOUT_S)
        except (TimeoutError, asyncio.IncompleteReadError) as exc:
            await self.kill()
            raise WorkerLost(f"worker {self.index} failed to start") from exc
        if header.get("kind") != "ready":
            await self.kill()
            raise WorkerLost(f"worker {self.index} sent {header.get('kind')!r} instead of ready")
        self.ready = header
        if self.cgroup:
            self._base_pids = self.cgroup.pids_current()
            self._base_memory = WORKER_BASE_MEMORY_MB * MB
            self._held_at_start = self.cgroup.held_bytes()

    async def _drain_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                return
            log.warning("worker %d: %s", self.index, line.decode(errors="replace").rstrip())

    async def _read_frame(self) -> tuple[dict, list[bytes]]:
        assert self.proc is not None and self.proc.stdout is not None
        head = await self.proc.stdout.readexactly(4)
        size = int.from_bytes(head, "big")
        if size > CONTROL_FRAME_BYTES:
            raise ConnectionError(f"worker {self.index} sent a {size}-byte control frame")
        raw = await self.proc.stdout.readexactly(size)
        import json

        header = json.loads(raw)
        blobs = [await self.proc.stdout.readexactly(n) for n in header.get("blob_sizes", [])]
        return header, blobs

    async def _read_result(self) -> tuple[dict, list[bytes]]:
        """The zygote's report: header, then raw output bytes, then the result bytes."""
        assert self.proc is not None and self.proc.stdout is not None
        header, _ = await self._read_frame()
        output = await self.proc.stdout.readexactly(header.get("out_len", 0))
        result = await self.proc.stdout.readexactly(header.get("res_len", 0))
        return decode_report(header, output, result)

    async def run(self, job: dict, blobs: list[bytes], limits: JobLimits, queued: bool = False
                  ) -> tuple[dict, list[bytes]]:
        """Runs one job; ``queued`` says more jobs wait (the next child skips its warm-up)."""
        assert self.proc is not None and self.proc.stdin is not None
        if self.cgroup:
            try:
                self.cgroup.set_limits(
                    self._base_memory + limits.memory_mb * MB, self._base_pids + limits.processes
                )
            except OSError as exc:  # never grade under the wrong caps: the job goes elsewhere
                raise WorkerUnclean(f"its cgroup limits cannot be written ({exc})") from exc
            # The counters are monotonic: the last job's closing reading is
            # this one's opening reading (the zygote runs no job in between).
            before = self._counters if self._counters is not None else self.cgroup.counters()
        # Imported here, not at the top: harness imports torch, and the CLI
        # starts a worker before this process has paid for torch (grader.oneshot).
        from grader.sandbox import harness

        payload = harness.pack_frame(job, blobs)
        control = {"kind": "job", "limits": job["limits"], "payload": len(payload),
                   "queued": queued}
        try:
            self.proc.stdin.write(harness.pack_frame(control, []) + payload)
            await self.proc.stdin.drain()
            header, out = await asyncio.wait_for(self._read_result(),
                                                 limits.wall_s + WORKER_GRACE_S)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            await self.kill()
            raise WorkerLost(f"worker {self.index} stopped answering") from exc
        self.jobs += 1
        if self.cgroup:
            after = self._counters = self.cgroup.counters()
            header["cgroup"] = {k: after[k] - before[k] for k in after}
        return header, out

    async def wait_idle(self, timeout: float = WORKER_IDLE_TIMEOUT_S) -> None:
        """The zygote has cleaned up the last job and pre-forked the next child."""
        try:
            header, _ = await asyncio.wait_for(self._read_frame(), timeout)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            log.warning("worker %d did not become idle (%r); replacing it", self.index, exc)
            await self.kill()
            raise WorkerLost(f"worker {self.index} did not become idle") from exc
        if header.get("kind") != "idle":
            await self.kill()
            raise WorkerLost(f"worker {self.index} sent {header.get('kind')!r}, not idle")

    def unclean(self) -> str | None:
        """Why this worker must not take another job, or None when it is clean.

        Checked once a job is over and the zygote has reaped it: the job's
        own mounts and processes are gone by then, so memory the cgroup
        still cannot reclaim beyond what the worker held at start is
        something the job left behind (it would shrink the next job's
        memory, or make its limits impossible to write).
        """
        if not self.cgroup:
            return None
        held = self.cgroup.held_bytes()
        if held > self._held_at_start + WORKER_DIRTY_MB * MB:
            return (f"memory still charged after a job: {held // MB} MB held, "
                    f"{self._held_at_start // MB} MB at start")
        return None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.proc.wait(), 10)
        if self._stderr_task is not None:
            self._stderr_task.cancel()

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None and self.proc.stdin:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                await self.kill()
        if self._stderr_task is not None:
            self._stderr_task.cancel()


class SandboxPool:
    """Runs jobs on warm workers; refuses new work when the queue is full."""

    def __init__(self, settings: GraderSettings | None = None) -> None:
        self.settings = settings or GraderSettings()
        size = self.settings.workers or max(2, os.cpu_count() or 2)
        self.size = size
        self.isolated = not self.settings.unsafe_no_sandbox
        self.cgroups = CgroupManager() if self.isolated else None
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._workers: list[Worker] = []
        self._waiting = 0
        self._background: set[asyncio.Task] = set()
        self._started = False
        self.started_at = 0.0
        self.jobs_done = 0
        self.replaced = 0
        self.last_replacement: dict[str, Any] | None = None
        self._replacing = 0
        self.gpu_devices = jail.gpu_device_files()

    def _launch(self) -> Launch:
        return functools.partial(jail.launch, self.isolated, self.gpu_devices)

    async def start(self) -> None:
        if self._started:
            return
        if self.isolated:
            jail.require_sandbox()
        else:
            log.warning("UNSAFE: grading without a sandbox; every result will say so")
        launch = self._launch()
        workers = [
            Worker(i, launch, self.cgroups.for_worker(i) if self.cgroups else None)
            for i in range(self.size)
        ]
        await asyncio.gather(*(w.start() for w in workers))
        for w in workers:
            self._workers.append(w)
            self._idle.put_nowait(w)
        self._started = True
        self.started_at = time.time()

    async def run(self, job: dict, blobs: list[bytes], limits: JobLimits
                  ) -> tuple[dict, list[bytes]]:
        if not self._started:
            await self.start()
        if self._idle.empty() and self._waiting >= self.settings.max_queue:
            raise PoolBusy(retry_after=max(1.0, limits.wall_s))
        self._waiting += 1
        try:
            worker = await self._idle.get()
        finally:
            self._waiting -= 1
        try:
            try:
                result = await worker.run(job, blobs, limits, queued=self._waiting > 0)
            except WorkerUnclean as exc:  # the job was not sent: run it on a fresh worker
                worker = await self._replace(worker, str(exc))
                result = await worker.run(job, blobs, limits, queued=self._waiting > 0)
        except WorkerLost:
            self._requeue_later(worker, lost=True)
            raise
        self.jobs_done += 1
        self._requeue_later(worker, lost=False)
        return result

    def _requeue_later(self, worker: Worker, lost: bool) -> None:
        """Returns the worker to the idle queue once it is ready again (or replaced)."""

        async def requeue() -> None:
            ready = worker
            try:
                if lost:
                    raise WorkerLost("it died or stopped answering")
                await worker.wait_idle()
                reason = worker.unclean()
                if reason:
                    raise WorkerUnclean(reason)
            except WorkerLost as exc:
                try:
                    ready = await self._replace(worker, str(exc))
                except WorkerLost:
                    log.exception("worker %d could not be restarted", worker.index)
                    await asyncio.sleep(1.0)
                    ready = worker
            self._idle.put_nowait(ready)

        task = asyncio.create_task(requeue())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _replace(self, worker: Worker, reason: str) -> Worker:
        """Kills ``worker`` and starts its successor in a new, empty cgroup."""
        log.warning("replacing worker %d: %s", worker.index, reason)
        self._replacing += 1
        try:
            await worker.kill()
            generation = worker.generation + 1
            cgroup = self.cgroups.for_worker(worker.index, generation) if self.cgroups else None
            fresh = Worker(worker.index, worker.launch, cgroup, generation)
            await fresh.start()
            if worker.cgroup is not None:
                worker.cgroup.remove()
            self._workers[self._workers.index(worker)] = fresh
            self.replaced += 1
            self.last_replacement = {"worker": worker.index, "reason": reason[:300],
                                     "at": round(time.time(), 3)}
            return fresh
        finally:
            self._replacing -= 1

    def environment(self) -> dict[str, str]:
        ready = self._workers[0].ready if self._workers else {}
        env = {
            "torch": str(ready.get("torch", "")).split("+")[0],
            "sandbox": "bubblewrap+namespaces" if self.isolated else "UNSAFE: no sandbox",
            "cgroups": self.cgroups.describe() if self.cgroups else "unavailable",
        }
        return env

    def health(self) -> dict[str, Any]:
        healthy = self._started and not self._replacing and all(w.alive for w in self._workers)
        return {
            "status": "ok" if healthy else "degraded",
            "workers": self.size,
            "idle": self._idle.qsize(),
            "waiting": self._waiting,
            "max_queue": self.settings.max_queue,
            "jobs_done": self.jobs_done,
            "gpu": bool(self.gpu_devices),
            "alive": [w.alive for w in self._workers],
            # 2 MiB pages backing each zygote (0: small pages, slower forks).
            "huge_pages": [w.ready.get("huge_pages", 0) for w in self._workers],
            # workers replaced since start (died, stuck, or left unclean by a job), and why
            "replaced": self.replaced,
            "last_replacement": self.last_replacement,
            **self.environment(),
        }

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*(w.close() for w in self._workers), return_exceptions=True)
        self._workers.clear()
        if self.cgroups:
            self.cgroups.remove()
        self._started = False
