"""The curriculum's data model: what an exercise file may contain.

Pure data (pydantic, no torch): the bot reads it to list, show and schedule
exercises; the grader reads it to plan probes and judge. Check *kinds* are
declared here; how each kind is judged lives in ``grader/checks``.

An exercise is ``<week>/<id>.yaml`` with its reference solution beside it as
``<id>.ref.py``. Most checks name a judge by concept (``curriculum/judges``)
and a shared probe (``curriculum/probes``) with their arguments; only what
is particular to one exercise lives beside it, in ``<id>.checks.py``
(trusted side: hidden inputs, special judges) and ``<id>.probe.py`` (runs in
the jail).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_RE = re.compile(r"^[1-6]\.[1-9]\.\d{1,2}[a-z]?$|^final\.\d{1,2}[a-z]?$")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DTYPES = {
    "float16", "bfloat16", "float32", "float64", "int8", "uint8", "int16", "int32",
    "int64", "bool", "complex64", "complex128",
}
SUMMARY_MAX = 1500


class Kind(StrEnum):
    drill = "drill"
    problem = "problem"
    challenge = "challenge"
    quiz = "quiz"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _CheckBase(_Strict):
    id: str = Field(description="unique within the exercise; shown to the learner")
    points: int = Field(1, ge=0, le=100)
    title: str = ""

    @field_validator("id")
    @classmethod
    def _id_ok(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", v):
            raise ValueError("check id may contain letters, digits, '_', '.', '-'")
        return v


class TensorCheck(_CheckBase):
    """A module-level name bound to a tensor (or NumPy array).

    Shape and dtype come from ``shape``/``dtype`` when given, else from the
    reference solution; the value is compared per ``value``.
    """

    kind: Literal["tensor"] = "tensor"
    name: str = ""
    api: list[str] = Field(default_factory=list, description="calls that must build the value")
    forbid: list[str] = Field(default_factory=list, description="calls that must not")
    value: Literal["exact", "close", "uniform", "normal", "unchecked"] = "exact"
    rtol: float = 1e-5
    atol: float = 1e-6
    container: Literal["tensor", "ndarray"] = "tensor"
    shape: list[int] | None = None
    dtype: str | None = None

    @model_validator(mode="after")
    def _defaults(self) -> TensorCheck:
        if not self.name:
            object.__setattr__(self, "name", self.id)
        if not NAME_RE.match(self.name):
            raise ValueError(f"name {self.name!r} is not a Python identifier")
        if self.dtype is not None and self.dtype not in DTYPES:
            raise ValueError(f"dtype {self.dtype!r} is not one of {sorted(DTYPES)}")
        for entry in [*self.api, *self.forbid]:
            if not re.fullmatch(r"\.?[A-Za-z_][A-Za-z0-9_.]*", entry):
                raise ValueError(f"api entry {entry!r} must look like 'torch.zeros' or '.numpy'")
        return self


class PythonCheck(_CheckBase):
    """A check whose probe and judge are Python: a judge by concept, or the exercise's own.

    Names resolve the same way for ``judge`` and ``inputs``: ``module.function``
    is a trusted judge in ``curriculum/judges/<module>.py``; a bare ``function``
    lives in the exercise's ``<id>.checks.py``. ``probe`` likewise:
    ``module.function`` is a shared probe file ``curriculum/probes/<module>.py``,
    a bare name a function of the exercise's ``<id>.probe.py`` (see
    ``curriculum/probes/__init__.py``). ``args`` are keyword arguments for the
    ``inputs`` and ``judge`` functions (trusted side only; each function takes the
    ones it names); ``probe_args`` are constants the probe reads as ``PROBE_ARGS``
    in the jail — never put expected values there.

    ``inputs(rng, **args) -> object`` makes hidden inputs from the job's seed;
    ``judge(learner, reference, inputs, ctx, **args) -> Verdict | (ok, message)``.
    """

    kind: Literal["python"] = "python"
    check_kind: str = Field("value", description="kind reported in the result")
    probe: str
    judge: str
    inputs: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    probe_args: dict[str, Any] = Field(default_factory=dict)
    api: list[str] = Field(default_factory=list)
    api_target: str | None = Field(None, description="name whose definition must use `api`")
    probe_code: str = Field("", description="filled by the loader: the assembled probe text")

    @field_validator("probe", "judge", "inputs")
    @classmethod
    def _callable_name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"([a-z_][a-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*", v):
            raise ValueError(f"{v!r} must be `function` or `module.function`")
        return v

    @field_validator("args", "probe_args")
    @classmethod
    def _numbers_are_numbers(cls, v: dict[str, Any]) -> dict[str, Any]:
        # YAML 1.1 reads `1e-5` (no dot) as a string: catch it where it matters
        for key, value in v.items():
            if key in ("rng", "learner", "reference", "inputs", "ctx"):
                raise ValueError(f"{key!r} is a positional parameter of inputs/judge "
                                 "functions; name the argument otherwise")
            if key in ("rtol", "atol", "tol", "threshold") and (
                    isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{key} must be a number; found {value!r} (write 1.0e-5, "
                                 "not 1e-5)")
        return v

    @property
    def shared_probe(self) -> tuple[str, str] | None:
        """(module, function) of a probe in curriculum/probes, or None for the exercise's own."""
        return _split(self.probe)


