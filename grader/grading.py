"""Grader: plan a job, run it in the sandbox, judge it outside, build the result.

This is the trusted side. It holds the curriculum, runs reference solutions
(they are ours: on a thread here, or — a heavy exercise's per-grading
reference, in a long-running service — in a low-priority process of their own,
:mod:`grader.references`), sends the sandbox only the learner's code, the
probes and the hidden *inputs*, and compares the data that comes back. The
result is the JSON object of docs/result-format.md.

Progress is reported as data (:data:`ProgressFn` gets dicts): ``{"stage":
"running"}``, then ``{"stage": "check", "index": i, "total": n, "kind": k}``
as the sandboxed child starts the probes of check ``i`` (the pool gives only a
bounded, monotonic probe count; which check and its kind come from the
exercise's own YAML here), then ``{"stage": "judging", ...}`` per check as it
is judged here. No text from the sandbox is ever part of it.

One module past 500 lines on purpose: a grading's plan (probes, inputs,
seed), its reference, the sandboxed run and the judging are one pipeline over
the same context, and the rule that the reference and the learner's run see
exactly the same probes and inputs is kept by having both built here.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import errno
import functools
import hashlib
import io
import logging
import re
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from curriculum import Curriculum, Exercise, load_curriculum
from grader.checks import CheckContext, Outcome, Verdict, judge_for
from grader.checks.api import index_source
from grader.checks.base import ERROR_MESSAGE_CHARS
from grader.errors import UnknownExercise, WorkerLost
from grader.limits import (
    HEAVY,
    MAX_CODE_DEPTH,
    PROTOCOL,
    GraderSettings,
    JobLimits,
    load_grader_settings,
    pool_lane,
)
from grader.pool import SandboxPool
from grader.references import ReferenceProcess
from grader.result import (
    CheckResult,
    CheckStatus,
    ErrorCause,
    GradeResult,
    Status,
    caret_column,
)
from grader.sandbox import harness
from grader.stock import Plan, ReferenceStock, fresh_seed

log = logging.getLogger(__name__)

ProgressFn = Callable[[dict[str, Any]], None]
CAPS = PROTOCOL.for_child()
INLINE_JUDGE_BYTES = 256 * 1024
#: Longest source read on the event loop (a drill is ~500 characters). Reading
#: a submission's syntax tree (the nesting check, the API index, the API checks)
#: can take seconds on 64 KB of code written to be slow (thousands of functions
#: calling each other), which on the loop would stall every other request of
#: the service: longer sources are read in a worker thread.
INLINE_SOURCE_CHARS = 2048
#: Names a "Not defined:" verdict lists before "and N more" (the chat folds the
#: per-name check lines into it, so it must name enough to act on).
MISSING_NAMES_SHOWN = 15
OOM_MARKERS = (
    "can't allocate memory", "DefaultCPUAllocator", "out of memory", "CUDA out of memory",
)
STATUS_MESSAGES = {
    "cpu": "Your code used more than its {cpu_s} s of CPU time — an infinite loop or a very "
           "slow computation?",
    "wall": "Your code ran longer than its {wall_s:g} s wall-clock limit — an infinite loop, "
            "a very slow computation (a Python loop over thousands of items?), time.sleep or a "
            "blocking call?",
    "oom": "Your code needed more than its {memory_mb} MB of memory — a huge tensor or a "
           "growing list?",
    "output": "Your code printed more than {output_kb} KB; printing was stopped. Print less.",
    "file": "Your code wrote a file larger than the {file_mb} MB limit.",
    "space": "Your code filled its scratch space: /tmp and /dev/shm hold at most {tmpfs_mb} MB "
             "and {tmpfs_files} files each.",
    "process": "Your code started too many processes or threads (limit {processes}).",
}


#: The verdict of a job whose child reported a setup error (its own text is logged only).
SETUP_ERROR_MESSAGE = ("The sandbox could not run your job (it reported an internal setup "
                       "error). Submit again; if it keeps happening, tell an instructor.")


class Rejected(ValueError):
    """The submission is refused before running (empty, too large, not UTF-8)."""


def _checks_module(exercise: Exercise) -> dict[str, Any]:
    if not exercise.checks_source:
        return {}
    scope: dict[str, Any] = {"__name__": f"checks_{exercise.id.replace('.', '_')}"}
    exec(compile(exercise.checks_source, f"{exercise.id}.checks.py", "exec"), scope)
    return scope


class Grader:
    """Grades submissions against the curriculum with a warm sandbox pool."""

    def __init__(self, curriculum: Curriculum, pool: SandboxPool, settings: GraderSettings,
                 *, separate_references: bool = False) -> None:
        """``separate_references``: a service's heavy per-grading references run
        in :class:`~grader.references.ReferenceProcess` (a one-off ``torchdojo
        grade`` keeps them here rather than start a process for one job)."""
        import torch

        # References run here, several at once in worker threads; one intra-op
        # thread each keeps them from fighting over the cores (and matches the
        # sandbox, which also runs single-threaded).
        torch.set_num_threads(1)
        self.curriculum = curriculum
        self.pool = pool
        self.settings = settings
        self._modules: dict[str, dict[str, Any]] = {}
        # References seed torch's process-wide RNG; two running at once in
        # worker threads would draw from each other's stream.
        self._reference_lock = threading.Lock()
        self._reference_cache: dict[str, tuple[dict, list[bytes]]] = {}
        self.references = ReferenceProcess(settings.heavy_nice) if separate_references else None
        #: Heavy gradings planned ahead in quiet moments (services only).
        self.stock = ReferenceStock(
            self._plan_ahead, pause=self.references.pause, resume=self.references.resume,
        ) if self.references is not None else None

    @classmethod
    def from_settings(cls, workers: int | None = None, unsafe: bool | None = None, *,
                      separate_references: bool = False) -> Grader:
        settings = load_grader_settings()
        if workers:
            settings.workers = workers
        if unsafe is not None:
            settings.unsafe_no_sandbox = unsafe
        if settings.sandbox == "docker":
            from grader.container import ContainerPool

            return cls(load_curriculum(), ContainerPool(settings),  # type: ignore[arg-type]
                       settings, separate_references=separate_references)
        return cls(load_curriculum(), SandboxPool(settings), settings,
                   separate_references=separate_references)

    async def start(self) -> None:
        if self.references is not None:
            await self.references.start()
        if self.stock is not None:
            self.stock.start()
        await self.pool.start()

    async def close(self) -> None:
        if self.stock is not None:
            await self.stock.close()
        if self.references is not None:
            self.references.close()
        await self.pool.close()

    def health(self) -> dict[str, Any]:
        out = {**self.pool.health(), "exercises": len(self.curriculum.exercises)}
        if self.stock is not None:
            out["references_ahead"] = {"made": self.stock.made, "taken": self.stock.taken}
        return out

    def exercise(self, exercise_id: str) -> Exercise:
        exercise = self.curriculum.get(exercise_id)
        if exercise is None:
            raise UnknownExercise(exercise_id, self.curriculum.closest(exercise_id))
        return exercise

    def limits_for(self, exercise: Exercise) -> JobLimits:
        base = self.settings.default_limits()
        overrides = exercise.limits.model_dump(exclude_none=True)
        return base.model_copy(update=overrides)

    # ------------------------------------------------------------------ public

    async def grade(self, exercise_id: str, code: str | bytes, *, seed: int | None = None,
                    progress: ProgressFn | None = None) -> dict[str, Any]:
        with self.stock.grading() if self.stock is not None else contextlib.nullcontext():
            return await self._grade(exercise_id, code, seed, progress)

    async def _grade(self, exercise_id: str, code: str | bytes, seed: int | None,
                     progress: ProgressFn | None) -> dict[str, Any]:
        started = time.perf_counter()
        exercise = self.exercise(exercise_id)
        note = _safe(progress)
        try:
            source = self._accept(code) if len(code) <= INLINE_SOURCE_CHARS \
                else await asyncio.to_thread(self._accept, code)
        except Rejected as exc:
            return self._result(exercise, "rejected", [], str(exc), started)
        limits = self.limits_for(exercise)
        source_index = index_source(source) if len(source) <= INLINE_SOURCE_CHARS \
            else await asyncio.to_thread(index_source, source)
        plan = self.stock.take(exercise.id) if (
            self.stock is not None and seed is None and self._planned_ahead(exercise)) else None
        if plan is not None:  # seed, inputs and reference made ahead, for this grading only
            ctx = CheckContext(exercise.id, source_index, plan.seed, source_text=source,
                               inputs=plan.inputs, secrets=plan.secrets,
                               module=self._module(exercise))
            seed, probes, owners = plan.seed, plan.probes, plan.owners
        else:
            seed = seed if seed is not None else fresh_seed()
            ctx = CheckContext(exercise.id, source_index, seed, source_text=source,
                               module=self._module(exercise))
            probes, owners = self._probes(exercise, ctx)
        enc = harness.Encoder(CAPS)
        inputs_tree = enc.encode(ctx.inputs) if ctx.inputs else None
        job = {
            "kind": "job", "source": source, "probes": probes, "seed": run_seed(seed),
            "inputs": inputs_tree, "limits": limits.for_child(), "device": self._device(exercise),
        }
        note({"stage": "running"})
        # Thread hand-offs cost more than a cached reference or a small
        # declarative judgement; only real work leaves the event loop.
        cached = plan.reference if plan is not None else (
            None if ctx.inputs else self._reference_cache.get(exercise.id))
        reference_task = None
        if cached is None:
            elsewhere = self.references is not None and ctx.inputs and self._planned_ahead(
                exercise)
            reference_task = asyncio.create_task(
                self._own_reference(exercise, probes, ctx, seed, enc.blobs) if elsewhere
                else asyncio.to_thread(self._reference, exercise, probes, ctx, seed, enc.blobs))
        try:
            header, blobs = await self.pool.run(
                job, enc.blobs, limits, lane=pool_lane(exercise),
                progress=_check_progress(exercise, owners, note) if progress else None)
        except WorkerLost:
            if reference_task is not None:
                reference_task.cancel()
            return self._result(exercise, "error", [], "The sandbox crashed while grading "
                                 "this submission; it has been restarted.", started)
        except BaseException:  # busy, out of service, cancelled: no one will read the reference
            if reference_task is not None:
                reference_task.cancel()
            raise
        note({"stage": "judging"})
        ref_header, ref_blobs = cached or await reference_task
        judge_args = (exercise, ctx, limits, header, blobs, ref_header, ref_blobs, started,
                      job["device"])
        if self._cheap_to_judge(exercise, blobs, source):
            return self._judge(*judge_args, note=note if progress else None)
        loop = asyncio.get_running_loop()
        in_loop = (lambda report: loop.call_soon_threadsafe(note, report)) if progress else None
        return await asyncio.to_thread(self._judge, *judge_args, note=in_loop)

    @staticmethod
    def _cheap_to_judge(exercise: Exercise, blobs: list[bytes], source: str) -> bool:
        """Declarative tensor checks on a small result and a short source (their API
        checks read its syntax tree) judge in well under a millisecond."""
        return (all(check.kind == "tensor" for check in exercise.checks)
                and sum(len(b) for b in blobs) <= INLINE_JUDGE_BYTES
                and len(source) <= INLINE_SOURCE_CHARS)

    # ---------------------------------------------------------------- planning

    def _accept(self, code: str | bytes) -> str:
        if isinstance(code, bytes):
            try:
                code = code.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Rejected(f"Your code is not valid UTF-8 text (byte {exc.start}).") from None
        try:  # a str (HTTP JSON's "\ud800") may hold lone surrogates: not UTF-8 either
            code.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Rejected(f"Your code is not valid UTF-8 text (character {exc.start}: a "
                           "lone surrogate).") from None
        limit = self.settings.max_code_kb * 1024
        size = len(code.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise Rejected(f"Your code is {size // 1024} KB; submissions are limited to "
                           f"{self.settings.max_code_kb} KB.")
        if "\x00" in code:
            raise Rejected("Your code contains NUL bytes; paste plain Python source.")
        if not code.strip():
            raise Rejected("Your submission is empty; paste your Python code.")
        depth = _nesting(code)
        if depth > MAX_CODE_DEPTH:
            raise Rejected(f"Your code nests {depth} levels deep (an expression like "
                           f"0+0+…+0 with hundreds of terms); the grader reads at most "
                           f"{MAX_CODE_DEPTH}. Split it into several statements.")
        return code

    def _module(self, exercise: Exercise) -> dict[str, Any]:
        if exercise.id not in self._modules:
            self._modules[exercise.id] = _checks_module(exercise)
        return self._modules[exercise.id]

    def _probes(self, exercise: Exercise, ctx: CheckContext) -> tuple[list[dict], list[int]]:
        """The probes of every check, and for each probe the index of its check."""
        probes: list[dict] = []
        owners: list[int] = []
        for i, check in enumerate(exercise.checks):
            own = judge_for(check.kind).probes(check, ctx)
            probes.extend(own)
            owners.extend([i] * len(own))
        return probes, owners

    def _device(self, exercise: Exercise) -> str:
        return "cuda" if exercise.device == "cuda" and self.pool.gpu_devices else "cpu"

    @staticmethod
    def _planned_ahead(exercise: Exercise) -> bool:
        """A heavy exercise: its per-grading references run in the reference
        process, and are computed ahead (:mod:`grader.stock`)."""
        return pool_lane(exercise) == HEAVY

    async def _plan_ahead(self, exercise_id: str, seed: int) -> Plan | None:
        """A grading of this exercise planned for ``seed`` — probes, hidden inputs
        and the reference's result — before any learner's code is there (they
        depend on the exercise and the seed only); None without per-grading
        inputs (that reference is computed once and cached)."""
        exercise = self.exercise(exercise_id)
        ctx = CheckContext(exercise.id, index_source(exercise.reference), seed,
                           module=self._module(exercise))
        probes, owners = self._probes(exercise, ctx)
        if not ctx.inputs or self.references is None:
            return None
        reference = await self._reference_elsewhere(exercise, probes, ctx, seed, [])
        return Plan(seed, probes, owners, ctx.inputs, ctx.secrets, reference)

    @staticmethod
    def _reference_job(exercise: Exercise, probes: list[dict], ctx: CheckContext,
                       seed: int) -> tuple[dict, list[bytes]]:
        enc = harness.Encoder(CAPS)
        inputs_tree = enc.encode(ctx.inputs) if ctx.inputs else None
        job = {"source": exercise.reference, "probes": probes, "seed": run_seed(seed),
               "inputs": inputs_tree,
               "limits": {"protocol": CAPS}}
        return job, enc.blobs

    @staticmethod
    def _reference_result(exercise: Exercise, frame: bytes) -> tuple[dict, list[bytes]]:
        header, out = harness.unpack_frame(frame, CAPS)
        if header.get("error"):
            raise RuntimeError(f"reference solution of {exercise.id} failed: {header['error']}")
        return header, out

    def _reference(self, exercise: Exercise, probes: list[dict], ctx: CheckContext, seed: int,
                   blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        cacheable = not ctx.inputs
        if cacheable and exercise.id in self._reference_cache:
            return self._reference_cache[exercise.id]
        job, job_blobs = self._reference_job(exercise, probes, ctx, seed)
        # A reference that prints must not write into our stdout (it carries
        # `torchdojo grade --json`); logging keeps its own stream.
        with self._reference_lock, contextlib.redirect_stdout(io.StringIO()):
            frame = harness.execute(job, job_blobs)
        header, out = self._reference_result(exercise, frame)
        if cacheable:
            self._reference_cache[exercise.id] = (header, out)
        return header, out

    async def _own_reference(self, exercise: Exercise, probes: list[dict], ctx: CheckContext,
                             seed: int, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """A grading's reference in the reference process, which a refill of the
        stock may hold (paused): it goes on, and this one comes next."""
        with (self.stock.reference_needed() if self.stock is not None
              else contextlib.nullcontext()):
            return await self._reference_elsewhere(exercise, probes, ctx, seed, blobs)

    async def _reference_elsewhere(self, exercise: Exercise, probes: list[dict],
                                   ctx: CheckContext, seed: int,
                                   blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """A heavy per-grading reference, in the reference process (on a thread
        here where this machine cannot start one: no /dev/shm, no processes)."""
        assert self.references is not None
        job, job_blobs = self._reference_job(exercise, probes, ctx, seed)
        try:
            frame = await self.references.execute(job, job_blobs)
        except (OSError, NotImplementedError) as exc:
            log.warning("references run on a thread of the grader: no reference process "
                        "(%s)", exc)
            self.references.close()
            self.references = None
            return await asyncio.to_thread(self._reference, exercise, probes, ctx, seed, blobs)
        return self._reference_result(exercise, frame)

    # ----------------------------------------------------------------- judging

    def _judge(self, exercise: Exercise, ctx: CheckContext, limits: JobLimits, header: dict,
               blobs: list[bytes], ref_header: dict, ref_blobs: list[bytes], started: float,
               device: str, note: ProgressFn | None = None) -> dict[str, Any]:
        output = header.get("output", "")
        raw = blobs[0] if blobs else b""
        learner_header: dict | None = None
        protocol_problem = ""
        if raw:
            # Everything in the frame is the learner's to forge: the decoder's
            # limits and grammar turn any deviation into ProtocolError.
            try:
                learner_header, learner_blobs = harness.unpack_frame(raw, CAPS)
                if learner_header.get("kind") == "result":
                    learner_header = harness.result_header(learner_header)
            except harness.ProtocolError as exc:
                learner_header = None
                protocol_problem = _malformed(exc)
        if learner_header is not None and learner_header.get("kind") == "setup_error":
            # The frame comes from the child, after the learner's code may have run:
            # its text is theirs to write, so it goes to the log (repr: one line), and
            # the verdict says what the grader knows, in its own words.
            log.warning("%s: the sandbox reported a setup error: %r", exercise.id,
                        harness.clip_middle(str(learner_header.get("message", "")), 800))
            return self._result(exercise, "error", [], SETUP_ERROR_MESSAGE, started, output,
                                device)
        if learner_header is not None and learner_header.get("kind") != "result":
            protocol_problem = "the sandbox sent back data of an unknown kind"
            learner_header = None
        limit_status, limit_message = self._limit_breach(header, learner_header, limits)
        if limit_status:
            return self._result(exercise, limit_status, [], limit_message, started, output, device)
        if learner_header is not None:
            try:
                learner = self._outcomes(learner_header, learner_blobs)
            except harness.ProtocolError as exc:
                learner_header = None
                protocol_problem = _malformed(exc)
        if learner_header is None:
            return self._result(exercise, "error", [], protocol_problem or self._no_result(header),
                                started, output, device)
        reference = self._outcomes(ref_header, ref_blobs)
        entries = []
        total = len(exercise.checks)
        for i, check in enumerate(exercise.checks):
            if note is not None:
                note({"stage": "judging", "index": i + 1, "total": total,
                      "kind": progress_kind(check)})
            try:
                verdict = judge_for(check.kind).judge(check, learner, reference, ctx)
            except (harness.ProbeError, KeyError) as exc:
                verdict = Verdict(False, "value", f"could not read your value: {exc}")
            entries.append({
                "id": check.id, "kind": verdict.kind,
                "status": "passed" if verdict.ok else "failed",
                "message": verdict.message, "points": check.points if verdict.ok else 0,
                "max_points": check.points,
            })
        top_error = learner_header.get("error")
        missing = _missing_names(exercise, learner, entries, ctx.source_text)
        cause = None
        if top_error:
            status, message = "error", self._explain_error(top_error)
            cause = _cause_of(top_error, ctx.source_text)
            _blame_the_stop(entries, top_error)
        elif missing:
            status = "error"
            shown = missing[:MISSING_NAMES_SHOWN]
            more = f" and {len(missing) - len(shown)} more" if len(missing) > len(shown) else ""
            message = f"Not defined: {', '.join(shown)}{more}."
        elif all(e["status"] == "passed" for e in entries):
            status, message = "passed", ""
        else:
            status, message = "failed", ""
        return self._result(exercise, status, entries, message, started, output, device, cause)

    def _outcomes(self, header: dict, blobs: list[bytes]) -> dict[str, Outcome]:
        outcomes: dict[str, Outcome] = {}
        for probe_id, data in (header.get("probes") or {}).items():
            if not isinstance(data, dict):
                continue
            if "error" in data:
                outcomes[probe_id] = Outcome(error=data["error"] if isinstance(data["error"], dict)
                                             else {"type": "Error", "message": str(data["error"])})
                continue
            # ProtocolError propagates: an honest sandbox never sends an
            # undecodable value, so the whole frame is untrustworthy.
            outcomes[probe_id] = Outcome(value=harness.decode(data.get("ok"), blobs, CAPS))
        return _Defaulting(outcomes)

    def _limit_breach(self, header: dict, learner: dict | None, limits: JobLimits
                      ) -> tuple[str, str]:
        fmt = limits.model_dump()
        child = header.get("child") or {}
        cg = header.get("cgroup") or {}
        sig = child.get("signal")
        errors = []
        if learner is not None:
            errors = [learner.get("error")] + [
                p.get("error") for p in (learner.get("probes") or {}).values()
                if isinstance(p, dict)
            ]
        errors = [e for e in errors if isinstance(e, dict)]
        if header.get("wall_timeout"):
            return "timeout", STATUS_MESSAGES["wall"].format(**fmt)
        cpu_kill = sig == signal.SIGKILL and child.get("cpu_s", 0) >= limits.cpu_s
        if sig == signal.SIGXCPU or cpu_kill:
            return "timeout", STATUS_MESSAGES["cpu"].format(**fmt)
        if cg.get("oom_kill", 0) > 0 or any(
            e.get("type") == "MemoryError" or any(m in e.get("message", "") for m in OOM_MARKERS)
            for e in errors
        ):
            return "oom", STATUS_MESSAGES["oom"].format(**fmt)
        if header.get("output_limit"):
            return "output_limit", STATUS_MESSAGES["output"].format(**fmt)
        if sig == signal.SIGXFSZ or any(e.get("errno") == errno.EFBIG for e in errors):
            return "file_limit", STATUS_MESSAGES["file"].format(**fmt)
        if any(e.get("errno") == errno.ENOSPC for e in errors):
            return "file_limit", STATUS_MESSAGES["space"].format(**fmt)
        if cg.get("pids_max", 0) > 0 or any(
            e.get("errno") == errno.EAGAIN or "can't start new thread" in e.get("message", "")
            for e in errors
        ):
            return "process_limit", STATUS_MESSAGES["process"].format(**fmt)
        if header.get("result_limit"):
            return "error", "Your values are too large to check (over the result size limit)."
        return "", ""

    @staticmethod
    def _no_result(header: dict) -> str:
        child = header.get("child") or {}
        if child.get("setup_error"):
            return f"The sandbox failed to start your job: {child['setup_error'][:200]}"
        sig = child.get("signal")
        if sig:
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
            hint = " (deep recursion?)" if sig == signal.SIGSEGV else ""
            return f"Your code crashed the Python process with signal {name}{hint}."
        return ("Your code exited before the checks could run (sys.exit / os._exit?). "
                "Define the names and let the file finish.")

    @staticmethod
    def _explain_error(err: dict) -> str:
        etype, msg = err.get("type", "Error"), err.get("message", "")
        if etype == "SyntaxError" or etype == "IndentationError":
            where = f" on line {err.get('line')}" if err.get("line") else ""
            return f"{etype}{where}: {msg}"
        where = f" on line {err['frames'][-1]['line']}" if err.get("frames") else ""
        if etype == "SystemExit":
            return "Your code called sys.exit() before the checks could run."
        shown = harness.clip_middle(str(msg), ERROR_MESSAGE_CHARS)  # head and tail
        return f"Your code raised {etype}{where}: {shown}"

    def _result(self, exercise: Exercise, status: str, entries: list[dict], message: str,
                started: float, output: str = "", device: str = "cpu",
                cause: ErrorCause | None = None) -> dict[str, Any]:
        if entries:
            checks = tuple(CheckResult(e["id"], e["kind"], CheckStatus(e["status"]),
                                       e["message"], e["points"], e["max_points"])
                           for e in entries)
        else:
            checks = tuple(CheckResult(c.id, "run", CheckStatus.not_run, "", 0, c.points)
                           for c in exercise.checks)
        return GradeResult(
            exercise=exercise.id,
            status=Status(status),
            score=sum(c.points for c in checks),
            max_score=exercise.max_score,
            checks=checks,
            message=message,
            stdout=output,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            environment={**self.pool.environment(), "device": device},
            cause=cause,
        ).to_dict()


def run_seed(seed: int) -> int:
    """The seed a grading's code runs under (``torch.manual_seed`` and NumPy's global
    generator, in the sandbox and for the reference alike), from the grading's seed.

    The grading's seed draws the hidden inputs *and* what stays outside with them
    (``Hidden.secret``: held-out labels, clean targets); the code in the sandbox can
    read the seed it runs under (``torch.initial_seed()``), and the input functions
    are the curriculum's own source. So the sandbox gets a one-way function of it,
    still fixed by the seed (a grading is reproduced from its seed). Inverting it
    means searching the seeds a grading may have: 63 bits (:func:`~grader.stock.fresh_seed`).
    """
    digest = hashlib.sha256(f"torchdojo run seed {seed}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFF_FFFF


def progress_kind(check: Any) -> str:
    """The kind a progress report names for a check: what the YAML says it
    judges (``train``, ``grad``, …), or ``tensor`` for a declarative check."""
    kind = getattr(check, "check_kind", None) or check.kind
    return kind if isinstance(kind, str) and kind.isidentifier() and len(kind) <= 20 else "check"


def _nesting(source: str) -> int:
    """How deeply ``source``'s syntax tree nests, walked without recursion; 0 when it does
    not parse (the sandbox reports the SyntaxError), ``MAX_CODE_DEPTH + 1`` when the parser
    itself gives up on the nesting."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return 0
    except (RecursionError, MemoryError):
        return MAX_CODE_DEPTH + 1
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _safe(progress: ProgressFn | None) -> ProgressFn:
    """The caller's progress callback, made unable to fail a grading."""
    if progress is None:
        return lambda _report: None

    def note(report: dict[str, Any]) -> None:
        try:
            progress(report)
        except Exception:
            logging.getLogger("torchdojo.grader").exception("progress callback failed")

    return note


