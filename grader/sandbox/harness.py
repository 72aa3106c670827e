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
sandbox decides. Values (tensors, returned results, models' outputs under the
grader's weights) are judged against a reference the jail never sees, so forging
them means computing them. What the probes *observe* about how the code ran
(a training loop's optimizer steps, batch sizes, losses) is different: code that
finds a probe's recorder in its own process (frames, ``gc``) can rewrite that
log, and the judge can only check it for consistency — a known limit of
in-process observation, listed in the README.

One file of about 1,100 lines on purpose: the frame protocol, the value
encoder and its capped decoder, and the probe runner are the two ends of one
wire format, and being self-contained (above) means they cannot be split into
modules that import each other from the rest of the project.
"""

from __future__ import annotations

import _thread
import builtins
import copy
import gc as _gc
import json
import math
import os
import re
import signal
import struct
import sys
import threading
import time
import traceback
import types

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
_range = range
_getattr = getattr
_hash = hash
_exact_str = str.__str__  # an exact str (a copy of a str subclass's text, never its methods)
_type_name = type.__dict__["__name__"].__get__  # a class's real name, whatever its metaclass
_set_signal = signal.signal
_SIGPIPE, _SIG_IGN = signal.SIGPIPE, signal.SIG_IGN
_BUILTINS = dict(builtins.__dict__)  # restored after the learner's code has run

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

#: What probes compare with, captured before any learner code runs: a learner's module
#: that rebinds ``torch.equal`` (or ``builtins.isinstance`` inside its own function) made
#: the probes' "left the inputs alone" and "dropout differs in training" observations
#: say what it wanted. Restored before each probe (:func:`restore_pristine`) and handed
#: to probe scripts as ``PRISTINE`` for comparisons made after the learner's calls.
PRISTINE: dict = {"isinstance": isinstance, "len": len, "type": type, "zip": zip,
                  "all": all, "list": list, "isnan": math.isnan}


#: Modules whose attribute a probe reads a function through (``torch.nn.utils.clip_…``):
#: put back where a submission points such an attribute at a fake. Only these: putting
#: back every submodule attribute of torch cost each job about a millisecond, as reading
#: an object in a freshly forked child copies the memory page it lies on.
_WATCHED_MODULES = frozenset({
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.modules", "torch.nn.modules.module",
    "torch.nn.utils", "torch.nn.utils.clip_grad", "torch.optim", "torch.optim.optimizer",
    "torch.autograd", "torch.utils", "torch.utils.data", "copy", "math"})


def _callables(owner: object) -> list:
    """An owner's functions, classes and properties, and its attributes that are modules
    of :data:`_WATCHED_MODULES` (``torch.optim``, pointed at a fake)."""
    return [(k, v) for k, v in owner.__dict__.items()
            if callable(v) or _isinstance(v, property)
            or (_isinstance(v, types.ModuleType) and v.__name__ in _WATCHED_MODULES)]


def _restored_owners() -> tuple:
    """What :func:`restore_pristine` puts back: ``copy``, ``math`` and the parts of torch
    the probes and their recorders call — a submission that rebinds
    ``torch.optim.optimizer.register_optimizer_step_pre_hook`` at import hid the
    clipping recorder's step hook from every probe of the job."""
    if _torch is None:
        return (copy, math, sys)
    import importlib

    named = [importlib.import_module(name) for name in (
        "torch.nn.modules.module", "torch.nn.utils", "torch.nn.utils.clip_grad", "torch.optim",
        "torch.optim.optimizer", "torch.autograd", "torch.utils.data")]
    # sys: the entry recorders read the call stack with sys._getframe
    return (copy, math, sys, _torch, _torch.Tensor, _torch.nn.functional, _torch.nn.Module,
            _torch.optim.Optimizer, *named)


_RESTORED = _restored_owners()
#: (module or class, its callables and properties at import), put back by restore_pristine
_PRISTINE_MODULES = [(owner, _callables(owner)) for owner in _RESTORED]
if _torch is not None:
    PRISTINE.update({"equal": _torch.equal, "isnan_t": _torch.isnan,
                     "nan_to_num": _torch.nan_to_num, "Tensor": _torch.Tensor,
                     "is_floating_point": _torch.Tensor.is_floating_point,
                     "is_complex": _torch.Tensor.is_complex, "size": _t_size,
                     "dtype": _t_dtype, "device": _t_device,
                     "requires_grad": _t_requires_grad, "grad": _t_grad,
                     "detach": _detach,
                     # for the recorders' hooks, which fire inside the learner's calls
                     # (curriculum/probes/trusted.py)
                     "is_grad_enabled": _torch.is_grad_enabled, "double": _torch.Tensor.double,
                     "item": _torch.Tensor.item, "sum": _torch.sum, "square": _torch.square,
                     "no_torch_function": _torch._C.DisableTorchFunction})


def restore_pristine() -> None:
    """:func:`restore_builtins`, and torch's own functions, ``Tensor``'s and
    ``nn.Module``'s methods, ``torch.nn.functional``, the optimizers', ``torch.nn.utils``',
    ``torch.autograd``'s, ``torch.utils.data``'s, ``copy`` and ``math`` as they were at
    import: a submission's ``torch.equal = lambda a, b: True`` or
    ``copy.deepcopy = lambda x: x`` does not reach the probes. In the jail (a job's guard
    is set) also torch's global modes as the job started (:func:`_reset_modes`) and what
    the guard keeps — not in the judge, whose references of other jobs run in other
    threads of the same process."""
    restore_builtins()
    if _JOB is not None:
        _reset_modes()
        _JOB.restore()
    for owner, saved in _PRISTINE_MODULES:
        current = owner.__dict__
        for key, value in saved:
            if current.get(key) is not value:
                try:  # noqa: SIM105 (no contextlib: the learner may have patched it)
                    setattr(owner, key, value)
                except BaseException:  # a read-only slot: nothing the learner could change
                    pass


if _torch is not None:
    #: torch's stacks of function and dispatch modes (a mode intercepts every torch call)
    _MODE_STACKS = ((_torch._C._len_torch_function_stack, _torch._C._pop_torch_function_stack),
                    (_torch._C._len_torch_dispatch_stack, _torch._C._pop_torch_dispatch_stack))
    #: (read, set, as a job starts) of each of torch's global modes
    _MODES = (
        (_torch.is_grad_enabled, _torch._C._set_grad_enabled, True),
        (_torch.get_default_dtype, _torch.set_default_dtype, _torch.get_default_dtype()),
        (_torch.is_anomaly_enabled, _torch.set_anomaly_enabled, _torch.is_anomaly_enabled()),
        (_torch.are_deterministic_algorithms_enabled, _torch.use_deterministic_algorithms,
         _torch.are_deterministic_algorithms_enabled()),
    )


def _reset_modes() -> None:
    """Torch's global modes as a job starts, before each probe, with no function or
    dispatch mode entered (a ``TorchFunctionMode`` entered at import and never left
    answered the recorders' own arithmetic): a submission that turned
    gradients off at import (``torch.set_grad_enabled(False)``), or whose function left them
    off, or changed the default dtype, anomaly detection or deterministic algorithms, would
    otherwise run every later probe — and the recorders' own ``no_grad`` blocks, which put
    back what they found — in its mode. Only a mode that differs is set (setting one can
    cost milliseconds). Inference mode cannot be left without the object that entered it;
    a probe under it fails on its first backward pass."""
    if _torch is None:
        return
    for depth, pop in _MODE_STACKS:  # a TorchFunctionMode entered and never left
        try:
            while depth() > 0:
                pop()
        except BaseException:
            pass
    for read, write, start in _MODES:
        try:  # a mode the learner broke stays broken: its own probes fail
            if read() != start:
                write(start)
        except BaseException:
            pass


try:
    import numpy as _np

    _ndarray = _np.ndarray
    _npgeneric = _np.generic
    _np_frombuffer = _np.frombuffer
    _np_asarray = _np.asarray
except ImportError:  # pragma: no cover
    _np = None
    _ndarray = _npgeneric = ()


class ProbeError(Exception):
    """A probe could not produce data (the learner's value is unusable)."""


class ProtocolError(ProbeError):
    """A result frame or an encoded value breaks the protocol's grammar or limits.

    The one error :func:`unpack_frame`, :func:`result_header` and
    :func:`decode` raise, whatever bytes they are given: a hostile frame
    either decodes to plain values within the limits or ends here, before
    anything larger than the limits allow has been parsed or allocated.
    """


class ResultTooLarge(ProtocolError):
    """A frame declares more tensor/array elements (or payload bytes) than the
    protocol carries: ``caps["elements"]`` (a judge may widen 1-byte values to
    8 bytes) and ``caps["blob_bytes"]`` (one payload named by many tensors
    would be copied once per tensor)."""


# Tensor dtypes the protocol carries: plain numeric storage a byte view can
# describe (no quantized, bit-packed or sub-byte types).
TENSOR_DTYPES = (
    "bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
    "float16", "bfloat16", "float32", "float64", "complex32", "complex64", "complex128",
)
# NumPy dtypes, as ``dtype.str``: booleans, integers, floats, complex, fixed-size text.
_NP_DTYPE = re.compile(r"[<>|=]?(?:b1|[iu][1248]|f[248]|c(?:8|16)|[US][1-9][0-9]{0,5})")
_DEVICE = re.compile(r"(?:cpu|cuda|meta|mps|xpu)(?::[0-9]{1,4})?")
_NAME_CHARS = 64
#: Largest int a value may hold: JSON parsers (ours included) refuse integers of more than
#: 4,300 digits, and the learner may lower the interpreter's own limit to 640 digits.
_INT_BITS = 2_000  # 603 digits
_ERROR_FRAMES = 5
_CODE_CHARS = 200

if _torch is not None:
    _TORCH_DTYPES = {n: getattr(_torch, n) for n in TENSOR_DTYPES if hasattr(_torch, n)}
    _ITEMSIZE = {n: d.itemsize for n, d in _TORCH_DTYPES.items()}
else:  # pragma: no cover
    _TORCH_DTYPES, _ITEMSIZE = {}, {}


_ModuleType = _type(sys)


def _public_exceptions() -> dict:
    """torch's private exception classes and the public names learners know them by
    (``torch._C._LinAlgError`` is ``torch.linalg.LinAlgError``): the shortest public
    alias in the public torch modules loaded at import, before any learner code runs."""
    found: dict = {}
    for module_name, module in list(sys.modules.items()):
        parts = module_name.split(".")
        if parts[0] != "torch" or any(p.startswith("_") for p in parts) \
                or not _isinstance(module, _ModuleType):
            continue
        for attr, value in list(module.__dict__.items()):
            if (attr.startswith("_") or not issubclass(_type(value), type)
                    or not issubclass(value, BaseException)
                    or not value.__name__.startswith("_")):
                continue
            public, known = f"{module_name}.{attr}", found.get(value)
            if known is None or (len(public), public) < (len(known), known):
                found[value] = public
    return found


_PUBLIC_EXCEPTIONS = {id(cls): (cls, name) for cls, name in _public_exceptions().items()}
# The same by class name, for the trusted judges, which get names from probes.
PUBLIC_EXCEPTION_NAMES = {cls.__name__: name for cls, name in _PUBLIC_EXCEPTIONS.values()}


def exception_type_name(cls: type) -> str:
    """The name a learner knows an exception class by (its public alias, if private)."""
    known = _PUBLIC_EXCEPTIONS.get(id(cls))
    return known[1] if known is not None and known[0] is cls else _type_name(cls)[:200]


# --------------------------------------------------------------------------
# Encoding: python values -> JSON-able tree + binary blobs
# --------------------------------------------------------------------------


class Encoder:
    """Turns values into a JSON tree; tensor/array payloads go to ``blobs``.

    ``caps`` is ``grader.limits.ProtocolLimits.for_child()``: the encoder
    refuses (``ProbeError``) a value the trusted decoder would not accept, so
    an honest answer never reads as a forged one.
    """

    def __init__(self, caps: dict) -> None:
        self.caps = caps
        self.blobs: list[bytes] = []
        self.blob_bytes = 0
        self.elements = 0  # tensor/array elements of the blobs (caps["elements"])
        self.blob_elements: list[int] = []  # per blob, to give back a dropped probe's

    def _blob(self, data: bytes, elements: int) -> int:
        blob_bytes, total = self.blob_bytes + _len(data), self.elements + elements
        if (blob_bytes > self.caps["blob_bytes"] or total > self.caps["elements"]
                or _len(self.blobs) >= self.caps["blobs"]):
            raise ProbeError("the values produced are too large to send back")
        self.blob_bytes, self.elements = blob_bytes, total
        self.blobs.append(data)
        self.blob_elements.append(elements)
        return _len(self.blobs) - 1

    def drop_blobs(self, mark: int) -> None:
        """Forgets the blobs from ``mark`` on (a probe whose data was not sent)."""
        del self.blobs[mark:]
        del self.blob_elements[mark:]
        self.blob_bytes = self.elements = 0
        for blob in self.blobs:
            self.blob_bytes += _len(blob)
        for elements in self.blob_elements:
            self.elements += elements

    def encode(self, value: object, depth: int = 0) -> object:
        """The JSON tree of ``value``: exactly that value, or :class:`ProbeError`.

        Never a different value: a string, list, tuple or dict longer than one JSON
        container may be (``caps["string_chars"]``, ``caps["items"]``) is sent whole,
        in parts (``{"__long__": tag, "parts": [...]}``), never cut to its head — a cut
        value would read as whatever else shares that head (a training loop's event
        string whose later steps went wrong, a list whose tail differs).
        """
        caps = self.caps
        if depth > caps["value_depth"]:
            raise ProbeError("value is nested too deeply")
        t = _type(value)
        if value is None or t is bool:
            return value
        if t is _int:
            if value.bit_length() > _INT_BITS:
                raise ProbeError("integers of more than 600 digits cannot be checked")
            return value
        if t is _float:
            return value if _isfinite(value) else {"__float__": _repr(value)}
        if t is _str:
            size, cap = _len(value), caps["string_chars"]
            if size <= cap:
                return value
            if size > caps["header_bytes"]:
                raise ProbeError(f"a string of {size:,} characters is too long to send back")
            return {"__long__": "__str__",
                    "parts": [value[i : i + cap] for i in _range(0, size, cap)]}
        if t is list or t is tuple:
            tag = "__list__" if t is list else "__tuple__"
            return self._sequence(tag, value[:], depth)
        if t is _dict:
            pairs = [[k, v] for k, v in _dict_items(value)]
            return self._sequence("__dict__", pairs, depth, pairs=True)
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
            if _isinstance(value, _npgeneric) and _np_dtype_ok(value.dtype.str):
                return {"__npscalar__": value.dtype.str, "value": self.encode(value.item())}
        if t is complex:
            return {"__complex__": [self.encode(value.real), self.encode(value.imag)]}
        return {"__object__": _type_name(t)[:200],
                "repr": _exact_str(_repr(value))[: caps["string_chars"]]}

    def _sequence(self, tag: str, items: list, depth: int, pairs: bool = False) -> dict:
        """A list, tuple or dict (``pairs``: its [key, value] items), in parts of at
        most ``caps["items"]`` when it is longer than that."""
        caps, size = self.caps, _len(items)
        if size > caps["nodes"]:
            raise ProbeError(f"a {tag.strip('_')} of {size:,} items is too long to send back "
                             f"(at most {caps['nodes']:,}); return a tensor instead")
        down = depth + 1
        if pairs:
            out = [[self.encode(k, down), self.encode(v, down)] for k, v in items]
        else:
            out = [self.encode(v, down) for v in items]
        cap = caps["items"]
        if size <= cap:
            return {tag: out}
        return {"__long__": tag, "parts": [out[i : i + cap] for i in _range(0, size, cap)]}

    def encode_tensor(self, value: object) -> dict:
        # Subclasses may override shape/size/__torch_function__ to lie: read
        # everything with torch-function dispatch off, from a plain alias.
        with _no_torch_function():
            plain = _as_subclass(value, _Tensor)
            is_leaf = bool(_t_is_leaf(value))
            grad = _t_grad(value) if is_leaf or _t_retains_grad(value) else None
            dtype = _str(_t_dtype(plain))
            if dtype.replace("torch.", "") not in _TORCH_DTYPES:
                raise ProbeError(f"tensors of dtype {dtype} cannot be checked; convert it "
                                 "with .float(), .long() or .bool()")
            shape = [_int(s) for s in _t_size(plain)]
            if _len(shape) > self.caps["ndim"]:
                raise ProbeError("tensor has too many dimensions to check")
            out = {
                "__tensor__": dtype,
                "shape": shape,
                "device": _str(_t_device(plain)),
                "requires_grad": bool(_t_requires_grad(value)),
                "is_leaf": is_leaf,
                "class": _type_name(_type(value))[:200],
            }
            if grad is not None:
                out["grad"] = self.encode_tensor(grad)
            return self._tensor_data(plain, out)

    def _tensor_data(self, plain: object, out: dict) -> dict:
        # clone() after reshape: a one-element or size-1-dim view can keep an
        # odd stride that .view(uint8) refuses.
        flat = _clone(_reshape(_to_cpu(_detach(plain)), (-1,)), memory_format=_contiguous_format)
        numel = _numel(flat)
        data = b"" if numel == 0 else _tensor_numpy(_view_dtype(flat, _uint8)).tobytes()
        out["blob"] = self._blob(data, numel)
        return out

    def encode_ndarray(self, value: object) -> dict:
        # asarray, not ascontiguousarray: that one makes a 0-d array 1-d (shape (1,)),
        # so a 0-d answer and a one-element one would read alike. A subclass becomes
        # a plain ndarray (its own dtype or shape properties are never read).
        arr = _np_asarray(value, order="C")
        if arr.dtype.hasobject:
            raise ProbeError("NumPy arrays of Python objects cannot be checked")
        if not _np_dtype_ok(arr.dtype.str):
            raise ProbeError(f"NumPy arrays of dtype {arr.dtype} cannot be checked")
        if arr.ndim > self.caps["ndim"]:
            raise ProbeError("array has too many dimensions to check")
        return {
            "__ndarray__": arr.dtype.str,
            "shape": [_int(s) for s in arr.shape],
            "blob": self._blob(arr.tobytes(), _int(arr.size)),
        }


def _np_dtype_ok(name: object) -> bool:
    return _type(name) is _str and _len(name) <= 16 and _NP_DTYPE.fullmatch(name) is not None


# --------------------------------------------------------------------------
# Decoding: checked against the grammar and the limits before allocating
# --------------------------------------------------------------------------


def decode(tree: object, blobs: list[bytes], caps: dict) -> object:
    """Inverse of :class:`Encoder`, for data from the sandbox (and our own inputs).

    Raises only :class:`ProtocolError`. Every declared dtype, shape, index
    and size is checked before anything is allocated, so a forged payload
    cannot claim a shape its bytes do not have or make the judge build a
    huge or unrepresentable object: the tensors and arrays of one call hold
    at most ``caps["elements"]`` elements and ``caps["blob_bytes"]`` bytes
    together (:class:`ResultTooLarge`), however often a payload is named.
    :func:`unpack_frame` holds a whole frame to the same totals.
    """
    try:
        return _decode(tree, blobs, caps, 0, [0, 0])
    except ProtocolError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
            RuntimeError, RecursionError, MemoryError) as exc:
        raise ProtocolError(f"undecodable value ({_type(exc).__name__})") from None


def _decode(tree: object, blobs: list[bytes], caps: dict, depth: int,
            spent: list[int]) -> object:
    if depth > caps["depth"]:
        raise ProtocolError("value is nested too deeply")
    t = _type(tree)
    if tree is None or t is bool or t is _int or t is _float or t is _str:
        return tree
    if t is not _dict:
        raise ProtocolError("a bare JSON list is not a value of the protocol")
    down = depth + 1
    if "__list__" in tree:
        return [_decode(v, blobs, caps, down, spent) for v in _items(tree["__list__"], caps)]
    if "__tuple__" in tree:
        return tuple(_decode(v, blobs, caps, down, spent) for v in _items(tree["__tuple__"], caps))
    if "__dict__" in tree:
        return _decode_dict(_items(tree["__dict__"], caps), blobs, caps, down, spent)
    if "__long__" in tree:
        return _decode_long(tree, blobs, caps, down, spent)
    if "__float__" in tree:
        return _float(_name(tree["__float__"]))
    if "__complex__" in tree:
        parts = _items(tree["__complex__"], caps)
        if _len(parts) != 2:
            raise ProtocolError("a complex number has two parts")
        re_, im = (_decode(p, blobs, caps, down, spent) for p in parts)
        if _type(re_) not in (_int, _float) or _type(im) not in (_int, _float):
            raise ProtocolError("complex parts must be numbers")
        return complex(re_, im)
    if "__tensor__" in tree:
        return _decode_tensor(tree, blobs, caps, down, spent)
    if "__ndarray__" in tree:
        dtype = _np_dtype(tree["__ndarray__"], caps)
        shape, numel = _shape(tree.get("shape"), caps)
        data = _blob_of(tree, blobs)
        if _len(data) != numel * dtype.itemsize:
            raise ProtocolError("array payload does not match its shape")
        _charge(spent, numel, _len(data), caps)
        return _np_frombuffer(data, dtype=dtype).reshape(shape).copy()
    if "__npscalar__" in tree:
        dtype = _np_dtype(tree["__npscalar__"], caps)
        value = _decode(tree.get("value"), blobs, caps, down, spent)
        if _type(value) not in (bool, _int, _float, complex, _str):
            raise ProtocolError("a NumPy scalar holds a number or text")
        return dtype.type(value)
    if "__dtype__" in tree:
        dtype = getattr(_torch, _name(tree["__dtype__"]).replace("torch.", ""), None)
        if not _isinstance(dtype, _torch_dtype):
            raise ProtocolError("unknown torch dtype")
        return dtype
    if "__device__" in tree:
        name = _name(tree["__device__"])
        if _DEVICE.fullmatch(name) is None:
            raise ProtocolError("unknown device")
        return _torch_device(name)
    if "__object__" in tree:
        text = tree.get("repr", "")
        if _type(text) is not _str:
            raise ProtocolError("an opaque value's repr must be text")
        return Opaque(class_name(_name(tree["__object__"], 200)), text)
    raise ProtocolError("unknown value encoding")


#: Keys of one decoded dict that may share a hash value. Keys of equal hash are compared
#: one by one, so n of them cost n²/2 comparisons: 10,000 ints k·(2**61 − 1) (all hash
#: to 0) held the judge — the service's event loop, for a drill — for a second.
_HASH_REPEATS = 16


def _decode_dict(entries: list, blobs: list[bytes], caps: dict, depth: int,
                 spent: list[int]) -> dict:
    out: dict = {}
    hashes: dict = {}  # hash value -> keys seen with it (hash values never collide here)
    for entry in entries:
        if _type(entry) is not list or _len(entry) != 2:
            raise ProtocolError("dict entries must be [key, value] pairs")
        key = _decode(entry[0], blobs, caps, depth, spent)
        key = tuple(key) if _type(key) is list else key
        h = _hash(key)  # unhashable: TypeError
        seen = hashes.get(h, 0) + 1
        if seen > _HASH_REPEATS:
            raise ProtocolError("a dict's keys collide (too many share one hash value)")
        hashes[h] = seen
        out[key] = _decode(entry[1], blobs, caps, depth, spent)
    return out


def _decode_long(tree: dict, blobs: list[bytes], caps: dict, depth: int,
                 spent: list[int]) -> object:
    """A string, list, tuple or dict sent in parts (see :meth:`Encoder.encode`). Its
    size is bounded by the frame's (every part is a JSON container or string within
    the limits, and the header's bytes and values are capped)."""
    tag = tree["__long__"]
    parts = _items(tree.get("parts"), caps)
    if tag == "__str__":
        if any(_type(p) is not _str for p in parts):
            raise ProtocolError("a long string's parts must be strings")
        return _join(parts)
    items = [item for part in parts for item in _items(part, caps)]
    if tag == "__list__":
        return [_decode(v, blobs, caps, depth, spent) for v in items]
    if tag == "__tuple__":
        return tuple(_decode(v, blobs, caps, depth, spent) for v in items)
    if tag == "__dict__":
        return _decode_dict(items, blobs, caps, depth, spent)
    raise ProtocolError("unknown long value")


def _items(value: object, caps: dict) -> list:
    if _type(value) is not list or _len(value) > caps["items"]:
        raise ProtocolError("malformed or oversized container")
    return value


def _name(value: object, limit: int = _NAME_CHARS) -> str:
    if _type(value) is not _str or _len(value) > limit:
        raise ProtocolError("a name in the payload is not short text")
    return value


def class_name(value: object) -> str:
    """A class name from the sandbox as messages may quote it: a dotted Python identifier
    of at most 200 characters, else ``<unnamed class>``. ``type("@everyone **passed**",
    (Exception,), {})`` is a class too; its name would reach a verdict's sentence."""
    if _type(value) is not _str or not 0 < _len(value) <= 200 or not all(
            part.isidentifier() for part in value.split(".")):
        return "<unnamed class>"
    return value


def _np_dtype(name: object, caps: dict) -> object:
    if not _np_dtype_ok(name):
        raise ProtocolError("unsupported NumPy dtype")
    dtype = _np.dtype(name)
    if dtype.itemsize > 4 * caps["string_chars"]:
        raise ProtocolError("NumPy text items are too long")
    return dtype


def _shape(value: object, caps: dict) -> tuple[tuple[int, ...], int]:
    """(shape, number of elements) of a declared shape, or ProtocolError."""
    if _type(value) is not list or _len(value) > caps["ndim"]:
        raise ProtocolError("malformed shape")
    numel, span = 1, 1
    for s in value:
        if _type(s) is not _int or not 0 <= s <= caps["dim"]:
            raise ProtocolError("malformed shape")
        numel *= s
        span *= s or 1
        if span > caps["span"]:
            raise ProtocolError("shape is too large to represent")
    return tuple(value), numel


def _blob_of(tree: dict, blobs: list[bytes]) -> bytes:
    index = tree.get("blob")
    if _type(index) is not _int or not 0 <= index < _len(blobs):
        raise ProtocolError("payload reference out of range")
    return blobs[index]


def _charge(spent: list[int], elements: int, size: int, caps: dict) -> None:
    """Counts a decoded payload against the call's totals (``spent``: elements, bytes)."""
    spent[0] += elements
    spent[1] += size
    _within(spent[0], spent[1], caps)


def _within(elements: int, size: int, caps: dict) -> None:
    if elements > caps["elements"]:
        raise ResultTooLarge(f"the results are too large: their tensors and arrays hold "
                             f"{elements:,} elements or more, over the limit of "
                             f"{caps['elements']:,}")
    if size > caps["blob_bytes"]:
        raise ResultTooLarge(f"the results are too large: their tensors and arrays hold "
                             f"{size:,} bytes or more, over the limit of {caps['blob_bytes']:,}")


def _decode_tensor(tree: dict, blobs: list[bytes], caps: dict, depth: int,
                   spent: list[int]) -> object:
    if depth > caps["depth"]:
        raise ProtocolError("value is nested too deeply")
    name = _name(tree["__tensor__"]).replace("torch.", "")
    dtype = _TORCH_DTYPES.get(name)
    if dtype is None:
        raise ProtocolError(f"tensors of dtype {name!r} are not carried by the protocol")
    shape, numel = _shape(tree.get("shape"), caps)
    data = _blob_of(tree, blobs)
    if _len(data) != numel * _ITEMSIZE[name]:
        raise ProtocolError("tensor payload does not match its shape")
    _charge(spent, numel, _len(data), caps)
    if not data:
        t = _torch.empty(shape, dtype=dtype)
    else:
        t = _frombuffer(bytearray(data), dtype=_uint8).view(dtype).reshape(shape)
    grad = tree.get("grad")
    if grad is not None and (_type(grad) is not _dict or "__tensor__" not in grad):
        raise ProtocolError("a gradient must be a tensor")
    cls = tree.get("class", "Tensor")
    meta = TensorMeta(
        device=_name(tree.get("device", "cpu")),
        requires_grad=bool(tree.get("requires_grad")),
        is_leaf=bool(tree.get("is_leaf", True)),
        cls=class_name(_name(cls, 200)),
        grad=_decode_tensor(grad, blobs, caps, depth + 1, spent) if grad is not None else None,
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


class _RawJSON:
    """Text already serialised by :func:`_to_json` (and measured), emitted as is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _to_json(value: object, out: list) -> tuple[int, int]:
    """JSON writer that relies on nothing the learner's code can patch.

    Returns (JSON values written, nesting depth), the two figures the
    decoder limits besides the byte size.
    """
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
    elif t is _RawJSON:
        out.append(value.text)
        return 0, 0  # already counted when it was serialised
    elif t is list or t is tuple:
        out.append("[")
        nodes, depth = 1, 0
        for i, item in _enumerate(value):
            if i:
                out.append(",")
            n, d = _to_json(item, out)
            nodes += n
            depth = d if d > depth else depth
        out.append("]")
        return nodes, depth + 1
    elif t is _dict:
        out.append("{")
        nodes, depth = 1, 0
        for i, (k, v) in _enumerate(_dict_items(value)):
            if i:
                out.append(",")
            out.append(_encode_str(k if _type(k) is _str else _repr(k)))
            out.append(":")
            n, d = _to_json(v, out)
            nodes += n
            depth = d if d > depth else depth
        out.append("}")
        return nodes, depth + 1
    else:
        out.append(_encode_str(_repr(value)))
    return 1, 0


class _HeaderBudget:
    """Keeps a result header inside the decoder's limits, probe by probe.

    A probe whose data would push the header over the byte, value-count or
    depth limit gets a clear error instead (and its blobs are dropped), so
    the frame stays decodable and the other checks are still judged.
    """

    RESERVE_BYTES = 64 * 1024  # the envelope: kind, the learner's error, timings
    RESERVE_NODES = 10_000
    ENVELOPE_DEPTH = 2  # header -> probes -> this probe's result

    def __init__(self, caps: dict) -> None:
        self.bytes_left = caps["header_bytes"] - self.RESERVE_BYTES
        self.nodes_left = caps["nodes"] - self.RESERVE_NODES
        self.depth = caps["depth"] - self.ENVELOPE_DEPTH

    def admit(self, result: dict, enc: Encoder, blob_mark: int) -> _RawJSON:
        parts: list = []
        try:
            nodes, depth = _to_json(result, parts)
            text = _join(parts)
            problem = "too large to send back (over the result size limit)" if (
                _len(text) > self.bytes_left or nodes > self.nodes_left
                or depth > self.depth) else ""
        except BaseException as exc:  # what the learner's code put in an error, say
            problem = f"impossible to send back ({exception_type_name(_type(exc))})"
        if problem:
            enc.drop_blobs(blob_mark)
            error = {"type": "ProbeError", "message": f"the values produced are {problem}",
                     "frames": []}
            parts = []
            nodes, _ = _to_json({"error": error, "ms": result.get("ms", 0.0)}, parts)
            text = _join(parts)
        self.bytes_left -= _len(text)
        self.nodes_left -= nodes
        return _RawJSON(text)


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


def unpack_frame(data: bytes, caps: dict) -> tuple[dict, list[bytes]]:
    """Header and blobs of a frame; :class:`ProtocolError` on anything else.

    The header's declared size is checked before a byte of it is parsed, and
    its structure (values, depth, container sizes) right after, so the JSON
    parser never sees more than ``caps["header_bytes"]``.
    """
    view = memoryview(data)
    if _len(view) < 4:
        raise ProtocolError("truncated frame")
    (n,) = _unpack(">I", view[:4])
    if n > caps["header_bytes"]:
        raise ProtocolError(f"frame header of {n} bytes is over the limit of "
                            f"{caps['header_bytes']} bytes")
    if 4 + n > _len(view):
        raise ProtocolError("truncated frame header")
    try:
        header = _json_loads(bytes(view[4 : 4 + n]))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ProtocolError(f"frame header is not valid JSON ({_type(exc).__name__})") from None
    if _type(header) is not _dict:
        raise ProtocolError("frame header is not an object")
    _check_json(header, caps)
    sizes = header.get("blob_sizes", [])
    if _type(sizes) is not list or _len(sizes) > caps["blobs"]:
        raise ProtocolError("frame blob sizes are malformed")
    if _len(view) - 4 - n > caps["blob_bytes"]:
        # An honest frame's payloads are within the cap (the encoder keeps them there);
        # more would be copied here whether or not a value names them.
        raise ResultTooLarge(f"the results are too large: their payloads hold "
                             f"{_len(view) - 4 - n:,} bytes, over the limit of "
                             f"{caps['blob_bytes']:,}")
    blobs, pos = [], 4 + n
    for size in sizes:
        if _type(size) is not _int or size < 0 or pos + size > _len(view):
            raise ProtocolError("frame blob sizes are inconsistent")
        blobs.append(bytes(view[pos : pos + size]))
        pos += size
    if pos != _len(view):
        raise ProtocolError("trailing bytes after frame")
    return header, blobs


def _check_json(tree: object, caps: dict) -> None:
    """Counts values, depth, container sizes and string lengths (iteratively), and
    the elements and bytes the frame's tensors and arrays declare (:class:`ResultTooLarge`)."""
    nodes, stack = 0, [(tree, 1)]
    items, depth_cap, chars = caps["items"], caps["depth"], caps["string_chars"]
    elements = size = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > caps["nodes"]:
            raise ProtocolError("frame header holds too many values")
        t = _type(value)
        if t is _dict or t is list:
            if depth > depth_cap:
                raise ProtocolError("frame header is nested too deeply")
            if _len(value) > items:
                raise ProtocolError("frame header holds an oversized container")
            if t is _dict:
                for key in value:
                    if _len(key) > chars:
                        raise ProtocolError("frame header holds an oversized key")
                if "__tensor__" in value or "__ndarray__" in value:
                    numel, itemsize = _declared(value, caps)
                    elements += numel
                    size += numel * itemsize
                    _within(elements, size, caps)
                children = value.values()
            else:
                children = value
            stack.extend((child, depth + 1) for child in children)
        elif t is _str and _len(value) > chars:
            raise ProtocolError("frame header holds an oversized string")


def _declared(node: dict, caps: dict) -> tuple[int, int]:
    """(elements, bytes per element) a tensor or array node of a frame header
    declares; (0, 0) for one :func:`decode` will refuse anyway."""
    shape = node.get("shape")
    if _type(shape) is not list or _len(shape) > caps["ndim"]:
        return 0, 0
    numel = 1
    for s in shape:
        if _type(s) is not _int or not 0 <= s <= caps["dim"]:
            return 0, 0
        numel *= s
    if "__tensor__" in node:
        name = node["__tensor__"]
        itemsize = _ITEMSIZE.get(name.replace("torch.", ""), 1) if _type(name) is _str else 1
    else:
        name = node["__ndarray__"]
        itemsize = _np.dtype(name).itemsize if _np is not None and _np_dtype_ok(name) else 1
    return numel, itemsize


def result_header(header: dict) -> dict:
    """A ``result`` frame header in its expected shape, the learner's errors cleaned.

    ``probes`` maps ids to ``{"ok": tree}`` or ``{"error": {...}}``; every
    error is rebuilt from typed fields, so code reading it (messages,
    limit detection, the learner's line) never meets an unexpected type.
    """
    probes = header.get("probes")
    if probes is None:
        probes = {}
    if _type(probes) is not _dict:
        raise ProtocolError("frame probes are not an object")
    clean = {}
    for probe_id, outcome in probes.items():
        if _type(outcome) is not _dict or ("ok" not in outcome and "error" not in outcome):
            raise ProtocolError("a probe outcome is malformed")
        if "error" in outcome:
            clean[probe_id] = {"error": clean_error(outcome["error"])}
        else:
            clean[probe_id] = {"ok": outcome["ok"]}
    error = header.get("error")
    return {**header, "probes": clean, "error": None if error is None else clean_error(error)}


def clean_error(err: object) -> dict:
    """An exception description with every field of its expected type."""
    if _type(err) is not _dict:
        return {"type": "Error", "message": _str(err)[:_CODE_CHARS], "frames": []}

    def text(key: str, limit: int | None) -> str:
        value = err.get(key)
        return value[:limit] if _type(value) is _str else ""

    def number(value: object) -> int | None:
        return value if _type(value) is _int else None

    frames = err.get("frames")
    out = {
        "type": class_name(text("type", 200)) if text("type", 200) else "Error",
        "message": text("message", None),  # already bounded by the header's limits
        "frames": [
            {"line": number(f.get("line")), "code": f.get("code")[:_CODE_CHARS]
             if _type(f.get("code")) is _str else ""}
            for f in (frames if _type(frames) is list else [])[-_ERROR_FRAMES:]
            if _type(f) is _dict
        ],
    }
    for key in ("errno", "line", "offset"):
        if number(err.get(key)) is not None:
            out[key] = err[key]
    if "text" in err:
        out["text"] = text("text", _CODE_CHARS)
    return out


# --------------------------------------------------------------------------
# Running code and probes
# --------------------------------------------------------------------------


def clip_middle(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: its head and its tail around a mark
    saying how much was cut. An exception's point is often at its end (the shapes a
    state dict's tensor and the model's disagree on, after the list of missing
    keys), so a long message is never cut to its head alone."""
    size = _len(text)
    if size <= limit:
        return text
    keep = limit  # characters of ``text`` kept; the mark's length depends on the rest
    while True:
        mark = f" …[{size - keep:,} characters cut]… "
        if keep < 2:
            return text[:limit]
        if keep + _len(mark) <= limit:
            break
        keep = limit - _len(mark)
    head = (keep + 1) // 2
    return text[:head] + mark + text[size - (keep - head):]


def describe_exception(exc: BaseException, chars: int, filename: str = "<submission>") -> dict:
    """Type, message (at most ``chars``: head and tail) and the learner's own frames only.

    Plain data whatever the exception: its class, message, traceback and ``errno``
    / ``lineno`` / ``text`` are the learner's to define (properties that raise,
    objects with a hostile ``__repr__``, str subclasses), and one that could not be
    serialised would lose the whole result frame, not just this error.
    """
    try:
        frames = [
            {"line": _small_int(f.lineno), "code": _exact_str(f.line or "")[:_CODE_CHARS]}
            for f in _format_tb(BaseException.__dict__["__traceback__"].__get__(exc))
            if f.filename == filename
        ]
    except BaseException:
        frames = []
    try:
        message = clip_middle(_exact_str(_str(exc)), chars)
    except BaseException:
        message = "<unprintable message>"
    out = {"type": exception_type_name(_type(exc)), "message": message,
           "frames": frames[-_ERROR_FRAMES:]}
    if _isinstance(exc, OSError):
        out["errno"] = _attribute(exc, "errno")
    if _isinstance(exc, SyntaxError):
        out["line"] = _attribute(exc, "lineno")
        out["offset"] = _attribute(exc, "offset")
        try:
            text = exc.text
            out["text"] = _exact_str(text)[:_CODE_CHARS] if _isinstance(text, _str) else ""
        except BaseException:
            out["text"] = ""
    return out


def _small_int(value: object) -> int | None:
    return value if _type(value) is _int and -(2**62) < value < 2**62 else None


def _attribute(exc: BaseException, name: str) -> int | None:
    """An exception's numeric attribute (errno, lineno), or None if it is not a plain int."""
    try:
        return _small_int(_getattr(exc, name))
    except BaseException:
        return None


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
    elif event == "sys.addaudithook":
        # a hook cannot be removed, and would act inside every probe (it re-bound torch's
        # functions as each probe script started); Python drops the new hook silently
        raise PermissionError("audit hooks (sys.addaudithook) are not allowed")


def install_sandbox_policy() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_signal_policy)
        _hook_installed = True


