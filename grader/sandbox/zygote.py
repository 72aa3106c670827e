"""The warm sandboxed process: imports torch once, forks a jailed child per job.

Started by the pool inside bubblewrap (no network, read-only libraries, a
private tmpfs, empty environment, own PID namespace). It holds torch and the
harness and nothing else: no curriculum, no reference solution, no expected
value ever reaches this process, so nothing a child can read from inherited
memory is worth stealing.

Start-up: the process bubblewrap starts enters a user namespace of its own
(uid 1000 inside, holding capabilities there only) and a PID namespace, and
forks the zygote as PID 1 of it; that launcher just waits. Owning its user
namespace lets the zygote reset and re-create a PID namespace per job.

Per job (Chromium-zygote style, one fork)::

    zygote ──setns/unshare(pid)──fork──> child  PID 1 of a fresh PID namespace;
        unshare(mount|ipc): private /tmp, /dev and /dev/shm (size and inode
        caps), empty /proc; rlimits; capabilities dropped; a seccomp filter
        against new namespaces and mounts; no inherited descriptors; runs the
        learner code

The child is forked *before* its job arrives (a spare, warmed up), so the
fork — tens of milliseconds on some VMs — is off the learner's clock. The
learner cannot see the zygote (it is outside the child's PID namespace);
the zygote kills the child with SIGKILL on a limit and, since the child is
PID 1 of its namespace, everything the learner started dies with it.

Protocol on fd 0/1 with the pool: frames from ``harness.pack_frame``.

Lanes and progress: a heavy job's child raises its own niceness (and its
session's autogroup's, which is what the scheduler compares between
sessions) before the learner's code runs; RLIMIT_NICE 0 keeps it from coming
back down. The child also gets a fourth pipe, fd 4, on which the harness
writes one byte as it starts each probe. Everything on it is hostile: the
zygote only *counts* bytes, caps the count at the job's probe total (so it is
a bounded integer that can only grow), forwards it at most every
``progress_every`` seconds as a ``progress`` frame before the job's ``done``
frame, and stops reading after ``progress_bytes`` (a flood); the words shown
to a member are chosen outside, from the exercise's own checks.

One file on purpose (it is bind-mounted into the jail next to the harness
and imports nothing else of ours): the jail set-up, the child and the job
loop must all be readable where they run.

One-shot mode (``"oneshot"`` in the config, used by ``torchdojo grade``): the
same jail and the same child for exactly one job, minus what only pays off
over many jobs (huge pages, the child's warm-up, and the ``torch._dynamo``
import unless the job may build an optimizer); the process exits after it.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import signal
import struct
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
# argv: MODE (isolate | none), a JSON config from the trusted side (the
# protocol's caps from grader.limits; in the jail, the job's seccomp program
# from grader.seccomp), then the site directories torch is imported from.
sys.path[:0] = [HERE, *sys.argv[3:]]
CONFIG = json.loads(sys.argv[2])
PROTOCOL_CAPS = CONFIG["protocol"]
JOB_SECCOMP = bytes.fromhex(CONFIG.get("job_seccomp", ""))

# The harness (bind-mounted next to this file) imports torch, so main()
# imports it only after the namespace launcher has forked: a launcher holding
# torch would keep its own copy of torch's heap for the worker's whole life
# (~140 MB each), since the zygote moves its pages onto huge pages of its own.
harness: Any = None

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
MADV_COLLAPSE = 25
TRIM_AFTER_BYTES = 4 << 20
HUGE_PAGE = 2 << 20
SANDBOX_UID = 1000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


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


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _load_seccomp(program: bytes) -> None:
    """Installs a classic-BPF filter (8-byte instructions) on this process.

    The program is generated outside (libseccomp, grader/seccomp.py); this
    only hands it to the kernel. Needs no_new_privs, set just before.
    """
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.addressof(buf))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0),
           "seccomp")


def _read_frame(fd: int) -> tuple[dict, list[bytes]] | None:
    head = _read_exact(fd, 4)
    if head is None:
        return None
    n = int.from_bytes(head, "big")
    raw_header = _read_exact(fd, n)
    header = json.loads(raw_header)
    blobs = [_read_exact(fd, size) or b"" for size in header.get("blob_sizes", [])]
    return header, blobs


def _read_payload(fd: int, n: int) -> bytearray | None:
    """Reads ``n`` bytes into one mutable buffer, so it can be wiped afterwards."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            return None
        got += k
    view.release()
    return buf


