"""Reference solutions that must run for every grading, in a process of their own.

An exercise whose checks draw fresh inputs per grading (the training loops
of weeks 4–6) cannot reuse a cached reference: its reference solution trains
again beside the learner's job, for up to seconds of CPU. Run on a thread of
the grader's service, that work took the GIL from the event loop and a core
from everyone at full priority — a burst of drills next to two training
submissions waited for it (measured with benchmarks/bench_chat.py: the first
drills' gradings took ~600 ms, all finishing with the training's reference).

Here it runs in one child process (``spawn``: no copy of the service's
threads), started in its own session at the heavy lane's niceness
(:data:`grader.limits.HEAVY_NICE`, for its autogroup too, as heavy sandbox
children are), single-threaded like the sandbox, with its stdout sent to
``/dev/null`` (``torchdojo grade --json`` owns the service's stdout), and
killed with its parent. References run one at a time — they seed torch's
process-wide RNG — as they did on the thread. A process that dies is
replaced and the reference tried once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from grader.sandbox import harness

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _start_child(nice: int) -> None:
    """The child's set-up (``ProcessPoolExecutor`` initializer)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    with contextlib.suppress(OSError):
        os.setsid()  # its own autogroup, which the niceness below then applies to
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as f:
        f.write(str(nice))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    import torch

    torch.set_num_threads(1)


def _ready() -> int:
    return os.getpid()


class ReferenceProcess:
    """One low-priority child process that runs :func:`harness.execute` on
    reference jobs (see the module's docstring)."""

    def __init__(self, nice: int) -> None:
        self.nice = nice
        self._pool: ProcessPoolExecutor | None = None
        self._lock = asyncio.Lock()
        self.restarts = 0

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_child, initargs=(self.nice,))
        return self._pool

    async def start(self) -> None:
        """Start the child and import torch there (seconds), without waiting."""
        future = asyncio.get_running_loop().run_in_executor(self._executor(), _ready)
        future.add_done_callback(lambda f: f.cancelled() or f.exception())

    async def execute(self, job: dict, blobs: list[bytes]) -> bytes:
        """The reference's result frame (what :func:`harness.execute` returns)."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            try:
                return await loop.run_in_executor(self._executor(), harness.execute, job, blobs)
            except BrokenProcessPool:
                log.warning("the reference process died; starting a new one")
                self.close()
                self.restarts += 1
            return await loop.run_in_executor(self._executor(), harness.execute, job, blobs)

    def pause(self) -> None:
        """Stop the child where it is (a reference computed ahead, while gradings
        run: :mod:`grader.stock`); :meth:`resume` continues it."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, sig: int) -> None:
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def pid(self) -> int | None:
        """The child's pid, once it runs (health, tests)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return next(iter(processes), None)

    def close(self) -> None:
        self.resume()  # a stopped child would never read its shutdown
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
