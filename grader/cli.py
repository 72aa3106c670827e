"""The grader's command-line half: ``grade`` and ``grader serve``.

Kept apart from ``bot/cli.py`` so that listing exercises or running the bot
never imports torch; these functions are imported only when called.

``torchdojo grade ID FILE`` answers in about the time of one torch import:

- with ``GRADER_URL`` set (e.g. ``http://127.0.0.1:8080`` for a local
  ``torchdojo grader serve``), it asks that service — warm, so the answer
  takes milliseconds — and falls back to grading here, with a note, when
  the service cannot be reached or fails;
- otherwise it runs one jailed job (:mod:`grader.oneshot`): the jail is
  spawned first and imports torch in its own process while this one loads
  torch and just the one exercise for the judge. Same jail, limits and
  judge as the service, so the same verdict.

On a terminal (and without ``--json``) a rich progress bar follows the
grading, from the grader's progress data (``check 2/4 (train)``), locally or
from the service's NDJSON stream; ``--json`` output is unchanged.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from grader.errors import PoolUnavailable, UnknownExercise
from grader.jail import SandboxUnavailable
from grader.limits import SettingsError, load_grader_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from curriculum import Exercise

MARK = {"passed": "[green]✓[/]", "failed": "[red]✗[/]", "not_run": "[yellow]·[/]"}
STATUS_STYLE = {"passed": "bold green", "failed": "bold red"}
SERVICE_TIMEOUT_S = 300.0
NDJSON = "application/x-ndjson"
#: Longest line read from the service's stream (the result line included).
MAX_STREAM_LINE = 16 * 1024 * 1024
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}")
#: Control characters (ESC among them) and bidirectional controls: in a
#: terminal, learner output holding them could clear the screen, retitle the
#: window, plant a hyperlink or reorder the report around it.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                      "\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """Learner text as a terminal may show it: every control character but
    newline and tab becomes ``?`` (rich passes escape sequences through)."""
    return _CONTROL.sub("?", text)


def inert_item(text: str) -> str:
    """:func:`inert` for a message inside the report: its further lines are
    indented under it, so none can pass for a line of the report itself (an
    exception message "\\n1.1.1: PASSED  score 10/10")."""
    return inert(text).replace("\n", "\n      ")


def render_report(result: dict[str, Any], console: Console) -> None:
    status = result["status"]
    style = STATUS_STYLE.get(status, "bold yellow")
    console.print(f"[{style}]{result['exercise']}: {status.upper()}[/]  "
                  f"score {result['score']}/{result['max_score']}  "
                  f"({result['duration_ms']:.0f} ms, {result['environment'].get('device')})")
    if result.get("message"):
        console.print(f"  {inert_item(result['message'])}", markup=False, highlight=False)
    for check in result["checks"]:
        if check["status"] == "not_run" and status != "passed":
            continue
        mark = MARK.get(check["status"], "?")
        msg = f" — {inert_item(check['message'])}" if check["message"] else ""
        console.print(f"  {mark} {check['id']} [dim]({check['kind']})[/]", end="")
        console.print(msg, markup=False, highlight=False)
    if result.get("stdout"):
        console.print("[dim]--- your output ---[/]")
        console.print(inert(result["stdout"].rstrip()[-2000:]), markup=False,
                      highlight=False)
    if "UNSAFE" in result["environment"].get("sandbox", ""):
        console.print("[bold red]UNSAFE: graded without a sandbox[/]")


class ProgressBar:
    """The grading's progress as a rich bar: ``check i/n (kind)``.

    Fed the grader's progress dicts (stage, index, total, kind); anything
    else is ignored. Only the kind, checked to be a short identifier, is
    shown, never text from the submission.
    """

    def __init__(self, console: Console) -> None:
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 BarColumn(), MofNCompleteColumn(), console=console,
                                 transient=True)
        self.task = self.progress.add_task("starting the sandbox (imports torch)…", total=None)

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def report(self, report: Any) -> None:
        if not isinstance(report, dict):
            return
        stage, index, total = report.get("stage"), report.get("index"), report.get("total")
        kind = report.get("kind")
        kind = kind if isinstance(kind, str) and kind.isidentifier() and len(kind) <= 20 else ""
        numbered = (type(index) is int and type(total) is int and 0 < index <= total <= 1000)
        if stage == "running":
            self.progress.update(self.task, description="running your code…")
        elif stage == "check" and numbered:
            what = f" ({kind})" if kind else ""
            self.progress.update(self.task, total=total, completed=index - 1,
                                 description=f"check {index}/{total}{what}…")
        elif stage == "judging":
            self.progress.update(self.task, description="judging the results…",
                                 **({"total": total, "completed": index} if numbered else {}))


# ------------------------------------------------------------- the service


class ServiceFailed(RuntimeError):
    """The grader service could not grade (unreachable, busy, broken): grade here."""


def grade_remote(base_url: str, exercise_id: str, code: bytes,
                 progress: Any = None) -> dict[str, Any]:
    """POST /v1/grade to a running grader service (stdlib HTTP: nothing heavy to import).

    With ``progress``, asks for the NDJSON stream and passes each progress
    report on as it arrives.
    """
    try:
        text = code.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ServiceFailed("the file is not UTF-8 (the service takes text)") from exc
    body = json.dumps({"exercise": exercise_id, "code": text}).encode()
    headers = {"Content-Type": "application/json"}
    if progress is not None:
        headers["Accept"] = NDJSON
    request = urllib.request.Request(f"{base_url.rstrip('/')}/v1/grade", data=body,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=SERVICE_TIMEOUT_S) as resp:
            if resp.headers.get_content_type() == NDJSON:
                result = _read_stream(resp, progress)
            else:
                result = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        answer = _json_or_empty(exc.read())
        if exc.code == 404 and "suggestions" in answer:
            raise UnknownExercise(exercise_id, answer.get("suggestions") or []) from None
        raise ServiceFailed(f"HTTP {exc.code}: {answer.get('error', exc.reason)}") from None
    except (OSError, ValueError) as exc:  # URLError, timeouts, a non-JSON answer
        raise ServiceFailed(str(getattr(exc, "reason", exc))) from None
    if not isinstance(result, dict) or "status" not in result:
        raise ServiceFailed("the answer is not a grading result")
    return result


def _read_stream(resp: Any, progress: Any) -> dict[str, Any]:
    """The service's NDJSON answer: progress lines to ``progress``, then the result."""
    while True:
        line = resp.readline(MAX_STREAM_LINE + 1)
        if not line or len(line) > MAX_STREAM_LINE:
            raise ServiceFailed("the service's answer ended before the result")
        data = json.loads(line)  # ValueError: an unreadable answer
        if not isinstance(data, dict):
            raise ServiceFailed("the answer is not a grading result")
        if "progress" in data:
            if progress is not None:
                progress(data["progress"])
            continue
        if "error" in data:
            raise ServiceFailed(str(data["error"])[:200])
        if isinstance(data.get("unavailable"), dict):  # refused after the stream began
            raise ServiceFailed(str(data["unavailable"].get("error"))[:200])
        return data.get("result")  # type: ignore[return-value]


