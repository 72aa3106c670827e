"""``torchdojo`` CLI: exit codes, JSON, stdin, refusing to run unsandboxed, and the
same verdict as the service whether it grades here (one jailed job) or asks a
running service (``GRADER_URL``)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("torchdojo"))


def torchdojo(*args: str, stdin: bytes | None = None, env: dict | None = None):
    environment = {k: v for k, v in os.environ.items() if k != "GRADER_URL"}
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, timeout=180,
                          env={**environment, **(env or {})})


@pytest.fixture(scope="module")
def reference(curriculum, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "zeros.py"
    path.write_text(curriculum.get("1.1.1").reference)
    return path


def test_grade_json_passed_exit_0(reference):
    proc = torchdojo("grade", "1.1.1", str(reference), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "passed" and result["environment"]["sandbox"].startswith("bubble")


def test_grade_stdin_report_not_passed_exit_1(reference):
    wrong = reference.read_text().replace("torch.zeros(5)", "torch.ones(5)").encode()
    proc = torchdojo("grade", "1.1.1", "-", stdin=wrong)
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "1.1.1: FAILED" in out and "zeros_3" in out and "9/10" in out


def test_the_report_never_passes_a_terminal_escape_through(reference):
    """Learner output, an exception message and a check message with escape
    sequences (retitle the window, clear the screen, a hidden link) and a
    right-to-left override: the report shows them as ``?``, never as bytes a
    terminal obeys."""
    evil = "\x1b]0;pwned\x07\x1b[2J\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\\u202e"
    code = reference.read_text() + f"\nprint({evil!r})\nzeros_1 = {evil!r}\n"
    proc = torchdojo("grade", "1.1.1", "-", stdin=code.encode())
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "?]0;pwned" in out and "zeros_1" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    raising = f"raise ValueError({evil!r})\n"
    proc = torchdojo("grade", "1.1.1", "-", stdin=raising.encode())
    assert proc.returncode == 1 and "?[2J" in proc.stdout.decode()
    assert "\x1b" not in proc.stdout.decode()


@pytest.mark.parametrize("args", [("grade", "9.9.9", "-"), ("grade", "1.1.1", "/nonexistent.py"),
                                  ("show", "1.1.77")])
def test_usage_errors_exit_2(args):
    proc = torchdojo(*args, stdin=b"x = 1")
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr


def test_exercises_and_show():
    listing = torchdojo("exercises", "--week", "1")
    assert listing.returncode == 0 and b"1.1.8" in listing.stdout
    shown = torchdojo("show", "1.1.6")
    assert shown.returncode == 0 and b"linspace_10" in shown.stdout


def test_refuses_without_namespaces_unless_unsafe(reference, tmp_path):
    no_bwrap = {"PATH": str(tmp_path)}  # bubblewrap cannot be found
    refused = torchdojo("grade", "1.1.1", str(reference), env=no_bwrap)
    assert refused.returncode == 2
    assert b"Refusing to grade untrusted code" in refused.stderr
    unsafe = torchdojo("grade", "1.1.1", str(reference), "--json", "--unsafe-no-sandbox",
                       env=no_bwrap)
    assert unsafe.returncode == 0, unsafe.stderr
    assert json.loads(unsafe.stdout)["environment"]["sandbox"] == "UNSAFE: no sandbox"


# ------------------------------------------------ a running service, same verdict

ASYNC = pytest.mark.asyncio(loop_scope="session")


async def torchdojo_async(*args: str, env: dict | None = None, stdin: bytes | None = None):
    """The CLI in a subprocess while this event loop keeps serving the test's service."""
    proc = await asyncio.create_subprocess_exec(
        EXE, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, **(env or {})})
    out, err = await asyncio.wait_for(proc.communicate(stdin), 180)
    return proc.returncode, out, err


@ASYNC
async def test_a_running_service_named_by_grader_url_is_used(server, reference):
    before = server.graded
    code, out, err = await torchdojo_async("grade", "1.1.1", str(reference), "--json",
                                           env={"GRADER_URL": str(server.make_url(""))})
    assert code == 0, err
    assert json.loads(out)["status"] == "passed"
    assert server.graded == before + 1


@ASYNC
async def test_unknown_id_through_the_service_is_a_usage_error(server):
    code, _, err = await torchdojo_async("grade", "1.1.99", "-", stdin=b"x = 1",
                                         env={"GRADER_URL": str(server.make_url(""))})
    assert code == 2 and b"unknown exercise" in err and b"Traceback" not in err
    code, _, err = await torchdojo_async("grade", "9.9.9", "-", stdin=b"x = 1",
                                         env={"GRADER_URL": str(server.make_url(""))})
    assert code == 2 and b"`torchdojo exercises` lists them" in err, err  # no near id


