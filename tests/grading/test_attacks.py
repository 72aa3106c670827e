"""The attack suite: hostile submissions end not-passed with the right status,
leave the grader serving the next job correctly, and leave the host untouched.

Kept and extended forever (cf. snekbox's tests that attack its own jail).
Every attack is appended to a *correct* 1.1.1 solution, so a pass would mean
the attack, not the drill, decided the verdict.
"""

from __future__ import annotations

import asyncio
import os
import socket
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

REPO = Path(__file__).resolve().parents[2]
CANARY = "canary-" + os.urandom(6).hex()
os.environ["TORCHDOJO_SECRET_CANARY"] = CANARY  # set before the session pool starts


def _solution(curriculum) -> str:
    return curriculum.get("1.1.1").reference


async def _attack(grader, curriculum, code: str, **kw) -> dict:
    source = _solution(curriculum) + "\n" + textwrap.dedent(code)
    result = await grader.grade("1.1.1", source, **kw)
    assert result["status"] != "passed", result
    # the grader still grades a correct solution right after the attack
    follow = await grader.grade("1.1.1", _solution(curriculum))
    assert follow["status"] == "passed", follow
    await asyncio.sleep(0.5)  # let both workers finish their clean-up
    assert all(w.alive for w in grader.pool._workers), "a warm worker died"
    return result


async def test_network_to_host_listener_is_unreachable(grader, curriculum):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        result = await _attack(grader, curriculum, f"""
            import socket
            socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"hello")
        """)
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()
    assert result["status"] == "error"
    assert "ConnectionRefusedError" in result["message"] or "OSError" in result["message"]


@pytest.mark.parametrize("path", [
    "/etc/shadow",
    "/etc/passwd",
    "/proc/1/environ",
    str(REPO / "grader" / "grading.py"),
    str(REPO / "curriculum" / "week1" / "1.1.1.ref.py"),
    str(REPO / "pyproject.toml"),
])
async def test_host_files_are_invisible(grader, curriculum, path):
    result = await _attack(grader, curriculum, f"print(open({path!r}).read()[:200])")
    assert result["status"] == "error"
    assert "FileNotFoundError" in result["message"]


async def test_environment_secret_is_invisible(grader, curriculum):
    result = await _attack(grader, curriculum, """
        import os
        print(dict(os.environ))
        secret = os.environ["TORCHDOJO_SECRET_CANARY"]
    """)
    assert result["status"] == "error" and "KeyError" in result["message"]
    assert CANARY not in result["stdout"]


async def test_fork_bomb(grader, curriculum):
    result = await _attack(grader, curriculum, """
        import os
        while True:
            os.fork()
    """)
    assert result["status"] in ("process_limit", "timeout"), result["message"]


async def test_thread_bomb(grader, curriculum):
    result = await _attack(grader, curriculum, """
        import threading, time
        while True:
            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    """)
    assert result["status"] == "process_limit", result["message"]


@pytest.mark.parametrize("code", [
    "import torch\nhuge = torch.ones(400_000_000)",
    "import torch\nhuge = torch.empty(10**11)",
    "hog = []\nwhile True:\n    hog.append(bytearray(50 * 1024 * 1024))",
])
async def test_memory_past_the_limit(grader, curriculum, code):
    result = await _attack(grader, curriculum, code)
    assert result["status"] == "oom", result["message"]
    assert "MB of memory" in result["message"]


@pytest.mark.slow
async def test_infinite_loop_hits_cpu_limit(grader, curriculum):
    result = await _attack(grader, curriculum, "while True:\n    pass")
    assert result["status"] == "timeout"
    assert "CPU" in result["message"] or "wall" in result["message"]


@pytest.mark.slow
async def test_sleep_forever_hits_wall_limit(grader, curriculum):
    result = await _attack(grader, curriculum, "import time\ntime.sleep(1e9)")
    assert result["status"] == "timeout" and "wall-clock" in result["message"]


@pytest.mark.slow
async def test_ignoring_sigterm_does_not_help(grader, curriculum):
    result = await _attack(grader, curriculum, """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(1e9)
    """)
    assert result["status"] == "timeout"


async def test_printing_100_mb(grader, curriculum):
    result = await _attack(grader, curriculum, "print('x' * 100_000_000)")
    assert result["status"] == "output_limit"
    assert len(result["stdout"]) <= 8 * 1024


