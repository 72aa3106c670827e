"""Jobs share nothing: what one job writes or holds never reaches the next.

Each job gets a fresh, size- and inode-limited ``/tmp``, ``/dev`` and
``/dev/shm`` in its own mount namespace; everything else it can see is
read-only. A worker whose memory cgroup still holds memory after a job, or
whose limits cannot be written, is replaced (and health says so).

Most tests use a one-worker pool, so "the next job" runs on the same worker
as the attack.
"""

from __future__ import annotations

import ast
import asyncio
import os
import secrets
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from grader.grading import Grader
from grader.limits import WORKER_DIRTY_MB, GraderSettings
from grader.pool import SandboxPool

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def one_worker(curriculum) -> AsyncIterator[Grader]:
    settings = GraderSettings(workers=1, max_queue=16)
    grader = Grader(curriculum, SandboxPool(settings), settings)
    await grader.start()
    yield grader
    await grader.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def patient(curriculum) -> AsyncIterator[Grader]:
    """Two workers whose jobs may run for a minute: a walk of the whole jail's
    file system (torch's tree included) must not hit a drill's 5 s on a
    loaded machine — the test is about what survives, not about speed."""
    settings = GraderSettings(workers=2, max_queue=16, limit_wall_s=60, limit_cpu_s=60)
    grader = Grader(curriculum, SandboxPool(settings), settings)
    await grader.start()
    yield grader
    await grader.close()


def _with(curriculum, *code: str) -> str:
    """A correct 1.1.1 solution followed by ``code`` (each part dedented on its own)."""
    return "\n".join([curriculum.get("1.1.1").reference, *map(textwrap.dedent, code)])


async def _idle(grader: Grader) -> None:
    """Waits until every worker is back in the idle queue (clean-up done)."""
    for _ in range(600):
        if grader.pool.health()["idle"] == grader.pool.size:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("workers did not become idle")


async def test_shm_filled_by_a_job_is_gone_for_the_next(one_worker, curriculum):
    hog = await one_worker.grade("1.1.1", _with(curriculum, """
        chunk = b"x" * (8 << 20)
        for i in range(113):  # 900 MB in files under the 16 MB file-size limit
            with open(f"/dev/shm/hog{i}", "wb") as f:
                f.write(chunk)
    """))
    assert hog["status"] == "file_limit", hog
    assert "/dev/shm" in hog["message"]
    honest = await one_worker.grade("1.1.1", _with(curriculum, """
        big = torch.ones(50_000_000)  # 200 MB
        print(sorted(__import__("os").listdir("/dev/shm")))
    """))
    assert honest["status"] == "passed", honest
    assert honest["stdout"].strip() == "[]"


async def test_creating_300000_files_stops_at_the_inode_limit_and_leaves_nothing(
        one_worker, curriculum):
    flood = await one_worker.grade("1.1.1", _with(curriculum, """
        import os
        for where in ("/dev/shm", "/tmp"):
            for i in range(300_000):
                open(f"{where}/f{i}", "w").close()
    """))
    assert flood["status"] == "file_limit", flood
    assert "files" in flood["message"]
    after = await one_worker.grade("1.1.1", _with(curriculum, """
        import os
        print(len(os.listdir("/dev/shm")), len(os.listdir("/tmp")))
    """))
    assert after["status"] == "passed" and after["stdout"].split() == ["0", "0"], after


async def test_a_job_cannot_redirect_the_next_jobs_output(one_worker, curriculum):
    secret = secrets.token_hex(8)
    await one_worker.grade("1.1.1", _with(curriculum, """
        import os
        for name in ("stdout", "stderr"):
            try:
                os.remove(f"/dev/{name}")
                os.symlink(f"/dev/shm/{name}", f"/dev/{name}")
            except OSError as exc:
                print(name, exc)
    """))
    victim = await one_worker.grade("1.1.1", _with(curriculum, f"""
        print("{secret}")
        try:
            with open("/dev/stdout", "w") as out:
                out.write("{secret}-by-path")
        except OSError:
            pass
    """))
    assert victim["status"] == "passed" and secret in victim["stdout"], victim
    thief = await one_worker.grade("1.1.1", _with(curriculum, """
        import os
        for root, _, files in os.walk("/dev"):
            for name in files:
                try:
                    print(open(os.path.join(root, name), errors="replace").read(200))
                except OSError:
                    pass
    """))
    assert secret not in thief["stdout"], thief