_settrace, _setprofile = sys.settrace, sys.setprofile
_thread_settrace, _thread_setprofile = threading.settrace, threading.setprofile
_setitimer, _getsignal = signal.setitimer, signal.getsignal
_ITIMERS = (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)
_CATCHABLE = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]
_thread_count = _thread._count
_GC_CALLBACKS = _gc.callbacks  # the list the collector calls (whatever the name is bound to)
_sleep = time.sleep
_modules = sys.modules
_IMPORTED = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import|import[ \t]+([\w.]+))",
                       re.M)


class _JobGuard:
    """What a submission can leave behind to act *between* the harness's steps, undone
    before each probe (sandbox only): a trace or profile function, a ``gc`` callback, a
    signal handler or
    an interval timer (each fired in the gap after :func:`restore_pristine` and re-bound
    what it had just put back, before the probe took its functions), and a fake module
    put in ``sys.modules`` (``from torch.optim.optimizer import …`` in a probe found the
    fake). Captured as the job starts, before the learner's code."""

    def __init__(self, probes: list | tuple = ()) -> None:
        # Only the modules the probes import (and the watched ones): copying all of
        # sys.modules cost each job 3 ms (see _WATCHED_MODULES).
        names = set(_WATCHED_MODULES)
        for probe in probes:
            code = probe.get("code") if _type(probe) is _dict else None
            if _type(code) is _str:
                for found in _IMPORTED.findall(code):
                    name = found[0] or found[1]
                    parts = name.split(".")
                    names.update(".".join(parts[:i]) for i in _range(1, _len(parts) + 1))
        self.modules = {n: _modules[n] for n in names if n in _modules}
        self.handlers = {}
        for sig in _CATCHABLE:
            try:  # noqa: SIM105 (the job's start: nothing of the learner's yet, but one style)
                self.handlers[sig] = _getsignal(sig)
            except BaseException:  # a signal Python cannot read: nothing to put back
                pass
        self.threads = _thread_count()
        self.gc_callbacks = list(_GC_CALLBACKS)

    def restore(self) -> None:
        _GC_CALLBACKS[:] = self.gc_callbacks  # a callback runs at any collection
        for undo in (lambda: _settrace(None), lambda: _setprofile(None),
                     lambda: _thread_settrace(None), lambda: _thread_setprofile(None)):
            try:  # noqa: SIM105 (no contextlib: the learner may have patched it)
                undo()
            except BaseException:
                pass
        for timer in _ITIMERS:
            try:  # noqa: SIM105
                _setitimer(timer, 0)
            except BaseException:
                pass
        for sig, handler in _dict_items(self.handlers):
            try:
                if _getsignal(sig) is not handler:
                    _set_signal(sig, handler)
            except BaseException:
                pass
        for name, module in _dict_items(self.modules):
            if _modules.get(name) is not module:
                _modules[name] = module

    def threads_left(self, wait_s: float = 0.2) -> int:
        """How many threads the learner's code left running (after waiting up to
        ``wait_s`` for them to end)."""
        waited = 0.0
        while _thread_count() > self.threads and waited < wait_s:
            _sleep(0.01)
            waited += 0.01
        return max(0, _thread_count() - self.threads)