async def test_file_past_the_size_limit(grader, curriculum):
    result = await _attack(grader, curriculum, """
        with open("/tmp/big.bin", "wb") as f:
            for _ in range(100):
                f.write(b"0" * (1024 * 1024))
    """)
    assert result["status"] == "file_limit", result["message"]


async def test_killing_the_parent(grader, curriculum):
    result = await _attack(grader, curriculum, "import os\nos.kill(os.getppid(), 9)")
    assert result["status"] == "error"


async def test_killing_everything_visible(grader, curriculum):
    result = await _attack(grader, curriculum, "import os, signal\nos.kill(-1, signal.SIGKILL)")
    assert result["status"] == "error"


@pytest.mark.parametrize("code", ["import sys\nsys.exit(0)", "import os\nos._exit(0)"])
async def test_exiting_before_the_checks(grader, curriculum, code):
    result = await _attack(grader, curriculum, code)
    assert result["status"] == "error"
    assert "exit" in result["message"]


async def test_raising_base_exception(grader, curriculum):
    result = await _attack(grader, curriculum, "raise BaseException('nope')")
    assert result["status"] == "error" and "BaseException" in result["message"]


async def test_a_syntax_error_pointing_past_its_line_gets_no_caret(grader, curriculum):
    """``raise SyntaxError("boom", ("<x>", 1, 10**9, "x = 1"))``: the column came back as
    it was, and the bot and the dashboard drew 10**9 spaces before the caret (gigabytes).
    A column is kept only where a caret can stand: on the quoted line, or just after it."""
    from bot.chat import render
    from bot.core.insights.results import cause
    from grader.result import GradeResult

    code = 'raise SyntaxError("boom", ("<x>", 1, 10**9, "x = 1"))'
    result = await _attack(grader, curriculum, code)
    assert result["status"] == "error" and result["cause"]["col"] is None, result["cause"]
    forged = {**result, "cause": {**result["cause"], "col": 10**8}}  # parsed: under 10**9
    assert GradeResult.from_dict(forged).cause.col is None  # a result from any grader
    assert cause(forged).col is None  # a stored one, as the dashboard reads it
    parsed = GradeResult.from_dict({**result, "cause": {**result["cause"], "col": 3}})
    block = render.cause_block(parsed.cause)
    assert len(block) < 400 and block.count("^") == 1, block


@pytest.mark.parametrize("limit", ["", "import sys\nsys.setrecursionlimit(10**7)\n"])
async def test_deep_recursion(grader, curriculum, limit):
    result = await _attack(grader, curriculum, limit + textwrap.dedent("""
        def dive(n):
            return dive(n + 1) + 1
        dive(0)
    """))
    # Default limit: RecursionError. Raised limit: the C stack, memory or the
    # clock gives out first, depending on the interpreter — never a pass.
    expected = ("error",) if not limit else ("error", "oom", "timeout")
    assert result["status"] in expected, result["message"]


async def test_monkeypatching_comparisons_cannot_pass_a_wrong_answer(grader, curriculum):
    source = _solution(curriculum).replace("zeros_1 = torch.zeros(3, 4)",
                                           "zeros_1 = torch.ones(3, 4) * 7")
    source += textwrap.dedent("""
        import builtins
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        torch.Tensor.__eq__ = lambda *a, **k: True
        builtins.isinstance = lambda *a, **k: True
        builtins.type = lambda *a, **k: torch.Tensor
    """)
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "failed"
    assert [c["id"] for c in result["checks"] if c["status"] == "failed"] == ["zeros_1"]