async def test_nothing_a_job_writes_anywhere_survives_it_on_any_worker(patient, curriculum):
    grader = patient
    marker = "left-" + secrets.token_hex(6)
    walk = _with(curriculum, f"""
        import os
        wrote = []
        for root, dirs, _ in os.walk("/"):
            if root in ("/proc", "/sys"):
                dirs[:] = []
                continue
            try:
                with open(os.path.join(root, "{marker}"), "w") as f:
                    f.write("answer")
                wrote.append(root)
            except OSError:
                pass
        print(wrote)
    """)
    drop = await grader.grade("1.1.1", walk)
    if drop["status"] == "timeout":  # once (CI, 2 busy cores): the walk ran past a minute
        drop = await grader.grade("1.1.1", walk)
    assert drop["status"] == "passed", drop
    wrote = ast.literal_eval(drop["stdout"].strip())
    assert set(wrote) <= {"/tmp", "/dev/shm"}, wrote
    for _ in range(4):  # both workers, twice: where the marker was written, it is gone
        await _idle(grader)
        look = await grader.grade("1.1.1", _with(curriculum, f"""
            import os
            print([d for d in {wrote!r} if os.path.exists(os.path.join(d, "{marker}"))])
        """))
        assert look["status"] == "passed" and look["stdout"].strip() == "[]", look


# ------------------------------------------------------------ dirty workers


def _charge(cgroup_dir: Path, path: Path, mb: int) -> None:
    """Leaves ``mb`` MB of tmpfs pages charged to a worker's memory cgroup.

    A process joins the worker's cgroup and writes a file on the host's
    /dev/shm: the pages stay charged to that cgroup after it exits, exactly
    as a job's leftover shared memory would.
    """
    code = (f"import os; open({str(cgroup_dir / 'cgroup.procs')!r}, 'w').write(str(os.getpid()));"
            f"open({str(path)!r}, 'wb').write(b'x' * ({mb} << 20))")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.fixture
def shm_file():
    path = Path("/dev/shm") / f"torchdojo-test-{os.getpid()}-{secrets.token_hex(4)}"
    yield path
    path.unlink(missing_ok=True)


@pytest.mark.slow
async def test_a_worker_still_holding_memory_after_a_job_is_replaced(
        one_worker, curriculum, shm_file):
    pool = one_worker.pool
    if not pool.cgroups or not pool.cgroups.available:
        pytest.skip("no writable memory cgroup here")
    await _idle(one_worker)
    worker = pool._workers[0]
    before = pool.health()["replaced"]
    _charge(worker.cgroup.memory, shm_file, WORKER_DIRTY_MB + 64)
    first = await one_worker.grade("1.1.1", curriculum.get("1.1.1").reference)
    assert first["status"] == "passed", first
    await _idle(one_worker)
    health = pool.health()
    assert health["replaced"] == before + 1, health
    assert "memory" in health["last_replacement"]["reason"], health
    fresh = pool._workers[0]
    assert fresh is not worker and fresh.cgroup.memory != worker.cgroup.memory
    again = await one_worker.grade("1.1.1", _with(curriculum, "big = torch.ones(50_000_000)"))
    assert again["status"] == "passed", again
    assert health["status"] == "ok"


@pytest.mark.slow
async def test_limits_that_cannot_be_written_replace_the_worker(one_worker, curriculum):
    pool = one_worker.pool
    if not pool.cgroups or not pool.cgroups.available:
        pytest.skip("no writable memory cgroup here")
    await _idle(one_worker)
    worker = pool._workers[0]
    before = pool.health()["replaced"]

    def busy(memory_bytes: int, pids: int) -> None:
        raise OSError(16, "Device or resource busy")

    worker.cgroup.set_limits = busy  # what the kernel answers when memory is pinned
    result = await one_worker.grade("1.1.1", curriculum.get("1.1.1").reference)
    assert result["status"] == "passed", result
    await _idle(one_worker)
    health = pool.health()
    assert health["replaced"] == before + 1, health
    assert "limits" in health["last_replacement"]["reason"], health
    assert pool._workers[0] is not worker
