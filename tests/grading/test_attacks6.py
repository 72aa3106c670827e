"""Sixth attack round: clients of the grader service that do not read what it writes,
sandbox back-ends that cannot start, and learner exceptions whose point is at the end.

Each test names the class of hole it closes; the attack is the smallest example.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

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
        # the service keeps answering others while the attacker's answers pile up (on
        # connections not kept alive: an idle one stays in server.connections for 15 s)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
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


# ---- sandbox back-ends that cannot start: refused (503), never a crash verdict ------

@contextlib.contextmanager
def _exits_at_once():
    yield ["/bin/sh", "-c", "exit 3"], ()


@pytest.mark.slow
@ASYNC
async def test_a_one_shot_worker_that_cannot_start_leaves_service(curriculum, monkeypatch):
    """``torchdojo grade``'s one-shot pool gave a jail that did not start (or whose
    worker died before its job) 'The sandbox crashed while grading this submission' —
    a verdict on code that never ran. Now it is refused as PoolUnavailable, the
    worker is tried again with back-off, health says so, and once a jail starts
    again jobs run (a dead or spent worker is replaced before a job is sent)."""
    import grader.oneshot as oneshot_module
    from curriculum import Curriculum
    from grader.errors import PoolUnavailable
    from grader.grading import Grader
    from grader.limits import GraderSettings

    monkeypatch.setattr(oneshot_module, "WORKER_RESTART_FIRST_S", 0.2)
    settings = GraderSettings(workers=1)
    pool = oneshot_module.OneShotPool(settings)
    good, pool.launch = pool.launch, _exits_at_once
    exercise = curriculum.get("1.1.1")
    grader = Grader(Curriculum({exercise.id: exercise}), pool, settings)
    try:
        await pool.start()
        with pytest.raises(PoolUnavailable) as refused:
            await grader.grade("1.1.1", exercise.reference)
        assert refused.value.retry_after >= 1 and "did not start" in refused.value.reason
        health = pool.health()
        assert health["status"] == "unavailable" and health["in_service"] == 0, health
        assert "did not start" in health["out_of_service"][0]["reason"]
        with pytest.raises(PoolUnavailable):  # refused at once while it is out
            await grader.grade("1.1.1", exercise.reference)
        await _until(lambda: pool.health()["out_of_service"][0]["attempts"] >= 3,
                     "the worker is tried again")
        assert pool.health()["out_of_service"][0]["last_error"]
        pool.launch = good  # whatever broke the jail is fixed
        await _until(lambda: pool.health()["status"] == "ok", "the worker is back", 180)
        pool._worker.proc.kill()  # dies before its job: replaced, not handed the job
        await _until(lambda: not pool._worker.alive, "the worker is reaped")
        first = await grader.grade("1.1.1", exercise.reference)
        assert first["status"] == "passed", first
        again = await grader.grade("1.1.1", exercise.reference)  # the spent one is replaced
        assert again["status"] == "passed", again
    finally:
        await pool.close()


def _broken_engine(settings, mode: list[str | None]):
    """The deploy tests' fake engine (the Docker SDK's surface, running each
    container's command here), broken the ways an engine breaks while ``mode[0]``
    says so: ``create`` (the engine refuses: out of resources, image removed),
    ``exit`` (the container's command exits before ``ready``), ``silent`` (it never
    says ``ready``)."""
    import docker.errors

    from tests.deploy.fake_engine import FakeContainer, FakeContainers, FakeEngine

    class Container(FakeContainer):
        def _argv(self) -> list[str]:
            broken = {"exit": ["/bin/sh", "-c", "exit 3"], "silent": ["/bin/sleep", "60"]}
            return broken.get(self.mode) or super()._argv()

    class Containers(FakeContainers):
        def create(self, **kwargs):
            if mode[0] == "create":
                raise docker.errors.APIError("500 Server Error: no space left on device")
            container = Container(self.engine, kwargs)
            container.mode = mode[0]
            self.engine.created.append(container)
            self.engine.by_id[container.id] = container
            return container

    engine = FakeEngine(settings)
    engine.containers = Containers(engine)
    return engine


@pytest.mark.slow
@ASYNC
@pytest.mark.parametrize("failure", ["create", "exit", "silent"])
async def test_job_containers_that_cannot_start_take_the_backend_out_of_service(
        curriculum, monkeypatch, failure):
    """The container back-end gave a job whose container the engine could not create,
    start or bring to 'ready' 'The sandbox crashed while grading this submission' (or,
    for an engine error, a 500), recorded by the bot as an attempt. Now the back-end
    leaves service: that job and the next are refused with 503 + Retry-After (the
    bot's client retries them), health says unavailable and why, probe containers
    are tried with back-off, and jobs run again once one starts.

    No Docker engine here: the engine is the deploy tests' fake (the SDK's client
    surface, each container's command run locally), not a fake engine server."""
    import grader.container as container_module
    from bot.grader_client import GraderUnavailable, HTTPGraderClient
    from grader.grading import Grader
    from grader.limits import GraderSettings
    from grader.service import make_app

    monkeypatch.setattr(container_module, "WORKER_RESTART_FIRST_S", 0.2)
    monkeypatch.setattr(container_module, "WORKER_RESTART_MAX_S", 1.0)  # probes: no long waits
    settings = GraderSettings(workers=2, sandbox="docker")
    pool = container_module.ContainerPool(settings, container_module.ContainerSettings(gpu=False))
    mode: list[str | None] = [None]
    pool.client = engine = _broken_engine(pool.container, mode)
    srv = TestServer(make_app(Grader(curriculum, pool, settings)))
    await srv.start_server()  # the start-up probe: a healthy engine
    client = HTTPGraderClient(str(srv.make_url("")))
    reference = curriculum.get("1.1.1").reference
    try:
        pool.container.start_timeout_s = 1.0  # how long a silent container is waited for
        mode[0] = failure
        with pytest.raises(GraderUnavailable) as refused:  # a 503, not a verdict
            await client.grade("1.1.1", reference)
        assert refused.value.retry_after >= 1
        async with aiohttp.ClientSession() as http:
            async with http.post(srv.make_url("/v1/grade"),
                                 json={"exercise": "1.1.1", "code": reference}) as resp:
                assert resp.status == 503 and int(resp.headers["Retry-After"]) >= 1
                assert "cannot start a sandbox" in (await resp.json())["error"]
            async with http.get(srv.make_url("/v1/health")) as resp:
                health = await resp.json()
            assert resp.status == 503 and health["status"] == "unavailable", health
        assert health["in_service"] == 0 and health["out_of_service"][0]["backend"] == "docker"
        await _until(lambda: pool.health()["out_of_service"][0]["attempts"] >= 3,
                     "probe containers are tried again")
        assert pool.jobs_lost == 0  # nothing was lost: nothing ran
        pool.container.start_timeout_s = 120.0  # a real start: a torch import, on a busy box
        mode[0] = None  # the engine is back
        await _until(lambda: pool.health()["status"] == "ok", "the back-end is back", 180)
        result = await client.grade("1.1.1", reference)
        assert result["status"] == "passed", result
        assert all(c.removed for c in engine.created)
    finally:
        await client.close()
        await srv.close()


# ---- a learner's exception whose point is at its end -------------------------------

# A checkpoint loaded into a model whose layers were renamed and whose head changed:
# torch lists 300 missing and 300 unexpected keys (~10,000 characters) and only then
# the size mismatch, the part the learner needs.
LOAD_MISMATCH = """
import torch.nn as nn
def _net(out):
    return nn.Sequential(*[nn.Linear(2, 2) for _ in range(150)], nn.Linear(2, out))
_saved = {(k if k.startswith("150.") else "layer." + k): v
          for k, v in _net(2).state_dict().items()}
_net(3).load_state_dict(_saved)
"""
POINT = ("size mismatch for 150.bias: copying a param with shape torch.Size([2]) from "
         "checkpoint, the shape in current model is torch.Size([3]).")


def test_clip_middle_is_bounded_and_keeps_head_and_tail():
    from grader.sandbox.harness import clip_middle

    for size in range(0, 3000, 37):
        text = "".join(chr(65 + i % 26) for i in range(size))
        for limit in (1, 5, 40, 600):
            clipped = clip_middle(text, limit)
            assert len(clipped) <= limit
            if size <= limit:
                assert clipped == text
            elif limit >= 40:
                head, tail = clipped.split(" …[")[0], clipped.split("cut]… ")[1]
                assert text.startswith(head) and text.endswith(tail) and head and tail
                assert f"[{size - len(head) - len(tail):,} characters cut]" in clipped


def test_a_long_exception_keeps_its_end_and_its_type():
    """Messages were cut to their first 4,000 characters in the sandbox and their first
    300 in a check's verdict (500 in a run error): a state-dict error's size mismatch,
    after its lists of keys, never reached the learner, nor did any sign of the cut.
    Now both keep head and tail around a mark saying how much was cut."""
    from grader.checks import Outcome
    from grader.limits import PROTOCOL
    from grader.sandbox import harness

    with pytest.raises(RuntimeError) as raised:
        exec(LOAD_MISMATCH, {})
    full = str(raised.value)
    assert len(full) > 2 * PROTOCOL.string_chars and full.rstrip().endswith(POINT)
    err = harness.describe_exception(raised.value, PROTOCOL.string_chars)
    assert len(err["message"]) <= PROTOCOL.string_chars and POINT in err["message"]
    shown = Outcome(error=err).describe_error()
    assert shown.startswith("RuntimeError: Error(s) in loading state_dict for Sequential")
    assert POINT in shown and "characters cut]" in shown and len(shown) < 700, shown


@ASYNC
async def test_a_long_run_error_reaches_the_learner_with_its_end(grader, curriculum):
    source = curriculum.get("1.1.1").reference + LOAD_MISMATCH
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "error", result
    message = result["message"]
    assert message.startswith("Your code raised RuntimeError on line"), message
    assert "Error(s) in loading state_dict" in message and POINT in message, message
    assert len(message) < 800, message
