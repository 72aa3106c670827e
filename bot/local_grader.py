"""The embedded grader: ``torchdojo grader serve`` as a child process of the bot.

Without ``GRADER_URL`` the bot grades on this machine, and it does so through a
grader process of its own rather than inside its own process. The grader's
trusted side runs Python — reference solutions (a 5.1.1 training reference
is over a second of CPU per job), judging, the source checks — and inside the
bot it would hold the bot's GIL: measured with ``benchmarks/bench_chat.py``
(50 drills posted within a second behind two 5.1.1 trainings), the bot's
event loop then waited about a second just to post each "⏳ grading…" status.
In a process of its own the grader uses the other core, and the bot's event
loop only chats.

So :class:`LocalGraderClient` is the HTTP client of :mod:`bot.grader_client`
talking to a ``grader serve --unix SOCKET`` child over a Unix socket in a
private directory (mode 0700: no other user can reach it, nothing listens on
the network). It starts the child before the bot says it is ready (warm pool,
no first-submission wait), starts a new one when the child has died (the
grading meanwhile reports :class:`~bot.grader_client.GraderUnavailable`, so
the submission waits and nothing is lost), and stops it on close; the child
also gets SIGTERM if the bot dies without closing it. The child does not
inherit the bot's secrets (chat tokens, the database URL, the dashboard key).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.grader_client import GraderUnavailable, HTTPGraderClient, ProgressFn

log = logging.getLogger(__name__)

#: How long a starting grader may take to answer its health check (a torch
#: import per warm worker; slow on a loaded machine).
START_TIMEOUT_S = 180.0
#: How long to wait before trying to start a grader again after a failed start.
RESTART_BACKOFF_S = 10.0
#: Environment variables the grader process does not get: what only the bot needs.
SECRET = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY|DATABASE_URL|^DISCORD_|^SLACK_",
                    re.IGNORECASE)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Linux: the child gets SIGTERM when the bot's process dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def grader_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The bot's environment without its secrets (the grader settings stay)."""
    env = dict(os.environ if environ is None else environ)
    return {k: v for k, v in env.items()
            if k.startswith("TORCHDOJO_GRADER") or not SECRET.search(k)}


class LocalGraderClient(HTTPGraderClient):
    """A grader child process and the HTTP client to it (see the module docs)."""

    def __init__(self, workers: int | None = None, *,
                 start_timeout_s: float = START_TIMEOUT_S) -> None:
        super().__init__("http://torchdojo-grader")
        self.workers = workers
        self.start_timeout_s = start_timeout_s
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self._dir: Path | None = None
        self._lock = asyncio.Lock()
        self._failed_at = 0.0
        self._failure = ""

    @property
    def socket_path(self) -> Path:
        assert self._dir is not None
        return self._dir / "grader.sock"

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.UnixConnector(path=str(self.socket_path)),
                timeout=self.timeout)
        return self._session

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self) -> None:
        """Start the grader now, so the first submission does not wait for it;
        a grader that cannot start raises :class:`GraderUnavailable`, saying why."""
        await self._ensure()

    async def _ensure(self) -> None:
        if self.running:
            return
        async with self._lock:
            if self.running:
                return
            if self.proc is not None:
                log.warning("the grader process exited (code %s); starting a new one",
                            self.proc.returncode)
                self.proc = None
            wait = self._failed_at + RESTART_BACKOFF_S - time.monotonic()
            if self._failed_at and wait > 0:
                raise GraderUnavailable(self._failure, wait)
            try:
                await self._spawn()
            except GraderUnavailable as exc:
                self._failed_at, self._failure = time.monotonic(), str(exc)
                raise
            self._failed_at = 0.0

    async def _spawn(self) -> None:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="torchdojo-grader-"))  # mode 0700
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        if self._session is not None:  # its connections went to the old process
            await self._session.close()
            self._session = None
        argv = self.command()
        self.starts += 1
        self.proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            env=grader_environment(), preexec_fn=_die_with_parent)
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            if self.proc.returncode is not None:
                raise GraderUnavailable(
                    f"the grader process exited with code {self.proc.returncode} (the reason is in "
                    "the log above)", RESTART_BACKOFF_S)
            if self.socket_path.exists():
                with contextlib.suppress(GraderUnavailable, ValueError, aiohttp.ClientError):
                    info = await super().health()
                    log.info("grader process %d ready: %s workers, sandbox %s",
                             self.proc.pid, info.get("workers"), info.get("sandbox"))
                    return
            if time.monotonic() > deadline:
                await self._stop()
                raise GraderUnavailable(
                    f"the grader did not start within {self.start_timeout_s:.0f} s",
                    RESTART_BACKOFF_S)
            await asyncio.sleep(0.1)

    def command(self) -> list[str]:
        """How the grader process is started."""
        argv = [sys.executable, "-m", "bot.cli", "grader", "serve",
                "--unix", str(self.socket_path)]
        if self.workers:
            argv += ["--workers", str(self.workers)]
        return argv

    async def grade(self, exercise_id: str, code: str,
                    progress: ProgressFn | None = None) -> dict[str, Any]:
        await self._ensure()
        return await super().grade(exercise_id, code, progress)

    async def health(self) -> dict[str, Any]:
        await self._ensure()
        return await super().health()

    async def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def close(self) -> None:
        await super().close()
        self._session = None
        await self._stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
