"""Runs learner code and turns probes into plain data.

This file is imported twice: inside the sandbox (bind-mounted read-only, next
to the zygote) to run a submission, and in the trusted judge to run the
reference solution through exactly the same probes, so that both sides encode
values identically. It must therefore stay self-contained: standard library,
torch and numpy only — nothing from the rest of the project, and never any
expected value.

Learner code runs in the same process as this harness and may monkeypatch
anything (builtins, ``torch.Tensor`` methods, ``isinstance``). Everything the
harness relies on after the learner's code has run is captured below at import
time. Whatever it still manages to forge is only *data*: the judge outside the
sandbox decides, on values the learner could have produced honestly anyway.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import struct
import sys
import time
import traceback

_type = type
_isinstance = isinstance
_len = len
_repr = repr
_str = str
_int = int
_float = float
_list = list
_dict = dict
_json_loads = json.loads
_os_write = os.write
_perf = time.perf_counter
_format_tb = traceback.extract_tb
_pack = struct.pack
_unpack = struct.unpack
_isfinite = math.isfinite
_encode_str = json.encoder.encode_basestring_ascii  # C; immune to builtins patching
_float_repr = float.__repr__
_int_repr = int.__repr__
_dict_items = dict.items
_join = "".join
_enumerate = enumerate
_BUILTINS = dict(builtins.__dict__)  # restored after the learner's code has run

MAX_STR = 4_000
MAX_ITEMS = 10_000
MAX_BLOB_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 12

try:  # torch and numpy are optional so the harness can be unit-tested alone
    import torch as _torch

    _Tensor = _torch.Tensor
    _as_subclass = _torch.Tensor.as_subclass
    _detach = _torch.Tensor.detach
    _to_cpu = _torch.Tensor.cpu
    _reshape = _torch.Tensor.reshape
    _clone = _torch.Tensor.clone
    _contiguous_format = _torch.contiguous_format
    _view_dtype = _torch.Tensor.view
    _numel = _torch.Tensor.numel
    _tensor_numpy = _torch.Tensor.numpy
    _t_size = _torch.Tensor.size
    _t_dtype = _torch.Tensor.dtype.__get__
    _t_requires_grad = _torch.Tensor.requires_grad.__get__
    _t_grad = _torch.Tensor.grad.__get__
    _t_is_leaf = _torch.Tensor.is_leaf.__get__
    _t_device = _torch.Tensor.device.__get__
    _uint8 = _torch.uint8
    _torch_dtype = _torch.dtype
    _torch_size = _torch.Size
    _torch_device = _torch.device
    _Module = _torch.nn.Module
    _frombuffer = _torch.frombuffer
    _no_torch_function = _torch._C.DisableTorchFunction
    _t_retains_grad = _torch.Tensor.retains_grad.__get__
except ImportError:  # pragma: no cover - the grader always has torch
    _torch = None
    _Tensor = _Module = _torch_dtype = _torch_size = _torch_device = ()

try:
    import numpy as _np

    _ndarray = _np.ndarray
    _npgeneric = _np.generic
    _np_frombuffer = _np.frombuffer
except ImportError:  # pragma: no cover
    _np = None
    _ndarray = _npgeneric = ()


class ProbeError(Exception):
    """A probe could not produce data (the learner's value is unusable)."""


# --------------------------------------------------------------------------
# Encoding: python values -> JSON-able tree + binary blobs
# --------------------------------------------------------------------------


class Encoder:
    """Turns values into a JSON tree; tensor/array payloads go to ``blobs``."""

    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.blob_bytes = 0

    def _blob(self, data: bytes) -> int:
        self.blob_bytes += _len(data)
        if self.blob_bytes > MAX_BLOB_BYTES:
            raise ProbeError("the values produced are too large to send back")
        self.blobs.append(data)
        return _len(self.blobs) - 1

    def encode(self, value: object, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise ProbeError("value is nested too deeply")
        t = _type(value)
        if value is None or t is bool or t is _int:
            return value
        if t is _float:
            return value if _isfinite(value) else {"__float__": _repr(value)}
        if t is _str:
            return value[:MAX_STR]
        if t is list or t is tuple:
            items = [self.encode(v, depth + 1) for v in value[:MAX_ITEMS]]
            return {"__list__" if t is list else "__tuple__": items}
        if t is _dict:
            return {
                "__dict__": [
                    [self.encode(k, depth + 1), self.encode(v, depth + 1)]
                    for k, v in _list(value.items())[:MAX_ITEMS]
                ]
            }
        if _torch is not None:
            if _isinstance(value, _Tensor):
                return self.encode_tensor(value)
            if t is _torch_dtype:
                return {"__dtype__": _str(value)}
            if t is _torch_size:
                return {"__tuple__": [_int(v) for v in value]}
            if t is _torch_device:
                return {"__device__": _str(value)}
        if _np is not None:
            if _isinstance(value, _ndarray):
                return self.encode_ndarray(value)
            if _isinstance(value, _npgeneric):
                return {"__npscalar__": _str(value.dtype), "value": self.encode(value.item())}
        if t is complex:
            return {"__complex__": [value.real, value.imag]}
        return {"__object__": t.__name__[:200], "repr": _repr(value)[:MAX_STR]}

    def encode_tensor(self, value: object) -> dict:
        # Subclasses may override shape/size/__torch_function__ to lie: read
        # everything with torch-function dispatch off, from a plain alias.
        with _no_torch_function():
            plain = _as_subclass(value, _Tensor)
            is_leaf = bool(_t_is_leaf(value))
            grad = _t_grad(value) if is_leaf or _t_retains_grad(value) else None
            out = {
                "__tensor__": _str(_t_dtype(plain)),
                "shape": [_int(s) for s in _t_size(plain)],
                "device": _str(_t_device(plain)),
                "requires_grad": bool(_t_requires_grad(value)),
                "is_leaf": is_leaf,
                "class": _type(value).__name__,
            }
            if grad is not None:
                out["grad"] = self.encode_tensor(grad)
            return self._tensor_data(plain, out)

    def _tensor_data(self, plain: object, out: dict) -> dict:
        # clone() after reshape: a one-element or size-1-dim view can keep an
        # odd stride that .view(uint8) refuses.
        flat = _clone(_reshape(_to_cpu(_detach(plain)), (-1,)), memory_format=_contiguous_format)
        data = b"" if _numel(flat) == 0 else _tensor_numpy(_view_dtype(flat, _uint8)).tobytes()
        out["blob"] = self._blob(data)
        return out

    def encode_ndarray(self, value: object) -> dict:
        if value.dtype.hasobject:
            raise ProbeError("NumPy arrays of Python objects cannot be checked")
        arr = _np.ascontiguousarray(value)
        return {
            "__ndarray__": arr.dtype.str,
            "shape": [_int(s) for s in arr.shape],
            "blob": self._blob(arr.tobytes()),
        }


def decode(tree: object, blobs: list[bytes]) -> object:
    """Inverse of :class:`Encoder` (used on trusted inputs and by the judge).

    Validates sizes against shapes so a forged payload cannot claim a shape
    its bytes do not have.
    """
    if _type(tree) is _dict:
        if "__list__" in tree:
            return [decode(v, blobs) for v in tree["__list__"]]
        if "__tuple__" in tree:
            return tuple(decode(v, blobs) for v in tree["__tuple__"])
        if "__dict__" in tree:
            return {_hashable(decode(k, blobs)): decode(v, blobs) for k, v in tree["__dict__"]}
        if "__float__" in tree:
            return _float(tree["__float__"])
        if "__complex__" in tree:
            re, im = tree["__complex__"]
            return complex(re, im)
        if "__tensor__" in tree:
            return _decode_tensor(tree, blobs)
        if "__ndarray__" in tree:
            dtype = _np.dtype(tree["__ndarray__"])
            if dtype.hasobject:
                raise ProbeError("object arrays are not accepted")
            shape = tuple(_int(s) for s in tree["shape"])
            data = blobs[tree["blob"]]
            if _len(data) != _prod(shape) * dtype.itemsize:
                raise ProbeError("array payload does not match its shape")
            return _np_frombuffer(data, dtype=dtype).reshape(shape).copy()
        if "__npscalar__" in tree:
            return _np.dtype(tree["__npscalar__"]).type(decode(tree["value"], blobs))
        if "__dtype__" in tree:
            return getattr(_torch, tree["__dtype__"].replace("torch.", ""))
        if "__device__" in tree:
            return _torch.device(tree["__device__"])
        if "__object__" in tree:
            return Opaque(tree["__object__"], tree.get("repr", ""))
        raise ProbeError("unknown value encoding")
    return tree


def _hashable(key: object) -> object:
    return key if not _isinstance(key, list) else tuple(key)


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        if s < 0:
            raise ProbeError("negative dimension in payload")
        n *= s
    return n


def _decode_tensor(tree: dict, blobs: list[bytes]) -> object:
    name = tree["__tensor__"].replace("torch.", "")
    dtype = getattr(_torch, name, None)
    if not _isinstance(dtype, _torch.dtype):
        raise ProbeError(f"unknown dtype {name!r}")
    shape = tuple(_int(s) for s in tree["shape"])
    data = blobs[tree["blob"]]
    itemsize = _torch.empty((), dtype=dtype).element_size()
    if _len(data) != _prod(shape) * itemsize:
        raise ProbeError("tensor payload does not match its shape")
    if not data:
        t = _torch.empty(shape, dtype=dtype)
    else:
        t = _frombuffer(bytearray(data), dtype=_uint8).view(dtype).reshape(shape)
    meta = TensorMeta(
        device=tree.get("device", "cpu"),
        requires_grad=bool(tree.get("requires_grad")),
        is_leaf=bool(tree.get("is_leaf", True)),
        cls=_str(tree.get("class", "Tensor")),
        grad=_decode_tensor(tree["grad"], blobs) if "grad" in tree else None,
    )
    t.meta = meta  # type: ignore[attr-defined]
    return t


class TensorMeta:
    """What the sandbox reported about a tensor besides its values."""

    def __init__(self, device: str, requires_grad: bool, is_leaf: bool, cls: str, grad: object):
        self.device = device
        self.requires_grad = requires_grad
        self.is_leaf = is_leaf
        self.cls = cls
        self.grad = grad


class Opaque:
    """A value of a type the protocol does not carry; only its type name and repr."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text[:80]}>"


# --------------------------------------------------------------------------
# Framing: [u32 header length][header JSON][blobs...]
# --------------------------------------------------------------------------


def _to_json(value: object, out: list) -> None:
    """JSON writer that relies on nothing the learner's code can patch."""
    t = _type(value)
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif t is _int:
        out.append(_int_repr(value))
    elif t is _float:
        out.append(_float_repr(value) if _isfinite(value) else "null")
    elif t is _str:
        out.append(_encode_str(value))
    elif t is list or t is tuple:
        out.append("[")
        for i, item in _enumerate(value):
            if i:
                out.append(",")
            _to_json(item, out)
        out.append("]")
    elif t is _dict:
        out.append("{")
        for i, (k, v) in _enumerate(_dict_items(value)):
            if i:
                out.append(",")
            out.append(_encode_str(k if _type(k) is _str else _repr(k)))
            out.append(":")
            _to_json(v, out)
        out.append("}")
    else:
        out.append(_encode_str(_repr(value)))


def restore_builtins() -> None:
    """Undoes the learner's monkeypatching of builtins before the harness reports.

    Key by key, never clearing the dict: even for an instant, an empty
    ``builtins`` would break any other thread of the process.
    """
    current = builtins.__dict__
    for key in [k for k in current if k not in _BUILTINS]:
        del current[key]
    for key, value in _dict_items(_BUILTINS):
        if current.get(key) is not value:
            current[key] = value


def pack_frame(header: dict, blobs: list[bytes]) -> bytes:
    header = _dict(header)
    header["blob_sizes"] = [_len(b) for b in blobs]
    parts: list = []
    _to_json(header, parts)
    raw = _join(parts).encode()
    return _pack(">I", _len(raw)) + raw + b"".join(blobs)


def unpack_frame(data: bytes) -> tuple[dict, list[bytes]]:
    if _len(data) < 4:
        raise ProbeError("truncated frame")
    (n,) = _unpack(">I", data[:4])
    if 4 + n > _len(data):
        raise ProbeError("truncated frame header")
    header = _json_loads(data[4 : 4 + n])
    if _type(header) is not _dict:
        raise ProbeError("frame header is not an object")
    sizes = header.get("blob_sizes", [])
    blobs, pos = [], 4 + n
    for size in sizes:
        if _type(size) is not _int or size < 0 or pos + size > _len(data):
            raise ProbeError("frame blob sizes are inconsistent")
        blobs.append(data[pos : pos + size])
        pos += size
    if pos != _len(data):
        raise ProbeError("trailing bytes after frame")
    return header, blobs


# --------------------------------------------------------------------------
# Running code and probes
# --------------------------------------------------------------------------


def describe_exception(exc: BaseException, filename: str = "<submission>") -> dict:
    """Type, message and the learner's own frames only (no harness internals)."""
    frames = [
        {"line": f.lineno, "code": (f.line or "")[:200]}
        for f in _format_tb(exc.__traceback__)
        if f.filename == filename
    ]
    try:
        message = _str(exc)[:MAX_STR]
    except BaseException:
        message = "<unprintable message>"
    out = {"type": _type(exc).__name__[:200], "message": message, "frames": frames[-5:]}
    if _isinstance(exc, OSError):
        out["errno"] = exc.errno
    if _isinstance(exc, SyntaxError):
        out["line"] = exc.lineno
        out["offset"] = exc.offset
        out["text"] = (exc.text or "")[:200]
    return out


_getppid = os.getppid
_hook_installed = False


def _signal_policy(event: str, args: tuple) -> None:
    """Refuses, with a clear error, signals aimed outside the learner's own processes.

    The kernel already makes them harmless (PID namespace; PID 1 ignores
    SIGKILL from inside), so this only turns a silent no-op into a verdict
    the learner can read. Installed in the sandbox only, never in the judge.
    """
    if event == "os.kill":
        pid = args[0]
        if pid <= 0 or pid == _getppid():
            raise PermissionError("signalling processes outside your own code is not allowed")
    elif event == "os.killpg":
        raise PermissionError("signalling process groups is not allowed")


def install_sandbox_policy() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_signal_policy)
        _hook_installed = True


def run_code(source: str, filename: str = "<submission>") -> tuple[dict, dict | None]:
    """Executes ``source`` as a module; returns (namespace, error or None)."""
    ns: dict = {"__name__": "__submission__", "__builtins__": builtins}
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, ns)
    except BaseException as exc:
        return ns, describe_exception(exc, filename)
    return ns, None