def _split(name: str | None) -> tuple[str, str] | None:
    if name is None or "." not in name:
        return None
    module, _, function = name.partition(".")
    return module, function


Check = Annotated[TensorCheck | PythonCheck, Field(discriminator="kind")]


class Limits(_Strict):
    wall_s: float | None = Field(None, gt=0, le=600)
    cpu_s: int | None = Field(None, gt=0, le=600)
    memory_mb: int | None = Field(None, gt=16, le=16384)


class Exercise(_Strict):
    id: str
    title: str
    week: int = Field(ge=1, le=6)
    kind: Kind
    max_score: int = Field(gt=0, le=1000)
    summary: str = Field(description=f"chat-sized prompt, at most {SUMMARY_MAX} characters")
    prompt: str = Field(description="full markdown prompt with the learner contract")
    starter: str = ""
    time_limit_min: int | None = Field(None, gt=0, le=240)
    device: Literal["cpu", "cuda"] = "cpu"
    errata: list[str] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    checks: list[Check] = Field(min_length=1)
    reference: str = Field("", description="filled by the loader from <id>.ref.py")
    checks_source: str = Field("", description="filled by the loader from <id>.checks.py")
    probe_source: str = Field("", description="filled by the loader from <id>.probe.py")
    source_file: str = ""

    @field_validator("id")
    @classmethod
    def _id_ok(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("id must look like W.E.S (e.g. 1.1.1, 2.3.1a)")
        return v

    @field_validator("summary")
    @classmethod
    def _summary_size(cls, v: str) -> str:
        if len(v) > SUMMARY_MAX:
            raise ValueError(f"summary is {len(v)} characters; at most {SUMMARY_MAX}")
        if not v.strip():
            raise ValueError("summary is empty")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Exercise:
        ids = [c.id for c in self.checks]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate check ids: {sorted(dupes)}")
        total = sum(c.points for c in self.checks)
        if total != self.max_score:
            raise ValueError(f"check points add up to {total}, max_score is {self.max_score}")
        if self.kind is Kind.challenge and self.time_limit_min is None:
            raise ValueError("a challenge needs time_limit_min")
        return self

    @property
    def sort_key(self) -> tuple:
        head, _, tail = self.id.rpartition(".")
        parts = [int(p) if p.isdigit() else 99 for p in head.split(".")]
        num = int(re.match(r"\d+", tail).group()) if tail[:1].isdigit() else 0
        return (*parts, num, tail)