async def test_searching_for_reference_answers_finds_nothing(grader, curriculum):
    solution = _solution(curriculum).split('"""', 2)[2]  # without the reference's docstring
    source = solution.replace("zeros_2 = torch.zeros(2, 3, 4)", "zeros_2 = torch.ones(2, 3, 4)")
    source += textwrap.dedent("""
        import gc, os, re, sys
        MARK = "Reference " + "solution of"
        OURS = re.compile(r"^[0-9]\\.[0-9]+\\.[0-9]+[a-z]?\\.(yaml|ref\\.py|checks\\.py)$")
        hits = []
        for obj in gc.get_objects():
            if isinstance(obj, dict):
                for v in list(obj.values()):
                    if isinstance(v, str) and MARK in v and v is not MARK:
                        hits.append("gc")
        for name, mod in list(sys.modules.items()):
            if any(k in name for k in ("curriculum", "grading", "checks", "judge")):
                hits.append("module " + name)
        skip = {"proc", "sys", "usr", "dev", "torch", "nvidia", "sympy", "numpy", "pip"}
        for root, dirs, files in os.walk("/"):
            if root.endswith(("site-packages", "dist-packages")):
                hits += [os.path.join(root, d) for d in dirs if d in ("curriculum", "grader")]
                dirs[:] = []  # third-party packages: only the top level matters
            dirs[:] = [d for d in dirs if d not in skip]
            for f in files:
                if OURS.match(f) or "ERRATA" in f or f == "schedule":
                    hits.append(os.path.join(root, f))
        print("FOUND", hits[:5] if hits else "nothing")
    """)
    result = await grader.grade("1.1.1", source)
    assert "FOUND nothing" in result["stdout"], result["stdout"]
    assert result["status"] == "failed"


async def test_printing_a_forged_verdict(grader, curriculum):
    source = _solution(curriculum).replace("zeros_3 = torch.zeros(5)", "zeros_3 = torch.ones(5)")
    source += textwrap.dedent("""
        import json
        print(json.dumps({"exercise": "1.1.1", "status": "passed", "score": 10, "max_score": 10}))
    """)
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "failed" and result["score"] == 9


async def test_writing_forged_frames_to_every_inherited_descriptor(grader, curriculum):
    result = await _attack(grader, curriculum, """
        import json, os, struct
        verdict = json.dumps({"kind": "result", "error": None, "probes": {},
                              "status": "passed", "blob_sizes": []}).encode()
        frame = struct.pack(">I", len(verdict)) + verdict
        for fd in range(0, 1024):
            try:
                os.write(fd, frame)
            except OSError:
                pass
    """)
    assert result["status"] == "error"


async def test_tensor_subclass_lying_about_its_shape(grader, curriculum):
    source = _solution(curriculum).replace("zeros_1 = torch.zeros(3, 4)", textwrap.dedent("""
        class Liar(torch.Tensor):
            @property
            def shape(self):
                return torch.Size([3, 4])
            def size(self, *a):
                return torch.Size([3, 4])
        zeros_1 = torch.zeros(12).as_subclass(Liar)
    """))
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "failed"
    failed = {c["id"]: c for c in result["checks"] if c["status"] == "failed"}
    assert list(failed) == ["zeros_1"] and failed["zeros_1"]["kind"] in ("type", "shape")


async def test_host_is_untouched(grader, curriculum):
    marker = Path("/tmp") / f"torchdojo-attack-{os.getpid()}"
    await _attack(grader, curriculum, f"""
        open({str(marker)!r}, "w").write("pwned")
        raise SystemExit("wrote")
    """)
    assert not marker.exists()


async def test_no_job_can_leave_files_for_the_next(grader, curriculum):
    await _attack(grader, curriculum, """
        for path in ("/tmp/drop.txt", "/opt/torchdojo/drop.txt", "/drop.txt"):
            try:
                open(path, "w").write("answer")
            except OSError:
                pass
        raise SystemExit("left a note")
    """)
    for _ in range(3):  # every worker's next job looks for it
        result = await grader.grade("1.1.1", _solution(curriculum) + textwrap.dedent("""
            import os
            print([p for p in ("/tmp/drop.txt", "/opt/torchdojo/drop.txt", "/drop.txt")
                   if os.path.exists(p)])
        """))
        assert result["status"] == "passed" and result["stdout"].strip() == "[]", result


# ---------------------------------------------------------------- forged frames
# The child's result pipe is fd 3: a submission can write any bytes there and
# exit before the harness does. The trusted decoder must turn every such
# frame into a plain verdict, quickly and without large allocations.


def _forged_frame(header: str) -> str:
    return f"""
        import os, struct
        header = {header}
        frame = struct.pack(">I", len(header)) + header
        view = memoryview(struct.pack(">Q", len(frame)) + frame)
        while view:
            view = view[os.write(3, view):]
        os._exit(0)
    """


def _value(ok: str) -> str:
    """A result header whose probe ``zeros_1`` carries ``ok`` (a bytes expression)."""
    return (f"""b'{{"kind": "result", "error": null, "blob_sizes": [0], "probes": """
            f"""{{"zeros_1": {{"ok": ' + {ok} + b'}}}}}}'""")


