"""Every status the grader returns reaches the member with its own wording,
end to end: real sandboxed gradings of 1.1.1 through the console adapter (the
same chat layer and notices as Discord and Slack). Before the one result type,
the limit statuses came out as "could not be graded: unreadable result"."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.adapters.console import Console, group_messages
from bot.chat.render import STATUS_WORDING
from bot.config import load_settings
from bot.core.clock import ManualClock
from bot.db import Submission
from bot.runtime import Runtime
from grader.result import Status

from .conftest import T0

pytestmark = pytest.mark.asyncio(loop_scope="session")  # the warm pool's loop
ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "curriculum/week1/1.1.1.ref.py").read_text()
SUBMISSIONS: dict[Status, str] = {
    Status.passed: REFERENCE,
    Status.failed: "import torch\n" + "".join(f"zeros_{k} = torch.ones(3)\n" for k in range(1, 11)),
    Status.error: "import torch\nzeros_1 = torch.zeros((3, 4)\n",
    Status.timeout: "import time\ntime.sleep(60)\n",
    Status.oom: "hog = bytearray(6 * 1024 ** 3)\n",
    Status.output_limit: "print('x' * 10_000_000)\n",
    Status.file_limit: "with open('/tmp/big', 'wb') as f:\n    f.write(b'0' * (40 << 20))\n",
    Status.process_limit: (
        "import threading, time\n"
        "threads = [threading.Thread(target=time.sleep, args=(3,)) for _ in range(300)]\n"
        "for t in threads:\n    t.start()\n"),
    # refused by the grader before it runs (the chat layer refuses NUL bytes itself)
    Status.rejected: "zeros_1 = " + "+".join(["0"] * 2000) + "\n",
}


@pytest.mark.slow  # a timeout takes its 5 s; the rest are quick
async def test_every_status_is_worded_for_the_member(tmp_path: Path,
                                                     grader_client: Any) -> None:
    assert set(SUBMISSIONS) == set(Status)
    rt = await Runtime.start(
        load_settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3",
        grader=grader_client, clock=ManualClock(T0))
    out = io.StringIO()
    console = Console(rt, out=out, output_dir=tmp_path)
    try:
        await console.ensure_demo()
        limited = (await rt.grader.health()).get("cgroups") == "unavailable"
        for status, code in SUBMISSIONS.items():
            if status is Status.process_limit and limited:
                continue  # no pids cgroup on this machine: nothing caps threads for root
            start = len(out.getvalue())
            lines = ["/dojo submit 1.1.1", "```python", *code.splitlines(), "```"]
            await console.run(group_messages(lines), echo=False)
            said = out.getvalue()[start:]
            icon, word, _ = STATUS_WORDING[status]
            assert f"{icon} #" in said and f": {word} " in said, (status, said)
            assert "could not be graded" not in said
        async with rt.dojo.db.session() as s:
            graded = (await s.scalars(select(Submission.result_status)
                                      .order_by(Submission.id))).all()
        expected = [s.value for s in SUBMISSIONS
                    if not (s is Status.process_limit and limited)]
        assert list(graded) == expected
        text = out.getvalue()
        assert "SyntaxError on line 2" in text and "^" in text  # cause first, with a caret
        assert "printed more than" in text
    finally:
        await rt.close()


@pytest.mark.slow  # one real 5.1.1 training grading (a second or two)
async def test_a_training_grading_shows_its_checks_as_it_goes(
        tmp_path: Path, grader_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The grader's per-check reports (data from the trusted side) edit the
    member's "⏳ grading…" message before the verdict replaces it."""
    from bot.adapters import console as console_module

    # The console delivers progress between polls; a busy machine (CI running
    # beside it) must not let the training check start and end between two.
    monkeypatch.setattr(console_module, "PROGRESS_POLL_S", 0.05)
    rt = await Runtime.start(
        load_settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/p.sqlite3",
        grader=grader_client, clock=ManualClock(T0))
    rt.dojo.queue.progress_after_s = 0.0
    rt.dojo.queue.progress_every_s = 0.05
    out = io.StringIO()
    console = Console(rt, out=out, output_dir=tmp_path)
    try:
        await console.ensure_demo()
        code = (ROOT / "curriculum/week5/5.1.1.ref.py").read_text()
        lines = ["/dojo submit 5.1.1", "```python", *code.splitlines(), "```"]
        await console.run(group_messages(lines), echo=False)
        said = out.getvalue()
        assert "training check" in said and "/5…" in said, said
        assert "✅ #1 `5.1.1`" in said, said
        progress_at = said.index("training check")
        verdict_at = said.index("✅ #1 `5.1.1`")
        assert progress_at < verdict_at  # the verdict is the last word
        assert "grading: " not in said[verdict_at:]
    finally:
        await rt.close()
