"""Every sandbox limit in one place (cf. snekbox's nsjail config).

Defaults fit a drill on a 2-core CPU; an exercise may raise ``wall_s``,
``cpu_s`` and ``memory_mb`` in its YAML (training checks need more), never
the others. Environment variables ``TORCHDOJO_LIMIT_<NAME>`` override a
default for the whole service.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024
#: The largest submission accepted anywhere (bot and grader), in bytes of UTF-8.
MAX_CODE_BYTES = 64 * 1024


class JobLimits(BaseModel):
    """Limits applied to one sandboxed job."""

    wall_s: float = Field(5.0, gt=0, le=600, description="wall-clock time")
    cpu_s: int = Field(5, gt=0, le=600, description="CPU seconds (RLIMIT_CPU)")
    memory_mb: int = Field(768, gt=16, le=16384, description="memory beyond the warm parent")
    processes: int = Field(32, gt=0, le=1024, description="processes + threads (cgroup pids)")
    file_mb: int = Field(16, gt=0, le=1024, description="largest file written (RLIMIT_FSIZE)")
    tmpfs_mb: int = Field(32, gt=0, le=2048, description="private /tmp size")
    output_kb: int = Field(1024, gt=0, le=65536,
                           description="stdout+stderr before the job is stopped")
    output_keep_kb: int = Field(8, gt=0, le=1024, description="stdout kept in the result")
    result_mb: int = Field(128, gt=0, le=1024, description="probe data sent back")
    gpu_memory_fraction: float = Field(0.25, gt=0, le=1.0)
    user_processes: int = Field(
        1024, gt=0, le=65536,
        description="RLIMIT_NPROC backstop for when cgroups are unavailable; counts every "
                    "process of the grader's user, so it is generous (no effect for root)")

    def for_child(self) -> dict:
        """The flat dict the zygote understands."""
        return {
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "memory_bytes": self.memory_mb * MB,
            "file_bytes": self.file_mb * MB,
            "tmpfs_bytes": self.tmpfs_mb * MB,
            "output_bytes": self.output_kb * 1024,
            "output_keep_bytes": self.output_keep_kb * 1024,
            "result_bytes": self.result_mb * MB,
            "gpu_memory_fraction": self.gpu_memory_fraction,
            "nproc": self.user_processes,
        }


class GraderSettings(BaseSettings):
    """Service-wide grader settings (environment: ``TORCHDOJO_*``)."""

    model_config = SettingsConfigDict(env_prefix="TORCHDOJO_", extra="ignore")

    workers: int = Field(0, ge=0, le=64, description="warm workers; 0 = one per core, at least 2")
    max_queue: int = Field(64, ge=0, description="jobs waiting for a worker before 503")
    max_code_kb: int = Field(MAX_CODE_BYTES // 1024, gt=0, le=1024,
                             description="largest accepted submission")
    unsafe_no_sandbox: bool = Field(False, description="run without namespaces (development only)")
    sandbox: Literal["bwrap", "docker"] = Field(
        "bwrap", description="bwrap: warm jailed pool; docker: a fresh container per job"
    )
    limit_wall_s: float | None = None
    limit_cpu_s: int | None = None
    limit_memory_mb: int | None = None
    limit_processes: int | None = None

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