#: The running job's guard (set by :func:`execute` in the sandbox only).
_JOB: _JobGuard | None = None


def _thread_error(n: int, where: str) -> dict:
    """The error of a job (or a probe) after which the learner's threads still run: the
    checks cannot observe anything beside code that keeps running."""
    return {"type": "RuntimeError",
            "message": f"your code left {n} thread{'s' if n != 1 else ''} running {where}: "
                       "join every thread you start (thread.join()) before your code "
                       "returns — the checks cannot run beside it",
            "frames": []}


def run_code(source: str, chars: int, filename: str = "<submission>"
             ) -> tuple[dict, dict | None]:
    """Executes ``source`` as a module; returns (namespace, error or None)."""
    ns: dict = {"__name__": "__submission__", "__builtins__": builtins}
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, ns)
    except BaseException as exc:
        return ns, describe_exception(exc, chars, filename)
    return ns, None


def run_probe(probe: dict, ns: dict, inputs: object, enc: Encoder,
              sandboxed: bool = False) -> dict:
    """One probe -> {"ok": tree} or {"error": {...}}; never raises. A probe script sees
    ``SANDBOXED``: in the jail, where its job is the only one, a recorder counts what
    every thread does; in the judge, references of other jobs run in other threads."""
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
            scope: dict = {"__name__": "__probe__", "__builtins__": builtins,
                           "PRISTINE": PRISTINE, "restore_pristine": restore_pristine,
                           "SANDBOXED": sandboxed}
            exec(compile(probe["code"], "<probe>", "exec"), scope)
            value = scope["probe"](ns, probe_inputs)
        else:
            raise ProbeError(f"unknown probe op {op!r}")
        tree = enc.encode(value)
    except BaseException as exc:
        return {"error": describe_exception(exc, enc.caps["string_chars"]),
                "ms": (_perf() - start) * 1000}
    return {"ok": tree, "ms": (_perf() - start) * 1000}


