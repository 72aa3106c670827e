"""The one grading result type, shared by the grader and the bot.

Torch-free and dependency-free on purpose: the grader builds a
:class:`GradeResult`, serialises it with :meth:`GradeResult.to_dict` (the
result JSON of the CLI, the HTTP API and the bot's database), and the bot reads
it back with :meth:`GradeResult.from_dict`. The status list lives here and
nowhere else, so a status the grader can return is a status the bot knows.

``from_dict`` treats its input as untrusted (it comes over HTTP from a grader
that judged hostile code): every field is type-checked and every string and
list is capped, and anything unreadable raises :class:`ResultFormatError`.

Both directions also pass every string through :func:`clean_text`: a learner's
exception message, class name or value may hold lone UTF-16 surrogates
(``raise ValueError("\\ud800")``; JSON carries them as ``\\ud800`` escapes),
which no UTF-8 writer accepts — a terminal, an HTTP body with
``ensure_ascii=False``, a chat API or a web page would fail on them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """What happened to a submission. Each limit breach has its own status."""

    passed = "passed"  # every check passed
    failed = "failed"  # ran; some check failed
    error = "error"  # syntax error, exception, missing name
    timeout = "timeout"  # wall-clock or CPU-time limit
    oom = "oom"  # memory limit
    output_limit = "output_limit"  # printed too much
    file_limit = "file_limit"  # wrote too large a file
    process_limit = "process_limit"  # too many processes or threads
    rejected = "rejected"  # refused before running: empty, too large, not UTF-8

    @property
    def is_limit(self) -> bool:
        return self in LIMIT_STATUSES

    @property
    def ran_checks(self) -> bool:
        """Whether the checks were judged (a verdict per check is meaningful)."""
        return self in (Status.passed, Status.failed, Status.error)


LIMIT_STATUSES = frozenset(
    {Status.timeout, Status.oom, Status.output_limit, Status.file_limit, Status.process_limit}
)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)


class CheckStatus(StrEnum):
    passed = "passed"
    failed = "failed"
    not_run = "not_run"  # the job stopped before this check could be judged


class ResultFormatError(ValueError):
    """A result dict that does not follow the result format."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _clean(value: Any, depth: int = 0) -> Any:
    """Every string in a JSON-like value (keys too) through :func:`clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if depth > 8:
        return value
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: _clean(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, depth + 1) for v in value]
    return value


# Hard caps on what ``from_dict`` accepts; generous for real results.
MAX_CHECKS = 500
MAX_MESSAGE = 4000
MAX_STDOUT = 64 * 1024
MAX_ID = 200


@dataclass(frozen=True)
class CheckResult:
    id: str
    kind: str
    status: CheckStatus
    message: str = ""
    points: int = 0
    max_points: int = 0

    @property
    def passed(self) -> bool:
        return self.status is CheckStatus.passed


@dataclass(frozen=True)
class ErrorCause:
    """Why the learner's code did not run to the end, where the grader knows it.

    ``line``/``col`` are 1-based positions in the learner's own file (never
    the harness's); ``text`` is the offending source line for a caret."""

    type: str
    message: str = ""
    line: int | None = None
    col: int | None = None
    text: str = ""


@dataclass(frozen=True)
class GradeResult:
    exercise: str
    status: Status
    score: int
    max_score: int
    checks: tuple[CheckResult, ...] = ()
    message: str = ""
    stdout: str = ""
    duration_ms: float = 0.0
    environment: dict[str, Any] = field(default_factory=dict)
    cause: ErrorCause | None = None

    @property
    def passed(self) -> bool:
        return self.status is Status.passed

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "exercise": self.exercise,
            "status": self.status.value,
            "score": self.score,
            "max_score": self.max_score,
            "message": self.message,
            "checks": [
                {**asdict(c), "status": c.status.value} for c in self.checks
            ],
            "stdout": self.stdout,
            "duration_ms": self.duration_ms,
            "environment": dict(self.environment),
        }
        if self.cause is not None:
            out["cause"] = asdict(self.cause)
        return _clean(out)

    @classmethod
    def from_dict(cls, data: Any) -> GradeResult:
        if not isinstance(data, dict):
            raise ResultFormatError("a result must be a JSON object")
        try:
            status = Status(data.get("status"))
        except ValueError:
            raise ResultFormatError(f"unknown status {str(data.get('status'))[:40]!r}") from None
        raw_checks = data.get("checks") or []
        if not isinstance(raw_checks, list) or len(raw_checks) > MAX_CHECKS:
            raise ResultFormatError(f"checks must be a list of at most {MAX_CHECKS}")
        checks = tuple(_check(c) for c in raw_checks)
        env = data.get("environment") or {}
        if not isinstance(env, dict):
            raise ResultFormatError("environment must be an object")
        cause = data.get("cause")
        return cls(
            exercise=_text(data.get("exercise"), MAX_ID, "exercise"),
            status=status,
            score=_int(data.get("score", 0), "score"),
            max_score=_int(data.get("max_score", 0), "max_score"),
            checks=checks,
            message=_text(data.get("message"), MAX_MESSAGE, "message"),
            stdout=_text(data.get("stdout"), MAX_STDOUT, "stdout"),
            duration_ms=_float(data.get("duration_ms", 0.0), "duration_ms"),
            environment={clean_text(str(k)[:MAX_ID]): clean_text(v) if isinstance(v, str) else v
                         for k, v in list(env.items())[:50]
                         if isinstance(v, (str, int, float, bool)) or v is None},
            cause=_cause(cause) if cause is not None else None,
        )


def _text(value: Any, cap: int, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ResultFormatError(f"{name} must be text")
    return clean_text(value[:cap])


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultFormatError(f"{name} must be a number")
    if not -10**9 < value < 10**9:
        raise ResultFormatError(f"{name} is out of range")
    return int(value)


def _float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultFormatError(f"{name} must be a number")
    return float(value)


def _check(data: Any) -> CheckResult:
    if not isinstance(data, dict):
        raise ResultFormatError("each check must be an object")
    try:
        status = CheckStatus(data.get("status"))
    except ValueError:
        raise ResultFormatError(
            f"unknown check status {str(data.get('status'))[:40]!r}") from None
    return CheckResult(
        id=_text(data.get("id"), MAX_ID, "check id"),
        kind=_text(data.get("kind"), MAX_ID, "check kind"),
        status=status,
        message=_text(data.get("message"), MAX_MESSAGE, "check message"),
        points=_int(data.get("points", 0), "check points"),
        max_points=_int(data.get("max_points", 0), "check max_points"),
    )


def caret_column(col: Any, text: str) -> int | None:
    """``col`` where a caret can stand under ``text`` (on it, or just after it), else None.

    The learner's code can raise ``SyntaxError(…, (file, 1, 10**9, text))``: a column past
    the quoted line points at nothing, and drawn as spaces before a caret it was gigabytes
    in the bot and the dashboard. One rule for the grader, any result parsed and stored
    results."""
    if isinstance(col, int) and not isinstance(col, bool) and 1 <= col <= len(text) + 1:
        return col
    return None


def _cause(data: Any) -> ErrorCause:
    if not isinstance(data, dict):
        raise ResultFormatError("cause must be an object")
    line, col = data.get("line"), data.get("col")
    text = _text(data.get("text"), 500, "cause text")
    return ErrorCause(
        type=_text(data.get("type"), MAX_ID, "cause type") or "Error",
        message=_text(data.get("message"), MAX_MESSAGE, "cause message"),
        line=_int(line, "cause line") if line is not None else None,
        col=caret_column(_int(col, "cause col") if col is not None else None, text),
        text=text,
    )
