"""The per-job container backend (``TORCHDOJO_SANDBOX=docker``) without an engine.

The container configuration is checked on the JSON the SDK would send to the
engine; the protocol runs end to end through ``tests/deploy/fake_engine.py``,
which starts the container's command locally behind a socket speaking the
engine's multiplexed attach format. The engine-enforced limits themselves are
exercised by ``test_container_engine.py`` where an engine exists.
"""

from __future__ import annotations

import asyncio
import signal

import pytest
from docker.types import DeviceRequest, LogConfig, Mount

from grader.container import AttachedStream, ContainerPool, ContainerSettings
from grader.errors import WorkerLost
from grader.grading import Grader
from grader.limits import MB, GraderSettings, JobLimits
from grader.pool import SandboxPool
from tests.deploy.fake_engine import FakeEngine

ASYNC = pytest.mark.asyncio(loop_scope="session")


def _pool(gpu: bool | None = False, **container: object) -> ContainerPool:
    settings = GraderSettings(workers=2, sandbox="docker")
    return ContainerPool(settings, ContainerSettings(gpu=gpu, **container))


def _host_config(pool: ContainerPool, limits: JobLimits) -> tuple[dict, dict]:
    engine = FakeEngine(pool.container)
    container = engine.containers.create(**pool.container_kwargs(limits))
    args = container.create_args
    return args, args["host_config"]


def test_container_is_locked_down() -> None:
    limits = JobLimits(memory_mb=512, processes=16, tmpfs_mb=24)
    args, host = _host_config(_pool(), limits)
    assert args["network_disabled"] is True and host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert args["user"] == "10001:10001"
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["IpcMode"] == "private"
    assert host["Memory"] == (1024 + 512) * MB == host["MemorySwap"]
    assert host["PidsLimit"] == 32 + 16
    assert host["NanoCpus"] == 1_000_000_000
    assert host["LogConfig"]["Type"] == LogConfig.types.NONE
    assert "DeviceRequests" not in host and "Runtime" not in host
    assert {"Name": "core", "Soft": 0, "Hard": 0} in host["Ulimits"]
    for scratch in ("/tmp", "/dev/shm"):  # the job's only writable places, size and inode caps
        options = host["Tmpfs"][scratch].split(",")
        assert {"rw", "nosuid", "nodev", f"size={24 * MB}", "nr_inodes=4096"} <= set(options)
    assert not any(m["Target"] in ("/tmp", "/dev/shm") for m in host["Mounts"])
    assert args["stdin_open"] is True and args["tty"] is False
    # the same sandbox entry point as the warm pool, in its no-namespace mode
    assert args["entrypoint"] == ["/opt/venv/bin/python"]
    assert args["command"][:4] == ["-I", "-S", "/opt/torchdojo/sandbox/zygote.py", "none"]
    assert set(args["environment"]) >= {"PATH", "HOME", "OMP_NUM_THREADS"}
    assert not any("TORCHDOJO" in k for k in args["environment"])


def test_curriculum_and_our_code_are_hidden() -> None:
    _, host = _host_config(_pool(), JobLimits())
    masked = {m["Target"]: m for m in host["Mounts"]}
    site = "/opt/venv/lib/python3.11/site-packages"
    for package in ("curriculum", "grader", "bot", "migrations"):
        mount = masked[f"{site}/{package}"]
        assert mount["Type"] == "tmpfs" and mount["ReadOnly"] is True
    assert any(t.startswith(f"{site}/torchdojo-") and t.endswith(".dist-info") for t in masked)


def test_limits_follow_the_exercise() -> None:
    _, small = _host_config(_pool(), JobLimits(memory_mb=256, processes=8))
    _, large = _host_config(_pool(cpus=2.5, base_memory_mb=2048),
                            JobLimits(memory_mb=4096, processes=64))
    assert small["Memory"] == (1024 + 256) * MB
    assert large["Memory"] == (2048 + 4096) * MB
    assert large["PidsLimit"] == 32 + 64
    assert large["NanoCpus"] == 2_500_000_000


