"""The grader's command-line half: ``grade`` and ``grader serve``.

Kept apart from ``bot/cli.py`` so that listing exercises or running the bot
never imports torch; these functions are imported only when called.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from rich.console import Console

from grader.errors import UnknownExercise
from grader.grading import Grader
from grader.jail import SandboxUnavailable

MARK = {"passed": "[green]✓[/]", "failed": "[red]✗[/]", "not_run": "[yellow]·[/]"}
STATUS_STYLE = {"passed": "bold green", "failed": "bold red"}


def render_report(result: dict[str, Any], console: Console) -> None:
    status = result["status"]
    style = STATUS_STYLE.get(status, "bold yellow")
    console.print(f"[{style}]{result['exercise']}: {status.upper()}[/]  "
                  f"score {result['score']}/{result['max_score']}  "
                  f"({result['duration_ms']:.0f} ms, {result['environment'].get('device')})")
    if result.get("message"):
        console.print(f"  {result['message']}", markup=False)
    for check in result["checks"]:
        if check["status"] == "not_run" and status != "passed":
            continue
        mark = MARK.get(check["status"], "?")
        msg = f" — {check['message']}" if check["message"] else ""
        console.print(f"  {mark} {check['id']} [dim]({check['kind']})[/]", end="")
        console.print(msg, markup=False, highlight=False)
    if result.get("stdout"):
        console.print("[dim]--- your output ---[/]")
        console.print(result["stdout"].rstrip()[-2000:], markup=False, highlight=False)
    if "UNSAFE" in result["environment"].get("sandbox", ""):
        console.print("[bold red]UNSAFE: graded without a sandbox[/]")


async def _grade(exercise_id: str, code: bytes, as_json: bool, unsafe: bool) -> dict[str, Any]:
    grader = Grader.from_settings(workers=1, unsafe=unsafe or None)
    console = Console(stderr=True)
    try:
        grader.exercise(exercise_id)
        if as_json or not console.is_terminal:
            await grader.start()
            return await grader.grade(exercise_id, code)
        with console.status("starting the warm sandbox (imports torch once)…") as status:
            await grader.start()
            return await grader.grade(exercise_id, code, progress=lambda m: status.update(m + "…"))
    finally:
        await grader.close()


def grade_command(exercise_id: str, path: str, as_json: bool, unsafe: bool) -> int:
    """Exit 0 passed, 1 not passed, 2 usage error / unknown id."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        code = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()  # noqa: SIM115
    except OSError as exc:
        err.print(f"error: cannot read {path}: {exc.strerror}")
        return 2
    try:
        result = asyncio.run(_grade(exercise_id, code, as_json, unsafe))
    except UnknownExercise as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    except SandboxUnavailable as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        render_report(result, Console(soft_wrap=True))
    return 0 if result["status"] == "passed" else 1


def serve_command(host: str, port: int, workers: int | None, unsafe: bool) -> None:
    import logging

    from aiohttp import web

    from grader.service import make_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    grader = Grader.from_settings(workers=workers, unsafe=unsafe or None)
    web.run_app(make_app(grader), host=host, port=port)
