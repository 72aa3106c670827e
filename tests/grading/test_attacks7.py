"""Seventh attack round: what a job leaves in the warm zygote's memory for the next
job's child to read, and values the harness encodes differently from what they are.

Each test names the class of hole it closes; the attack is the smallest example.
Most tests use a one-worker pool, so "the next job" is forked from the zygote that
ran the attack.
"""

from __future__ import annotations

import secrets
import textwrap
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from grader.grading import Grader
from grader.limits import PROTOCOL, GraderSettings
from grader.pool import SandboxPool
from grader.sandbox import harness

ASYNC = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def one_worker(curriculum) -> AsyncIterator[Grader]:
    settings = GraderSettings(workers=1, max_queue=16)
    grader = Grader(curriculum, SandboxPool(settings), settings)
    await grader.start()
    yield grader
    await grader.close()


def _with(curriculum, *code: str) -> str:
    """A correct 1.1.1 solution followed by ``code`` (each part dedented on its own)."""
    return "\n".join([curriculum.get("1.1.1").reference, *map(textwrap.dedent, code)])


# ---- the zygote's heap: a job's bytes freed there without a wipe ---------------------

#: Reads the child's own malloc heap (inherited from the zygote at fork) without /proc:
#: from the program break down, 64 KiB at a time, through a pipe (an unmapped address
#: is EFAULT, not a crash), and prints every ``LEAK-<hex>`` marker found, and whether it
#: saw a 100 KB buffer of its own (so a scan that reads nothing cannot pass).
HEAP_SCAN = r"""
import ctypes, os, re
own = bytearray(b"OWN!" * 25_000)
libc = ctypes.CDLL(None, use_errno=True)
libc.sbrk.restype = ctypes.c_void_p
libc.sbrk.argtypes = [ctypes.c_long]
libc.write.restype = ctypes.c_ssize_t
libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
r, w = os.pipe()
step = 1 << 16
addr = (libc.sbrk(0) & ~0xFFFF) - step
found, seen_own = set(), False
pattern = re.compile(rb"LE" rb"AK-([0-9a-f]{24})")
for _ in range(40000):
    n = libc.write(w, addr, step)
    if n <= 0:
        break
    data = b""
    while len(data) < n:
        data += os.read(r, n - len(data))
    found.update(m.decode() for m in pattern.findall(data))
    seen_own = seen_own or b"OWN!OWN!OWN!OWN!" in data
    addr -= step
print(sorted(found), seen_own)
"""


@ASYNC
@pytest.mark.parametrize("channel", ["stdout", "exception", "progress-pipe"])
async def test_a_jobs_bytes_do_not_reach_the_next_jobs_memory(one_worker, curriculum,
                                                               channel):
    """The zygote copies each chunk of a child's output and result through its wiped
    buffers; a temporary copy freed unwiped (``bytearray(scratch[:n])``, the progress
    pipe read into fresh bytes) would stay in the heap the next child is forked from.
    Not readable in practice (glibc trims those chunks off the top of the heap), and the
    copies are gone now; kept as a regression test with a scan that must see its own
    buffer."""
    secret = secrets.token_hex(12)
    marker = "LE" + "AK-" + secret
    leak = {
        "stdout": f"print({marker!r} * 200)",
        "exception": f"raise ValueError({marker!r} * 100)",
        "progress-pipe": f"import os\nos.write(4, {marker!r}.encode() * 1500)",
    }[channel]
    first = await one_worker.grade("1.1.1", _with(curriculum, leak))
    assert first["status"] in ("passed", "error"), first
    thief = await one_worker.grade("1.1.1", _with(curriculum, HEAP_SCAN))
    assert thief["status"] == "passed", thief
    assert thief["stdout"].strip().endswith("True"), "the heap scan read nothing"
    assert secret not in thief["stdout"], thief["stdout"]


# ---- the encoder: a value sent back as a different value ------------------------------

def _run(source: str, names: list[str]) -> dict:
    """Runs ``source`` through the harness (as the sandbox and the references do), takes
    the frame back as the judge does, and returns each name's decoded value or error."""
    caps = PROTOCOL.for_child()
    job = {"source": source, "probes": [{"id": n, "op": "get", "name": n} for n in names],
           "seed": 0, "limits": {"protocol": caps}}
    frame = harness.execute(job, [], sandboxed=True)
    header, blobs = harness.unpack_frame(frame, caps)
    header = harness.result_header(header)
    assert header["kind"] == "result" and header["error"] is None, header
    out = {}
    for name, outcome in header["probes"].items():
        out[name] = (harness.decode(outcome["ok"], blobs, caps) if "ok" in outcome
                     else outcome["error"])
    return out


