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
    follow = await grader.grade("1.1.1", curriculum.get("1.1.1").reference)
    assert follow["status"] == "passed", follow
