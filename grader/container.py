"""Per-job container sandbox: each grading job in a fresh container (Docker SDK).

An optional backend chosen with ``TORCHDOJO_SANDBOX=docker``; a drop-in for
:class:`grader.pool.SandboxPool` (same ``start`` / ``run`` / ``health`` /
``environment`` / ``close`` and ``gpu_devices``). It is slower than the warm
pool — every job pays a container start and a torch import, about one to
three seconds — and stronger: a job shares no process, memory, ``/tmp`` or
kernel namespace with any other job, and where the engine offers a
stronger runtime (``TORCHDOJO_DOCKER_RUNTIME=runsc`` for gVisor) it does not
even share the host kernel's syscall surface.

The protocol is the warm pool's, unchanged, so the judge cannot tell the
backends apart: the container runs the very same ``zygote.py`` (in its
``none`` mode: the container is the isolation) on its attached stdin/stdout;
it answers ``ready``, receives ``pack_frame(control) + pack_frame(job,
blobs)``, forks the child that runs the learner's code under rlimits and the
wall clock, and reports ``{"kind": "done", "child": ..., "wall_ms", ...}``
followed by the raw output and the result frame. Only inputs go in; only
data comes out; the judge stays outside.

The container (see :meth:`ContainerPool.container_kwargs`): no network, a
read-only root with only size- and inode-capped tmpfs ``/tmp`` and
``/dev/shm`` (its ``/dev`` is the container's own), the grader image's
non-root user, every capability dropped, ``no-new-privileges``, memory /
swap / pids / CPU caps, no logging driver (job data never lands in the
engine's log files), our own packages (curriculum and reference solutions
included) hidden under empty tmpfs mounts, and the GPU only through a
device request when the service has one.

Out of service as in the warm pool (:mod:`grader.outage`): a job's container
that the engine does not create, start or bring to ``ready`` (engine gone,
image removed, no resources) takes the back-end out of service — the engine
is shared by every job, so the next container would fail alike. That job and
every one after it are refused with :class:`~grader.errors.PoolUnavailable`
(a 503 the bot retries: the job never ran, so no verdict) while a probe
container is tried with back-off; ``health()`` says ``unavailable`` and why.
A container lost after it took the job is that job's crash, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import json
import logging
import os
import socket
import time
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from grader import jail
from grader.errors import PoolBusy, WorkerLost
from grader.limits import (
    HEAVY,
    MB,
    QUICK,
    WORKER_GRACE_S,
    WORKER_RESTART_FIRST_S,
    WORKER_RESTART_MAX_S,
    GraderSettings,
    JobLimits,
)
from grader.outage import Outage
from grader.pool import CUDA_JOBS_AT_ONCE, ProbeProgress, decode_report, job_control
from grader.sandbox import harness

log = logging.getLogger("torchdojo.grader.container")

# Docker's attach stream multiplexes stdout and stderr in frames of an 8-byte
# header (stream id, three zero bytes, big-endian length) and the payload.
STDOUT, STDERR = 1, 2
JOB_LABEL = "io.torchdojo.role"
#: The one slot this back-end has out of service: the engine every job's container needs.
ENGINE = "docker"


class ContainerNotStarted(WorkerLost):
    """A job's container was not created, not started or never said ``ready``:
    the job was not sent to it."""
OWN_PACKAGES = (*jail.OWN_PACKAGES, "migrations")


class ContainerSettings(BaseSettings):
    """Settings of the per-job container backend (environment ``TORCHDOJO_DOCKER_*``).

    The defaults match ``docker/grader.Dockerfile``: the image the compose file
    builds, its virtual environment and its non-root user.
    """

    model_config = SettingsConfigDict(env_prefix="TORCHDOJO_DOCKER_", extra="ignore")

    image: str = Field("torchdojo-grader:cpu", description="grader image each job runs in")
    python: str = Field("/opt/venv/bin/python", description="interpreter inside the image")
    site_dir: str = Field("/opt/venv/lib/python3.11/site-packages",
                          description="site-packages holding torch inside the image")
    zygote: str = Field("/opt/torchdojo/sandbox/zygote.py",
                        description="the sandbox entry point inside the image")
    user: str = Field("10001:10001", description="uid:gid the job runs as (never root)")
    cpus: float = Field(1.0, gt=0, le=64, description="CPU share of one job")
    base_memory_mb: int = Field(1024, gt=0, description="torch + zygote, added to the job's cap")
    base_pids: int = Field(32, gt=0, description="zygote + torch threads, added to the job's cap")
    start_timeout_s: float = Field(90.0, gt=0, description="container start + torch import")
    runtime: str | None = Field(None, description="OCI runtime, e.g. runsc (gVisor)")
    gpu: bool | None = Field(None, description="request GPUs; unset: when this service has one")
    gpu_device_ids: str | None = Field(None, description="comma-separated GPU ids; unset: all")


def docker_types() -> Any:
    """The SDK's types module, imported late: the extra is optional."""
    try:
        import docker.types
    except ImportError as exc:  # pragma: no cover - the docker extra is installed in CI
        raise jail.SandboxUnavailable(
            "the docker backend needs the Docker SDK: pip install 'torchdojo[docker]'"
        ) from exc
    return docker.types