LONG_VALUES = """
import numpy as np
events = "FLBS" * 1000 + "FLbS"          # 4,004 events: the last step's gradients were stale
steps = [0.5] * 10_000 + [99.0]           # one item more than a JSON container holds
pair = tuple(range(10_001))
seen = {i: i for i in range(10_001)}
scalar = np.array(5.0)                    # 0-d, not shape (1,)
"""


def test_values_longer_than_a_container_arrive_whole():
    """The encoder cut strings to 4,000 characters and lists, tuples and dicts to 10,000
    items without a word: a training loop's event string whose 1,001st step backpropagated
    onto stale gradients read exactly like a correct one, and a list with a wrong tail (or
    one item too many) like the right list. ``np.ascontiguousarray`` made a 0-d array 1-d.
    Now every value arrives as it is (in parts when long) or as a clear error."""
    got = _run(LONG_VALUES, ["events", "steps", "pair", "seen", "scalar"])
    assert got["events"] == "FLBS" * 1000 + "FLbS"
    assert got["steps"] == [0.5] * 10_000 + [99.0]
    assert got["pair"] == tuple(range(10_001))
    assert got["seen"] == {i: i for i in range(10_001)}
    assert got["scalar"].shape == () and float(got["scalar"]) == 5.0


def test_a_value_too_long_for_the_frame_is_a_clear_error_and_the_others_arrive():
    got = _run("big = 'x' * 2_000_000\nhuge = [0] * 300_000\nsmall = [1, 2]\n",
               ["big", "huge", "small"])
    assert "too long to send back" in got["big"]["message"], got["big"]
    assert "too long to send back" in got["huge"]["message"], got["huge"]
    assert got["small"] == [1, 2]


HOSTILE_ERRORS = '''
import sys

class Loud:
    def __repr__(self):
        raise RuntimeError("no repr for you")

class Meta(type):
    @property
    def __name__(cls):
        raise RuntimeError("no name for you")

class Weird(OSError, metaclass=Meta):
    pass

class Shouty(str):
    def __getitem__(self, key):
        return Loud()
    def __len__(self):
        return 10 ** 6

def bad_errno():
    e = OSError("disk")
    e.errno = Loud()
    raise e

def bad_syntax():
    e = SyntaxError("bad")
    e.lineno, e.offset, e.text = Loud(), 10 ** 5000, Loud()
    raise e

def bad_class():
    raise Weird("odd")

class Message(Exception):
    def __str__(self):
        return Shouty("hello")

def bad_message():
    raise Message()

sys.set_int_max_str_digits(640)
big = 10 ** 700                       # more digits than JSON (or this interpreter) will print
ok = [1, 2, 3]
'''


def test_hostile_exceptions_and_huge_ints_do_not_lose_the_frame():
    """An exception's errno, lineno and text, a class name from a metaclass, a message of
    a str subclass, and an int of more digits than ``int.__repr__`` allows were
    serialised as they were: the first that failed (a ``__repr__`` that raises, a
    ValueError from the digit limit) escaped the harness and lost the whole result frame
    — every check read "the sandbox failed to start your job". Now each is plain data or
    that probe's own error."""
    caps = PROTOCOL.for_child()
    calls = ["bad_errno", "bad_syntax", "bad_class", "bad_message"]
    probes = [{"id": n, "op": "call", "name": n} for n in calls]
    probes += [{"id": n, "op": "get", "name": n} for n in ("big", "ok")]
    job = {"source": HOSTILE_ERRORS, "probes": probes, "seed": 0, "limits": {"protocol": caps}}
    frame = harness.execute(job, [], sandboxed=True)
    header, blobs = harness.unpack_frame(frame, caps)
    header = harness.result_header(header)
    probes_out = header["probes"]
    assert harness.decode(probes_out["ok"]["ok"], blobs, caps) == [1, 2, 3]
    assert "600 digits" in probes_out["big"]["error"]["message"]
    assert probes_out["bad_errno"]["error"]["type"] == "OSError"
    assert probes_out["bad_syntax"]["error"]["type"] == "SyntaxError"
    assert probes_out["bad_class"]["error"]["type"] == "Weird"
    assert probes_out["bad_message"]["error"]["message"] == "hello"


