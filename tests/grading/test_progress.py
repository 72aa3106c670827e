"""Per-check progress (issue 14): reported as data by the trusted side, from a
probe count the sandbox may forge but never use to change a verdict.

The child writes one byte on fd 4 per probe it starts; the zygote counts,
caps and rate-limits; the pool checks the count again; the grader names the
check from the exercise's YAML. Learner code here writes junk to fd 4, floods
it, closes it or makes it blocking: the verdict stays what it is without that.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from bot.grader_client import (
    GradeProgress,
    GraderUnavailable,
    GradingFailed,
    HTTPGraderClient,
    UnknownExercise,
)
from grader.grading import progress_kind
from grader.pool import Worker
from grader.sandbox import harness
from tests.grading.conftest import SharedGrader, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXERCISE = "1.1.1"


async def _graded(grader, code: str) -> tuple[dict, list[dict]]:
    reports: list[dict] = []
    result = await grader.grade(EXERCISE, code, progress=reports.append)
    return result, reports


def _check_reports_are_sane(reports: list[dict], exercise) -> None:
    total = len(exercise.checks)
    kinds = [progress_kind(c) for c in exercise.checks]
    assert reports[0] == {"stage": "running"}
    stages = [r["stage"] for r in reports]
    assert "judging" in stages and stages.index("judging") > max(
        (i for i, s in enumerate(stages) if s == "check"), default=0)
    checks = [r for r in reports if r["stage"] == "check"]
    indexes = [r["index"] for r in checks]
    assert indexes == sorted(set(indexes)), indexes  # strictly increasing
    for r in checks:
        assert 1 <= r["index"] <= total and r["total"] == total
        assert r["kind"] == kinds[r["index"] - 1]
    judged = [r for r in reports if r["stage"] == "judging" and "index" in r]
    assert [r["index"] for r in judged] == list(range(1, total + 1))
    for r in reports:  # every report is one the bot reads
        assert GradeProgress.from_report(r) is not None


async def test_an_honest_grading_reports_checks_then_judging(grader, curriculum):
    exercise = curriculum.get(EXERCISE)
    result, reports = await _graded(grader, exercise.reference)
    assert result["status"] == "passed"
    _check_reports_are_sane(reports, exercise)
    assert any(r["stage"] == "check" for r in reports)  # the first probe is always sent


@pytest.mark.parametrize("sabotage", [
    "import os\nos.write(4, bytes(range(256)) * 64)\n",                 # junk
    "import os\nfor _ in range(40):\n    try:\n        os.write(4, b'x' * 65536)\n"
    "    except OSError:\n        pass\n",                                # a flood past the cap
    "import os\nos.close(4)\n",                                           # closed
    "import os\nos.set_blocking(4, True)\n",                              # made blocking
    "import os\nr, w = os.pipe()\nos.dup2(r, 4)\n",                       # replaced
    "import os, signal\nfor _ in range(40):\n    try:\n        os.write(4, b'x' * 65536)\n"
    "    except OSError:\n        pass\n"
    "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n",                    # then SIGPIPE armed
])
async def test_forged_progress_never_changes_a_verdict(grader, curriculum, sabotage):
    exercise = curriculum.get(EXERCISE)
    honest, _ = await _graded(grader, exercise.reference)
    result, reports = await _graded(grader, exercise.reference + "\n" + sabotage)
    assert result["status"] == honest["status"] == "passed", result
    assert result["score"] == honest["score"]
    assert [c["status"] for c in result["checks"]] == [c["status"] for c in honest["checks"]]
    _check_reports_are_sane(reports, exercise)


async def test_a_failing_progress_callback_does_not_fail_the_grading(grader, curriculum):
    def broken(_report: dict) -> None:
        raise RuntimeError("display gone")

    result = await grader.grade(EXERCISE, curriculum.get(EXERCISE).reference, progress=broken)
    assert result["status"] == "passed"


async def test_the_pool_drops_counts_out_of_order_or_range():
    """What the zygote forwards is checked again: only increasing ints within the total."""
    worker = Worker(0, launch=None, cgroup=None)  # type: ignore[arg-type]

    class Proc:
        stdout = asyncio.StreamReader()

    frames = [{"kind": "progress", "done": d} for d in (2, 1, 2, "3", 9, True, 3, None)]
    for f in [*frames, {"kind": "done", "out_len": 0, "res_len": 0}]:
        Proc.stdout.feed_data(harness.pack_frame(f, []))
    worker.proc = Proc  # type: ignore[assignment]
    seen: list[int] = []
    header, _ = await worker._read_result(3, seen.append)
    assert seen == [2, 3] and header["kind"] == "done"


# ------------------------------------------------------------------ HTTP


async def _ndjson(server, body: dict) -> tuple[int, str, list[dict]]:
    async with aiohttp.ClientSession() as http, http.post(
            server.make_url("/v1/grade"), json=body,
            headers={"Accept": "application/x-ndjson"}) as resp:
        text = await resp.text()
        lines = [json.loads(x) for x in text.splitlines() if x.strip()] \
            if resp.content_type == "application/x-ndjson" else [json.loads(text)]
        return resp.status, resp.content_type, lines


class ChattyGrader(SharedGrader):
    """A grading of 0.8 s that reports 200 steps (an honest grading's reports,
    faster than any stream should carry them)."""

    async def grade(self, exercise_id, code, *, seed=None, progress=None):
        assert progress is not None
        progress({"stage": "running"})
        for i in range(200):
            await asyncio.sleep(0.004)
            progress({"stage": "check", "index": i + 1, "total": 200, "kind": "train"})
        return {"exercise": exercise_id, "status": "passed"}


async def test_a_quick_grading_is_answered_in_one_piece(server, curriculum):
    """A drill is over before a stream would start: one plain JSON answer, even
    when the client asked for a stream (clients read both)."""
    exercise = curriculum.get(EXERCISE)
    status, ctype, lines = await _ndjson(server, {"exercise": EXERCISE,
                                                  "code": exercise.reference})
    assert (status, ctype) == (200, "application/json")
    assert lines[0]["status"] == "passed"


async def test_streamed_grading_sends_progress_then_the_result(streaming_server, curriculum):
    exercise = curriculum.get(EXERCISE)
    status, ctype, lines = await _ndjson(streaming_server, {"exercise": EXERCISE,
                                                            "code": exercise.reference})
    assert status == 200 and ctype == "application/x-ndjson"
    assert len(lines) >= 2
    assert all(set(x) == {"progress"} for x in lines[:-1]) and set(lines[-1]) == {"result"}
    assert lines[-1]["result"]["status"] == "passed"
    for x in lines[:-1]:  # every line is one the bot reads
        assert GradeProgress.from_report(x["progress"]) is not None


async def test_a_stream_carries_the_newest_report_not_every_report(grader):
    """200 reports in 0.8 s: the stream sends a few lines, each newer than the
    one before, and the result — not 200 writes and 200 wake-ups."""
    async with serving(ChattyGrader, grader, stream_after_s=0.2) as srv:
        status, ctype, lines = await _ndjson(srv, {"exercise": EXERCISE, "code": "x = 1"})
    assert status == 200 and ctype == "application/x-ndjson"
    steps = [x["progress"] for x in lines[:-1]]
    assert lines[-1] == {"result": {"exercise": EXERCISE, "status": "passed"}}
    assert 1 <= len(steps) < 50  # 201 reports (more lines only on a very slow machine)
    indexes = [s.get("index", 0) for s in steps]  # "running" has none
    assert indexes == sorted(set(indexes))  # each line newer than the one before


async def test_streamed_refusals_keep_their_status_codes(server):
    status, ctype, lines = await _ndjson(server, {"exercise": "9.9.9", "code": "x = 1"})
    assert (status, ctype) == (404, "application/json") and "unknown" in lines[0]["error"]
    status, ctype, lines = await _ndjson(server, {"exercise": EXERCISE})
    assert (status, ctype) == (400, "application/json")


async def test_without_the_accept_header_the_answer_is_plain_json(server, curriculum):
    async with aiohttp.ClientSession() as http, http.post(
            server.make_url("/v1/grade"),
            json={"exercise": EXERCISE, "code": curriculum.get(EXERCISE).reference}) as resp:
        assert resp.content_type == "application/json"
        assert (await resp.json())["status"] == "passed"


async def _client_grades(srv, curriculum) -> tuple[dict, list[GradeProgress]]:
    """A drill through the bot's HTTP client; also, an unknown id is refused."""
    client = HTTPGraderClient(str(srv.make_url("")))
    steps: list[GradeProgress] = []
    try:
        result = await client.grade(EXERCISE, curriculum.get(EXERCISE).reference,
                                    progress=steps.append)
        with pytest.raises(UnknownExercise):
            await client.grade("9.9.9", "x = 1")
    finally:
        await client.close()
    return result, steps