def _json_or_empty(data: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(data)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


# ------------------------------------------------------------- one local job


def load_one(exercise_id: str) -> Exercise:
    """Just this exercise's files (fast); the whole curriculum only to suggest ids."""
    from curriculum.loader import ROOT, load_curriculum, load_exercise

    if _ID.fullmatch(exercise_id):
        for path in sorted(ROOT.glob(f"week*/{exercise_id}.yaml")):
            return load_exercise(path)
    curriculum = load_curriculum()
    exercise = curriculum.get(exercise_id)
    if exercise is None:
        raise UnknownExercise(exercise_id, curriculum.closest(exercise_id))
    return exercise


async def grade_local(exercise_id: str, code: bytes, unsafe: bool,
                      progress: Any = None) -> dict[str, Any]:
    from grader.oneshot import OneShotPool, may_need_dynamo

    exercise = load_one(exercise_id)
    settings = load_grader_settings(workers=1)
    if unsafe:
        settings.unsafe_no_sandbox = True
    needs_dynamo = (may_need_dynamo(code.decode("utf-8", "replace"), exercise.reference,
                                    exercise.checks_source or "")
                    or any(check.kind != "tensor" for check in exercise.checks))
    pool = OneShotPool(settings, preload_dynamo=needs_dynamo)
    try:
        await pool.start()  # the jail imports torch from now on, in parallel with us
        from curriculum import Curriculum
        from grader.grading import Grader  # torch, for the reference and the judge

        grader = Grader(Curriculum({exercise.id: exercise}), pool, settings)  # type: ignore[arg-type]
        return await grader.grade(exercise.id, code, progress=progress)
    finally:
        await pool.close()


async def _grade_here(exercise_id: str, code: bytes, as_json: bool, unsafe: bool
                      ) -> dict[str, Any]:
    console = Console(stderr=True)
    if as_json or not console.is_terminal:
        return await grade_local(exercise_id, code, unsafe)
    with ProgressBar(console) as bar:
        return await grade_local(exercise_id, code, unsafe, progress=bar.report)


def grade_command(exercise_id: str, path: str, as_json: bool, unsafe: bool,
                  prepare: Callable[[bytes], bytes] | None = None) -> int:
    """Exit 0 passed, 1 not passed, 2 usage error / unknown id / no sandbox to run in.

    ``prepare`` turns the file's bytes into the code graded (the bot's CLI takes off an
    indent every line shares, as chat does). Once torch has been imported here, the
    process ends in this function (see :func:`_leave`) instead of returning.
    """
    return _leave(_grade_command(exercise_id, path, as_json, unsafe, prepare))


def _leave(code: int) -> int:
    """Ends the process now if it holds torch: the interpreter's teardown of
    torch takes ~0.5 s and does nothing we need (the jail, its cgroup and the
    event loop are already closed; the output is flushed here)."""
    if "torch" not in sys.modules:
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _grade_command(exercise_id: str, path: str, as_json: bool, unsafe: bool,
                   prepare: Callable[[bytes], bytes] | None) -> int:
    err = Console(stderr=True, soft_wrap=True)
    try:
        code = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        err.print(f"error: cannot read {path}: {exc.strerror}", markup=False)
        return 2
    if prepare is not None:
        code = prepare(code)
    try:
        result = None
        url = os.environ.get("GRADER_URL")
        if url and not unsafe and not _http_url(url):
            err.print(f"error: GRADER_URL must be an http(s) URL with a host, like "
                      f"http://127.0.0.1:8080; found {url!r}", markup=False)
            return 2
        if url and not unsafe:
            try:
                if as_json or not err.is_terminal:
                    result = grade_remote(url, exercise_id, code)
                else:
                    with ProgressBar(err) as bar:
                        bar.progress.update(bar.task, description="asking the grader service…")
                        result = grade_remote(url, exercise_id, code, progress=bar.report)
            except ServiceFailed as exc:
                err.print(f"note: the grader service at {url} did not grade this ({exc}); "
                          "grading here instead", markup=False)
        if result is None:
            result = asyncio.run(_grade_here(exercise_id, code, as_json, unsafe))
    except UnknownExercise as exc:
        more = "" if exc.suggestions else " `torchdojo exercises` lists them."
        err.print(f"error: {exc}{more}", markup=False)
        return 2
    except (SandboxUnavailable, SettingsError) as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    except PoolUnavailable as exc:  # the jail did not start: the code never ran, no verdict
        err.print(f"error: {exc} ({exc.reason})" if exc.reason else f"error: {exc}",
                  markup=False)
        return 2
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        render_report(result, Console(soft_wrap=True))
    return 0 if result["status"] == "passed" else 1


def _http_url(url: str) -> bool:
    try:
        parsed = urllib.parse.urlsplit(url)
        return parsed.scheme in ("http", "https") and bool(parsed.hostname) and (
            parsed.port is None or parsed.port > 0)
    except ValueError:  # "http://[::1" or a port out of range
        return False


class ServeError(RuntimeError):
    """``grader serve`` cannot start: a setting or the address (one line, exit code 2)."""


def _listening_socket(host: str, port: int, unix: str | None) -> Any:
    """The service's socket, bound before the pool warms up (seconds), so that a port in
    use or a bad socket path is said at once."""
    import socket

    try:
        if unix:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(unix)
            os.chmod(unix, 0o600)  # only this user reaches it
            return sock
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        return sock
    except OSError as exc:
        where = unix or f"{host}:{port}"
        raise ServeError(f"cannot listen on {where}: {exc.strerror or exc}") from None


def serve_command(host: str, port: int, workers: int | None, unsafe: bool,
                  unix: str | None = None) -> None:
    """Serve until stopped; on ``unix`` (a socket path, made 0600) instead of
    ``host:port`` when given. Raises :class:`ServeError` for a bad setting or address."""
    import logging

    from aiohttp import web

    from grader.grading import Grader
    from grader.service import make_app

    logging.basicConfig(level=logging.WARNING if unix else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")
    try:
        load_grader_settings()
    except SettingsError as exc:
        raise ServeError(str(exc)) from None
    sock = _listening_socket(host, port, unix)
    grader = Grader.from_settings(workers=workers, unsafe=unsafe or None,
                                  separate_references=True)
    if unix:
        # The bot's own grader: its stderr is the bot's log; no line per request.
        web.run_app(make_app(grader), sock=sock, print=None, access_log=None)
        return
    web.run_app(make_app(grader), sock=sock)