# ---- the seed: the sandbox ran under the seed the hidden data was drawn from ----------

#: 3.3.3b's hidden data sets are drawn by its public ``make_datasets(rng)`` from
#: ``default_rng([seed, _stable_hash(check id)])`` — labels of the held-out rows (kept
#: outside, ``Hidden.secret``) included. This learner redraws them from the seed it runs
#: under and says whether its training rows are the ones it predicted.
SEED_THIEF = r"""
import numpy as np
import torch

def _stable_hash(text):
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % (2**31)

rng = np.random.default_rng([torch.initial_seed(), _stable_hash("logistic_regression")])
rng.uniform(0, 2 * np.pi), rng.uniform(1.5, 3), rng.uniform(0.6, 1.0), rng.choice([-1.0, 1.0])
redrawn = rng.standard_normal((200, 2)).astype(np.float32)

def train_logistic_regression(X, y, num_epochs=1000, learning_rate=0.1):
    print("REDRAWN" if np.allclose(X.numpy(), redrawn) else "different")
    return torch.zeros(2, 1), torch.zeros(1)

def predict_proba(X, w, b):
    return torch.full((X.shape[0], 1), 0.5)
"""


@ASYNC
async def test_the_sandbox_cannot_redraw_the_hidden_data_from_its_seed(grader):
    """torch.manual_seed(seed) ran the learner's code under the very seed the hidden
    inputs and their held-out labels were drawn from: ``torch.initial_seed()`` gave it
    back, and the curriculum's input functions are public, so a submission could redraw
    every hidden case and label (and predict held-out rows without learning). The code
    now runs under a one-way function of the seed (the reference too: a grading is still
    reproduced from its seed)."""
    result = await grader.grade("3.3.3b", SEED_THIEF, seed=1234)
    assert result["status"] != "passed", result
    assert "different" in result["stdout"] and "REDRAWN" not in result["stdout"], result


# ---- the judge's time: a forged dict whose keys all share one hash --------------------

def test_a_forged_dict_of_colliding_keys_is_refused_at_once():
    """ints k·(2**61 − 1) all hash to 0, so a dict of n of them costs n²/2 comparisons to
    build: a forged result of 10,000 such keys took the judge about a second — on the
    service's event loop for a drill — and several of them per frame longer. The decoder
    now refuses a dict whose keys share one hash value more than a few times."""
    import time

    caps = PROTOCOL.for_child()
    keys = [[i * (2**61 - 1), 0] for i in range(10_000)]
    frame = harness.pack_frame({"v": {"__dict__": keys}}, [])
    header, blobs = harness.unpack_frame(frame, caps)
    started = time.perf_counter()
    with pytest.raises(harness.ProtocolError, match="collide"):
        harness.decode(header["v"], blobs, caps)
    assert time.perf_counter() - started < 0.1
    honest = {i: i for i in range(10_000)} | {(i, "x"): i for i in range(100)}
    enc = harness.Encoder(caps)
    assert harness.decode(enc.encode(honest), enc.blobs, caps) == honest


# ---- kernel surface and scheduling a job inherits from its host -----------------------

IO_URING = r"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(425, 4, ctypes.create_string_buffer(120))   # io_uring_setup(4 entries)
print("io_uring", "refused" if fd < 0 else "granted", ctypes.get_errno())
"""

REAL_TIME = r"""
import os
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    print("fifo granted")
except OSError as exc:
    print("fifo refused", exc.errno)