def test_an_unreachable_service_falls_back_to_grading_here(reference):
    proc = torchdojo("grade", "1.1.1", str(reference), "--json",
                     env={"GRADER_URL": "http://127.0.0.1:9"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "passed"
    assert b"grading here instead" in proc.stderr


@ASYNC
async def test_the_cli_gives_the_services_verdict(grader, curriculum):
    source = curriculum.get("1.1.1").reference
    for right, wrong in (("zeros_1 = torch.zeros(3, 4)",
                          "zeros_1 = (torch.zeros(0), torch.full((3, 4), 0.0))[1]"),
                         ("zeros_2 = torch.zeros(2, 3, 4)", "zeros_2 = torch.zeros(2, 3)"),
                         ("zeros_3 = torch.zeros(5)", "zeros_3 = torch.ones(5)")):
        source = source.replace(right, wrong)
    service = await grader.grade("1.1.1", source)
    code, out, err = await torchdojo_async("grade", "1.1.1", "-", "--json", stdin=source.encode(),
                                           env={"GRADER_URL": ""})
    local = json.loads(out)
    assert code == 1, err
    assert service["status"] == local["status"] == "failed"
    assert service["score"] == local["score"] == 7

    def verdicts(result):
        return [(c["id"], c["status"], c["kind"], c["message"]) for c in result["checks"]]

    assert verdicts(local) == verdicts(service)


def test_the_progress_bar_follows_the_graders_data():
    import io

    from rich.console import Console

    from grader.cli import ProgressBar

    bar = ProgressBar(Console(file=io.StringIO(), force_terminal=True))
    task = bar.progress.tasks[0]
    bar.report({"stage": "running"})
    assert task.description.startswith("running your code")
    bar.report({"stage": "check", "index": 2, "total": 4, "kind": "train"})
    assert (task.completed, task.total, task.description) == (1, 4, "check 2/4 (train)…")
    for junk in ("judging", {"stage": "check", "index": 9, "total": 4},
                 {"stage": "check", "index": 3, "total": 4, "kind": "<b>x</b>"}):
        bar.report(junk)
    assert task.description == "check 3/4…"  # the bad kind is not shown, the index is
    bar.report({"stage": "judging", "index": 4, "total": 4, "kind": "train"})
    assert task.completed == 4 and task.description.startswith("judging")


@ASYNC
async def test_the_service_stream_reaches_grade_remote(streaming_server, server, reference):
    from grader.cli import grade_remote

    reports: list[dict] = []
    result = await asyncio.to_thread(grade_remote, str(streaming_server.make_url("")), "1.1.1",
                                     reference.read_bytes(), reports.append)
    assert result["status"] == "passed"
    assert reports and reports[0]["stage"] in ("running", "check", "judging")
    # A drill is answered in one piece by the real service: no reports, same result.
    reports.clear()
    result = await asyncio.to_thread(grade_remote, str(server.make_url("")), "1.1.1",
                                     reference.read_bytes(), reports.append)
    assert result["status"] == "passed" and reports == []


@pytest.mark.parametrize(("env", "says"), [
    ({"TORCHDOJO_SANDBOX": "foo"}, "TORCHDOJO_SANDBOX"),
    ({"TORCHDOJO_LIMIT_WALL_S": "-1"}, "TORCHDOJO_LIMIT_WALL_S"),
    ({"TORCHDOJO_MAX_CODE_KB": "0"}, "TORCHDOJO_MAX_CODE_KB"),
    ({"GRADER_URL": "notaurl"}, "GRADER_URL must be an http(s) URL"),
    ({"GRADER_URL": "http://[::1"}, "GRADER_URL must be an http(s) URL"),
])
def test_a_bad_setting_is_one_message_and_exit_2(reference, env, says):
    """Not a traceback, and not exit 1 (which means "not passed")."""
    proc = torchdojo("grade", "1.1.1", str(reference), env=env)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.decode()
    assert says in err and "Traceback" not in err


def test_serve_says_a_bad_setting_or_a_busy_port_at_once():
    import socket

    proc = torchdojo("grader", "serve", "--port", "18431", env={"TORCHDOJO_WORKERS": "abc"})
    assert proc.returncode == 2 and b"TORCHDOJO_WORKERS" in proc.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        proc = torchdojo("grader", "serve", "--port", port)
    assert proc.returncode == 2, proc.stderr
    assert b"Address already in use" in proc.stderr and b"Traceback" not in proc.stderr
