"""The sandbox protocol: values survive encoding; forged payloads are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.sandbox import harness


def roundtrip(value):
    enc = harness.Encoder()
    tree = enc.encode(value)
    frame = harness.pack_frame({"v": tree}, enc.blobs)
    header, blobs = harness.unpack_frame(frame)
    return harness.decode(header["v"], blobs)


@pytest.mark.parametrize("value", [
    torch.arange(12).reshape(3, 4),
    torch.rand(2, 3, dtype=torch.float64),
    torch.tensor([True, False]),
    torch.zeros(0, 3),
    torch.tensor(3.5),
    torch.randn(4, dtype=torch.bfloat16),
    torch.randn(3, dtype=torch.complex64),
])
def test_tensors_roundtrip(value):
    out = roundtrip(value)
    assert out.dtype == value.dtype and out.shape == value.shape
    assert torch.equal(out, value)


def test_grad_and_flags_travel_with_the_tensor():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward()
    out = roundtrip(x)
    assert out.meta.requires_grad and out.meta.is_leaf
    assert torch.equal(out.meta.grad, torch.tensor([2.0, 4.0]))


def test_containers_and_scalars_roundtrip():
    value = {"a": [1, 2.5, None, True], "b": (np.arange(3), "s"), 3: float("inf"),
             "dt": torch.float16, "np": np.float32(1.5)}
    out = roundtrip(value)
    assert out["a"] == [1, 2.5, None, True]
    assert np.array_equal(out["b"][0], np.arange(3)) and out["b"][1] == "s"
    assert out[3] == float("inf") and out["dt"] is torch.float16
    assert out["np"] == np.float32(1.5)


def test_unknown_objects_are_opaque():
    out = roundtrip(object())
    assert isinstance(out, harness.Opaque) and out.type_name == "object"


def test_forged_shape_is_refused():
    enc = harness.Encoder()
    tree = enc.encode(torch.zeros(12))
    tree["shape"] = [3, 4, 5]
    with pytest.raises(harness.ProbeError):
        harness.decode(tree, enc.blobs)


@pytest.mark.parametrize("data", [b"", b"\x00\x00", b"\x00\x00\x00\x10{}",
                                  harness.pack_frame({"a": 1}, []) + b"junk"])
def test_malformed_frames_are_refused(data):
    with pytest.raises((harness.ProbeError, ValueError)):
        harness.unpack_frame(data)


def test_object_arrays_are_refused():
    with pytest.raises(harness.ProbeError):
        harness.Encoder().encode(np.array([object()], dtype=object))
