"""Every grader limit in one place (cf. snekbox's nsjail config).

Three kinds of limit live here, and nowhere else:

- what one sandboxed job may use (:class:`JobLimits`): defaults fit a drill
  on a 2-core CPU; an exercise may raise ``wall_s``, ``cpu_s`` and
  ``memory_mb`` in its YAML (training checks need more), never the others;
  environment variables ``TORCHDOJO_LIMIT_<NAME>`` override a default for the
  whole service;
- what the trusted side accepts back from the sandbox (:class:`ProtocolLimits`):
  hard caps checked *before* anything is allocated for a result frame, and
  honoured by the sandbox's encoder so that an honest answer always fits;
- what a warm worker and the service may hold (``WORKER_*``, ``MAX_CODE_BYTES``,
  :func:`http_body_bytes`);
- which lane a job runs in (:func:`lane_of`, shared with the bot's dispatch),
  how the heavy lane is held back (niceness, cgroup CPU weight), and how
  often the sandbox may report progress.

Torch-free on purpose: the bot imports :data:`MAX_CODE_BYTES` from here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024

# ---------------------------------------------------------------- submissions

#: The largest submission accepted anywhere (bot and grader), in bytes of UTF-8.
#: The bot refuses larger code before sending it; the grader answers ``rejected``.
MAX_CODE_BYTES = 64 * 1024


#: How deeply a submission's syntax tree may nest (``0+0+…+0`` of 600 terms nests 600
#: levels). The trusted side reads the source with recursive walks (the API checks,
#: ``ast.unparse``), which a tree this deep would overflow; the curriculum's own code
#: nests at most ~25 levels. Deeper code is ``rejected`` before anything runs.
MAX_CODE_DEPTH = 150


def http_body_bytes(max_code_kb: int) -> int:
    """Largest ``POST /v1/grade`` body: the code twice (JSON escapes) plus the envelope."""
    return (max_code_kb * 2 + 16) * 1024


#: Seconds the HTTP service gives a connection to send a request's line and
#: headers, and lets it sit idle between requests, before closing it (aiohttp's
#: keep-alive timer covers both, from the moment a connection opens).
HTTP_HEADER_TIMEOUT_S = 15.0
#: Seconds to receive a whole request body once its headers are in (at most
#: ``http_body_bytes``: ~147 KB); a body trickled slower is answered 408 and
#: its connection closed, so slow clients cannot hold the service's sockets.
HTTP_BODY_TIMEOUT_S = 30.0
#: Seconds what the service writes to a connection (a JSON answer, one line of an
#: NDJSON stream) may wait in the service's own buffers for the client to read it.
#: A client that reads slower (or not at all) is dropped: the connection is reset,
#: which frees its buffers and the handler waiting on it (a grading it asked for
#: still ends: its result is not sent).
HTTP_WRITE_TIMEOUT_S = 30.0
#: Kernel send buffer of each HTTP connection (``SO_SNDBUF``; Linux doubles it).
#: Autotuned, one connection whose client does not read holds up to ~4 MB of kernel
#: memory; the service's answers are at most tens of KB, so a fixed buffer costs
#: them nothing and bounds what a stalled client pins until it is dropped.
HTTP_SEND_BUFFER_BYTES = 128 * 1024


# ---------------------------------------------------------------- lanes

QUICK, HEAVY, GPU = "quick", "heavy", "gpu"
#: The most wall or CPU time an exercise may allow and still be a quick one.
QUICK_MAX_S = 10.0
#: Niceness of a heavy job's child (0-19): a drill running next to a training
#: loop gets most of the CPU. Raising one's own niceness needs no privilege.
HEAVY_NICE = 10
#: CPU weight of a worker's cgroup while it runs a heavy job, on cgroup v2's
#: ``cpu.weight`` scale (default 100, range 1-10000); v1's ``cpu.shares`` get
#: the same ratio of 1024. Against a quick worker at 100 a heavy one gets
#: about 1/11 of a contended core.
HEAVY_CPU_WEIGHT = 10
QUICK_CPU_WEIGHT = 100


def lane_of(exercise: Any | None) -> str:
    """The lane of a curriculum exercise: ``quick``, ``heavy`` or ``gpu``.

    Decided by what the exercise's YAML lets it cost (``limits``, ``device``),
    not by its week or kind, so the bot's dispatch (:mod:`bot.core.lanes`)
    and the grader's pool agree on one rule. Unknown exercises are quick:
    the grader answers "unknown exercise" at once.
    """
    if exercise is None:
        return QUICK
    if getattr(exercise, "device", "cpu") == "cuda":
        return GPU
    limits = getattr(exercise, "limits", None)
    wall = getattr(limits, "wall_s", None) or 0.0
    cpu = getattr(limits, "cpu_s", None) or 0
    memory = getattr(limits, "memory_mb", None) or 0
    if max(wall, cpu) > QUICK_MAX_S or memory > JobLimits.model_fields["memory_mb"].default:
        return HEAVY
    return QUICK


def pool_lane(exercise: Any | None) -> str:
    """The grader pool's lane: ``quick``, or ``heavy`` for everything that is
    not (a GPU job is long as well, and its grader has its own pool)."""
    return QUICK if lane_of(exercise) == QUICK else HEAVY


# ---------------------------------------------------------------- progress

#: Fewest seconds between two progress reports a zygote forwards for one job
#: (the child may write as often as it likes; the rest is dropped).
PROGRESS_EVERY_S = 0.1
#: Probes per job whose progress is followed (a bigger job reports none).
PROGRESS_MAX_TOTAL = 1000
#: Bytes a zygote reads from a child's progress pipe before it stops
#: listening (one byte per probe is honest; more is a flood).
PROGRESS_MAX_BYTES = 1 << 20


# ---------------------------------------------------------------- warm workers

#: Memory a warm worker's own processes (bwrap, the zygote holding torch, the
#: pre-forked child) may use in its cgroup on top of a job's ``memory_mb``.
WORKER_BASE_MEMORY_MB = 512
#: Unreclaimable memory (anonymous + tmpfs/shm) a worker may hold between jobs
#: above what it held when it started, before the pool replaces it: more means
#: something a job made outlived it.
WORKER_DIRTY_MB = 64
#: Starting a worker: bubblewrap, the torch import and the first warm child.
WORKER_START_TIMEOUT_S = 120.0
#: Cleaning up after a job and forking the next child.
WORKER_IDLE_TIMEOUT_S = 300.0
#: How long past a job's wall limit a worker may stay silent before it is lost.
WORKER_GRACE_S = 15.0
#: A worker that cannot be restarted leaves service; it is tried again after
#: this many seconds, then twice as long each time, up to the second figure.
WORKER_RESTART_FIRST_S = 1.0
WORKER_RESTART_MAX_S = 60.0
#: Largest frame the pool accepts from a zygote on its control pipe
#: (``ready``/``done``/``idle``); a job's output and result follow it as raw
#: bytes bounded by :class:`JobLimits`.
CONTROL_FRAME_BYTES = 64 * 1024
#: Buffer limit of the pool's pipe readers.
WORKER_STREAM_BYTES = 256 * MB


class ProtocolLimits(BaseModel):
    """Caps on a result frame (``harness.pack_frame``) and the values in it.

    The sandbox's encoder keeps an honest answer inside them (a value that
    does not fit becomes a clear per-check error); the trusted decoder
    refuses anything outside them before parsing or allocating. The header
    cap keeps ``json.loads`` of a forged header to a few tens of
    milliseconds and megabytes.
    """

    model_config = ConfigDict(frozen=True)

    header_bytes: int = Field(1 * MB, description="JSON header of one result frame")
    depth: int = Field(48, description="JSON nesting of a frame header")
    nodes: int = Field(250_000, description="JSON values in a frame header")
    items: int = Field(10_000, description="elements of one list, tuple or dict")
    value_depth: int = Field(12, description="nesting of one probed value")
    string_chars: int = Field(4_000, description="one string (reprs, messages)")
    blobs: int = Field(4_096, description="tensor/array payloads per frame")
    blob_bytes: int = Field(64 * MB, description="all tensor/array payloads of a frame")
    elements: int = Field(16 * 2**20, description="tensor/array elements of a frame, all "
                          "values together (blob_bytes / 4: 64 MB of bool or uint8 would "
                          "be 512 MB once a judge widens it to float64)")
    ndim: int = Field(32, description="dimensions of one tensor or array")
    dim: int = Field(2**31 - 1, description="size of one dimension")
    span: int = Field(2**48, description="product of a shape's sizes, zeros counted as 1 "
                                         "(keeps strides representable)")

    def for_child(self) -> dict[str, int]:
        """The plain dict the harness understands (it travels in the job)."""
        return self.model_dump()


PROTOCOL = ProtocolLimits()


# ---------------------------------------------------------------- one job


class JobLimits(BaseModel):
    """Limits applied to one sandboxed job."""

    wall_s: float = Field(5.0, gt=0, le=600, description="wall-clock time")
    cpu_s: int = Field(5, gt=0, le=600, description="CPU seconds (RLIMIT_CPU)")
    memory_mb: int = Field(768, gt=16, le=16384, description="memory beyond the warm parent")
    processes: int = Field(32, gt=0, le=1024, description="processes + threads (cgroup pids)")
    file_mb: int = Field(16, gt=0, le=1024, description="largest file written (RLIMIT_FSIZE)")
    tmpfs_mb: int = Field(32, gt=0, le=2048,
                          description="size of the job's private /tmp, and of its /dev/shm")
    tmpfs_files: int = Field(4096, ge=64, le=1_000_000,
                             description="files and directories in /tmp, and in /dev/shm")
    open_files: int = Field(64, ge=16, le=4096, description="open descriptors (RLIMIT_NOFILE)")
    output_kb: int = Field(1024, gt=0, le=65536,
                           description="stdout+stderr before the job is stopped")
    output_keep_kb: int = Field(8, gt=0, le=1024, description="stdout kept in the result")
    result_mb: int = Field(128, gt=0, le=1024, description="probe data sent back")
    gpu_memory_fraction: float = Field(0.25, gt=0, le=1.0)
    user_processes: int = Field(
        1024, gt=0, le=65536,
        description="RLIMIT_NPROC backstop for when cgroups are unavailable; counts every "
                    "process of the grader's user, so it is generous (no effect for root)")

    def for_child(self) -> dict[str, Any]:
        """The flat dict the zygote understands."""
        return {
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "memory_bytes": self.memory_mb * MB,
            "file_bytes": self.file_mb * MB,
            "tmpfs_bytes": self.tmpfs_mb * MB,
            "tmpfs_files": self.tmpfs_files,
            "open_files": self.open_files,
            "output_bytes": self.output_kb * 1024,
            "output_keep_bytes": self.output_keep_kb * 1024,
            "result_bytes": self.result_mb * MB,
            "gpu_memory_fraction": self.gpu_memory_fraction,
            "nproc": self.user_processes,
            "protocol": PROTOCOL.for_child(),
        }


# ---------------------------------------------------------------- the service


class SettingsError(ValueError):
    """A ``TORCHDOJO_*`` grader setting is invalid; the message names each variable."""


def load_grader_settings(**overrides: Any) -> GraderSettings:
    """Read the environment; raise :class:`SettingsError` naming each bad variable
    (``TORCHDOJO_SANDBOX: Input should be 'bwrap' or 'docker'``) instead of a traceback."""
    from pydantic import ValidationError

    try:
        return GraderSettings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = (".".join(str(p) for p in err["loc"]) or "settings").upper()
            name = field if field.startswith(("TORCHDOJO_", "GRADER_")) else f"TORCHDOJO_{field}"
            lines.append(f"  {name}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid configuration:\n" + "\n".join(lines)) from None


class GraderSettings(BaseSettings):
    """Service-wide grader settings (environment: ``TORCHDOJO_*``)."""

    model_config = SettingsConfigDict(env_prefix="TORCHDOJO_", extra="ignore",
                                      populate_by_name=True)

    workers: int = Field(0, ge=0, le=64, description="warm workers; 0 = one per core, at least 2")
    quick_workers: int | None = Field(
        None, ge=0, le=64,
        validation_alias=AliasChoices("TORCHDOJO_QUICK_WORKERS",
                                      "GRADER_QUICK_WORKERS"),
        description="workers heavy jobs may never take (kept for drills); "
                    "None = 1 when there are at least 2 workers, else 0")
    quick_extra: bool = Field(
        False, validation_alias=AliasChoices("TORCHDOJO_QUICK_EXTRA",
                                             "GRADER_QUICK_EXTRA"),
        description="start the reserved quick workers on top of `workers` "
                    "(heavy jobs keep all of `workers`)")
    heavy_nice: int = Field(HEAVY_NICE, ge=0, le=19, description="niceness of heavy children")
    heavy_cpu_weight: int = Field(HEAVY_CPU_WEIGHT, ge=1, le=10000,
                                  description="cgroup cpu.weight of a worker running a heavy job")
    max_queue: int = Field(64, ge=0, description="jobs waiting for a worker before 503")
    max_code_kb: int = Field(MAX_CODE_BYTES // 1024, gt=0, le=1024,
                             description="largest accepted submission")
    unsafe_no_sandbox: bool = Field(False, description="run without namespaces (development only)")
    sandbox: Literal["bwrap", "docker"] = Field(
        "bwrap", description="bwrap: warm jailed pool; docker: a fresh container per job"
    )
    limit_wall_s: float | None = Field(None, gt=0, description="a job's wall-clock limit")
    limit_cpu_s: int | None = Field(None, gt=0, description="a job's CPU-time limit")
    limit_memory_mb: int | None = Field(None, gt=0, description="a job's memory limit")
    limit_processes: int | None = Field(None, gt=0, description="a job's process limit")

    def pool_sizes(self, cpus: int | None) -> tuple[int, int]:
        """(all workers, of which reserved for quick jobs)."""
        base = self.workers or max(2, cpus or 2)
        if self.quick_extra:
            quick = 1 if self.quick_workers is None else self.quick_workers
            return base + quick, quick
        quick = (1 if base >= 2 else 0) if self.quick_workers is None else self.quick_workers
        return base, min(quick, base - 1)

    def default_limits(self) -> JobLimits:
        overrides = {
            k: v
            for k, v in {
                "wall_s": self.limit_wall_s,
                "cpu_s": self.limit_cpu_s,
                "memory_mb": self.limit_memory_mb,
                "processes": self.limit_processes,
            }.items()
            if v is not None
        }
        return JobLimits(**overrides)
