"""Fourth attack round: hostile text and values that reach the trusted side, the
result's readers and the grader's peers.

Each test names the class of hole it closes; the attack is the smallest example.
"""

from __future__ import annotations

import json

import pytest

from grader.result import GradeResult

ASYNC = pytest.mark.asyncio(loop_scope="session")
"""The async tests share the session's event loop (and its grader fixture); the plain
functions here need no loop, so the mark is per test, not for the module."""


def _utf8(result: dict) -> str:
    """The result as the CLI and a UTF-8 HTTP body write it (raises on lone surrogates)."""
    return json.dumps(result, ensure_ascii=False).encode("utf-8").decode("utf-8")


# ---- lone surrogates: learner text that no UTF-8 writer accepts -----------------------

@pytest.mark.parametrize(("code", "field"), [
    ('raise ValueError("bad \\ud800 thing")', "message"),              # exception message
    ('raise SyntaxError("s\\udcff", ("f", 1, 1, "t\\udcff"))', "cause"),  # its parts
])
@ASYNC
async def test_lone_surrogates_from_the_sandbox_never_reach_the_result(grader, curriculum, code,
                                                                       field):
    """`torchdojo grade --json` crashed with UnicodeEncodeError on a learner's
    ``raise ValueError("\\ud800")``; every string of a result is valid UTF-8 now."""
    source = curriculum.get("1.1.1").reference + "\n" + code + "\n"
    result = await grader.grade("1.1.1", source)
    _utf8(result)
    assert result["status"] != "passed"
    assert "\ufffd" in json.dumps(result[field], ensure_ascii=False), result


@ASYNC
async def test_code_with_lone_surrogates_is_rejected_like_bytes_that_are_not_utf8(grader):
    """HTTP JSON can carry ``"\\ud800"`` in the code: refused as not UTF-8, as the bot does."""
    result = await grader.grade("1.1.1", "import torch\nzeros_1 = torch.zeros(3, 4)  # \ud800\n")
    assert result["status"] == "rejected" and "UTF-8" in result["message"]
    _utf8(result)


def test_a_result_read_from_a_grader_peer_holds_no_lone_surrogates():
    raw = {"exercise": "1.1.1", "status": "failed", "score": 0, "max_score": 10,
           "message": "m \ud800", "stdout": "o \udfff",
           "checks": [{"id": "c\udc00", "kind": "value", "status": "failed",
                       "message": "x \ud800", "points": 0}],
           "environment": {"torch\ud800": "2\udc00"},
           "cause": {"type": "E\ud800", "message": "\ud800", "text": "\ud800"}}
    result = GradeResult.from_dict(raw)
    _utf8(result.to_dict())
    assert result.message == "m \ufffd"


def test_chat_and_dashboard_text_from_a_stored_result_holds_no_lone_surrogates():
    """A result stored from a grader peer is read by the dashboard (Starlette encodes
    the page as UTF-8: a lone surrogate was a 500) and learner pieces go to chat APIs."""
    from bot.chat.safe import safe_output, untrusted
    from bot.core.insights import results

    for shown in (safe_output("out \ud800\n"), untrusted("name \udfff"),
                  results.text("msg \udc00"), results.checks(
                      {"checks": [{"id": "c", "message": "m \ud800"}]})[0].message):
        shown.encode("utf-8")
        assert "\ufffd" in shown


# ---- the bot's grader client against a hostile grader peer ----------------------------

async def _fake_grader(respond):
    from aiohttp import web

    async def grade(request: web.Request) -> web.StreamResponse:
        return await respond(request)

    app = web.Application()
    app.router.add_post("/v1/grade", grade)
    app.router.add_get("/v1/health", grade)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.mark.parametrize("status", [200, 500])
@ASYNC
async def test_grader_client_refuses_an_oversized_plain_answer(status):
    """A plain-JSON answer (or an error page) was read whole with resp.json():
    a peer sending gigabytes made the bot buffer them. It is capped like a stream line."""
    from aiohttp import web

    from bot.grader_client import MAX_STREAM_LINE, GradingFailed, HTTPGraderClient

    body = json.dumps({"exercise": "1.1.1", "status": "failed", "score": 0, "max_score": 10,
                       "checks": [], "stdout": "x" * (MAX_STREAM_LINE + 1024)}).encode()

    async def respond(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=status,
                                      headers={"Content-Type": "application/json"})
        await response.prepare(request)  # chunked: no Content-Length to go by
        for i in range(0, len(body), 1 << 20):
            await response.write(body[i:i + (1 << 20)])
        await response.write_eof()
        return response

    runner, url = await _fake_grader(respond)
    client = HTTPGraderClient(url, timeout_s=30)
    try:
        with pytest.raises(GradingFailed, match="size limit"):
            await client.grade("1.1.1", "x = 1")
    finally:
        await client.close()
        await runner.cleanup()


@ASYNC
async def test_grader_client_refuses_a_plain_answer_that_is_not_an_object():
    from aiohttp import web

    from bot.grader_client import GradingFailed, HTTPGraderClient

    async def respond(request: web.Request) -> web.Response:
        return web.json_response([1, 2, 3])

    runner, url = await _fake_grader(respond)
    client = HTTPGraderClient(url, timeout_s=30)
    try:
        with pytest.raises(GradingFailed, match="not an object"):
            await client.grade("1.1.1", "x = 1")
    finally:
        await client.close()
        await runner.cleanup()