def _tell_progress(fd: int) -> None:
    """One byte on the progress pipe: "starting the next probe". Never blocks
    (the pipe is non-blocking) and never fails the job: the learner may have
    closed, replaced or filled the descriptor, and progress is only a courtesy."""
    try:  # noqa: SIM105 (no contextlib: the learner may have patched it by now)
        _os_write(fd, b"\x01")
    except BaseException:
        pass


def execute(job: dict, job_blobs: list[bytes], sandboxed: bool = False,
            progress_fd: int | None = None) -> bytes:
    """Runs one job (source + probes) and returns the result frame.

    Used by the sandboxed child on learner code and by the judge on reference
    code; the two frames are then compared outside the sandbox. The
    protocol's caps travel in the job (``limits.protocol``). ``progress_fd``
    (sandbox only) gets one byte as each probe starts (see ``zygote.py``).
    """
    caps = job["limits"]["protocol"]
    seed = job.get("seed", 0)
    if _torch is not None:
        _torch.manual_seed(seed)
    if _np is not None:
        _np.random.seed(seed % (2**32))
    inputs = decode(job["inputs"], job_blobs, caps) if job.get("inputs") is not None else None
    global _JOB
    _JOB = _JobGuard(job.get("probes") or ()) if sandboxed else None
    t0 = _perf()
    ns, error = run_code(job["source"], caps["string_chars"])
    run_ms = (_perf() - t0) * 1000
    if sandboxed:  # the judge runs only our references: nothing to undo there
        restore_pristine()
        left = _JOB.threads_left()
        if left and error is None:
            error = _thread_error(left, "after the module ran")
    if progress_fd is not None:
        # A progress write to a pipe the zygote stopped reading must fail with
        # EPIPE, not kill the job: the learner may have re-armed SIGPIPE.
        try:  # noqa: SIM105
            _set_signal(_SIGPIPE, _SIG_IGN)
        except BaseException:
            pass
        if _JOB is not None:  # and so it stays, whatever the learner's code set
            _JOB.handlers[_SIGPIPE] = _SIG_IGN
    enc = Encoder(caps)
    budget = _HeaderBudget(caps)
    probes = {}
    for probe in job.get("probes", []):
        mark = _len(enc.blobs)
        if progress_fd is not None:
            _tell_progress(progress_fd)
        outcome = run_probe(probe, ns, inputs, enc, sandboxed)
        if sandboxed and probe.get("op") != "get":  # reading a name runs no learner code
            restore_pristine()
            left = _JOB.threads_left()
            if left:
                outcome = {"error": _thread_error(left, "after a check called it"),
                           "ms": outcome.get("ms", 0)}
        probes[probe["id"]] = budget.admit(outcome, enc, mark)
    header = {"kind": "result", "error": error, "probes": probes, "run_ms": run_ms}
    return pack_frame(header, enc.blobs)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = _os_write(fd, view)
        view = view[n:]
