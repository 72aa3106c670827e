"""GraderClient: how the bot reaches the grader.

Two implementations of one small interface: HTTP to the grader service
(``GRADER_URL`` set; production, scale-out) or an in-process warm pool (the
embedded default). The bot package never imports torch itself: the in-process
client imports ``grader`` lazily, only when it is chosen.

Failures are classified, because the core treats them differently:

* :class:`GraderUnavailable` — the grader could not be reached, or said it is
  busy (503/429 with ``Retry-After``): nothing is wrong with the submission;
  it stays queued and is retried with back-off for as long as it takes.
* :class:`GradingFailed` — the grader answered, but failed on *this*
  submission (a 5xx other than 503, a refused request, an unreadable answer):
  retried a bounded number of times, then "could not be graded" with the
  reason, visible to instructors.
* :class:`UnknownExercise` — the grader does not know the exercise id.

A *graded* submission — even one whose status is ``error`` or ``timeout`` —
is returned as the result dict of the result format (:mod:`grader.result`).

Progress: ``grade(..., progress=fn)`` calls ``fn`` with a :class:`GradeProgress`
while a grading runs — *data* about what the trusted side is doing (a stage,
which check of how many, its kind), never text from the learner's code, so
the bot words it itself. The in-process client maps the grader's progress
reports; the HTTP client asks for the NDJSON stream of ``POST /v1/grade``
(``Accept: application/x-ndjson``) and maps its ``progress`` lines the same
way. A stream cut before its ``result`` line, or a line that cannot be read,
is a :class:`GradingFailed` that may be retried; refusals are still status
codes, classified as above, and an ``unavailable`` line (a job refused after
its stream began) is a :class:`GraderUnavailable` like a 503.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

log = logging.getLogger(__name__)

#: Stages a grading goes through, in order.
STAGES = ("running", "judging", "check")


@dataclass(frozen=True)
class GradeProgress:
    """Where a grading is: ``running`` the code in the sandbox, ``judging`` its
    data, or judging ``check`` ``index`` of ``total`` (of ``kind``)."""

    stage: str
    index: int | None = None
    total: int | None = None
    kind: str = ""

    @classmethod
    def from_report(cls, report: Any) -> GradeProgress | None:
        """Read a grader's progress report: a mapping with ``stage`` (and
        ``index``/``total``/``kind``), or one of the in-process grader's fixed
        phrases. Anything else is ignored rather than shown: the report may
        never carry text of the learner's making to the member."""
        if isinstance(report, dict):
            stage = report.get("stage")
            index, total, kind = report.get("index"), report.get("total"), report.get("kind")
            if stage not in STAGES:
                return None
            if not (isinstance(index, int) and isinstance(total, int)
                    and 0 < index <= total <= 1000):
                index = total = None
            kind = kind if isinstance(kind, str) and kind.isidentifier() and len(kind) <= 20 \
                else ""
            return cls(stage, index, total, kind)
        if isinstance(report, str):
            for phrase, stage in GRADER_PHRASES.items():
                if report.startswith(phrase):
                    return cls(stage)
        return None


#: The in-process grader's progress phrases (grader/grading.py) and their stage.
GRADER_PHRASES = {"running your code": "running", "judging the results": "judging"}

ProgressFn = Callable[[GradeProgress], None]


class GraderUnavailable(Exception):
    """Grading did not happen; try again later. ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GradingFailed(Exception):
    """The grader answered but could not grade this submission. ``retry``: a
    second try may succeed (a server error); False: it will not (a refusal)."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class UnknownExercise(Exception):
    """The grader does not know this exercise id."""


