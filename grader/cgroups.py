"""Per-worker cgroups: the memory and process caps rlimits cannot give.

Each warm worker (one job at a time) gets its own cgroup, joined before
bubblewrap starts, so every child it forks is counted: ``pids.max`` stops fork
and thread bombs, the memory limit stops allocations that RLIMIT_AS misses
(CUDA jobs, shared mappings). Both cgroup v1 (a hierarchy per controller) and
v2 (unified) are supported; where neither is writable the pool still runs,
reports ``cgroups: unavailable`` in its health and every result's
environment, and relies on RLIMIT_AS / RLIMIT_NPROC and the wall clock.

The CPU controller is optional on top: where it can be delegated (v2 ``cpu``
in ``cgroup.controllers``, or a writable v1 ``cpu`` hierarchy) each worker
also gets a CPU weight, lowered while it runs a heavy job so a drill on the
next worker keeps the core (the pool's lanes). Where it cannot, lanes still
work and rely on niceness alone; ``cpu_weight()`` says which.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
_MANAGERS = itertools.count(1)


def _own_path(controller: str | None, proc_file: Path = Path("/proc/self/cgroup")) -> str:
    for line in proc_file.read_text().splitlines():
        _, ctrls, path = line.split(":", 2)
        if controller is None and ctrls == "":
            return path
        if controller is not None and controller in ctrls.split(","):
            return path
    raise FileNotFoundError(controller or "unified")


def _read_counter(path: Path, key: str) -> int:
    try:
        text = path.read_text()
    except OSError:
        return 0
    return _read_counter_text(text, key)


def _read_counter_text(text: str, key: str) -> int:
    match = re.search(rf"^{key} (\d+)$", text, re.M)
    return int(match.group(1)) if match else 0


@dataclass
class WorkerCgroup:
    """The cgroup directories of one worker (one per controller on v1)."""

    version: int
    memory: Path
    pids: Path
    created: list[Path] = field(default_factory=list)
    applied: tuple[int, int] | None = None
    cpu: Path | None = None  # None: no CPU controller here (niceness only)
    weight: int | None = None

    def join_self(self) -> None:
        """Called in the child between fork and exec (``preexec_fn``)."""
        pid = str(os.getpid())
        for d in {self.memory, self.pids, *([self.cpu] if self.cpu else [])}:
            (d / "cgroup.procs").write_text(pid)

    def set_cpu_weight(self, weight: int) -> bool:
        """Sets the worker's CPU weight (v2 ``cpu.weight`` scale, default 100).

        v1 takes ``cpu.shares`` (default 1024) in the same ratio. A no-op when
        already in force; False when there is no CPU controller or the write
        failed (the job runs anyway: the weight only orders CPU between jobs).
        """
        if self.cpu is None:
            return False
        if self.weight == weight:
            return True
        try:
            if self.version == 1:
                (self.cpu / "cpu.shares").write_text(str(max(2, weight * 1024 // 100)))
            else:
                (self.cpu / "cpu.weight").write_text(str(weight))
        except OSError:
            self.weight = None
            return False
        self.weight = weight
        return True

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        """Applies the caps; a no-op when they are already in force.

        Consecutive jobs mostly share limits, and each write is a syscall
        round trip into the cgroup code (v1 may reclaim on a memory write).
        """
        if self.applied == (memory_bytes, pids):
            return
        self.applied = None  # unknown until every write below succeeded
        if self.version == 1:
            # v1 insists memory <= memory+swap at every step: lift the
            # memory+swap cap, set memory, then bring memory+swap down to it.
            memsw = self.memory / "memory.memsw.limit_in_bytes"
            with contextlib.suppress(OSError):  # swap accounting may be disabled
                memsw.write_text("-1")
            (self.memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                memsw.write_text(str(memory_bytes))
        else:
            (self.memory / "memory.max").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                (self.memory / "memory.swap.max").write_text("0")
        (self.pids / "pids.max").write_text(str(pids))
        self.applied = (memory_bytes, pids)

    def pids_current(self) -> int:
        try:
            return int((self.pids / "pids.current").read_text())
        except (OSError, ValueError):
            return 0

    def counters(self) -> dict[str, int]:
        """Monotonic breach counters, compared before and after a job."""
        if self.version == 1:
            oom = _read_counter(self.memory / "memory.oom_control", "oom_kill")
            fail = int((self.memory / "memory.failcnt").read_text() or 0)
        else:
            oom = _read_counter(self.memory / "memory.events", "oom_kill")
            fail = _read_counter(self.memory / "memory.events", "max")
        return {
            "oom_kill": oom,
            "mem_fail": fail,
            "pids_max": _read_counter(self.pids / "pids.events", "max"),
        }

    def held_bytes(self) -> int:
        """Memory charged here that the kernel cannot reclaim: anonymous + tmpfs/shm.

        Page cache is left out (reclaimable: it never blocks a limit). What
        a job left behind (shared memory, a tmpfs file, a process that
        escaped) shows up here after the job has ended.
        """
        try:
            text = (self.memory / "memory.stat").read_text()
        except OSError:
            return 0
        keys = ("rss", "shmem") if self.version == 1 else ("anon", "shmem")
        return sum(_read_counter_text(text, key) for key in keys)

    def remove(self) -> None:
        for d in reversed(self.created):
            with contextlib.suppress(OSError):
                d.rmdir()


class CgroupManager:
    """Creates worker cgroups below the grader's own cgroup."""

    def __init__(self, root: Path = ROOT, proc_file: Path = Path("/proc/self/cgroup")) -> None:
        self.version = 0
        self.reason = ""
        self._root = root
        self._proc_file = proc_file
        self._base: dict[str, Path] = {}
        self.cpu_reason = ""
        try:
            self._detect()
        except OSError as exc:
            self.version, self.reason = 0, f"cgroups unavailable: {exc}"
        if self.available and "cpu" not in self._base and not self.cpu_reason:
            self.cpu_reason = "no CPU controller"

    @property
    def available(self) -> bool:
        return self.version in (1, 2)

    def describe(self) -> str:
        return f"v{self.version}" if self.available else "unavailable"

    def cpu_weight(self) -> str:
        """How CPU weights are applied: ``v2 cpu.weight``, ``v1 cpu.shares``, or why not."""
        if "cpu" in self._base:
            return "v2 cpu.weight" if self.version == 2 else "v1 cpu.shares"
        return f"unavailable ({self.cpu_reason or self.reason or 'no cgroups'})"

    def _detect(self) -> None:
        # One directory per manager (per pool), not per process: two pools
        # in one process must never share, limit or remove each other's cgroups.
        tag = f"torchdojo-{os.getpid()}-{next(_MANAGERS)}"
        root = self._root
        if (root / "cgroup.controllers").exists():
            own = root / _own_path(None, self._proc_file).lstrip("/")
            controllers = (own / "cgroup.controllers").read_text().split()
            if not {"memory", "pids"} <= set(controllers):
                self.reason = "cgroup v2 without delegated memory and pids controllers"
                return
            base = own / tag
            base.mkdir(exist_ok=True)
            (base / "cgroup.subtree_control").write_text("+memory +pids")
            self._base = {"memory": base, "pids": base}
            self.version = 2
            if "cpu" not in controllers:
                self.cpu_reason = "cgroup v2 without a delegated cpu controller"
                return
            try:
                (base / "cgroup.subtree_control").write_text("+cpu")
            except OSError as exc:
                self.cpu_reason = f"cpu controller not enabled ({exc.strerror})"
                return
            self._base["cpu"] = base
            return
        mem_root, pids_root = root / "memory", root / "pids"
        if not (mem_root.is_dir() and pids_root.is_dir()):
            self.reason = "no memory/pids cgroup hierarchy mounted"
            return
        bases = {}
        for name, root in (("memory", mem_root), ("pids", pids_root)):
            base = root / _own_path(name, self._proc_file).lstrip("/") / tag
            base.mkdir(exist_ok=True)
            bases[name] = base
        self._base = bases
        self.version = 1
        cpu_root = self._root / "cpu"
        try:
            if not cpu_root.is_dir():
                raise FileNotFoundError("no cpu cgroup hierarchy mounted")
            base = cpu_root / _own_path("cpu", self._proc_file).lstrip("/") / tag
            base.mkdir(exist_ok=True)
            self._base["cpu"] = base
        except OSError as exc:
            self.cpu_reason = f"cpu hierarchy not writable ({exc})"

    def for_worker(self, index: int, generation: int = 0) -> WorkerCgroup | None:
        """The cgroup of worker ``index``; a replaced worker (``generation`` > 0)
        gets a new, empty one rather than inheriting what its predecessor held."""
        if not self.available:
            return None
        dirs = {}
        created = []
        for name, base in self._base.items():
            d = base / (f"worker-{index}" if not generation else f"worker-{index}.{generation}")
            if d not in created:
                d.mkdir(exist_ok=True)
                created.append(d)
            dirs[name] = d
        return WorkerCgroup(self.version, dirs["memory"], dirs["pids"], created,
                            cpu=dirs.get("cpu"))

    def remove(self) -> None:
        for base in set(self._base.values()):
            for child in base.glob("worker-*"):
                with contextlib.suppress(OSError):
                    child.rmdir()
            with contextlib.suppress(OSError):
                base.rmdir()