def _wipe(*buffers: bytearray) -> None:
    """Zeroes buffers that held learner data before the next child is forked.

    Children inherit the zygote's memory, freed blocks included; a job's
    code, inputs and output must not be readable by the next job.
    """
    for buf in buffers:
        buf[:] = bytes(len(buf))


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


WARMUP_JOB = {
    "source": "import torch\nimport numpy as np\n"
              "a = torch.zeros(3, 4)\nb = torch.arange(10)\nc = torch.linspace(0, 1, 5)\n"
              "d = torch.tensor(np.eye(2))\ne = torch.rand(4).numpy()\n",
    "probes": [{"id": n, "op": "get", "name": n} for n in "abcde"],
    "seed": 0,
    "limits": {"protocol": PROTOCOL_CAPS},
}


GPU_PROC_ENTRIES = ("driver/nvidia",)
# What a job's own /dev holds: the usual character devices (bound from the
# zygote's /dev, itself bwrap's binds of the host's), the usual links and a
# private /dev/shm; GPU jobs also get the NVIDIA device files.
DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"))
MS_REMOUNT = 32


def _private_mounts(limits: dict, cuda: bool) -> None:
    """This job's writable places, in its own mount namespace: /tmp, /dev, /dev/shm.

    Each is a fresh tmpfs with a size and an inode cap, gone with the job's
    mount namespace when its last process exits: nothing a job writes can
    outlive it, reach the next job or stay charged to the worker's memory
    cgroup. /dev itself is read-only (its links and nodes cannot be
    replaced); everything else the job sees is bwrap's read-only tree.
    """
    caps = f"size={limits['tmpfs_bytes']},nr_inodes={limits['tmpfs_files']},mode=1777"
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, caps)
    stage = "/tmp/.dev"  # built in the job's /tmp, then moved over /dev
    os.mkdir(stage)
    _mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=755")
    nodes = list(DEV_NODES)
    if cuda:
        nodes += [n for n in os.listdir("/dev")
                  if n.startswith("nvidia") and not os.path.isdir(f"/dev/{n}")]
    for name in nodes:
        if os.path.exists(f"/dev/{name}"):
            os.close(os.open(f"{stage}/{name}", os.O_CREAT | os.O_WRONLY, 0o666))
            _mount(f"/dev/{name}", f"{stage}/{name}", None, MS_BIND, None)
    for name, target in DEV_LINKS:
        os.symlink(target, f"{stage}/{name}")
    os.mkdir(f"{stage}/shm")
    _mount("tmpfs", f"{stage}/shm", "tmpfs", MS_NOSUID | MS_NODEV, caps)
    _mount("none", stage, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, None)
    _mount(stage, "/dev", None, MS_MOVE, None)
    os.rmdir(stage)


def _hide_proc(keep: tuple[str, ...]) -> None:
    """Replaces the zygote's /proc with an empty one, keeping only ``keep``.

    The learner must not see the zygote's processes; a CUDA job still needs
    the NVIDIA driver's entries, so those are bind-mounted into the new one.
    """
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    kept = [rel for rel in keep if os.path.isdir(f"/proc/{rel}")]
    if not kept:
        _mount("tmpfs", "/proc", "tmpfs", MS_RDONLY | flags, "size=4k")
        return
    stage = "/tmp/.proc"
    os.mkdir(stage)
    _mount("tmpfs", stage, "tmpfs", flags, "size=64k")
    for rel in kept:
        os.makedirs(f"{stage}/{rel}")
        _mount(f"/proc/{rel}", f"{stage}/{rel}", None, MS_BIND | MS_REC, None)
    _mount(stage, "/proc", None, MS_MOVE, None)
    os.rmdir(stage)