def run_probe(probe: dict, ns: dict, inputs: object, enc: Encoder) -> dict:
    """One probe -> {"ok": tree} or {"error": {...}}; never raises."""
    start = _perf()
    key = probe.get("inputs_key")
    probe_inputs = inputs.get(key) if key is not None and _type(inputs) is _dict else None
    try:
        op = probe["op"]
        if op == "get":
            name = probe["name"]
            if name not in ns:
                raise NameError(f"name '{name}' is not defined")
            value = ns[name]
        elif op == "eval":
            value = eval(compile(probe["expr"], "<submission>", "eval"), ns)
        elif op == "call":
            fn = ns.get(probe["name"])
            if fn is None:
                raise NameError(f"name '{probe['name']}' is not defined")
            args, kwargs = probe_inputs if probe_inputs is not None else ((), {})
            value = fn(*args, **kwargs)
        elif op == "script":
            scope: dict = {"__name__": "__probe__", "__builtins__": builtins}
            exec(compile(probe["code"], "<probe>", "exec"), scope)
            value = scope["probe"](ns, probe_inputs)
        else:
            raise ProbeError(f"unknown probe op {op!r}")
        tree = enc.encode(value)
    except BaseException as exc:
        return {"error": describe_exception(exc), "ms": (_perf() - start) * 1000}
    return {"ok": tree, "ms": (_perf() - start) * 1000}


def execute(job: dict, job_blobs: list[bytes], sandboxed: bool = False) -> bytes:
    """Runs one job (source + probes) and returns the result frame.

    Used by the sandboxed child on learner code and by the judge on reference
    code; the two frames are then compared outside the sandbox.
    """
    seed = job.get("seed", 0)
    if _torch is not None:
        _torch.manual_seed(seed)
    if _np is not None:
        _np.random.seed(seed % (2**32))
    inputs = decode(job.get("inputs"), job_blobs) if job.get("inputs") is not None else None
    t0 = _perf()
    ns, error = run_code(job["source"])
    run_ms = (_perf() - t0) * 1000
    if sandboxed:  # the judge runs only our references: nothing to undo there
        restore_builtins()
    enc = Encoder()
    probes = {}
    for probe in job.get("probes", []):
        probes[probe["id"]] = run_probe(probe, ns, inputs, enc)
        if sandboxed:
            restore_builtins()
    header = {"kind": "result", "error": error, "probes": probes, "run_ms": run_ms}
    return pack_frame(header, enc.blobs)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = _os_write(fd, view)
        view = view[n:]
