"""The sandbox protocol: values survive encoding; forged payloads are refused.

Everything in a result frame comes from the learner's process, so the
decoder must turn any deviation from the grammar or the limits into the one
documented error, :class:`harness.ProtocolError` — never another exception
(which would reach the service as an HTTP 500) and never a large allocation.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest
import torch

from grader.limits import PROTOCOL
from grader.sandbox import harness

CAPS = PROTOCOL.for_child()


def roundtrip(value):
    enc = harness.Encoder(CAPS)
    tree = enc.encode(value)
    frame = harness.pack_frame({"v": tree}, enc.blobs)
    header, blobs = harness.unpack_frame(frame, CAPS)
    return harness.decode(header["v"], blobs, CAPS)


def raw_frame(header: bytes, blobs: bytes = b"") -> bytes:
    return struct.pack(">I", len(header)) + header + blobs


@pytest.mark.parametrize("value", [
    torch.arange(12).reshape(3, 4),
    torch.rand(2, 3, dtype=torch.float64),
    torch.tensor([True, False]),
    torch.zeros(0, 3),
    torch.tensor(3.5),
    torch.randn(4, dtype=torch.bfloat16),
    torch.randn(3, dtype=torch.complex64),
    torch.tensor([complex(math.nan, 1.0), complex(math.inf, -math.inf)]),
])
def test_tensors_roundtrip(value):
    out = roundtrip(value)
    assert out.dtype == value.dtype and out.shape == value.shape
    assert torch.equal(out.view(torch.uint8) if out.is_complex() else out,
                       value.view(torch.uint8) if value.is_complex() else value)


def test_grad_and_flags_travel_with_the_tensor():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward()
    out = roundtrip(x)
    assert out.meta.requires_grad and out.meta.is_leaf
    assert torch.equal(out.meta.grad, torch.tensor([2.0, 4.0]))


def test_containers_and_scalars_roundtrip():
    value = {"a": [1, 2.5, None, True], "b": (np.arange(3), "s"), 3: float("inf"),
             "dt": torch.float16, "np": np.float32(1.5), "dev": torch.device("cpu"),
             "text": np.array(["ab", "c"])}
    out = roundtrip(value)
    assert out["a"] == [1, 2.5, None, True]
    assert np.array_equal(out["b"][0], np.arange(3)) and out["b"][1] == "s"
    assert out[3] == float("inf") and out["dt"] is torch.float16
    assert out["np"] == np.float32(1.5) and out["dev"] == torch.device("cpu")
    assert list(out["text"]) == ["ab", "c"]


@pytest.mark.parametrize("value", [complex(math.nan, 1.0), complex(2.0, math.nan),
                                   complex(math.inf, -math.inf), 1 + 2j])
def test_complex_numbers_roundtrip_with_nan_and_inf(value):
    out = roundtrip(value)
    assert isinstance(out, complex)
    for got, want in ((out.real, value.real), (out.imag, value.imag)):
        assert (math.isnan(got) and math.isnan(want)) or got == want


def test_unknown_objects_are_opaque():
    out = roundtrip(object())
    assert isinstance(out, harness.Opaque) and out.type_name == "object"


@pytest.mark.parametrize("value", [
    torch.quantize_per_tensor(torch.rand(3), 0.1, 0, torch.quint8),
    np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]),
    np.zeros(2, dtype="V8"),
])
def test_types_the_protocol_does_not_carry_are_refused_in_the_sandbox(value):
    with pytest.raises(harness.ProbeError) as info:
        harness.Encoder(CAPS).encode(value)
    assert "cannot be checked" in str(info.value)


def test_object_arrays_are_refused():
    with pytest.raises(harness.ProbeError):
        harness.Encoder(CAPS).encode(np.array([object()], dtype=object))


def test_forged_shape_is_refused():
    enc = harness.Encoder(CAPS)
    tree = enc.encode(torch.zeros(12))
    tree["shape"] = [3, 4, 5]
    with pytest.raises(harness.ProtocolError):
        harness.decode(tree, enc.blobs, CAPS)


@pytest.mark.parametrize("tree", [
    {"__device__": "bogus"},
    {"__device__": ["cpu"]},
    {"__dtype__": "manual_seed"},
    {"__dtype__": "__class__"},
    {"__tensor__": "torch.qint8", "shape": [0], "blob": 0},
    {"__tensor__": "torch.quint4x2", "shape": [0], "blob": 0},
    {"__tensor__": "torch.float32", "shape": [2**62, 2**62, 0], "blob": 0},
    {"__tensor__": "torch.float32", "shape": [2**31 - 1, 2**31 - 1, 0], "blob": 0},
    {"__tensor__": "torch.float32", "shape": [-1], "blob": 0},
    {"__tensor__": "torch.float32", "shape": [True], "blob": 0},
    {"__tensor__": "torch.float32", "shape": [1.5], "blob": 0},
    {"__tensor__": "torch.float32", "shape": [0] * 200, "blob": 0},
    {"__tensor__": "torch.float32", "shape": [0], "blob": 7},
    {"__tensor__": "torch.float32", "shape": [0], "blob": 0, "grad": [1]},
    {"__tensor__": "torch.float32", "shape": [0], "blob": 0, "device": {"x": 1}},
    {"__ndarray__": "V1000000000", "shape": [0], "blob": 0},
    {"__ndarray__": "|V8", "shape": [0], "blob": 0},
    {"__ndarray__": [["a", "<f8"]], "shape": [0], "blob": 0},
    {"__ndarray__": "(1000000000,)f8", "shape": [0], "blob": 0},
    {"__ndarray__": "O", "shape": [0], "blob": 0},
    {"__ndarray__": "<U99999", "shape": [0], "blob": 0},
    {"__npscalar__": "V1000000000", "value": 0},
    {"__npscalar__": "<f8", "value": {"__list__": []}},
    {"__npscalar__": "|i1", "value": 100000},
    {"__complex__": [None, 1.0]},
    {"__complex__": [1.0]},
    {"__float__": 3},
    {"__float__": "1" * 1000},
    {"__dict__": [[{"__list__": [{"__list__": []}]}, 1]]},
    {"__dict__": [[1, 2, 3]]},
    {"__list__": {"a": 1}},
    {"__object__": 5},
    {"nothing": "known"},
    [1, 2, 3],
])
def test_forged_values_are_a_protocol_error(tree):
    blobs = [b""]
    with pytest.raises(harness.ProtocolError):
        harness.decode(tree, blobs, CAPS)


@pytest.mark.parametrize("data", [
    b"", b"\x00\x00", b"\x00\x00\x00\x10{}",
    harness.pack_frame({"a": 1}, []) + b"junk",
    raw_frame(b"[1, 2]"),
    raw_frame(b"{\"blob_sizes\": [5]}"),
    raw_frame(b"{\"blob_sizes\": \"5\"}"),
    raw_frame(b"{\"a\": \xff}"),
    raw_frame(b"{\"a\": " + b"9" * 5000 + b"}"),
    raw_frame(b"{\"a\": " + b"[" * 900 + b"]" * 900 + b"}"),
    raw_frame(b"{\"a\": " + b"{\"b\": " * 900 + b"1" + b"}" * 900 + b"}"),
    raw_frame(b"{\"a\": " + b"[" * 200_000 + b"]" * 200_000 + b"}"),
    raw_frame(b"{\"a\": [" + b"0," * 20_000 + b"0]}"),
    raw_frame(b"{\"a\": \"" + b"x" * 10_000 + b"\"}"),
    raw_frame(json.dumps({"a": [[i] for i in range(9_000)] * 15}).encode()),
])
def test_malformed_frames_are_a_protocol_error(data):
    with pytest.raises(harness.ProtocolError):
        harness.unpack_frame(data, CAPS)


def test_an_oversized_header_is_refused_before_it_is_parsed():
    """120 MB of ``[],`` (3 GB and 15 s in json.loads) is refused by its declared size."""
    header = b'{"kind": "result", "probes": {"x": {"ok": [' + b"[]," * 40_000_000 + b"[]]}}}"
    with pytest.raises(harness.ProtocolError, match="over the limit"):
        harness.unpack_frame(raw_frame(header), CAPS)


@pytest.mark.parametrize("header", [
    {"kind": "result", "probes": [1, 2]},
    {"kind": "result", "probes": {"x": 5}},
    {"kind": "result", "probes": {"x": {"neither": 1}}},
])
def test_malformed_result_headers_are_a_protocol_error(header):
    with pytest.raises(harness.ProtocolError):
        harness.result_header(header)


def test_result_header_errors_are_rebuilt_with_typed_fields():
    header = harness.result_header({
        "kind": "result",
        "error": {"type": ["x"], "message": 5, "frames": [1, {"line": "7", "code": 3}],
                  "errno": "28", "line": 4},
        "probes": {"a": {"error": "plain text"}, "b": {"ok": 1}},
    })
    err = header["error"]
    assert err == {"type": "Error", "message": "", "frames": [{"line": None, "code": ""}],
                   "line": 4}
    assert header["probes"]["a"]["error"]["message"] == "plain text"
    assert header["probes"]["b"] == {"ok": 1}


def test_an_honest_answer_too_large_for_the_header_is_a_clear_probe_error():
    """The sandbox keeps the frame decodable: the oversized probe fails on its own."""
    source = "big = [\"x\" * 4000] * 1000\nsmall = 3\n"
    job = {"source": source, "seed": 0, "limits": {"protocol": CAPS},
           "probes": [{"id": "big", "op": "get", "name": "big"},
                      {"id": "small", "op": "get", "name": "small"}]}
    header, blobs = harness.unpack_frame(harness.execute(job, []), CAPS)
    header = harness.result_header(header)
    assert "too large" in header["probes"]["big"]["error"]["message"]
    assert harness.decode(header["probes"]["small"]["ok"], blobs, CAPS) == 3