def collapse_huge_pages() -> int:
    """Backs the zygote's anonymous memory with 2 MiB pages; returns how many.

    Every job forks this process and every child exits: the kernel copies
    and later tears down one page-table entry per 4 KiB page of the parent
    (about 55,000 for torch), which dominates a job's CPU cost on VMs with
    nested paging. With huge pages it handles one entry per 2 MiB instead
    (fork + exit ~3x cheaper measured here). ``MADV_COLLAPSE`` (Linux 6.1)
    works whatever the system's THP policy; older kernels refuse it and the
    zygote simply stays on small pages.
    """
    collapsed = 0
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        path = fields[5] if len(fields) > 5 else ""
        if "w" not in fields[1] or "p" not in fields[1] or (path and path != "[heap]"):
            continue
        start, end = (lo + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1), hi & ~(HUGE_PAGE - 1)
        # One call per huge page: the count is exact, and a page the kernel
        # refuses (busy, unsuitable) does not turn the whole range into an error.
        for addr in range(start, end, HUGE_PAGE):
            if _libc.madvise(addr, HUGE_PAGE, MADV_COLLAPSE) == 0:
                collapsed += 1
    return collapsed


def _report_setup_error(exc: BaseException, fds: tuple[int, ...]) -> None:
    frame = harness.pack_frame({"kind": "setup_error", "message": repr(exc)[:500]}, [])
    for fd in fds:
        try:
            os.write(fd, frame)
            return
        except OSError:
            continue


def _lower_priority(nice: int) -> None:
    """Runs this job at niceness ``nice`` (a heavy job: a drill next to it wins).

    Every task of the child's session, and the session's autogroup: with
    autogroups on, the scheduler shares a core between sessions first, so a
    niceness alone would only order this job's own threads. Raising one's
    niceness needs no privilege; RLIMIT_NICE 0 (set by the caller for every
    job) keeps the learner from lowering it again.
    """
    os.setpriority(os.PRIO_PGRP, 0, nice)
    with contextlib.suppress(OSError):
        _write_file("/proc/self/autogroup", str(nice))


