"""Fifth attack round: the grader's own resources — a worker that cannot be
restarted, a client that trickles its request, a result that grows when judged.

Each test names the class of hole it closes; the attack is the smallest example.
"""

from __future__ import annotations

import textwrap

import pytest
import torch

from grader.limits import PROTOCOL
from grader.sandbox import harness

CAPS = PROTOCOL.for_child()
SMALL = {**CAPS, "blob_bytes": 4096, "elements": 1024}


# ---- small dtypes widened by a judge: a per-frame element cap --------------------------

def _frame(values: list[dict], blobs: list[bytes]) -> bytes:
    return harness.pack_frame({"v": {"__list__": values}}, blobs)


def test_the_element_cap_is_a_quarter_of_the_payload_cap():
    """64 MB of bool/uint8 results became 512 MB once a judge widened them to
    float64; a frame carries at most blob_bytes / 4 elements (float32 fills both)."""
    assert PROTOCOL.elements * 4 == PROTOCOL.blob_bytes


def test_a_frame_of_more_elements_than_the_cap_is_result_too_large():
    small = harness.unpack_frame(_frame([_tensor("torch.bool", 1024, 0)], [bytes(1024)]), SMALL)
    assert harness.decode(small[0]["v"], small[1], SMALL)[0].numel() == 1024
    frame = _frame([_tensor("torch.bool", 2048, 0)], [bytes(2048)])  # 2 KB: under blob_bytes
    with pytest.raises(harness.ResultTooLarge, match=r"too large.*2,048 elements"):
        harness.unpack_frame(frame, SMALL)
    header = {"v": _tensor("torch.uint8", 2048, 0)}  # decode holds its own call to the cap
    with pytest.raises(harness.ResultTooLarge):
        harness.decode(header["v"], [bytes(2048)], SMALL)


def test_one_payload_named_by_many_tensors_is_counted_each_time():
    """Each tensor node copied the payload it names: one 1 KB payload named by
    10,000 nodes was 10 MB (and 64 MB named 10,000 times, 640 GB)."""
    values = [_tensor("torch.float32", 256, 0) for _ in range(100)]
    frame = _frame(values, [bytes(1024)])
    with pytest.raises(harness.ResultTooLarge):
        harness.unpack_frame(frame, SMALL)
    with pytest.raises(harness.ResultTooLarge):
        harness.decode({"__list__": values}, [bytes(1024)], SMALL)
    # tensor gradients count too
    grad = {**_tensor("torch.float32", 256, 0), "grad": _tensor("torch.float32", 256, 0)}
    with pytest.raises(harness.ResultTooLarge):
        harness.decode({"__list__": [grad] * 3}, [bytes(1024)], SMALL)


def test_an_honest_value_over_the_cap_is_a_clear_error_and_the_next_still_fits():
    enc = harness.Encoder(SMALL)
    with pytest.raises(harness.ProbeError, match="too large to send back"):
        enc.encode(torch.zeros(2048, dtype=torch.bool))
    with pytest.raises(harness.ProbeError, match="too large to send back"):
        enc.encode(__import__("numpy").zeros(2048, dtype="u1"))
    tree = enc.encode(torch.ones(1000, dtype=torch.uint8))  # the refused one left nothing
    assert enc.elements == 1000
    frame = harness.pack_frame({"v": tree}, enc.blobs)
    header, blobs = harness.unpack_frame(frame, SMALL)
    assert harness.decode(header["v"], blobs, SMALL).sum() == 1000


def test_a_probe_dropped_for_the_header_gives_its_elements_back():
    """A probe whose data does not fit the header loses its blobs, and with them
    the elements they held: later probes of the same job still fit."""
    enc = harness.Encoder(SMALL)
    enc.encode(torch.zeros(600, dtype=torch.bool))
    budget = harness._HeaderBudget({**SMALL, "header_bytes": harness._HeaderBudget.RESERVE_BYTES
                                    + 200})
    mark = len(enc.blobs)
    tree = enc.encode(torch.zeros(400, dtype=torch.bool))
    budget.admit({"ok": tree, "pad": "x" * 400}, enc, mark)
    assert enc.elements == 600 and len(enc.blobs) == 1
    enc.encode(torch.zeros(400, dtype=torch.bool))


def _tensor(dtype: str, n: int, blob: int) -> dict:
    return {"__tensor__": dtype, "shape": [n], "device": "cpu", "requires_grad": False,
            "is_leaf": True, "class": "Tensor", "blob": blob}


