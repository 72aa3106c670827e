"""The embedded grader process (bot/local_grader.py): started warm, graded
through over its Unix socket, replaced when it dies (the grading in between is
"grader unavailable", so the submission waits), no secrets handed to it, and
nothing left behind on close."""

from __future__ import annotations

import os
import signal
import stat
import sys
from pathlib import Path

import pytest

from bot.grader_client import GraderUnavailable
from bot.local_grader import LocalGraderClient, grader_environment

pytestmark = pytest.mark.slow

ZEROS = (Path(__file__).parents[2] / "curriculum/week1/1.1.1.ref.py").read_text()


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def test_the_grader_process_gets_no_secrets() -> None:
    env = grader_environment({"PATH": "/usr/bin", "DISCORD_TOKEN": "d", "SLACK_BOT_TOKEN": "s",
                              "SLACK_SIGNING_SECRET": "x", "DATABASE_URL": "postgresql://u:p@h/db",
                              "DASHBOARD_SECRET": "k", "AWS_SECRET_ACCESS_KEY": "a",
                              "TORCHDOJO_GRADER_WORKERS": "2", "HOME": "/root"})
    assert env == {"PATH": "/usr/bin", "TORCHDOJO_GRADER_WORKERS": "2", "HOME": "/root"}


@pytest.mark.asyncio(loop_scope="module")
async def test_grades_restarts_after_a_crash_and_cleans_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "bot-secret-token")
    client = LocalGraderClient(workers=1)
    try:
        await client.start()
        assert client.running and client.starts == 1
        pid = client.proc.pid
        assert "DISCORD_TOKEN" not in _environ(pid)
        socket_dir = client.socket_path.parent
        assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(client.socket_path.stat().st_mode) == 0o600

        # A grading longer than half a second streams its progress (a quicker
        # one is answered in one piece).
        progress = []
        result = await client.grade("1.1.1", ZEROS + "\nimport time\ntime.sleep(0.8)\n",
                                    progress.append)
        assert result["status"] == "passed", result
        assert progress and progress[0].stage == "running"
        assert (await client.health())["status"] == "ok"

        # The grader process dies (OOM killer, a crash): the next grading starts
        # a new one and is answered; nothing is left waiting for the dead one.
        os.kill(pid, signal.SIGKILL)
        await client.proc.wait()
        result = await client.grade("1.1.1", ZEROS)
        assert result["status"] == "passed"
        assert client.starts == 2 and client.proc.pid != pid
    finally:
        await client.close()
    assert not socket_dir.exists()
    assert client.proc is None


class Broken(LocalGraderClient):
    def command(self) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit(3)"]


@pytest.mark.asyncio(loop_scope="module")
async def test_a_grader_that_cannot_start_is_unavailable_not_fatal() -> None:
    client = Broken(start_timeout_s=30)
    try:
        with pytest.raises(GraderUnavailable, match=r"grader process exited with code 3"):
            await client.start()
        # Retried after a back-off, not on every grading in between.
        with pytest.raises(GraderUnavailable) as again:
            await client.grade("1.1.1", ZEROS)
        assert client.starts == 1 and again.value.retry_after > 0
    finally:
        await client.close()