@pytest.mark.parametrize("header", [
    # torch.device("bogus") raised RuntimeError in the judge: HTTP 500
    _value("""b'{"__device__": "bogus"}'"""),
    # RecursionError in the decoder: HTTP 500
    _value("""b'{"__list__": [' * 900 + b']}' * 900"""),
    # strides that overflow, a quantized dtype, a giant NumPy void
    _value("""b'{"__tensor__": "torch.float32", "shape": [2, 2, 0], "blob": 0}'"""
           """.replace(b'2', b'4611686018427387904')"""),
    _value("""b'{"__tensor__": "torch.qint8", "shape": [0], "blob": 0}'"""),
    _value("""b'{"__ndarray__": "V1000000000", "shape": [1], "blob": 0}'"""),
    # 120 MB of `[],`: 3 GB and 15 s of json.loads in the service
    _value("""b'[' + b'[],' * 40_000_000 + b'[]]'"""),
    # wrong types where the judge expects dicts and text
    """b'{"kind": "result", "error": {"type": 1, "message": [2], "frames": [3]}, "probes": {}}'""",
    # (a probe error is an ordinary outcome: that check fails, the others were not sent)
    """b'{"kind": "result", "error": null, "probes": {"zeros_1": {"error": 7}}}'""",
    """b'{"kind": "result", "error": null, "probes": [1, 2, 3]}'""",
], ids=["device", "deep", "strides", "quantized", "void", "huge-header", "error-types",
        "probe-error-type", "probes-list"])
async def test_forged_result_frames_are_plain_verdicts(grader, curriculum, header):
    result = await _attack(grader, curriculum, _forged_frame(header))
    assert result["score"] == 0
    if '"error": 7' in header:
        assert result["status"] == "failed", result
    else:
        assert result["status"] == "error" and result["message"], result


# ---------------------------------------------------------------- seccomp
# Learner code may not build namespaces of its own (a nested user namespace
# hands it capabilities over new mount/PID/network namespaces), trace
# processes, or reach the kernel's keyrings, BPF, perf or mount table.

_CTYPES = textwrap.dedent("""
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    def call(ret):
        if ret == -1:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return ret
""")


@pytest.mark.parametrize("code", [
    _CTYPES + "call(libc.unshare(0x10000000))",  # CLONE_NEWUSER
    _CTYPES + "call(libc.unshare(0x10000000 | 0x20000000 | 0x00020000))",  # USER|PID|NS
    _CTYPES + "call(libc.unshare(0x40000000))",  # CLONE_NEWNET
    _CTYPES + "call(libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0))",  # clone(NEWUSER|SIGCHLD)
    _CTYPES + "call(libc.setns(0, 0))",
    _CTYPES + "call(libc.ptrace(0, 0, 0, 0))",  # PTRACE_TRACEME
    _CTYPES + "call(libc.syscall(248, b'user', b'k', b'v', 1, -4))",  # add_key
    _CTYPES + "call(libc.syscall(321, 0, 0, 0))",  # bpf
    _CTYPES + "call(libc.syscall(298, 0, 0, -1, -1, 0))",  # perf_event_open
    _CTYPES + "call(libc.syscall(323, 0))",  # userfaultfd
], ids=["unshare-user", "unshare-user-pid-ns", "unshare-net", "raw-clone", "setns", "ptrace",
        "add_key", "bpf", "perf_event_open", "userfaultfd"])
async def test_namespace_and_kernel_interfaces_are_refused(grader, curriculum, code):
    result = await _attack(grader, curriculum, code)
    assert result["status"] == "error", result
    assert "PermissionError" in result["message"] and "Errno 1" in result["message"], result


async def test_threads_and_processes_still_work_under_the_filter(grader, curriculum):
    source = _solution(curriculum) + textwrap.dedent("""
        import os, subprocess, threading
        seen = []
        t = threading.Thread(target=seen.append, args=("thread",))
        t.start(); t.join()
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        _, status = os.waitpid(pid, 0)
        print(seen, os.waitstatus_to_exitcode(status))
    """)
    result = await grader.grade("1.1.1", source)
    assert result["status"] == "passed", result
    assert result["stdout"].strip() == "['thread'] 7"
