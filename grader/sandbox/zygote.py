"""The warm sandboxed process: imports torch once, forks a jailed child per job.

Started by the pool inside bubblewrap (no network, read-only libraries, a
private tmpfs, empty environment, own PID namespace). It holds torch and the
harness and nothing else: no curriculum, no reference solution, no expected
value ever reaches this process, so nothing a child can read from inherited
memory is worth stealing.

Per job (Chromium-zygote style)::

    zygote ──fork──> A  setsid; unshare(user|pid|mount|ipc); maps uid
                     └──fork──> B  PID 1 of a fresh PID namespace: private /tmp,
                                   empty /proc, rlimits, no capabilities, no
                                   inherited descriptors; runs the learner code

A is trusted code the learner cannot see (it is outside B's PID namespace); it
kills B on request and reports B's exit status and resource usage. When B,
PID 1 of its namespace, dies, the kernel kills everything the learner started.

Protocol on fd 0/1 with the pool: frames from ``harness.pack_frame``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, *sys.argv[2:]]

import harness  # noqa: E402  (bind-mounted next to this file)

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
SANDBOX_UID = 1000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    _check(
        _libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _drop_capabilities() -> None:
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _read_frame(fd: int) -> tuple[dict, list[bytes]] | None:
    head = _read_exact(fd, 4)
    if head is None:
        return None
    n = int.from_bytes(head, "big")
    raw_header = _read_exact(fd, n)
    header = json.loads(raw_header)
    blobs = [_read_exact(fd, size) or b"" for size in header.get("blob_sizes", [])]
    return header, blobs


def _read_exact(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _write_file(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# B: the jailed child that runs learner code
# --------------------------------------------------------------------------


def _child_b(job: dict, blobs: list[bytes], w_out: int, w_res: int, isolate: bool) -> None:
    limits = job["limits"]
    try:
        os.setsid()
        with open("/proc/self/statm") as f:  # read before /proc is hidden
            vm_now = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        if isolate:
            _mount("none", "/", None, MS_REC | MS_PRIVATE, None)
            _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
                   f"size={limits['tmpfs_bytes']},mode=1777")
            _write_file("/proc/self/oom_score_adj", "1000")
            # Hide the zygote's /proc: the learner sees an empty one.
            _mount("tmpfs", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k")
        else:
            with contextlib.suppress(OSError):
                _write_file("/proc/self/oom_score_adj", "1000")
        os.chdir(job.get("workdir", "/tmp"))
        cpu = int(limits["cpu_s"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        if limits.get("nproc"):
            resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
        if job.get("device", "cpu") == "cpu":
            # Virtual-memory cap relative to what the warm parent already maps.
            cap = vm_now + limits["memory_bytes"]
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if isolate:
            _drop_capabilities()
        # Only stdout/stderr (the output pipe) and the result pipe stay open.
        os.dup2(w_out, 1)
        os.dup2(w_out, 2)
        os.dup2(w_res, 3)
        os.closerange(4, 1 << 16)
        null = os.open("/dev/null", os.O_RDONLY)
        if null != 0:
            os.dup2(null, 0)
            os.close(null)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                          closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                          closefd=False)
        import torch

        torch.set_num_threads(1)
        if job.get("device") == "cuda" and torch.cuda.is_available():
            frac = limits.get("gpu_memory_fraction", 0.25)
            torch.cuda.set_per_process_memory_fraction(frac, 0)
    except BaseException as exc:
        frame = harness.pack_frame({"kind": "setup_error", "message": repr(exc)}, [])
        for fd in (3, w_res):
            try:
                os.write(fd, frame)
                break
            except OSError:
                continue
        os._exit(70)
    try:
        harness.install_sandbox_policy()
        frame = harness.execute(job, blobs)
    except BaseException as exc:
        import traceback

        frame = harness.pack_frame(
            {"kind": "setup_error", "message": "".join(traceback.format_exception(exc))[-800:]}, []
        )
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    try:
        harness.write_all(3, frame)
    except BaseException:
        os._exit(71)
    os._exit(0)


# --------------------------------------------------------------------------
# A: trusted supervisor of B, outside B's PID namespace
# --------------------------------------------------------------------------


def _child_a(job: dict, blobs: list[bytes], pipes: dict, isolate: bool) -> None:
    try:
        os.setsid()
        for fd in (0, 1, pipes["r_out"], pipes["r_res"], pipes["r_ctl"]):
            os.close(fd)
        if isolate:
            uid, gid = os.getuid(), os.getgid()
            flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC
            _check(_libc.unshare(flags), "unshare")
            _write_file("/proc/self/setgroups", "deny")
            _write_file("/proc/self/uid_map", f"{SANDBOX_UID} {uid} 1")
            _write_file("/proc/self/gid_map", f"{SANDBOX_UID} {gid} 1")
        pid_b = os.fork()
        if pid_b == 0:
            os.close(pipes["w_ctl"])
            _child_b(job, blobs, pipes["w_out"], pipes["w_res"], isolate)
            os._exit(72)
        os.close(pipes["w_out"])
        os.close(pipes["w_res"])
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid_b, signal.SIGKILL))
        while True:
            try:
                _, status = os.waitpid(pid_b, 0)
                break
            except InterruptedError:
                continue
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = {
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss,
        }
        os.write(pipes["w_ctl"], json.dumps(report).encode())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.write(pipes["w_ctl"], json.dumps({"setup_error": repr(exc)}).encode())
        os._exit(1)
    os._exit(0)


def run_job(job: dict, blobs: list[bytes], isolate: bool) -> tuple[dict, list[bytes]]:
    limits = job["limits"]
    r_out, w_out = os.pipe()
    r_res, w_res = os.pipe()
    r_ctl, w_ctl = os.pipe()
    pipes = {"r_out": r_out, "w_out": w_out, "r_res": r_res, "w_res": w_res,
             "r_ctl": r_ctl, "w_ctl": w_ctl}
    started = time.monotonic()
    pid_a = os.fork()
    if pid_a == 0:
        _child_a(job, blobs, pipes, isolate)
        os._exit(1)
    for fd in (w_out, w_res, w_ctl):
        os.close(fd)
    buffers = {r_out: bytearray(), r_res: bytearray(), r_ctl: bytearray()}
    out_total = 0
    flags = {"wall_timeout": False, "output_limit": False, "result_limit": False}
    deadline = started + limits["wall_s"]
    hard_deadline = None
    open_fds = [r_out, r_res, r_ctl]

    def stop_child(reason: str) -> None:
        nonlocal hard_deadline
        if not any(flags.values()):
            flags[reason] = True
        if hard_deadline is None:
            os.kill(pid_a, signal.SIGTERM)
            hard_deadline = time.monotonic() + 2.0

    while open_fds:
        now = time.monotonic()
        if now >= deadline and hard_deadline is None:
            stop_child("wall_timeout")
        if hard_deadline is not None and now >= hard_deadline:
            os.kill(pid_a, signal.SIGKILL)
            break
        limit_at = hard_deadline if hard_deadline is not None else deadline
        ready, _, _ = select.select(open_fds, [], [], max(0.0, limit_at - now))
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.remove(fd)
                continue
            if fd == r_out:
                out_total += len(chunk)
                room = limits["output_keep_bytes"] - len(buffers[r_out])
                if room > 0:
                    buffers[r_out] += chunk[:room]
                if out_total > limits["output_bytes"]:
                    stop_child("output_limit")
            else:
                buffers[fd] += chunk
                if len(buffers[r_res]) > limits["result_bytes"]:
                    stop_child("result_limit")
    for fd in (r_out, r_res, r_ctl):
        os.close(fd)
    os.waitpid(pid_a, 0)
    try:
        report = json.loads(bytes(buffers[r_ctl]) or b"{}")
    except ValueError:
        report = {}
    header = {
        "kind": "done",
        "child": report,
        "wall_ms": (time.monotonic() - started) * 1000,
        "output": bytes(buffers[r_out]).decode("utf-8", "backslashreplace"),
        "output_total": out_total,
        **flags,
    }
    result = bytes(buffers[r_res]) if not flags["result_limit"] else b""
    return header, [result]


def main() -> None:
    isolate = sys.argv[1] == "isolate"
    os.chdir("/tmp")
    import numpy  # noqa: F401
    import torch

    # Warm up the dispatcher on tiny ops; never touch CUDA or the thread pool
    # here, so forked children can initialise both themselves.
    torch.zeros(2, 2).add_(1).sum()
    torch.tensor([1.0, 2.0]).numpy()
    if isolate:
        _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ready = {"kind": "ready", "torch": str(torch.__version__), "pid": os.getpid(),
             "cuda_device_files": sorted(p for p in os.listdir("/dev") if p.startswith("nvidia"))}
    harness.write_all(1, harness.pack_frame(ready, []))
    while True:
        frame = _read_frame(0)
        if frame is None:
            return
        job, blobs = frame
        header, out_blobs = run_job(job, blobs, isolate)
        harness.write_all(1, harness.pack_frame(header, out_blobs))


if __name__ == "__main__":
    main()
