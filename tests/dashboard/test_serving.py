"""Serving the dashboard: inside the console (free localhost port, a sign-in
link for the demo instructor, the chat command pointing at it, the
environment put back afterwards), as a service that refuses to start without
a secret, and the scale benchmark end to end in smoke mode."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from bot.chat.handler import ChatHandler, Incoming
from bot.core.types import Role
from bot.dashboard.serve import SECRET_FILE, start_console_dashboard

from .conftest import Seeded

SESSION_LOOP = pytest.mark.asyncio(loop_scope="session")
BENCH = Path(__file__).parents[2] / "benchmarks" / "bench_dashboard.py"


@SESSION_LOOP
async def test_console_serves_the_dashboard_and_prints_a_link(
        world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DASHBOARD_SECRET", raising=False)
    monkeypatch.setenv("DASHBOARD_URL", "https://elsewhere.example")
    seeded = await Seeded(world).build()
    said: list[str] = []
    dash = await start_console_dashboard(SimpleNamespace(dojo=world.dojo), said.append,
                                         tmp_path, platform="test", channel_id="c1")
    assert dash is not None
    try:
        link = re.search(r"http://127\.0\.0\.1:\d+/signin/\S+", said[0]).group(0)  # type: ignore[union-attr]
        secret_file = tmp_path / SECRET_FILE
        assert secret_file.stat().st_mode & 0o777 == 0o600
        assert os.environ["DASHBOARD_SECRET"] == secret_file.read_text()
        async with httpx.AsyncClient() as client:  # a real socket, like a browser
            page = await client.get(link)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            signed = await client.post(link, data={"csrf": csrf})
            assert signed.status_code == 303
            overview = await client.get(str(signed.next_request.url))  # type: ignore[union-attr]
            assert overview.status_code == 200 and "Torch Evenings" in overview.text
        # /dojo dashboard typed in the console points at this server
        (reply,) = await ChatHandler(world.dojo).handle(Incoming(
            "test", "c1", "coach", "Coach", "/dojo dashboard", Role.instructor))
        assert link.split("/signin/")[0] + "/signin/" in reply.text
    finally:
        await dash.stop()
    assert os.environ["DASHBOARD_URL"] == "https://elsewhere.example"
    assert "DASHBOARD_SECRET" not in os.environ
    assert seeded.cohort_id


def test_service_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/x.sqlite3"
    exe = Path(sys.executable).with_name("torchdojo")
    proc = subprocess.run([str(exe), "dashboard", "serve", "--port", "0"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "DASHBOARD_SECRET" in proc.stderr
    assert "Traceback" not in proc.stderr
    env["DASHBOARD_SECRET"] = "too-short"
    proc = subprocess.run([str(exe), "dashboard", "serve"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "at least 32 characters" in proc.stderr


@SESSION_LOOP
async def test_benchmark_smoke_mode() -> None:
    spec = importlib.util.spec_from_file_location("bench_dashboard", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = bench.parse_args(["--smoke", "--no-postgres"])
    result = await bench.main_async(args)
    sq = result["sqlite"]
    assert sq["cells"] == args.members * args.exercises
    for key in ("overview_week", "overview_all", "exercise_view", "submission_view"):
        assert sq[key]["n"] >= 1 and sq[key]["html_kb"] > 0