async def test_the_http_client_forwards_progress(streaming_server, curriculum):
    result, steps = await _client_grades(streaming_server, curriculum)
    assert result["status"] == "passed"
    # the newest report when the stream starts: "running", or a check already
    assert steps and all(step.stage in ("running", "check", "judging") for step in steps)


async def test_the_http_client_reads_a_quick_answer_in_one_piece(server, curriculum):
    result, steps = await _client_grades(server, curriculum)
    assert result["status"] == "passed" and steps == []


# --------------------------------------------- the client against a bad server


async def _fake(respond) -> tuple[web.AppRunner, str]:
    async def grade(request: web.Request) -> web.StreamResponse:
        return await respond(request)

    app = web.Application()
    app.router.add_post("/v1/grade", grade)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def _streaming(*chunks: bytes, cut: bool = False):
    async def respond(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await resp.prepare(request)
        for chunk in chunks:
            await resp.write(chunk)
        if cut:  # the connection goes away mid-answer
            request.transport.close()  # type: ignore[union-attr]
            return resp
        await resp.write_eof()
        return resp

    return respond


PROGRESS = b'{"progress": {"stage": "check", "index": 1, "total": 2, "kind": "train"}}\n'
RESULT = json.dumps({"result": {"exercise": "1.1.1", "status": "passed"}}).encode() + b"\n"


@pytest.mark.parametrize(("respond", "expect"), [
    (_streaming(PROGRESS, RESULT), "ok"),
    (_streaming(PROGRESS[:10], PROGRESS[10:], RESULT[:5], RESULT[5:]), "ok"),  # split lines
    (_streaming(PROGRESS, cut=True), "retry"),                     # cut before the result
    (_streaming(PROGRESS), "retry"),                               # ended without a result
    (_streaming(PROGRESS, b"<html>\n"), "retry"),                  # an unreadable line
    (_streaming(b'{"progress": 1, "result": {}}\n'), "retry"),     # two keys
    (_streaming(b'{"error": "boom"}\n'), "retry"),                 # the grader failed
    (_streaming(b"x" * (17 * 1024 * 1024)), "retry"),              # a line over the cap
    (_streaming(b'{"progress": {"stage": "check"}}\n' * 10_001, RESULT), "retry"),  # a flood
    (_streaming(b'{"progress": {"stage": "<b>hi</b>"}}\n', RESULT), "ok"),  # junk: not shown
])
async def test_the_http_client_classifies_a_broken_stream(respond, expect):
    runner, url = await _fake(respond)
    client = HTTPGraderClient(url, timeout_s=30)
    steps: list[GradeProgress] = []
    try:
        if expect == "ok":
            result = await client.grade(EXERCISE, "x = 1", progress=steps.append)
            assert result["status"] == "passed"
            assert all(s.stage in ("check", "running", "judging") for s in steps)
        else:
            with pytest.raises(GradingFailed) as info:
                await client.grade(EXERCISE, "x = 1", progress=steps.append)
            assert info.value.retry is True
    finally:
        await client.close()
        await runner.cleanup()


async def test_the_http_client_still_reads_status_codes_first():
    async def busy(_request: web.Request) -> web.Response:
        return web.json_response({"error": "busy"}, status=503, headers={"Retry-After": "2"})

    runner, url = await _fake(busy)
    client = HTTPGraderClient(url, timeout_s=30)
    try:
        with pytest.raises(GraderUnavailable) as info:
            await client.grade(EXERCISE, "x = 1")
        assert info.value.retry_after == 2
    finally:
        await client.close()
        await runner.cleanup()