def _own_version() -> str:
    try:
        return importlib.metadata.version("torchdojo")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - always installed
        return "0.1.0"


class AttachedStream:
    """The container's attached stdin/stdout: send bytes, read demultiplexed stdout.

    Blocking socket I/O with deadlines; it runs in a worker thread. Anything
    the container writes to stderr (the zygote's own warnings, never learner
    output, which goes to the child's pipe) is logged.
    """

    def __init__(self, attached: Any) -> None:
        # docker-py returns a SocketIO (unix socket), an SSL socket (https) or a
        # socket; we need the socket itself for sendall/shutdown/timeouts.
        self.sock: socket.socket = getattr(attached, "_sock", attached)
        self._attached = attached
        self._raw = bytearray()
        self._buf = bytearray()
        self._frame_left = 0
        self._frame_stream = STDOUT
        self._err = bytearray()

    def send(self, data: bytes, deadline: float) -> None:
        self.sock.settimeout(max(0.001, deadline - time.monotonic()))
        self.sock.sendall(data)

    def _recv(self, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the container did not answer in time")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise EOFError("the container closed its output")
        return chunk

    def _fill(self, deadline: float) -> None:
        """Receives until at least one more byte of stdout is buffered."""
        while not self._parse():
            self._raw += self._recv(deadline)

    def _parse(self) -> bool:
        """Moves complete or partial frames from the raw bytes; True if stdout grew."""
        grew = False
        while True:
            if self._frame_left == 0:
                if len(self._raw) < 8:
                    return grew
                self._frame_stream = self._raw[0]
                self._frame_left = int.from_bytes(self._raw[4:8], "big")
                del self._raw[:8]
                continue
            if not self._raw:
                return grew
            take = bytes(self._raw[: self._frame_left])
            del self._raw[: len(take)]
            self._frame_left -= len(take)
            if self._frame_stream == STDOUT:
                self._buf += take
                grew = True
            else:
                self._log_stderr(take)

    def _log_stderr(self, data: bytes) -> None:
        self._err += data
        *lines, rest = self._err.split(b"\n")
        for line in lines[:20]:
            log.warning("job container: %s", line[:500].decode(errors="replace"))
        self._err = bytearray(rest[-4096:])

    def read_exactly(self, n: int, deadline: float) -> bytes:
        while len(self._buf) < n:
            self._fill(deadline)
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def read_frame(self, deadline: float) -> dict:
        """One ``harness.pack_frame`` frame (header only; the zygote sends no blobs)."""
        size = int.from_bytes(self.read_exactly(4, deadline), "big")
        header = json.loads(self.read_exactly(size, deadline))
        for n in header.get("blob_sizes", []):
            self.read_exactly(n, deadline)
        return header

    def close(self) -> None:
        for closer in (self._attached.close, self.sock.close):
            with contextlib.suppress(OSError):
                closer()


class ContainerPool:
    """Runs each job in a fresh container; at most ``workers`` at once."""

    def __init__(self, settings: GraderSettings | None = None,
                 container: ContainerSettings | None = None, client: Any = None) -> None:
        self.settings = settings or GraderSettings()
        self.container = container or ContainerSettings()
        self.size = self.settings.workers or max(2, os.cpu_count() or 2)
        self.isolated = True
        self.client = client
        gpu = self.container.gpu
        self.gpu_devices: list[str] = (
            jail.gpu_device_files() if gpu is None else (["docker-device-request"] if gpu else [])
        )
        self._slots = asyncio.Semaphore(self.size)
        quick = self.settings.quick_workers
        quick = (1 if self.size >= 2 else 0) if quick is None else min(quick, self.size - 1)
        self._heavy_slots = asyncio.Semaphore(max(1, self.size - quick))
        # GPU memory has no hard cap per container: one CUDA job at a time (see pool.py)
        self._cuda_slots = asyncio.Semaphore(CUDA_JOBS_AT_ONCE)
        self._running = 0
        self._waiting = 0
        self._started = False
        self.started_at = 0.0
        self.jobs_done = 0
        self.jobs_lost = 0
        self.torch_version = ""
        self._outage = Outage(1, self._restart, lambda _slot, _probe: None, label="backend",
                              first_s=WORKER_RESTART_FIRST_S, max_s=WORKER_RESTART_MAX_S)

    # ---------------------------------------------------------- configuration

    def container_kwargs(self, limits: JobLimits) -> dict[str, Any]:
        """Everything passed to ``containers.create`` for one job (pure: no engine)."""
        types = docker_types()
        c = self.container
        site = c.site_dir.rstrip("/")
        masks = [f"{site}/{name}" for name in OWN_PACKAGES]
        masks.append(f"{site}/torchdojo-{_own_version()}.dist-info")
        mounts = [types.Mount(target=path, source=None, type="tmpfs", read_only=True,
                              tmpfs_size=4096, tmpfs_mode=0o555) for path in masks]
        # The job's writable places, as in the warm pool's jail: /tmp and
        # /dev/shm with size and inode caps (the container's /dev is its own).
        scratch = (f"rw,nosuid,nodev,size={limits.tmpfs_mb * MB},"
                   f"nr_inodes={limits.tmpfs_files},mode=1777")
        memory = (c.base_memory_mb + limits.memory_mb) * MB
        kwargs: dict[str, Any] = {
            "image": c.image,
            "entrypoint": [c.python],
            "command": ["-I", "-S", c.zygote, "none", jail.zygote_config(), site],
            "user": c.user,
            "working_dir": "/tmp",
            "hostname": "sandbox",
            "environment": {
                "PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
            },
            "labels": {JOB_LABEL: "grading-job"},
            "stdin_open": True,
            "tty": False,
            "network_disabled": True,
            "network_mode": "none",
            "read_only": True,
            "mounts": mounts,
            "tmpfs": {"/tmp": scratch, "/dev/shm": scratch},
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "ipc_mode": "private",
            "mem_limit": memory,
            "memswap_limit": memory,  # equal: no swap on top
            "pids_limit": c.base_pids + limits.processes,
            "nano_cpus": int(c.cpus * 1e9),
            "ulimits": [types.Ulimit(name="core", soft=0, hard=0)],
            "log_config": types.LogConfig(type=types.LogConfig.types.NONE),
        }
        if c.runtime:
            kwargs["runtime"] = c.runtime
        if self.gpu_devices:
            ids = [i.strip() for i in (c.gpu_device_ids or "").split(",") if i.strip()]
            kwargs["device_requests"] = [
                types.DeviceRequest(device_ids=ids, capabilities=[["gpu"]]) if ids
                else types.DeviceRequest(count=-1, capabilities=[["gpu"]])
            ]
        return kwargs

    # -------------------------------------------------------------- lifecycle

    def _client(self) -> Any:
        if self.client is None:
            try:
                import docker
            except ImportError as exc:  # pragma: no cover
                raise jail.SandboxUnavailable("the Docker SDK is not installed") from exc
            try:
                self.client = docker.from_env()
                self.client.ping()
            except docker.errors.DockerException as exc:
                self.client = None
                raise jail.SandboxUnavailable(f"no reachable Docker engine: {exc}") from exc
        return self.client

    async def start(self) -> None:
        """Checks the engine and the image, then proves one job container starts."""
        if self._started:
            return
        client = self._client()
        try:
            await asyncio.to_thread(client.images.get, self.container.image)
        except Exception as exc:
            raise jail.SandboxUnavailable(
                f"grader image {self.container.image!r} is not available to the engine "
                f"({exc}); build it with: docker build -f docker/grader.Dockerfile "
                f"-t {self.container.image} ."
            ) from exc
        await asyncio.to_thread(self._probe)
        self._started = True
        self.started_at = time.time()

    def _probe(self) -> None:
        """Starts one container until it says ``ready``: the image can run jobs."""
        with self._job_container(JobLimits()) as (_, stream):
            deadline = time.monotonic() + self.container.start_timeout_s
            self._read_ready(stream, deadline)

    async def _restart(self, _slot: str, _reason: str) -> None:
        """One try at bringing the back-end back: a probe container says ``ready``."""
        try:
            await asyncio.to_thread(self._probe)
        except WorkerLost:
            raise
        except Exception as exc:  # the engine's own errors: not reachable, no image, …
            raise WorkerLost("the probe container did not start") from exc

    async def close(self) -> None:
        self._outage.close()
        self._started = False
        if self.client is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.client.close)

    # ------------------------------------------------------------------- jobs

    async def run(self, job: dict, blobs: list[bytes], limits: JobLimits, *,
                  lane: str = QUICK, progress: ProbeProgress | None = None
                  ) -> tuple[dict, list[bytes]]:
        """One job in a fresh container. Lanes as in the warm pool: heavy jobs
        hold at most ``workers - quick_workers`` slots and run niced. Progress
        is not followed here (the engine's attach stream is read in a thread)."""
        if not self._started:
            await self.start()
        if self._outage:
            raise self._outage.refusal()
        if self._running >= self.size and self._waiting >= self.settings.max_queue:
            raise PoolBusy(retry_after=max(1.0, limits.wall_s))
        heavy = lane == HEAVY
        cuda = job.get("device") == "cuda"
        self._waiting += 1
        try:
            if cuda:
                await self._cuda_slots.acquire()
            try:
                if heavy:
                    await self._heavy_slots.acquire()
                try:
                    await self._slots.acquire()
                except BaseException:
                    if heavy:
                        self._heavy_slots.release()
                    raise
            except BaseException:
                if cuda:
                    self._cuda_slots.release()
                raise
        finally:
            self._waiting -= 1
        self._running += 1
        try:
            if self._outage:  # left service while this job waited: it is not started
                raise self._outage.refusal()
            payload = harness.pack_frame({**job, "nice": self.settings.heavy_nice if heavy
                                          else 0}, blobs)
            control = job_control(job, payload, False, 0, 0)
            data = harness.pack_frame(control, []) + payload
            try:
                result = await asyncio.to_thread(self._run_sync, data, limits)
            except ContainerNotStarted as exc:  # the job never ran: no verdict
                if self._outage.take_out(ENGINE, str(exc)):  # its message says why
                    log.error("%s: out of service", exc)
                raise self._outage.refusal() from exc
            except WorkerLost:
                self.jobs_lost += 1
                raise
            self.jobs_done += 1
            return result
        finally:
            self._running -= 1
            self._slots.release()
            if heavy:
                self._heavy_slots.release()
            if cuda:
                self._cuda_slots.release()

    @contextlib.contextmanager
    def _job_container(self, limits: JobLimits) -> Any:
        """A created, attached and started container; always removed afterwards."""
        try:
            client = self._client()
            container = client.containers.create(**self.container_kwargs(limits))
        except Exception as exc:  # engine gone, image removed, out of resources
            raise ContainerNotStarted(f"the engine did not create a job container: "
                                      f"{exc}") from exc
        stream = None
        try:
            try:
                attached = client.api.attach_socket(
                    container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
                )
                stream = AttachedStream(attached)
                container.start()
            except Exception as exc:
                raise ContainerNotStarted(f"the job container did not start: {exc}") from exc
            yield container, stream
        finally:
            if stream is not None:
                stream.close()
            with contextlib.suppress(Exception):
                container.remove(force=True)

    def _read_ready(self, stream: AttachedStream, deadline: float) -> dict:
        try:
            ready = stream.read_frame(deadline)
        except (TimeoutError, EOFError, OSError, ValueError) as exc:
            raise ContainerNotStarted(f"job container failed to start: {exc}") from exc
        if ready.get("kind") != "ready":
            raise ContainerNotStarted(f"job container sent {ready.get('kind')!r} instead of "
                                      f"ready")
        self.torch_version = str(ready.get("torch", ""))
        return ready

    def _run_sync(self, data: bytes, limits: JobLimits) -> tuple[dict, list[bytes]]:
        """One job, start to removal (runs in a worker thread)."""
        with self._job_container(limits) as (container, stream):
            self._read_ready(stream, time.monotonic() + self.container.start_timeout_s)
            deadline = time.monotonic() + limits.wall_s + WORKER_GRACE_S
            try:
                stream.send(data, deadline)
                header = stream.read_frame(deadline)
                self._check_sizes(header, limits)
                output = stream.read_exactly(header.get("out_len", 0), deadline)
                result = stream.read_exactly(header.get("res_len", 0), deadline)
            except (TimeoutError, EOFError, OSError, ValueError) as exc:
                raise WorkerLost(f"job container stopped answering: {exc}") from exc
            header["cgroup"] = {"oom_kill": int(self._oom_killed(container))}
            return decode_report(header, output, result)

    @staticmethod
    def _check_sizes(header: dict, limits: JobLimits) -> None:
        """Refuses a report larger than the zygote can honestly send.

        Inside the container the learner runs as the zygote's own uid, so it
        could reach the zygote's stdout; a forged header must not make the
        trusted side buffer gigabytes.
        """
        out_len, res_len = header.get("out_len", 0), header.get("res_len", 0)
        if not (isinstance(out_len, int) and isinstance(res_len, int)) \
                or not 0 <= out_len <= limits.output_keep_kb * 1024 \
                or not 0 <= res_len <= limits.result_mb * MB + 8:
            raise ValueError(f"oversized report from the job container ({out_len}, {res_len})")

    @staticmethod
    def _oom_killed(container: Any) -> bool:
        """Whether the engine saw the kernel OOM-kill anything in this container.

        The zygote reports only that its child died of SIGKILL; the container's
        memory cgroup (the engine's ``State.OOMKilled``) says why.
        """
        with contextlib.suppress(Exception):
            container.kill()
        with contextlib.suppress(Exception):
            container.wait(timeout=10)
        try:
            container.reload()
            return bool(container.attrs.get("State", {}).get("OOMKilled"))
        except Exception:
            return False

    # ----------------------------------------------------------------- status

    def environment(self) -> dict[str, str]:
        runtime = f", runtime {self.container.runtime}" if self.container.runtime else ""
        return {
            "torch": self.torch_version.split("+")[0],
            "sandbox": f"docker container per job ({self.container.image}{runtime})",
            "cgroups": "per-job container",
        }

    def health(self) -> dict[str, Any]:
        outage = self._outage.report()
        # one engine for every job: all slots are in service, or none
        outage["in_service"] = self.size if self._outage.in_service else 0
        return {
            # unavailable: job containers do not start, every job is refused (503)
            "status": self._outage.status(self._started, True),
            "workers": self.size,
            **outage,
            "idle": self.size - self._running,
            "waiting": self._waiting,
            "max_queue": self.settings.max_queue,
            "jobs_done": self.jobs_done,
            "jobs_lost": self.jobs_lost,
            "gpu": bool(self.gpu_devices),
            **self.environment(),
        }


__all__ = ["AttachedStream", "ContainerNotStarted", "ContainerPool", "ContainerSettings"]