def test_gpu_through_a_device_request() -> None:
    _, host = _host_config(_pool(gpu=True), JobLimits())
    assert host["DeviceRequests"] == [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    _, host = _host_config(_pool(gpu=True, gpu_device_ids="0, 2"), JobLimits())
    assert host["DeviceRequests"] == [DeviceRequest(device_ids=["0", "2"],
                                                    capabilities=[["gpu"]])]
    assert _pool(gpu=True).gpu_devices and not _pool(gpu=False).gpu_devices


def test_stronger_runtime_is_passed_through() -> None:
    _, host = _host_config(_pool(runtime="runsc"), JobLimits())
    assert host["Runtime"] == "runsc"


def test_mounts_are_sdk_types() -> None:
    kwargs = _pool().container_kwargs(JobLimits())
    assert all(isinstance(m, Mount) for m in kwargs["mounts"])


def test_selected_by_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHDOJO_SANDBOX", "docker")
    assert isinstance(Grader.from_settings(workers=1).pool, ContainerPool)
    monkeypatch.setenv("TORCHDOJO_SANDBOX", "bwrap")
    assert isinstance(Grader.from_settings(workers=1).pool, SandboxPool)
    monkeypatch.setenv("TORCHDOJO_SANDBOX", "chroot")
    with pytest.raises(ValueError):
        Grader.from_settings(workers=1)


def test_attach_stream_demultiplexes() -> None:
    import socket

    ours, theirs = socket.socketpair()
    stream = AttachedStream(socket.SocketIO(ours, "rwb"))

    def frame(kind: int, data: bytes) -> bytes:
        return bytes([kind, 0, 0, 0]) + len(data).to_bytes(4, "big") + data

    wire = frame(1, b"\x00\x00\x00\x02{}") + frame(2, b"a warning\n") + frame(1, b"abc")
    # delivered one byte at a time: headers and payloads split anywhere
    for i in range(len(wire)):
        theirs.sendall(wire[i:i + 1])
    theirs.close()
    import time

    deadline = time.monotonic() + 5
    assert stream.read_frame(deadline) == {}
    assert stream.read_exactly(3, deadline) == b"abc"
    with pytest.raises(EOFError):
        stream.read_exactly(1, deadline)
    stream.close()


@ASYNC
async def test_missing_image_refuses_to_start() -> None:
    from grader.jail import SandboxUnavailable

    pool = _pool()
    pool.client = FakeEngine(pool.container, images=())
    with pytest.raises(SandboxUnavailable,
                       match=r"No such image.*docker build -f docker/grader\.Dockerfile"):
        await pool.start()


@pytest.fixture(scope="module")
def curriculum_1():
    from curriculum import load_curriculum

    return load_curriculum()


@pytest.mark.slow
@ASYNC
async def test_grades_through_the_container_protocol(curriculum_1) -> None:
    """Start probe, a pass, a failure and a timeout: each job its own container."""
    settings = GraderSettings(workers=2, sandbox="docker")
    pool = ContainerPool(settings, ContainerSettings(gpu=False))
    engine = FakeEngine(pool.container)
    pool.client = engine
    grader = Grader(curriculum_1, pool, settings)
    await grader.start()
    assert len(engine.created) == 1 and engine.created[0].removed  # the start-up probe
    reference = curriculum_1.get("1.1.1").reference
    wrong = reference.replace("zeros_1 = torch.zeros(3, 4)", "zeros_1 = torch.ones(3, 4)")
    loop = "\nprint('still here')\nwhile True:\n    pass\n"
    passed, failed, timed_out = await asyncio.gather(
        grader.grade("1.1.1", reference + "\nprint('hello from the box')\n"),
        grader.grade("1.1.1", wrong),
        grader.grade("1.1.1", reference + loop),
    )
    assert passed["status"] == "passed", passed
    assert passed["stdout"] == "hello from the box\n"
    assert passed["environment"]["sandbox"].startswith("docker container per job")
    assert passed["environment"]["torch"]
    assert failed["status"] == "failed"
    assert [c["id"] for c in failed["checks"] if c["status"] == "failed"] == ["zeros_1"]
    assert timed_out["status"] == "timeout", timed_out
    assert timed_out["stdout"] == "still here\n"
    assert len(engine.created) == 4 and all(c.removed for c in engine.created)
    assert {c.proc.returncode for c in engine.created} <= {0, -signal.SIGKILL}
    health = grader.health()
    assert health["status"] == "ok" and health["jobs_done"] == 3 and health["idle"] == 2
    await grader.close()
    assert engine.closed


@pytest.mark.slow
@ASYNC
async def test_engine_oom_report_becomes_oom_status(curriculum_1) -> None:
    settings = GraderSettings(workers=1, sandbox="docker")
    pool = ContainerPool(settings, ContainerSettings(gpu=False))
    pool.client = engine = FakeEngine(pool.container)
    pool._started = True  # skip the start-up probe: one container is enough here
    engine.report_oom = True
    grader = Grader(curriculum_1, pool, settings)
    result = await grader.grade("1.1.1", "import os, signal\nos.kill(os.getpid(), 9)\n")
    assert result["status"] == "oom", result


@ASYNC
async def test_container_that_never_answers_is_not_a_verdict() -> None:
    """A container that never says ready did not take the job: the job is refused
    (PoolUnavailable, a 503), not lost, and the back-end leaves service (see
    tests/grading/test_attacks6.py for the back-off and the way back)."""
    from grader.errors import PoolUnavailable

    pool = _pool(start_timeout_s=1.0)
    pool.client = engine = FakeEngine(pool.container)
    pool._started = True
    pool.container.python = "/bin/sleep"  # not the interpreter: never says ready
    engine.settings = pool.container
    kwargs = pool.container_kwargs

    def sleeping(limits: JobLimits) -> dict:
        return {**kwargs(limits), "entrypoint": ["/bin/sleep"], "command": ["30"]}

    pool.container_kwargs = sleeping  # type: ignore[method-assign]
    job = {"limits": JobLimits().for_child(), "source": "", "probes": []}
    with pytest.raises(PoolUnavailable) as refused:
        await pool.run(job, [], JobLimits())
    assert "failed to start" in refused.value.reason
    assert engine.created[0].removed and pool.jobs_lost == 0
    assert pool.health()["status"] == "unavailable"
    await pool.close()


FORGER = """
import json, sys, time
def frame(header):
    raw = json.dumps(header).encode()
    sys.stdout.buffer.write(len(raw).to_bytes(4, "big") + raw)
    sys.stdout.flush()
frame({"kind": "ready", "torch": "0"})
sys.stdin.buffer.read(4)
frame({"kind": "done", "child": {}, "out_len": 1 << 40, "res_len": 0})
time.sleep(30)
"""


@ASYNC
async def test_forged_oversized_report_is_refused() -> None:
    """A learner that reaches the zygote's stdout cannot make the judge buffer 1 TB."""
    pool = _pool()
    pool.client = engine = FakeEngine(pool.container)
    pool._started = True
    kwargs = pool.container_kwargs

    def forger(limits: JobLimits) -> dict:
        return {**kwargs(limits), "command": ["-c", FORGER]}

    pool.container_kwargs = forger  # type: ignore[method-assign]
    job = {"limits": JobLimits().for_child(), "source": "", "probes": []}
    with pytest.raises(WorkerLost, match="oversized report"):
        await pool.run(job, [], JobLimits())
    assert engine.created[0].removed
