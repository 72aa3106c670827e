"""The warm pool: N jailed zygotes, one job each at a time, a bounded queue.

torch is imported once per worker when it starts; every job is a fork of a
warm zygote (see ``sandbox/zygote.py``), never a fresh interpreter. A worker
that dies or stops answering is replaced; the job it held is reported as an
error and the pool keeps serving. So is a worker whose memory cgroup is not
clean after a job (memory still charged, limits that cannot be written): it
gets a fresh cgroup, and ``health()`` counts and explains every replacement.
A worker that cannot be restarted leaves service (its slot is tried again
with back-off) instead of being handed to the next job: jobs wait for the
workers still in service, and with none left they are refused with
:class:`~grader.errors.PoolUnavailable` (a 503 the bot retries), never given a
"the sandbox crashed" verdict for a job that did not run. No job is sent to a
worker found dead while idle either: it is restarted first.

Lanes: every job is ``quick`` (a drill: milliseconds) or ``heavy`` (a
training loop: seconds), decided by :func:`grader.limits.pool_lane` from the
exercise. Heavy jobs may hold at most ``workers - quick_workers`` workers at
once; quick jobs take any idle worker and are served first, so a drill never
waits for a training loop to end. A heavy job's child also runs at a higher
niceness, and its worker's cgroup at a lower CPU weight where the cpu
controller is writable, so a drill next to it does not lose the core either.

GPU: at most :data:`CUDA_JOBS_AT_ONCE` job with ``device: cuda`` runs at once
(whatever its lane). A job's memory fraction is set inside its own process,
where the learner's code can lift it again (``set_per_process_memory_fraction
(1.0)``, or CUDA calls through ctypes), and no kernel limit covers GPU memory:
two CUDA jobs side by side would let one take the whole card and hand the
other learner an ``oom`` verdict for code that did nothing wrong. A CUDA job
holds its slot until its worker is idle again (the child reaped, its GPU
memory freed).

Progress: while a job runs, the zygote may send ``progress`` frames (how many
probes the child has started, bounded, monotonic, rate-limited: see
``sandbox/zygote.py``); :meth:`Worker.run` checks each again and hands the
count to the caller's callback.

One module past 500 lines on purpose: the worker's pipe protocol, its
replacement and the lanes that hand workers to jobs are one mechanism (a
job's way onto a warm worker and back), and splitting it would put the
invariants (a worker is idle, busy in one lane, or being replaced) in two places.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from grader import jail
from grader.cgroups import CgroupManager, WorkerCgroup
from grader.errors import PoolBusy, PoolUnavailable, WorkerLost, WorkerUnclean
from grader.limits import (
    CONTROL_FRAME_BYTES,
    HEAVY,
    MB,
    PROGRESS_EVERY_S,
    PROGRESS_MAX_BYTES,
    PROGRESS_MAX_TOTAL,
    QUICK,
    QUICK_CPU_WEIGHT,
    WORKER_BASE_MEMORY_MB,
    WORKER_DIRTY_MB,
    WORKER_GRACE_S,
    WORKER_IDLE_TIMEOUT_S,
    WORKER_RESTART_FIRST_S,
    WORKER_RESTART_MAX_S,
    WORKER_START_TIMEOUT_S,
    WORKER_STREAM_BYTES,
    GraderSettings,
    JobLimits,
)
from grader.outage import Outage

log = logging.getLogger("torchdojo.grader.pool")
# How a worker's process is started: a context giving (argv, descriptors to pass).
Launch = Callable[[], AbstractContextManager[tuple[list[str], tuple[int, ...]]]]
#: Called with how many probes the sandboxed child has started (1..total).
ProbeProgress = Callable[[int], None]
LANES = (QUICK, HEAVY)
#: Jobs on the GPU at once (see the module docstring: GPU memory has no hard cap).
CUDA_JOBS_AT_ONCE = 1


def job_control(job: dict, payload: bytes, queued: bool, nice: int,
                progress_total: int) -> dict:
    """The zygote's control frame for one job (the payload follows it)."""
    return {"kind": "job", "limits": job["limits"], "payload": len(payload),
            "queued": queued, "nice": nice, "progress": progress_total,
            "progress_every": PROGRESS_EVERY_S, "progress_bytes": PROGRESS_MAX_BYTES}


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

    async def _read_result(self, total: int, on_progress: ProbeProgress | None
                           ) -> tuple[dict, list[bytes]]:
        """The zygote's report: progress frames, the header, then raw output
        bytes, then the result bytes."""
        assert self.proc is not None and self.proc.stdout is not None
        seen = 0
        while True:
            header, _ = await self._read_frame()
            if header.get("kind") != "progress":
                break
            done = header.get("done")
            # Checked again here: only a count that moves forward within the
            # job's own probe count reaches the caller; anything else is dropped.
            if type(done) is int and seen < done <= total:
                seen = done
                if on_progress is not None:
                    try:
                        on_progress(done)
                    except Exception:  # a progress display never fails a grading
                        log.exception("progress callback failed")
        if header.get("kind") != "done":
            raise ConnectionError(f"worker {self.index} sent {header.get('kind')!r}, not done")
        output = await self.proc.stdout.readexactly(header.get("out_len", 0))
        result = await self.proc.stdout.readexactly(header.get("res_len", 0))
        return decode_report(header, output, result)

    async def run(self, job: dict, blobs: list[bytes], limits: JobLimits, queued: bool = False,
                  *, nice: int = 0, cpu_weight: int = QUICK_CPU_WEIGHT,
                  progress: ProbeProgress | None = None) -> tuple[dict, list[bytes]]:
        """Runs one job; ``queued`` says more jobs wait (the next child skips its
        warm-up); ``nice`` is the child's niceness and ``cpu_weight`` the
        worker cgroup's while it runs; ``progress`` gets the probe count."""
        assert self.proc is not None and self.proc.stdin is not None
        if self.cgroup:
            self.cgroup.set_cpu_weight(cpu_weight)
            try:
                self.cgroup.set_limits(
                    self._base_memory + limits.memory_mb * MB, self._base_pids + limits.processes
                )
            except OSError as exc:  # never grade under the wrong caps: the job goes elsewhere
                raise WorkerUnclean(f"its cgroup limits cannot be written ({exc})") from exc
            # Read now, not taken over from the last job's closing reading: that
            # reading is made when the last job's result is in, and its child is
            # killed just after — what it did meanwhile (a thread bomb, an OOM
            # kill) must not become this job's verdict. The zygote has reaped it
            # by now (this worker is idle), and a reading costs ~35 µs.
            before = self.cgroup.counters()
        # Imported here, not at the top: harness imports torch, and the CLI
        # starts a worker before this process has paid for torch (grader.oneshot).
        from grader.sandbox import harness

        total = len(job.get("probes") or ())
        total = total if total <= PROGRESS_MAX_TOTAL else 0
        payload = harness.pack_frame({**job, "nice": nice}, blobs)
        control = job_control(job, payload, queued, nice, total if progress else 0)
        try:
            self.proc.stdin.write(harness.pack_frame(control, []) + payload)
            await self.proc.stdin.drain()
            header, out = await asyncio.wait_for(self._read_result(total, progress),
                                                 limits.wall_s + WORKER_GRACE_S)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            await self.kill()
            raise WorkerLost(f"worker {self.index} stopped answering") from exc
        self.jobs += 1
        if self.cgroup:
            after = self.cgroup.counters()
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
    """Runs jobs on warm workers by lane; refuses new work when the queue is full."""

    def __init__(self, settings: GraderSettings | None = None) -> None:
        self.settings = settings or GraderSettings()
        self.size, self.quick_workers = self.settings.pool_sizes(os.cpu_count())
        self.isolated = not self.settings.unsafe_no_sandbox
        self.cgroups = CgroupManager() if self.isolated else None
        self._idle: list[Worker] = []
        self._waiters: dict[str, deque[asyncio.Future[Worker]]] = {
            lane: deque() for lane in LANES}
        self._lane_of: dict[Worker, str] = {}  # busy workers: the lane of their job
        self._cuda_waiting: set[asyncio.Future[Worker]] = set()  # waiters of CUDA jobs
        self._cuda_jobs = 0  # CUDA jobs holding a worker (until it is idle again)
        self._heavy_peak = 0
        self._workers: list[Worker] = []
        self._waiting = 0
        self._background: set[asyncio.Task] = set()
        self._started = False
        self.started_at = 0.0
        self.jobs_done = 0
        self.replaced = 0
        self.last_replacement: dict[str, Any] | None = None
        self._replacing = 0
        # slots out of service (their worker could not be restarted), and their revival
        self._outage = Outage(self.size, self._restart_slot,
                              lambda _index, fresh: self._give_back(fresh),
                              first_s=WORKER_RESTART_FIRST_S, max_s=WORKER_RESTART_MAX_S)
        self.gpu_devices = jail.gpu_device_files()

    @property
    def heavy_limit(self) -> int:
        """Workers heavy jobs may hold at once (at least one: they must run)."""
        return max(1, self.size - self.quick_workers)

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
            self._idle.append(w)
        self._started = True
        self.started_at = time.time()

    # ------------------------------------------------------------------ lanes

    def _busy(self, lane: str) -> int:
        return sum(1 for held in self._lane_of.values() if held == lane)

    def _next_waiter(self, queue: deque[asyncio.Future[Worker]]
                     ) -> asyncio.Future[Worker] | None:
        """The first waiter of ``queue`` that may have a worker now: a CUDA job
        only while fewer than :data:`CUDA_JOBS_AT_ONCE` hold one."""
        while queue and queue[0].done():  # cancelled while waiting
            queue.popleft()
        gpu_free = self._cuda_jobs < CUDA_JOBS_AT_ONCE
        for waiter in queue:
            if not waiter.done() and (gpu_free or waiter not in self._cuda_waiting):
                return waiter
        return None

    def _dispatch(self) -> None:
        """Hands idle workers to waiting jobs: quick ones first, heavy ones
        only while they hold fewer than :attr:`heavy_limit` workers; a CUDA
        job waits (letting others pass) while the GPU is taken."""
        quick, heavy = self._waiters[QUICK], self._waiters[HEAVY]
        while self._idle:
            lane, waiter = QUICK, self._next_waiter(quick)
            if waiter is None and self._busy(HEAVY) < self.heavy_limit:
                lane, waiter = HEAVY, self._next_waiter(heavy)
            if waiter is None:
                return
            self._waiters[lane].remove(waiter)
            worker = self._idle.pop(0)
            self._lane_of[worker] = lane
            if lane == HEAVY:
                self._heavy_peak = max(self._heavy_peak, self._busy(HEAVY))
            if waiter in self._cuda_waiting:
                self._cuda_jobs += 1
            waiter.set_result(worker)

    async def _acquire(self, lane: str, cuda: bool = False) -> Worker:
        waiter: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
        self._waiters[lane].append(waiter)
        if cuda:
            self._cuda_waiting.add(waiter)
        try:
            self._dispatch()
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as we were cancelled
                self._give_back(waiter.result(), cuda)
            raise
        finally:
            self._cuda_waiting.discard(waiter)

    def _give_back(self, worker: Worker, cuda: bool = False) -> None:
        """A worker is idle again (or its successor is): it may take the next job
        (and a CUDA job's slot on the GPU is free again)."""
        self._lane_of.pop(worker, None)
        if cuda:
            self._cuda_jobs -= 1
        self._idle.append(worker)
        self._dispatch()

    def lane_settings(self, lane: str) -> tuple[int, int]:
        """(niceness of the child, cgroup CPU weight) for a job of ``lane``."""
        if lane == HEAVY:
            return self.settings.heavy_nice, self.settings.heavy_cpu_weight
        return 0, QUICK_CPU_WEIGHT

    # ------------------------------------------------------------------- jobs

    async def run(self, job: dict, blobs: list[bytes], limits: JobLimits, *,
                  lane: str = QUICK, progress: ProbeProgress | None = None
                  ) -> tuple[dict, list[bytes]]:
        """Runs one job in ``lane``; ``progress`` is called with the probe count."""
        if lane not in LANES:
            raise ValueError(f"unknown lane {lane!r}")
        if not self._started:
            await self.start()
        if not self._in_service():
            raise self._unavailable()
        if not self._idle and self._waiting >= self.settings.max_queue:
            raise PoolBusy(retry_after=max(1.0, limits.wall_s))
        cuda = job.get("device") == "cuda"
        self._waiting += 1
        try:
            worker = await self._acquire(lane, cuda)
        finally:
            self._waiting -= 1
        nice, weight = self.lane_settings(lane)
        held: Worker | None = worker  # the worker to requeue if this job fails
        try:
            try:
                if not worker.alive:  # died while idle: never send a job to it
                    raise WorkerUnclean("it died while idle")
                result = await worker.run(job, blobs, limits, queued=self._waiting > 0,
                                          nice=nice, cpu_weight=weight, progress=progress)
            except WorkerUnclean as exc:  # the job was not sent: run it on a fresh worker
                fresh = await self._restore(worker, str(exc))
                if fresh is None:  # out of service: the job never ran, it is no verdict
                    held = None
                    self._release(worker, cuda)
                    raise self._unavailable() from exc
                self._lane_of[fresh] = self._lane_of.pop(worker, lane)
                worker = held = fresh
                try:
                    result = await worker.run(job, blobs, limits, queued=self._waiting > 0,
                                              nice=nice, cpu_weight=weight, progress=progress)
                except WorkerUnclean as again:  # not sent either: the grader is at fault
                    raise PoolUnavailable(WORKER_RESTART_FIRST_S, str(again)) from again
        except BaseException:  # lost, or cancelled mid-job: the worker's state is unknown
            if held is not None:
                self._requeue_later(held, lost=True, cuda=cuda)
            raise
        self.jobs_done += 1
        self._requeue_later(worker, lost=False, cuda=cuda)
        return result

    # ---------------------------------------------------------- out of service

    def _in_service(self) -> int:
        """Slots whose worker is idle, busy or being replaced (not out of service)."""
        return self._outage.in_service

    def _unavailable(self) -> PoolUnavailable:
        """The refusal for a job no worker can take: retry when the next restart is due."""
        return self._outage.refusal()

    def _release(self, worker: Worker, cuda: bool = False) -> None:
        """A job's worker left service: its lane and GPU slot are free, but it is
        not idle (see :meth:`_out_of_service`)."""
        self._lane_of.pop(worker, None)
        if cuda:
            self._cuda_jobs -= 1
        self._dispatch()

    async def _restore(self, worker: Worker, reason: str) -> Worker | None:
        """``worker``'s successor, or None when it could not be started (the slot
        is then out of service and tried again later)."""
        try:
            return await self._replace(worker, reason)
        except WorkerLost as exc:
            log.error("worker %d could not be restarted (%s): out of service", worker.index,
                      exc.__cause__ or exc)
            self._out_of_service(worker.index, f"{reason}; restart failed: "
                                               f"{exc.__cause__ or exc}")
            return None

    def _out_of_service(self, index: int, reason: str) -> None:
        """Takes slot ``index`` out of service (:class:`~grader.outage.Outage` tries to
        restart it with back-off); with no slot left in service, every waiting job
        is refused."""
        if not self._outage.take_out(index, reason):
            return
        if not self._in_service():
            refusal = self._unavailable()
            for queue in self._waiters.values():
                while queue:
                    waiter = queue.popleft()
                    if not waiter.done():
                        waiter.set_exception(refusal)

    async def _restart_slot(self, index: int, reason: str) -> Worker:
        """One try at bringing slot ``index`` back (see :meth:`_replace`)."""
        return await self._replace(self._workers[index], reason)

    def _requeue_later(self, worker: Worker, lost: bool, cuda: bool = False) -> None:
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
                fresh = await self._restore(worker, str(exc))
                if fresh is None:  # never handed to a job again: see grader.outage
                    self._release(worker, cuda)
                    return
                ready = fresh
            if ready is not worker:
                self._lane_of.pop(worker, None)
            self._give_back(ready, cuda)

        task = asyncio.create_task(requeue())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _replace(self, worker: Worker, reason: str) -> Worker:
        """Kills ``worker`` and starts its successor in a new, empty cgroup.

        Raises :class:`WorkerLost` (its cause: why) when the successor does not
        start; the slot then holds that successor, dead, so the next try gets
        a cgroup of its own again."""
        log.warning("replacing worker %d: %s", worker.index, reason)
        self._replacing += 1
        try:
            await worker.kill()
            generation = worker.generation + 1
            fresh = Worker(worker.index, worker.launch, None, generation)
            try:
                if self.cgroups:
                    fresh.cgroup = self.cgroups.for_worker(worker.index, generation)
                await fresh.start()
            except BaseException as exc:  # a launch that raises, a command that exits at once
                await fresh.kill()  # (or cancelled: no process outlives the pool)
                if fresh.cgroup is not None:
                    fresh.cgroup.remove()
                self._workers[self._workers.index(worker)] = fresh
                if not isinstance(exc, Exception) or (
                        isinstance(exc, WorkerLost) and exc.__cause__ is not None):
                    raise
                raise WorkerLost(f"worker {worker.index} failed to start") from exc
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
        ready = next((w.ready for w in self._workers if w.ready), {})  # slot 0 may be out
        env = {
            "torch": str(ready.get("torch", "")).split("+")[0],
            "sandbox": "bubblewrap+namespaces" if self.isolated else "UNSAFE: no sandbox",
            "cgroups": self.cgroups.describe() if self.cgroups else "unavailable",
        }
        return env

    def lanes(self) -> dict[str, dict[str, Any]]:
        """Per lane: workers busy with its jobs, how many it may hold, jobs
        waiting, and how its children are held back (niceness, CPU weight)."""
        cpu = self.cgroups.cpu_weight() if self.cgroups else "unavailable (no cgroups)"
        out = {}
        for lane in LANES:
            nice, weight = self.lane_settings(lane)
            out[lane] = {
                "busy": self._busy(lane),
                "limit": self.size if lane == QUICK else self.heavy_limit,
                "waiting": sum(1 for w in self._waiters[lane] if not w.done()),
                "nice": nice,
                "cpu_weight": weight if not cpu.startswith("unavailable") else None,
            }
        out[HEAVY]["peak"] = self._heavy_peak
        return {**out, "reserved_quick": self.quick_workers, "cpu_weights": cpu}

    def health(self) -> dict[str, Any]:
        healthy = self._started and not self._replacing and all(
            w.alive for w in self._workers)
        return {
            # unavailable: no worker in service, every job is refused (503) until one is back
            "status": self._outage.status(self._started, healthy),
            "workers": self.size,
            # in_service, and the workers that could not be restarted (out_of_service)
            **self._outage.report(),
            "idle": len(self._idle),
            "waiting": self._waiting,
            "lanes": self.lanes(),
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
        self._outage.close()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*(w.close() for w in self._workers), return_exceptions=True)
        self._workers.clear()
        if self.cgroups:
            self.cgroups.remove()
        self._started = False