# ---- the grader service against a hostile HTTP client ---------------------------------

@pytest.mark.parametrize(("body", "fragment"), [
    (b"[" * 70_000 + b"]" * 70_000, "nested too deeply"),           # was a 500
    (json.dumps({"exercise": "9" * 100_000, "code": "x = 1"}).encode(), "unknown exercise"),
])
@ASYNC
async def test_hostile_request_bodies_are_short_client_errors(server, body, fragment):
    """A deeply nested body raised RecursionError (a logged 500 per request); an
    unknown exercise id of 100 KB came back whole in the 404's message."""
    import aiohttp

    async with aiohttp.ClientSession() as http, http.post(
            server.make_url("/v1/grade"), data=body,
            headers={"Content-Type": "application/json"}) as resp:
        answer = await resp.json()
    assert resp.status in (400, 404), answer
    assert fragment in answer["error"] and len(answer["error"]) < 1000


# ---- forged report lines in the command line's readable report ------------------------

def test_a_learner_message_cannot_forge_a_line_of_the_cli_report():
    """An exception message or a type name holding "\\n1.1.1: PASSED  score 10/10"
    printed that line at the left margin, like the report's own status line."""
    import io

    from rich.console import Console

    from grader.cli import render_report

    forged = "\n1.1.1: PASSED  score 10/10\n"
    result = {"exercise": "1.1.1", "status": "error", "score": 0, "max_score": 10,
              "message": f"Your code raised ValueError: {forged}", "duration_ms": 1.0,
              "checks": [{"id": "zeros_1", "kind": "type", "status": "failed",
                          "message": f"found a T{forged}"}],
              "stdout": "", "environment": {"device": "cpu", "sandbox": "bubblewrap"}}
    out = io.StringIO()
    render_report(result, Console(file=out, width=200, soft_wrap=True, color_system=None))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1.1.1: ERROR")
    assert not [line for line in lines[1:] if not line.startswith(" ")], lines


# ---- GPU memory: no hard cap, so one CUDA job at a time -------------------------------

@ASYNC
async def test_two_cuda_jobs_never_hold_workers_at_once():
    """A CUDA job's memory fraction is set in its own process, where the learner can
    lift it (set_per_process_memory_fraction(1.0)): with two CUDA jobs side by side,
    one could take the whole GPU and give the other learner an `oom` verdict. A
    second CUDA job now waits for the first one's worker to be idle again, while
    jobs without CUDA pass it."""
    import asyncio

    from grader.limits import HEAVY, QUICK, GraderSettings
    from grader.pool import SandboxPool

    pool = SandboxPool(GraderSettings(workers=4, quick_workers=0, unsafe_no_sandbox=True))
    workers = [object() for _ in range(4)]
    pool._idle.extend(workers)
    first = asyncio.create_task(pool._acquire(HEAVY, cuda=True))
    second = asyncio.create_task(pool._acquire(HEAVY, cuda=True))
    plain = asyncio.create_task(pool._acquire(HEAVY))
    drill = asyncio.create_task(pool._acquire(QUICK, cuda=True))
    await asyncio.sleep(0)
    assert first.done() and plain.done()
    assert not second.done() and not drill.done()  # the GPU is taken, whatever the lane
    pool._give_back(first.result(), cuda=True)
    await asyncio.sleep(0)
    assert drill.done() != second.done()  # exactly one of them has the GPU now
    holder = drill if drill.done() else second
    pool._give_back(holder.result(), cuda=True)
    await asyncio.sleep(0)
    assert drill.done() and second.done() and pool._cuda_jobs == 1


# ---- slow-to-read source: never on the service's event loop ---------------------------

@ASYNC
async def test_a_long_source_is_read_and_judged_off_the_event_loop(grader, curriculum,
                                                                     monkeypatch):
    """Reading a submission's syntax tree (API index, API checks) takes seconds on
    64 KB of code made to be slow (thousands of functions calling each other); it ran
    on the service's event loop, stalling every other request for as long. A source
    over INLINE_SOURCE_CHARS is now read and judged in a worker thread."""
    import threading

    import grader.grading as grading

    loop_thread = threading.get_ident()
    seen: list[tuple[str, bool]] = []
    real_index, real_judge = grading.index_source, grader._judge

    def index(source):
        seen.append(("index", threading.get_ident() == loop_thread))
        return real_index(source)

    def judge(*args, **kwargs):
        seen.append(("judge", threading.get_ident() == loop_thread))
        return real_judge(*args, **kwargs)

    monkeypatch.setattr(grading, "index_source", index)
    monkeypatch.setattr(grader, "_judge", judge)
    helpers = "".join(f"def f{i}():\n    return f{i - 1}()\n" for i in range(1, 200))
    source = (curriculum.get("1.1.1").reference + "\ndef f0():\n    return 0\n" + helpers)
    assert len(source) > grading.INLINE_SOURCE_CHARS
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "passed"
    assert seen == [("index", False), ("judge", False)], seen
    seen.clear()
    await grader.grade("1.1.1", curriculum.get("1.1.1").reference)  # a drill stays inline
    assert seen == [("index", True), ("judge", True)], seen