def _child(r_job: int, w_out: int, w_res: int, w_prog: int, isolate: bool, warm: bool
           ) -> None:
    """The forked child: isolate, warm up, wait for the job, lock down, run it."""
    gc.enable()  # the learner's objects are collected as usual
    try:
        os.setsid()
        if isolate:
            _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
            _mount("none", "/", None, MS_REC | MS_PRIVATE, None)
        if warm:
            # Touch the pages a typical job touches while still idle: on VMs
            # where copy-on-write faults are expensive this moves them off the
            # clock. Our own code, in this fresh child: nothing of it outlives
            # the job. Skipped when jobs are queued: the next job is already
            # waiting, so the warm-up would only delay it and add CPU.
            harness.execute(WARMUP_JOB, [])
        frame = _read_frame(r_job)
        if frame is None:  # the zygote is shutting down
            os._exit(0)
        job, blobs = frame
        os.close(r_job)
        limits = job["limits"]
        nice = job.get("nice")
        if type(nice) is int and 0 < nice <= 19:
            _lower_priority(nice)
        resource.setrlimit(resource.RLIMIT_NICE, (0, 0))
        # No real-time scheduling either (SCHED_FIFO/RR, which RLIMIT_RTPRIO alone
        # gates for a process without CAP_SYS_NICE): a job inheriting a host's
        # non-zero limit could busy-loop ahead of every other job on its core.
        resource.setrlimit(resource.RLIMIT_RTPRIO, (0, 0))
        with open("/proc/self/statm") as f:  # read before /proc is hidden
            vm_now = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        with contextlib.suppress(OSError):
            _write_file("/proc/self/oom_score_adj", "1000")
        if isolate:
            cuda = job.get("device") == "cuda"
            _private_mounts(limits, cuda)
            _hide_proc(GPU_PROC_ENTRIES if cuda else ())
        os.chdir("/tmp")
        cpu = int(limits["cpu_s"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"]))
        if limits.get("nproc"):
            resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
        if job.get("device", "cpu") == "cpu":
            # Virtual-memory cap relative to what the warm parent already maps
            # (CUDA reserves huge address ranges; GPU jobs rely on the cgroup).
            cap = vm_now + limits["memory_bytes"]
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if isolate:
            _drop_capabilities()
            if JOB_SECCOMP:  # from here on: no new namespaces, no mounts
                _load_seccomp(JOB_SECCOMP)
        # Only stdout/stderr (the output pipe), the result pipe and the
        # progress pipe stay open; progress never blocks the harness.
        os.dup2(w_out, 1)
        os.dup2(w_out, 2)
        os.dup2(w_res, 3)
        os.dup2(w_prog, 4)
        os.set_blocking(4, False)
        os.closerange(5, 1 << 16)
        null = os.open("/dev/null", os.O_RDONLY)
        if null != 0:
            os.dup2(null, 0)
            os.close(null)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8",  # noqa: SIM115
                          errors="backslashreplace", closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8",  # noqa: SIM115
                          errors="backslashreplace", closefd=False)
        import torch

        torch.set_num_threads(1)
        if job.get("device") == "cuda" and torch.cuda.is_available():
            frac = limits.get("gpu_memory_fraction", 0.25)
            torch.cuda.set_per_process_memory_fraction(frac, 0)
    except BaseException as exc:
        _report_setup_error(exc, (3, w_res))
        os._exit(70)
    try:
        harness.install_sandbox_policy()
        frame = harness.execute(job, blobs, sandboxed=True, progress_fd=4)
    except BaseException as exc:
        import traceback

        frame = harness.pack_frame(
            {"kind": "setup_error", "message": "".join(traceback.format_exception(exc))[-800:]}, []
        )
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        # The length prefix lets the zygote see the frame is complete without
        # parsing (and so without holding) any of the learner's data.
        harness.write_all(3, struct.pack(">Q", len(frame)) + frame)
    except BaseException:
        os._exit(71)
    # Closing our ends lets the zygote answer now, before this (large)
    # address space is torn down on exit.
    os.closerange(0, 256)
    os._exit(0)


class Spare:
    """A pre-forked, already namespaced child waiting for its one job.

    Forking a process that holds torch costs tens of milliseconds on some
    virtual machines (page-table copies); doing it while idle, after each
    job, takes that cost off the learner's wait.
    """

    own_pid_ns: int | None = None

    def __init__(self, isolate: bool, warm: bool = True) -> None:
        r_out, w_out = os.pipe()
        r_res, w_res = os.pipe()
        r_job, w_job = os.pipe()
        r_prog, w_prog = os.pipe()
        if isolate:
            # Back to our own PID namespace for children, then a fresh one.
            _check(_libc.setns(Spare.own_pid_ns, CLONE_NEWPID), "setns")
            _check(_libc.unshare(CLONE_NEWPID), "unshare pid")
        self.pid = os.fork()
        if self.pid == 0:
            for fd in (0, 1, r_out, r_res, w_job, r_prog):
                os.close(fd)
            _child(r_job, w_out, w_res, w_prog, isolate, warm)
            os._exit(72)
        for fd in (w_out, w_res, r_job, w_prog):
            os.close(fd)
        self.r_out, self.r_res, self.w_job, self.r_prog = r_out, r_res, w_job, r_prog
        self.warm = warm
        self.status: int | None = None
        self.cpu_s = 0.0

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> None:
        if self.status is None:
            _, self.status, usage = os.wait4(self.pid, 0)
            self.cpu_s = usage.ru_utime + usage.ru_stime

    def reap(self) -> None:
        """Ends whatever is left of the job (the child is PID 1: its namespace goes too)."""
        self.kill()
        self.wait()


class Collected:
    """A job's output and result bytes, kept as wipeable chunks (no reallocs)."""

    def __init__(self) -> None:
        self.out: list[bytearray] = []
        self.res: list[bytearray] = []
        self.out_total = 0
        self.res_total = 0
        self.out_kept = 0
        self.scratch = bytearray(1 << 16)

    def read(self, fd: int, into: list[bytearray], keep: int) -> int:
        n = os.readv(fd, [self.scratch])
        if n and keep > 0:
            # Straight from the scratch buffer (a memoryview slice is no copy): a
            # temporary copy would be freed unwiped, and the next child is forked
            # from this heap.
            with memoryview(self.scratch) as view:
                into.append(bytearray(view[: min(n, keep)]))
        return n

    def result_complete(self) -> bool:
        if self.res_total < 8 or not self.res:
            return False
        head = bytes(self.res[0][:8]) if len(self.res[0]) >= 8 else bytes(b"".join(self.res)[:8])
        return struct.unpack(">Q", head)[0] + 8 == self.res_total

    def wipe(self) -> None:
        _wipe(self.scratch, *self.out, *self.res)


class Progress:
    """Counts the bytes the child writes on its progress pipe; see the module doc.

    The count is the only thing taken from the child: capped at ``total``,
    it can only grow, and it is forwarded at most once per ``every`` seconds.
    """

    def __init__(self, fd: int, control: dict) -> None:
        self.fd: int | None = fd
        total, every, cap = (control.get(k) for k in ("progress", "progress_every",
                                                      "progress_bytes"))
        self.total = total if type(total) is int and 0 < total <= 100_000 else 0
        self.every = float(every) if type(every) in (int, float) and every > 0 else 1.0
        self.cap = cap if type(cap) is int and cap > 0 else 1 << 20
        self.read = 0
        self.sent = 0
        self.sent_at = 0.0
        self.scratch = bytearray(1 << 16)  # what the child wrote: read here, never kept

    def drain(self) -> None:
        assert self.fd is not None
        try:
            n = os.readv(self.fd, [self.scratch])
        except OSError:
            n = 0
        self.read += n
        if n == 0 or self.read > self.cap:  # closed, or a flood: stop listening
            os.close(self.fd)
            self.fd = None

    def due(self, now: float) -> float | None:
        """When a pending count may be sent (None: nothing pending)."""
        if min(self.read, self.total) <= self.sent:
            return None
        return self.sent_at + self.every

    def send(self, now: float) -> None:
        due = self.due(now)
        if due is not None and now >= due:
            self.sent, self.sent_at = min(self.read, self.total), now
            harness.write_all(1, harness.pack_frame({"kind": "progress", "done": self.sent}, []))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        _wipe(self.scratch)


def run_job(spare: Spare, control: dict, payload: bytearray) -> tuple[dict, Collected]:
    limits = control["limits"]
    r_out, r_res = spare.r_out, spare.r_res
    progress = Progress(spare.r_prog, control)
    started = time.monotonic()
    with contextlib.suppress(OSError):  # a child dead before its job: its status says why
        harness.write_all(spare.w_job, payload)
    os.close(spare.w_job)
    _wipe(payload)
    got = Collected()
    flags = {"wall_timeout": False, "output_limit": False, "result_limit": False}
    deadline = started + limits["wall_s"]
    open_fds = [r_out, r_res]

    def stop_child(reason: str) -> None:
        if not any(flags.values()):
            flags[reason] = True
        spare.kill()

    while open_fds:
        now = time.monotonic()
        if now >= deadline:
            stop_child("wall_timeout")
            break
        watch = open_fds if progress.fd is None else [*open_fds, progress.fd]
        due = progress.due(now)
        wait = deadline - now if due is None else max(0.0, min(deadline, due) - now)
        ready, _, _ = select.select(watch, [], [], wait)
        if progress.total:
            progress.send(time.monotonic())
        for fd in ready:
            if fd == progress.fd:
                progress.drain()
                continue
            if fd == r_out:
                n = got.read(fd, got.out, limits["output_keep_bytes"] - got.out_kept)
                got.out_kept = sum(len(c) for c in got.out)
                got.out_total += n
                if got.out_total > limits["output_bytes"]:
                    stop_child("output_limit")
            else:
                n = got.read(fd, got.res, limits["result_bytes"] + 8)
                got.res_total += n
                if got.res_total > limits["result_bytes"] + 8:
                    stop_child("result_limit")
            if n == 0:
                open_fds.remove(fd)
        if any(flags.values()):
            break
    early = not open_fds and not any(flags.values()) and got.result_complete()
    if early:  # output closed and the whole frame arrived: no need to wait for exit
        report = {"code": 0, "signal": None}
    else:
        spare.reap()
        status = spare.status or 0
        report = {
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "cpu_s": spare.cpu_s,
        }
    for fd in (r_out, r_res):
        os.close(fd)
    progress.close()
    if flags["result_limit"]:
        _wipe(*got.res)
        got.res = []
    header = {
        "kind": "done",
        "child": report,
        "wall_ms": (time.monotonic() - started) * 1000,
        "warmed": spare.warm,
        "output_total": got.out_total,
        "out_len": sum(len(c) for c in got.out),
        "res_len": sum(len(c) for c in got.res),
        **flags,
    }
    return header, got


def _send(header: dict, got: Collected) -> None:
    harness.write_all(1, harness.pack_frame(header, []))
    for chunk in (*got.out, *got.res):
        harness.write_all(1, chunk)


def _become_namespace_init() -> None:
    """Own a user namespace and be PID 1 of a PID namespace created in it."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWPID), "unshare user+pid")
    _write_file("/proc/self/setgroups", "deny")
    _write_file("/proc/self/uid_map", f"{SANDBOX_UID} {uid} 1")
    _write_file("/proc/self/gid_map", f"{SANDBOX_UID} {gid} 1")
    pid = os.fork()
    if pid:  # the launcher: wait for the zygote and mirror its exit
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    Spare.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY)


def main() -> None:
    isolate = sys.argv[1] == "isolate"
    os.chdir("/tmp")
    if isolate:
        _become_namespace_init()
    global harness
    import harness

    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    import numpy  # noqa: F401
    import torch

    # Warm up the dispatcher on tiny ops; never touch CUDA or the thread pool
    # here, so forked children can initialise both themselves.
    torch.zeros(2, 2).add_(1).sum()
    torch.tensor([1.0, 2.0]).numpy()
    oneshot = bool(CONFIG.get("oneshot"))
    if not oneshot or CONFIG.get("preload_dynamo"):
        # Building any optimizer imports torch._dynamo (~2 s, more under load);
        # pay it once here rather than in every training job. (A one-shot
        # zygote for a job that builds no optimizer skips it.)
        import torch._dynamo
    # Objects that exist now are never collected in a child: a collection
    # would write to every object header and copy every page (gc.freeze is
    # the documented pre-fork idiom). Not worth its ~0.1 s for one fork.
    if not oneshot:
        # Our own warm-up job once here, before the freeze: what the harness
        # and torch create lazily on a first job (caches, interned names,
        # dispatcher state) is then inherited instead of built — and written
        # to shared pages — in every child (~15% fewer page faults per drill).
        # Its code is a constant of ours: no learner data reaches this process.
        harness.execute(WARMUP_JOB, [])
        gc.collect()
        gc.freeze()
    # The zygote's own loop makes no cyclic garbage worth a collector, and a
    # collection here would write to the header of every object it visits,
    # copying those pages away from the waiting child. Children turn it back on.
    gc.disable()
    # Huge pages and the warm-up pay off over many forks; one job needs neither.
    huge_pages = collapse_huge_pages() if not oneshot else 0
    if isolate:
        _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    spare = Spare(isolate, warm=not oneshot)
    ready = {"kind": "ready", "torch": str(torch.__version__), "pid": os.getpid(),
             "huge_pages": huge_pages,
             "cuda_device_files": sorted(p for p in os.listdir("/dev") if p.startswith("nvidia"))}
    harness.write_all(1, harness.pack_frame(ready, []))
    while True:
        # A small control frame (limits, payload size, whether more jobs are
        # queued), then the job payload, which this process forwards to the
        # child without parsing it.
        control = _read_frame(0)
        if control is None:
            return
        payload = _read_payload(0, control[0]["payload"])
        if payload is None:
            return
        header, got = run_job(spare, control[0], payload)
        _send(header, got)
        if oneshot:
            spare.reap()
            return
        got.wipe()
        moved = got.out_total + got.res_total + len(payload)
        del got, payload
        if moved > TRIM_AFTER_BYTES:
            # Give the freed buffers back to the kernel: the pool reads this
            # worker's cgroup after every job, and memory still held here
            # would look like something the job left behind.
            _libc.malloc_trim(0)
        spare.reap()
        spare = Spare(isolate, warm=not control[0].get("queued"))
        # Tells the pool this worker can take the next job without waiting.
        harness.write_all(1, harness.pack_frame({"kind": "idle"}, []))


if __name__ == "__main__":
    main()