def _check_progress(exercise: Exercise, owners: list[int], note: ProgressFn
                    ) -> Callable[[int], None]:
    """Turns the sandbox's probe count into "check i of n (kind)" reports.

    ``started`` comes from the pool already bounded (1..len(owners)) and
    increasing; the check and its kind are looked up here, in the exercise.
    """
    total = len(exercise.checks)
    last = [-1]

    def on_probe(started: int) -> None:
        if not 1 <= started <= len(owners):
            return
        index = owners[started - 1]
        if index > last[0]:
            last[0] = index
            note({"stage": "check", "index": index + 1, "total": total,
                  "kind": progress_kind(exercise.checks[index])})

    return on_probe


def _malformed(exc: Exception) -> str:
    if isinstance(exc, harness.ResultTooLarge):  # honest values, just too many of them
        return f"Your job's results could not be taken back: {exc}."
    return (f"Your job's results could not be read: the sandbox sent back malformed data "
            f"({exc}). Writing to the sandbox's result pipe (file descriptor 3) is not allowed.")


def _cause_of(err: Any, source: str) -> ErrorCause | None:
    """The learner-side exception as a structured cause. The error dict comes
    from the sandbox, so every field is type-checked; the quoted line is taken
    from our own copy of the source, not from what the sandbox says."""
    if not isinstance(err, dict):
        return None
    line: Any = err.get("line")
    frames = err.get("frames")
    if not isinstance(line, int) and isinstance(frames, list) and frames:
        last = frames[-1]
        line = last.get("line") if isinstance(last, dict) else None
    lines = source.splitlines()
    if not isinstance(line, int) or isinstance(line, bool) or not 1 <= line <= len(lines):
        line = None
    text = lines[line - 1][:300] if line else ""
    return ErrorCause(
        type=str(err.get("type") or "Error")[:100],
        message=str(err.get("message") or "")[:1000],
        line=line,
        col=caret_column(err.get("offset"), text) if line else None,
        text=text,
    )