def _error_text(body: str) -> str:
    """The ``error``/``message`` of a JSON error body, else the start of the text."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200]
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            if isinstance(data.get(key), str):
                return data[key][:200]
    return body[:200]


class GraderClient(Protocol):
    """What the core needs of a grader. Clients may also have ``async start()``
    (called once when the process starts, before it says it is ready)."""

    async def grade(self, exercise_id: str, code: str,
                    progress: ProgressFn | None = None) -> dict[str, Any]: ...

    async def health(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


NDJSON = "application/x-ndjson"
#: Longest line of a grading stream (a result with every field at its cap fits).
MAX_STREAM_LINE = 16 * 1024 * 1024
#: Progress lines read per grading before the stream is refused as a flood.
MAX_PROGRESS_LINES = 10_000
#: A progress object larger than this is skipped, not shown.
MAX_PROGRESS_BYTES = 4096
#: Largest error page or health object read from a grader.
MAX_ERROR_BODY = 1024 * 1024


def _stream_line(line: bytes, progress: ProgressFn | None) -> dict[str, Any] | None:
    """One NDJSON line: a progress report (forwarded; None), the result, or a failure."""
    try:
        data = json.loads(line)
    except ValueError:
        raise GradingFailed("the grader sent an unreadable line") from None
    if not isinstance(data, dict) or len(data) != 1:
        raise GradingFailed("the grader sent an unreadable line")
    if "progress" in data:
        step = GradeProgress.from_report(data["progress"]) \
            if len(line) <= MAX_PROGRESS_BYTES else None
        if step is not None and progress is not None:
            try:
                progress(step)
            except Exception:  # progress is a courtesy; the grading goes on
                log.warning("progress callback failed", exc_info=True)
        return None
    if isinstance(data.get("result"), dict):
        return data["result"]
    if isinstance(data.get("error"), str):
        raise GradingFailed(f"the grader failed on it ({data['error'][:200]})")
    if isinstance(data.get("unavailable"), dict):  # a 503 after the stream began
        info = data["unavailable"]
        raise GraderUnavailable(f"grader busy or down ({str(info.get('error'))[:200]})",
                                _retry_after(str(info.get("retry_after"))))
    raise GradingFailed("the grader sent an unreadable line")


async def _read_stream(content: aiohttp.StreamReader, progress: ProgressFn | None
                       ) -> dict[str, Any]:
    """Reads a grading stream to its result line, with caps on every line."""
    buf = bytearray()
    lines = 0
    async for chunk in content.iter_any():
        buf += chunk
        while (end := buf.find(b"\n")) >= 0:
            line = bytes(buf[:end])
            del buf[:end + 1]
            if not line.strip():
                continue
            result = _stream_line(line, progress)
            if result is not None:
                return result
            lines += 1
            if lines > MAX_PROGRESS_LINES:
                raise GradingFailed("the grader sent too many progress lines")
        if len(buf) > MAX_STREAM_LINE:
            raise GradingFailed("the grader sent a line over the size limit")
    if buf.strip():
        result = _stream_line(bytes(buf), progress)
        if result is not None:
            return result
    raise GradingFailed("the grader's answer ended before the result")


async def _read_body(resp: aiohttp.ClientResponse, cap: int, text: bool = False) -> bytes | str:
    """The whole body, refused past ``cap`` bytes before more is buffered (a
    grader's plain-JSON answer, an error page, the health object): the peer's
    Content-Length and the bytes that actually arrive are both checked."""
    declared = resp.content_length
    if declared is not None and declared > cap:
        raise GradingFailed(f"the grader's answer is over the size limit ({declared} bytes)")
    buf = bytearray()
    async for chunk in resp.content.iter_any():
        buf += chunk
        if len(buf) > cap:
            raise GradingFailed(f"the grader's answer is over the size limit ({cap} bytes)")
    return bytes(buf).decode("utf-8", "replace") if text else bytes(buf)


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 5), 0.5), 300.0)
    except ValueError:
        return 5.0


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

    async def start(self) -> None:
        """Say at start whether the grader answers (a warning, not an error: it
        may come up later, and submissions wait for it)."""
        try:
            info = await asyncio.wait_for(self.health(), 5.0)
        except (TimeoutError, GraderUnavailable, ValueError, aiohttp.ClientError) as exc:
            log.warning("grader at %s does not answer yet (%s); submissions wait for it",
                        self.base_url, exc)
            return
        log.info("grader at %s: %s", self.base_url, info.get("status", "?"))

    async def grade(self, exercise_id: str, code: str,
                    progress: ProgressFn | None = None) -> dict[str, Any]:
        try:
            async with self._client().post(
                f"{self.base_url}/v1/grade", json={"exercise": exercise_id, "code": code},
                headers={"Accept": f"{NDJSON}, application/json;q=0.5"},
            ) as resp:
                if resp.status == 404:
                    raise UnknownExercise(exercise_id)
                if resp.status in (429, 503) or (resp.status in (502, 504)
                                                 and "Retry-After" in resp.headers):
                    raise GraderUnavailable(f"grader busy or down (HTTP {resp.status})",
                                            _retry_after(resp.headers.get("Retry-After")))
                if resp.status in (502, 504):  # a proxy in front of a grader that is gone
                    raise GraderUnavailable(f"grader unreachable (HTTP {resp.status})")
                if resp.status >= 500:
                    text = _error_text(await _read_body(resp, MAX_ERROR_BODY, text=True))
                    raise GradingFailed(f"the grader failed on it (HTTP {resp.status}: {text})")
                if resp.status >= 400:
                    text = _error_text(await _read_body(resp, MAX_ERROR_BODY, text=True))
                    raise GradingFailed(f"the grader refused it (HTTP {resp.status}: {text})",
                                        retry=False)
                if resp.content_type == NDJSON:
                    try:
                        return await _read_stream(resp.content, progress)
                    except (aiohttp.ClientError, OSError) as exc:  # cut mid-answer
                        raise GradingFailed(f"the grader's answer was cut off ({exc})") from None
                try:  # a grader without streaming answers plain JSON
                    data = json.loads(await _read_body(resp, MAX_STREAM_LINE))
                except ValueError as exc:
                    raise GradingFailed(f"the grader sent an unreadable answer ({exc})") from None
                if not isinstance(data, dict):
                    raise GradingFailed("the grader sent an unreadable answer (not an object)")
                return data
        except TimeoutError as exc:
            raise GradingFailed("the grader did not answer in time") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise GraderUnavailable(f"grader unreachable: {exc}") from exc

    async def health(self) -> dict[str, Any]:
        try:
            async with self._client().get(f"{self.base_url}/v1/health") as resp:
                data = json.loads(await _read_body(resp, MAX_ERROR_BODY))
                if not isinstance(data, dict):
                    raise ValueError("the grader's health is not a JSON object")
                return data
        except (TimeoutError, aiohttp.ClientError, OSError, GradingFailed) as exc:
            raise GraderUnavailable(f"grader unreachable: {exc}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class InProcessGraderClient:
    """Runs the warm sandbox pool inside this process (``TORCHDOJO_GRADER_IN_PROCESS``;
    the embedded default runs it in a child process: :mod:`bot.local_grader`)."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers
        self._grader: Any = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Start the warm pool now (a torch import per worker: seconds), so the
        first submission does not wait for it."""
        await self._get()

    async def _get(self) -> Any:
        async with self._lock:
            if self._grader is None:
                from grader.grading import Grader  # torch lives behind this import

                grader = Grader.from_settings(workers=self._workers)
                await grader.start()
                self._grader = grader
            return self._grader

    async def grade(self, exercise_id: str, code: str,
                    progress: ProgressFn | None = None) -> dict[str, Any]:
        from grader.errors import PoolBusy
        from grader.errors import UnknownExercise as GraderUnknown

        grader = await self._get()

        def report(raw: Any) -> None:
            step = GradeProgress.from_report(raw)
            if step is not None and progress is not None:
                progress(step)

        try:
            return await grader.grade(exercise_id, code, progress=report)
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


def client_from_env(grader_url: str | None, *, in_process: bool = False) -> GraderClient:
    """The grader service at ``grader_url``; without one, the bot's own grader
    process (:mod:`bot.local_grader`), or the pool inside this process where
    ``in_process`` asks for it (one process only; the grader's Python work then
    competes with the chat for this process's GIL)."""
    if grader_url:
        return HTTPGraderClient(grader_url)
    if in_process:
        return InProcessGraderClient()
    from bot.local_grader import LocalGraderClient

    return LocalGraderClient()
