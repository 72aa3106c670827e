"""Fuzzing the trusted decoder with frames built from the protocol's own grammar.

Values are generated, encoded by the sandbox's :class:`harness.Encoder` and
framed by ``pack_frame`` — the frames an honest sandbox sends — and then
mutated: JSON-level (a subtree replaced by a hostile one drawn from the same
grammar's tags with wrong types, sizes and names) or byte-level (flips,
cuts, insertions, a forged length). Whatever arrives, decoding either
returns values within the limits or raises the one documented error,
:class:`harness.ProtocolError`.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.limits import PROTOCOL
from grader.sandbox import harness

CAPS = PROTOCOL.for_child()
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TORCH_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
                torch.int32, torch.int8, torch.uint8, torch.bool, torch.complex64]
TAGS = ["__list__", "__tuple__", "__dict__", "__float__", "__complex__", "__tensor__",
        "__ndarray__", "__npscalar__", "__dtype__", "__device__", "__object__"]
NAMES = ["torch.float32", "torch.qint8", "torch.quint4x2", "torch.bits8", "float32", "<f8",
         "|b1", "V8", "V1000000000", "<U4", "O", "(3,)f8", "cpu", "cuda:0", "cuda:99999",
         "cpu:0:1", "ipu", "bogus", "manual_seed", "__class__", "nan", "inf", "-1e999", ""]


@st.composite
def tensors(draw):
    dtype = draw(st.sampled_from(TORCH_DTYPES))
    shape = draw(st.lists(st.integers(0, 3), max_size=3))
    value = torch.zeros(shape, dtype=torch.float64).uniform_(-3, 3)
    return value.to(dtype)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.complex_numbers(allow_nan=True, allow_infinity=True),
)
leaves = st.one_of(
    scalars, tensors(),
    st.builds(lambda n: np.arange(n, dtype=np.float32), st.integers(0, 5)),
    st.builds(np.float64, st.floats(allow_nan=True)),
    st.sampled_from([torch.float16, torch.device("cpu"), object()]),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), inner, max_size=3),
    ),
    max_leaves=12,
)

# Hostile JSON built from the grammar's own vocabulary: tagged nodes with
# wrong payloads, names, shapes and indices.
hostile_scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from(NAMES),
    st.sampled_from([-1, 0, 1, 7, 2**31, 2**62, 10**30, 1.5, float("nan")]),
)
shapes = st.lists(st.sampled_from([0, 1, 2, 3, -1, 2**20, 2**31 - 1, 2**31, 2**62, True, 1.5, "2"]),
                  max_size=40)


NAME_TAGS = ["__tensor__", "__ndarray__", "__npscalar__", "__dtype__", "__device__",
             "__float__", "__object__"]
CONTAINER_TAGS = ["__list__", "__tuple__", "__dict__", "__complex__"]


def tagged(inner):
    fields = st.fixed_dictionaries({}, optional={
        "shape": st.one_of(shapes, inner), "blob": st.one_of(st.integers(-2, 5), inner),
        "grad": inner, "value": inner, "repr": inner, "device": inner, "class": inner,
    })

    def node(tag, payload, extra):
        return {**extra, tag: payload}

    return st.one_of(
        st.builds(node, st.sampled_from(NAME_TAGS), st.sampled_from(NAMES), fields),
        st.builds(node, st.sampled_from(CONTAINER_TAGS), st.lists(inner, max_size=3), fields),
        st.builds(node, st.sampled_from(TAGS), inner, fields),
    )


hostile = st.recursive(hostile_scalars,
                       lambda inner: st.one_of(st.lists(inner, max_size=4), tagged(inner)),
                       max_leaves=20)
hostile = st.one_of(tagged(hostile), hostile)


def frame_of(value: object) -> bytes:
    enc = harness.Encoder(CAPS)
    tree = enc.encode(value)
    header = {"kind": "result", "error": None, "probes": {"p": {"ok": tree}}, "run_ms": 1.0}
    return harness.pack_frame(header, enc.blobs)


def replace_subtree(tree: object, path: list, new: object) -> object:
    """``tree`` with the node reached by following ``path`` replaced by ``new``."""
    if not path or not isinstance(tree, (dict, list)) or not tree:
        return new
    keys = list(tree) if isinstance(tree, dict) else list(range(len(tree)))
    key = path[0] if path[0] in keys else keys[hash(path[0]) % len(keys)]
    copy = dict(tree) if isinstance(tree, dict) else list(tree)
    copy[key] = replace_subtree(tree[key], path[1:], new)
    return copy


def decode_all(data: bytes) -> list:
    """What the grader does with a learner's frame (grading.Grader._judge)."""
    header, blobs = harness.unpack_frame(data, CAPS)
    header = harness.result_header(header)
    out = []
    for outcome in header["probes"].values():
        if "ok" in outcome:
            out.append(harness.decode(outcome["ok"], blobs, CAPS))
    return out


def assert_within_limits(value: object, frame_bytes: int) -> None:
    """No decoded payload is larger than the bytes that carried it."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, torch.Tensor):
            assert v.numel() * v.element_size() <= frame_bytes
        elif isinstance(v, np.ndarray):
            assert v.nbytes <= frame_bytes
        elif isinstance(v, (list, tuple)):
            assert len(v) <= CAPS["items"]
            stack.extend(v)
        elif isinstance(v, dict):
            assert len(v) <= CAPS["items"]
            stack.extend(v.values())


def decodes_or_refuses(data: bytes) -> None:
    try:
        decoded = decode_all(data)
    except harness.ProtocolError:
        return
    assert_within_limits(decoded, len(data))


@FUZZ
@given(values)
def test_honest_frames_decode(value):
    decoded = decode_all(frame_of(value))
    assert len(decoded) == 1


@FUZZ
@given(values, st.lists(st.integers(0, 50), max_size=8), hostile, st.booleans(), st.booleans())
def test_grammar_mutated_frames_decode_or_raise_protocol_error(value, path, new, keep_blobs,
                                                              in_value):
    frame = frame_of(value)
    (n,) = struct.unpack(">I", frame[:4])
    header = json.loads(frame[4:4 + n])
    blob_bytes = frame[4 + n:]
    if in_value:  # somewhere in the probed value (most hostile), else anywhere in the header
        path = ["probes", "p", "ok", *path]
    mutated = replace_subtree(header, path, new)
    raw = json.dumps(mutated).encode()
    data = struct.pack(">I", len(raw)) + raw + (blob_bytes if keep_blobs else b"")
    decodes_or_refuses(data)


@FUZZ
@given(values, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
       st.integers(0, 10**6), st.binary(max_size=16), st.integers(0, 2**32 - 1))
def test_byte_mutated_frames_decode_or_raise_protocol_error(value, flips, cut, insert, length):
    data = bytearray(frame_of(value))
    for pos, byte in flips:
        data[pos % len(data)] = byte
    pos = cut % (len(data) + 1)
    data[pos:pos] = insert
    decodes_or_refuses(bytes(data))
    decodes_or_refuses(bytes(data[: cut % (len(data) + 1)]))
    decodes_or_refuses(struct.pack(">I", length) + bytes(data[4:]))


@FUZZ
@given(hostile, st.lists(st.binary(max_size=64), max_size=3))
def test_hostile_values_decode_or_raise_protocol_error(tree, blobs):
    """The grammar's tags with hostile payloads, straight into the value decoder."""
    try:
        decoded = harness.decode(tree, blobs, CAPS)
    except harness.ProtocolError:
        return
    assert_within_limits(decoded, sum(len(b) for b in blobs))