"""


@ASYNC
async def test_the_learner_cannot_set_up_io_uring(grader, curriculum):
    """io_uring is a large kernel surface of its own (the source of many kernel exploits;
    Docker's default profile refuses it) that no job needs; the job's filter allowed it."""
    result = await grader.grade("1.1.1", _with(curriculum, IO_URING))
    assert result["status"] == "passed", result
    assert "io_uring refused 1" in result["stdout"], result["stdout"]


@pytest.fixture
def host_rtprio():
    """A host whose processes may ask for real-time priority (systemd's LimitRTPRIO=,
    ``docker run --ulimit rtprio=…``): a pool started under it inherits the limit."""
    import resource

    before = resource.getrlimit(resource.RLIMIT_RTPRIO)
    try:
        resource.setrlimit(resource.RLIMIT_RTPRIO, (5, max(5, before[1])))
    except (ValueError, OSError):
        pytest.skip("RLIMIT_RTPRIO cannot be raised here (no CAP_SYS_RESOURCE)")
    yield
    resource.setrlimit(resource.RLIMIT_RTPRIO, before)


@ASYNC
async def test_no_real_time_scheduling_for_the_learner(curriculum, host_rtprio):
    """Where the host's RLIMIT_RTPRIO is not 0, a job could switch itself to SCHED_FIFO:
    a busy loop that then runs ahead of every other job on its core for its whole CPU
    limit (the zygote held RLIMIT_NICE at 0, not RLIMIT_RTPRIO). The child's
    RLIMIT_RTPRIO is 0 now."""
    settings = GraderSettings(workers=1, max_queue=4)
    grader = Grader(curriculum, SandboxPool(settings), settings)
    await grader.start()
    try:
        result = await grader.grade("1.1.1", _with(curriculum, REAL_TIME))
    finally:
        await grader.close()
    assert result["status"] == "passed", result
    assert "fifo refused 1" in result["stdout"], result["stdout"]


# ---- the worker's cgroup counters: events between two jobs ---------------------------

class _Counters:
    """A worker cgroup whose breach counters the test moves by hand."""

    def __init__(self) -> None:
        self.values = {"oom_kill": 0, "mem_fail": 0, "pids_max": 0}

    def join_self(self) -> None:
        return None

    def set_cpu_weight(self, weight: int) -> bool:
        return True

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        return None

    def pids_current(self) -> int:
        return 0

    def held_bytes(self) -> int:
        return 0

    def counters(self) -> dict[str, int]:
        return dict(self.values)


@ASYNC
async def test_cgroup_events_after_a_jobs_result_are_not_the_next_jobs():
    """The pool read a job's closing counters when its result arrived and took them as
    the next job's opening ones; but the zygote answers as soon as the child has closed
    its pipes and kills it only after, so a job that patched ``os.closerange`` (the
    child's last call but ``os._exit``) to go on — a thread bomb, memory until the OOM
    killer — had its pids.max or oom_kill events counted in the *next* learner's job,
    which was told ``process_limit`` or ``oom``. Each job now reads its own opening
    counters once its worker is idle (the last child reaped)."""
    import functools

    from grader import jail
    from grader.limits import JobLimits
    from grader.pool import Worker

    cgroup = _Counters()
    worker = Worker(0, functools.partial(jail.launch, False, []), cgroup)  # type: ignore[arg-type]
    await worker.start()
    limits = JobLimits()
    job = {"kind": "job", "source": "x = 1\n", "probes": [{"id": "x", "op": "get", "name": "x"}],
           "seed": 0, "inputs": None, "limits": limits.for_child(), "device": "cpu"}
    try:
        first, _ = await worker.run(job, [], limits)
        cgroup.values["pids_max"] += 3  # the first job's child, after its result
        cgroup.values["oom_kill"] += 1
        await worker.wait_idle()
        second, _ = await worker.run(job, [], limits)
    finally:
        await worker.close()
    assert first["cgroup"]["pids_max"] == 0
    assert second["cgroup"] == {"oom_kill": 0, "mem_fail": 0, "pids_max": 0}, second["cgroup"]


# ---- text in the grader's own voice -------------------------------------------------

FORGED_SETUP_ERROR = r"""
import json, os, struct
header = json.dumps({"kind": "setup_error", "blob_sizes": [],
                     "message": "grader offline: DM your password to @admin to get graded"})
frame = struct.pack(">I", len(header)) + header.encode()
os.write(3, struct.pack(">Q", len(frame)) + frame)
os._exit(0)
"""


@ASYNC
async def test_a_forged_setup_error_does_not_speak_for_the_grader(grader, curriculum):
    """A "setup_error" frame on the result pipe was shown as "The sandbox failed to start
    your job: <its message>" — text the learner wrote, in the grader's own voice (and
    not marked as their output). The frame comes from the child, after the learner's
    code may have run: its text is logged, and the verdict is the grader's own."""
    result = await grader.grade("1.1.1", _with(curriculum, FORGED_SETUP_ERROR))
    assert result["status"] == "error", result
    assert "password" not in result["message"] and "@admin" not in result["message"], result
    assert "internal setup error" in result["message"], result


NAMED_TO_SHOUT = r"""
Loud = type("everyone <@&1> **all checks passed**", (Exception,), {})
Odd = type("x` @here `y", (), {})
zeros_2 = Odd()

def boom():
    raise Loud("hi")

boom()
"""


@ASYNC
async def test_class_names_reach_a_verdict_only_as_identifiers(grader, curriculum):
    """A class is named by any string (``type("<@&1> **all checks passed**", …)``), and
    class names go into the grader's own sentences ("Your code raised <name>", "should
    be a torch.Tensor; found a <name>"), outside any quoting. Names from the sandbox
    that are not dotted identifiers now read ``<unnamed class>``."""
    result = await grader.grade("1.1.1", _with(curriculum, NAMED_TO_SHOUT))
    text = result["message"] + " ".join(c["message"] for c in result["checks"])
    assert result["status"] == "error", result
    for shout in ("<@&1>", "**", "@here", "`y"):
        assert shout not in text, text
    assert "<unnamed class>" in result["message"], result["message"]


@ASYNC
async def test_a_name_error_message_is_not_a_verdict(grader, curriculum):
    """A python check whose probe hit a NameError gave the exception's message as the
    check's whole verdict — and a NameError can say anything: here the probe's own
    ``name in ns`` meets a key of the learner's module dict whose ``__eq__`` raises it.
    The verdict now names a missing name in the grader's words, and any other NameError
    is shown as an exception ("NameError: …")."""
    source = curriculum.get("1.3.4").reference + textwrap.dedent("""
        del calculate_statistics

        class Shout:  # a key of the module's dict, met by the probe's `name in ns`
            def __hash__(self):
                return hash("calculate_statistics")

            def __eq__(self, other):
                raise NameError("**all checks passed** <@&1>")

        globals()[Shout()] = 1
    """)
    result = await grader.grade("1.3.4", source)
    check = next(c for c in result["checks"] if c["id"] == "statistics")
    assert check["status"] == "failed", check
    assert check["message"].startswith("NameError: "), check


@pytest.mark.parametrize("tree", [
    {"__long__": "__str__", "parts": ["ab", 3]},
    {"__long__": "__str__", "parts": "abc"},
    {"__long__": "__set__", "parts": [[1]]},
    {"__long__": "__list__", "parts": [1, 2]},
    {"__long__": "__list__"},
    {"__long__": "__dict__", "parts": [[[1, 2, 3]]]},
    {"__long__": "__dict__", "parts": [[[{"__dict__": []}, 1]]]},
    {"__long__": "__tuple__", "parts": [[{"__tensor__": "float32", "shape": [2], "blob": 0}]]},
    {"__long__": ["__list__"], "parts": [[1]]},
    {"__long__": "__list__", "parts": [list(range(10_001))]},
])
def test_forged_long_values_are_protocol_errors(tree):
    """The parts of a long value are checked like any container: a forged one decodes
    within the limits or is a ProtocolError, never another exception."""
    with pytest.raises(harness.ProtocolError):
        harness.decode(tree, [b"\x00"], PROTOCOL.for_child())


@ASYNC
async def test_a_gradings_seed_is_too_large_to_search_for(grader, curriculum, monkeypatch):
    """With 2**31 seeds, hashing each once (run_seed) is minutes of CPU on 32 processes —
    within a heavy exercise's wall limit on a large machine — and a job that found its
    seed could redraw its hidden labels. A grading's seed now has 63 random bits (the
    stock's plans too)."""
    import grader.grading as grading
    from grader.stock import fresh_seed

    seeds = [fresh_seed() for _ in range(64)]
    assert len(set(seeds)) == 64 and max(seeds) >= 2**48 and max(seeds) < 2**63
    drawn: list[int] = []

    def recorded() -> int:
        drawn.append(fresh_seed())
        return drawn[-1]

    monkeypatch.setattr(grading, "fresh_seed", recorded)
    result = await grader.grade("1.1.1", curriculum.get("1.1.1").reference)
    assert result["status"] == "passed" and len(drawn) == 1, result


def test_payload_bytes_no_value_names_are_refused_before_they_are_copied():
    """unpack_frame copied every payload a frame declared (up to the 128 MB a job may
    send back) before anything checked that a value named it: the caps on elements and
    bytes count named payloads only. The frame's payload bytes are now held to
    ``blob_bytes`` first."""
    caps = {**PROTOCOL.for_child(), "blob_bytes": 1024}
    frame = harness.pack_frame({"kind": "result", "probes": {}}, [bytes(600), bytes(600)])
    with pytest.raises(harness.ResultTooLarge):
        harness.unpack_frame(frame, caps)
    header, blobs = harness.unpack_frame(harness.pack_frame({"v": 1}, [bytes(1000)]), caps)
    assert header["v"] == 1 and len(blobs[0]) == 1000