_NAME_ERROR = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")
_SYNTAX_TYPES = frozenset({"SyntaxError", "IndentationError", "TabError"})
#: Error types named as they are in a check's message (any other: "an exception").
_STOP_TYPES = _SYNTAX_TYPES | frozenset({
    "NameError", "ImportError", "ModuleNotFoundError", "AttributeError", "TypeError",
    "ValueError", "IndexError", "KeyError", "ZeroDivisionError", "RuntimeError",
    "AssertionError", "RecursionError", "NotImplementedError", "UnboundLocalError"})


def _blame_the_stop(entries: list[dict], err: dict) -> None:
    """A file that stopped at module level (a syntax error, an exception while it ran)
    leaves later names unbound: each check that found its name missing says why, instead
    of "name 'f' is not defined" for a function the file does define further down. Only
    our words and the error's type and line (a number) — never the learner's message."""
    etype = err.get("type") if err.get("type") in _STOP_TYPES else "an exception"
    line = err.get("line") if etype in _SYNTAX_TYPES else (
        (err.get("frames") or [{}])[-1].get("line"))
    at = f" on line {line}" if type(line) is int else ""
    article = "an" if etype[:1] in "AEIOU" else "a"
    why = (f"not checked: the file has {article} {etype}{at}, so none of it ran"
           if etype in _SYNTAX_TYPES
           else f"not checked: the file stopped with {etype}{at} before defining it")
    for entry in entries:
        if entry["kind"] == "name" and entry["status"] == "failed":
            entry["message"] = why


