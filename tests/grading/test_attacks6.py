"""Sixth attack round: clients of the grader service that do not read what it writes,
sandbox back-ends that cannot start, and learner exceptions whose point is at the end.

Each test names the class of hole it closes; the attack is the smallest example.
"""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import pytest

from tests.grading.conftest import SharedGrader, serving

ASYNC = pytest.mark.asyncio(loop_scope="session")


# ---- slow readers: the service's answers held in its buffers for ever ----------------

def _handler_tasks() -> set[asyncio.Task]:
    """aiohttp's per-connection tasks (``RequestHandler.start``) alive now."""
    return {t for t in asyncio.all_tasks()
            if getattr(t.get_coro(), "__qualname__", "") == "RequestHandler.start"}


async def _until(condition, what: str, bound_s: float = 90.0) -> None:
    """Polls ``condition``; the bound only stops a hang, it is not a timing."""
    loop = asyncio.get_running_loop()
    end = loop.time() + bound_s
    while not condition():
        if loop.time() > end:
            raise AssertionError(f"never happened within {bound_s:g} s: {what}")
        await asyncio.sleep(0.1)


def _request(method: str, path: str, body: bytes = b"", accept: str = "*/*") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: grader\r\nAccept: {accept}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def _streamed_grading(curriculum) -> bytes:
    """A passing 1.1.1 that prints 8 KB of control characters: its result line is
    ~50 KB (each is ``\\u0001`` in JSON), asked for as an NDJSON stream."""
    code = curriculum.get("1.1.1").reference + "\nimport sys\nsys.stdout.write('\\x01' * 8192)\n"
    body = json.dumps({"exercise": "1.1.1", "code": code}).encode()
    return _request("POST", "/v1/grade", body, accept="application/x-ndjson")


@ASYNC
@pytest.mark.parametrize("reader", ["never-reads", "reads-a-byte-at-a-time"])
@pytest.mark.parametrize("what", ["ndjson-gradings", "json-exercise-lists"])
async def test_a_client_that_does_not_read_is_dropped_and_its_handler_freed(
        grader, curriculum, what, reader):
    """aiohttp writes without a deadline: a client that pipelined requests and never
    read the answers (or read a byte now and then) left the handler waiting in a
    write for ever once the buffers were full — its task, its connection and the
    answers held (and asyncio keeps even a closed connection until its buffer
    drains). Now each write must leave the service within the write timeout, or
    the connection is reset; the service answers others meanwhile, and gradings
    asked for on the dropped connection still end and free their workers."""
    request = _streamed_grading(curriculum) if what == "ndjson-gradings" \
        else _request("GET", "/v1/exercises")
    count = 80 if what == "ndjson-gradings" else 600  # ~4 MB, ~10 MB: past any buffer
    before = _handler_tasks()
    loop = asyncio.get_running_loop()
    async with serving(SharedGrader, grader, stream_after_s=0.0, write_timeout_s=1.0) as srv:
        server = srv.runner.server
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.setblocking(False)
        await loop.sock_connect(client, (srv.host, srv.port))
        sending = asyncio.create_task(loop.sock_sendall(client, request * count))
        reset: list[OSError] = []

        async def read(pause_s: float, size: int) -> None:
            try:
                while await loop.sock_recv(client, size):
                    await asyncio.sleep(pause_s)
            except OSError as exc:
                reset.append(exc)

        trickle = asyncio.create_task(read(0.2, 1)) if reader != "never-reads" else None
        await _until(lambda: server.connections, "the attacker is connected")
        # the service keeps answering others while the attacker's answers pile up
        async with aiohttp.ClientSession() as http:
            async with http.get(srv.make_url("/v1/health")) as resp:
                assert resp.status == 200, await resp.text()
            await _until(lambda: not server.connections and not (_handler_tasks() - before),
                         "the stalled connection is dropped and its handler ends")
            async with http.post(srv.make_url("/v1/grade"), json={
                    "exercise": "1.1.1", "code": curriculum.get("1.1.1").reference}) as resp:
                assert (await resp.json())["status"] == "passed"
        sending.cancel()
        if trickle is not None:
            trickle.cancel()
        await read(0.0, 1 << 16)  # what the kernel had taken, then the reset
        assert reset and isinstance(reset[0], ConnectionResetError), reset  # not a polite end
        client.close()
    # gradings taken on the dropped connection ended: no worker stays busy
    await _until(lambda: grader.pool.health()["idle"] == grader.pool.size, "workers idle")
