"""cgroup v1 and v2 layouts on fake cgroupfs trees (every other test uses the real v1 one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cgroups import CgroupManager, WorkerCgroup


def _proc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "proc-self-cgroup"
    path.write_text(text)
    return path


def test_v2_unified_with_delegated_controllers(tmp_path):
    root = tmp_path / "cg"
    own = root / "system.slice" / "grader.service"
    own.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory pids io\n")
    (own / "cgroup.controllers").write_text("memory pids\n")
    manager = CgroupManager(root, _proc(tmp_path, "0::/system.slice/grader.service\n"))
    assert manager.version == 2 and manager.describe() == "v2"
    base = next(own.glob("torchdojo-*"))
    assert (base / "cgroup.subtree_control").read_text() == "+memory +pids"
    worker = manager.for_worker(3)
    assert worker is not None and worker.memory == worker.pids == base / "worker-3"
    worker.set_limits(1 << 30, 40)
    assert (worker.memory / "memory.max").read_text() == str(1 << 30)
    assert (worker.pids / "pids.max").read_text() == "40"
    (worker.memory / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\n")
    (worker.pids / "pids.events").write_text("max 4\n")
    assert worker.counters() == {"oom_kill": 1, "mem_fail": 7, "pids_max": 4}


def test_v2_without_delegation_degrades_clearly(tmp_path):
    root = tmp_path / "cg"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpu io\n")
    manager = CgroupManager(root, _proc(tmp_path, "0::/\n"))
    assert not manager.available and manager.describe() == "unavailable"
    assert "memory and pids" in manager.reason
    assert manager.for_worker(0) is None


def test_v1_hierarchies(tmp_path):
    root = tmp_path / "cg"
    for ctrl in ("memory", "pids"):
        (root / ctrl / "app").mkdir(parents=True)
    manager = CgroupManager(root, _proc(tmp_path, "8:pids:/app\n4:memory:/app\n0::/\n"))
    assert manager.version == 1
    worker = manager.for_worker(0)
    assert worker.memory.parent.parent == root / "memory" / "app"
    worker.set_limits(123, 9)
    assert (worker.memory / "memory.limit_in_bytes").read_text() == "123"
    assert (worker.pids / "pids.max").read_text() == "9"


def test_nothing_mounted(tmp_path):
    manager = CgroupManager(tmp_path / "empty", _proc(tmp_path, "0::/\n"))
    assert not manager.available


def _v2_worker(tmp_path: Path) -> WorkerCgroup:
    root = tmp_path / "cg"
    own = root / "svc"
    own.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("memory pids\n")
    (own / "cgroup.controllers").write_text("memory pids\n")
    worker = CgroupManager(root, _proc(tmp_path, "0::/svc\n")).for_worker(0)
    assert worker is not None
    return worker


def test_limits_are_written_only_when_they_change(tmp_path):
    worker = _v2_worker(tmp_path)
    worker.set_limits(1 << 30, 40)
    # Someone else changes a cap: an unchanged request leaves it alone ...
    (worker.pids / "pids.max").write_text("7")
    worker.set_limits(1 << 30, 40)
    assert (worker.pids / "pids.max").read_text() == "7"
    # ... a different request writes both caps again.
    worker.set_limits(1 << 29, 40)
    assert (worker.memory / "memory.max").read_text() == str(1 << 29)
    assert (worker.pids / "pids.max").read_text() == "40"


def test_a_failed_write_is_retried_next_time(tmp_path):
    worker = _v2_worker(tmp_path)
    (worker.pids / "pids.max").mkdir()  # writing it fails
    with pytest.raises(OSError):
        worker.set_limits(1 << 30, 40)
    (worker.pids / "pids.max").rmdir()
    worker.set_limits(1 << 30, 40)
    assert (worker.pids / "pids.max").read_text() == "40"


def test_cpu_weights_v1_and_v2_and_their_absence(tmp_path):
    # v2 with a delegated cpu controller: cpu.weight in the worker's directory
    root = tmp_path / "v2"
    own = root / "grader"
    own.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    (own / "cgroup.controllers").write_text("cpu memory pids\n")
    manager = CgroupManager(root, _proc(tmp_path, "0::/grader\n"))
    assert manager.cpu_weight() == "v2 cpu.weight"
    worker = manager.for_worker(0)
    assert worker.cpu == worker.memory
    assert worker.set_cpu_weight(10) and (worker.cpu / "cpu.weight").read_text() == "10"
    # v1: cpu.shares in the same ratio of 1024, in the cpu hierarchy
    root = tmp_path / "v1"
    for ctrl in ("memory", "pids", "cpu"):
        (root / ctrl / "app").mkdir(parents=True)
    manager = CgroupManager(root, _proc(tmp_path, "8:pids:/app\n4:memory:/app\n1:cpu:/app\n"))
    assert manager.cpu_weight() == "v1 cpu.shares"
    worker = manager.for_worker(1)
    assert worker.cpu.parent.parent == root / "cpu" / "app"
    assert worker.set_cpu_weight(10) and (worker.cpu / "cpu.shares").read_text() == "102"
    assert worker.set_cpu_weight(100) and (worker.cpu / "cpu.shares").read_text() == "1024"
    # v1 without a cpu hierarchy: memory and pids still work, weights say why not
    root = tmp_path / "v1-no-cpu"
    for ctrl in ("memory", "pids"):
        (root / ctrl / "app").mkdir(parents=True)
    manager = CgroupManager(root, _proc(tmp_path, "8:pids:/app\n4:memory:/app\n"))
    assert manager.available and manager.cpu_weight().startswith("unavailable")
    worker = manager.for_worker(0)
    assert worker.cpu is None and worker.set_cpu_weight(10) is False