def _forged(tensor: dict, times: int, blob_size: int) -> str:
    """Learner code writing a forged frame to its result pipe: ``tensor`` ``times``
    over as zeros_1's value, and one zero payload of ``blob_size`` bytes."""
    return textwrap.dedent(f"""
        import json, os, struct
        value = {{"__list__": [{tensor!r}] * {times}}}
        header = json.dumps({{"kind": "result", "error": None, "blob_sizes": [{blob_size}],
                             "probes": {{"zeros_1": {{"ok": value}}}}}}).encode()
        frame = struct.pack(">I", len(header)) + header + bytes({blob_size})
        view = memoryview(struct.pack(">Q", len(frame)) + frame)
        while view:
            view = view[os.write(3, view):]
        os._exit(0)
    """)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("tensor", "times", "blob_size"), [
    (_tensor("torch.uint8", 32 * 2**20, 0), 1, 32 * 2**20),     # 32 MB of uint8: 256 MB f64
    (_tensor("torch.bool", 2**20, 0), 2_000, 2**20),            # 1 MB named 2,000 times
], ids=["uint8-32MB", "one-payload-2000-times"])
async def test_forged_results_too_large_to_judge_are_a_plain_error(grader, curriculum, tensor,
                                                                   times, blob_size):
    source = curriculum.get("1.1.1").reference + "\n" + _forged(tensor, times, blob_size)
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "error" and result["score"] == 0, result
    assert "too large" in result["message"], result["message"]
    assert "malformed" not in result["message"], result["message"]  # too many, not forged
    follow = await grader.grade("1.1.1", curriculum.get("1.1.1").reference)
    assert follow["status"] == "passed", follow


# ---- slowloris: the HTTP service's connections held open by trickled bytes ------------

async def _trickle(writer, data: bytes, sent: list[int], answered=None) -> None:
    """Writes ``data`` a byte every 0.1 s until the server closes the connection or,
    with ``answered`` (an event), until the server's answer has begun to arrive."""
    import asyncio

    for i in range(len(data)):
        if answered is not None and answered.is_set():
            return
        try:
            writer.write(data[i:i + 1])
            await writer.drain()
        except (ConnectionError, RuntimeError):
            return
        sent[0] += 1
        await asyncio.sleep(0.1)


async def _served_meanwhile(srv) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(srv.make_url("/v1/health")) as resp:
        assert resp.status == 200, await resp.text()


@pytest.mark.asyncio(loop_scope="session")
async def test_a_trickled_body_is_cut_off_while_other_requests_are_served(grader):
    """aiohttp has no timeout for a request body: a client sending 1,000 declared bytes
    at one a second held a connection (and its handler) for 17 minutes, and enough of
    them every socket. A body must arrive within HTTP_BODY_TIMEOUT_S: else 408, closed."""
    import asyncio

    from tests.grading.conftest import SharedGrader, serving

    async with serving(SharedGrader, grader, body_timeout_s=1.0) as srv:
        reader, writer = await asyncio.open_connection(srv.host, srv.port)
        writer.write(b"POST /v1/grade HTTP/1.1\r\nHost: grader\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        sent = [0]
        answered = asyncio.Event()
        trickling = asyncio.create_task(_trickle(writer, b" " * 1000, sent, answered))

        async def read_answer() -> bytes:
            # the trickler stops at the answer's first byte, as a client does: a byte sent
            # after the server's close would be answered by a reset dropping the answer
            first = await reader.read(1)
            answered.set()
            return first + await reader.read()

        reading = asyncio.create_task(read_answer())
        await _served_meanwhile(srv)
        answer = await asyncio.wait_for(reading, 120)  # the bound only stops a hang
        trickling.cancel()
        writer.close()
        status = answer.split(b"\r\n", 1)[0]
        assert b" 408 " in status and b"did not arrive within 1 s" in answer, answer
        # cut off before the body was complete, and closed with the answer: not read for
        # aiohttp's 10 s of lingering close (a byte every 0.1 s: ~110 bytes by then)
        assert sent[0] < 60, sent
        await _served_meanwhile(srv)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("first", [b"", b"GET /v1/health HTTP/1.1\r\nHost: grader\r\n\r\n"],
                         ids=["headers", "idle-after-a-request"])
async def test_trickled_headers_and_idle_connections_are_closed(grader, first):
    """Headers trickled a byte at a time (or a kept-alive connection left idle) held
    their connection for aiohttp's 75 s keep-alive at least; HTTP_HEADER_TIMEOUT_S
    closes it."""
    import asyncio

    from tests.grading.conftest import SharedGrader, serving

    async with serving(SharedGrader, grader, header_timeout_s=1.0) as srv:
        reader, writer = await asyncio.open_connection(srv.host, srv.port)
        sent = [0]
        if first:
            writer.write(first)
            line = await reader.readline()
            assert b" 200 " in line, line
            await reader.readuntil(b"\r\n\r\n")  # the rest of the headers
            trickling = None
        else:
            trickling = asyncio.create_task(_trickle(
                writer, b"GET /v1/health HTTP/1.1\r\nX-Slow: " + b"a" * 4000, sent))
        await _served_meanwhile(srv)
        rest = await asyncio.wait_for(reader.read(), 120)  # the bound only stops a hang
        assert b"HTTP/1.1" not in rest  # closed, nothing answered (the body of the 200 aside)
        if trickling is not None:
            trickling.cancel()
            assert sent[0] < 4000
        writer.close()