def _missing_names(exercise: Exercise, learner: dict[str, Outcome], entries: list[dict],
                   source: str) -> list[str]:
    """The names the learner must define that a check found missing, for the result's
    "Not defined:" line, in check order: the name each such check's run stopped at (its
    NameError), then the contract's other names that check needs (a name its probe quotes:
    ``need(ns, "train_model")``, ``probe_args: {fn: verify_solution}``) and the learner's
    source never binds — the run stops at the first missing name, so a class and its
    training function missing together are both named."""
    names: list[str] = []
    bound: frozenset[str] | None = None
    for check, entry in zip(exercise.checks, entries, strict=True):
        if entry["kind"] != "name":
            continue
        error = learner[check.id].error or {}
        found = _NAME_ERROR.search(str(error.get("message", "")))
        first = found.group(1) if found else getattr(check, "name", None) or check.id
        wanted = [first]
        code = getattr(check, "probe_code", None) or ""
        if bound is None:
            bound = _bound_names(source)
        if code and "*" not in bound:  # a star import may bind anything
            wanted += [n for n in _contract_names(exercise.reference)
                       if n not in bound and (f'"{n}"' in code or f"'{n}'" in code)]
        names += [n for n in dict.fromkeys(wanted) if n not in names]
    return names


@functools.lru_cache(maxsize=256)
def _contract_names(reference: str) -> tuple[str, ...]:
    """The top-level functions, classes and assignments of a reference solution, in order."""
    try:
        tree = ast.parse(reference)
    except SyntaxError:
        return ()
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return tuple(dict.fromkeys(names))


def _bound_names(source: str) -> frozenset[str]:
    """Every name the source binds anywhere (a definition, an assignment, an import, a
    ``global``), so a name it might define is never called missing; a source that does not
    parse binds nothing that could be listed wrongly (its error is shown instead)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset({"*"})
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
            if node.name == "*":
                names.add("*")
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # globals()["name"] = …, setattr(module, "name", …)
    return frozenset(names)


class _Defaulting(dict):
    """Probe outcomes; a probe that produced nothing reads as an error."""

    def __missing__(self, key: str) -> Outcome:
        return Outcome(error={"type": "ProtocolError", "message": "no data for this check"})

