"""GraderClient: how the bot reaches the grader.

Two implementations of one small interface: HTTP to the grader service
(``GRADER_URL`` set; production, scale-out) or an in-process warm pool (the
embedded default). The bot package never imports torch itself: the in-process
client imports ``grader`` lazily, only when it is chosen.

Both raise :class:`GraderUnavailable` when grading could not happen (service
down, pool busy, timeout) so the core can keep the submission queued and
retry; a *graded* submission — even one whose status is ``error`` or
``timeout`` — is returned as the result dict of DESIGN.md.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import aiohttp


class GraderUnavailable(Exception):
    """Grading did not happen; try again later. ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnknownExercise(Exception):
    """The grader does not know this exercise id."""


class GraderClient(Protocol):
    async def grade(self, exercise_id: str, code: str) -> dict[str, Any]: ...

    async def health(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class HTTPGraderClient:
    """Talks to ``torchdojo grader serve`` (``POST /v1/grade``)."""

    def __init__(self, base_url: str, timeout_s: float = 300.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def grade(self, exercise_id: str, code: str) -> dict[str, Any]:
        try:
            async with self._client().post(
                f"{self.base_url}/v1/grade", json={"exercise": exercise_id, "code": code}
            ) as resp:
                if resp.status == 404:
                    raise UnknownExercise(exercise_id)
                if resp.status in (429, 502, 503, 504):
                    retry = float(resp.headers.get("Retry-After", "5") or 5)
                    raise GraderUnavailable(f"grader busy or down (HTTP {resp.status})", retry)
                if resp.status >= 400 and resp.status != 413:
                    text = (await resp.text())[:300]
                    raise GraderUnavailable(f"grader answered HTTP {resp.status}: {text}")
                return await resp.json()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise GraderUnavailable(f"grader unreachable: {exc}") from exc

    async def health(self) -> dict[str, Any]:
        try:
            async with self._client().get(f"{self.base_url}/v1/health") as resp:
                return await resp.json()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise GraderUnavailable(f"grader unreachable: {exc}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class InProcessGraderClient:
    """Runs the warm sandbox pool inside this process (embedded default)."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers
        self._grader: Any = None
        self._lock = asyncio.Lock()

    async def _get(self) -> Any:
        async with self._lock:
            if self._grader is None:
                from grader.grading import Grader  # torch lives behind this import

                grader = Grader.from_settings(workers=self._workers)
                await grader.start()
                self._grader = grader
            return self._grader

    async def grade(self, exercise_id: str, code: str) -> dict[str, Any]:
        from grader.errors import PoolBusy
        from grader.errors import UnknownExercise as GraderUnknown

        grader = await self._get()
        try:
            return await grader.grade(exercise_id, code)
        except GraderUnknown as exc:
            raise UnknownExercise(exercise_id) from exc
        except PoolBusy as exc:
            raise GraderUnavailable(str(exc), exc.retry_after) from exc

    async def health(self) -> dict[str, Any]:
        grader = await self._get()
        return grader.health()

    async def close(self) -> None:
        if self._grader is not None:
            await self._grader.close()
            self._grader = None


def client_from_env(grader_url: str | None) -> GraderClient:
    return HTTPGraderClient(grader_url) if grader_url else InProcessGraderClient()
