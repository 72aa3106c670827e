"""Shared types of the check kinds and the registry that maps kind → judge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from grader.checks.api import SourceIndex
from grader.sandbox.harness import clip_middle

#: Characters of a learner's exception message a check's verdict shows: head and tail.
ERROR_MESSAGE_CHARS = 600


@dataclass
class Verdict:
    """One check's outcome. ``kind`` names the aspect that decided it."""

    ok: bool
    kind: str
    message: str = ""


@dataclass
class Outcome:
    """What one probe produced: a decoded value, or the exception it raised."""

    value: Any = None
    error: dict | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def missing_name(self) -> str | None:
        if self.error and self.error.get("type") == "NameError":
            return self.error.get("message", "")
        return None

    def describe_error(self) -> str:
        if not self.error:
            return ""
        err = self.error
        where = f" (line {err['frames'][-1]['line']})" if err.get("frames") else ""
        message = str(err.get("message", ""))
        shown = clip_middle(message, ERROR_MESSAGE_CHARS)  # the point may be at its end
        return f"{err.get('type')}: {shown}{where}{_hint(err.get('type'), message)}"


def _hint(kind: object, message: str) -> str:
    """A pointer for the error a learner most often cannot read: an operand that is None
    (a missing ``return``, or the ``.grad`` of a tensor that is not a leaf), a value cut
    off from the graph, a class index the loss cannot take (a padding tag not left out),
    a lazy layer whose sizes are not set yet."""
    if kind == "TypeError" and "unsupported operand" in message and "'NoneType'" in message:
        return (" — something is None: a function without `return`, or the `.grad` of a "
                "tensor that is not a leaf (`torch.randn(…, requires_grad=True) * 0.5` is "
                "not one: scale first, then call `.requires_grad_()`)")
    if kind == "ValueError" and "uninitialized parameter" in message:
        return (" — a lazy layer (`nn.LazyLinear`, `nn.LazyConv2d`…) has no sizes until its "
                "first forward pass: build the layer the prompt names with its sizes, e.g. "
                "`nn.Linear(in_features, out_features)`")
    if kind == "RuntimeError" and "does not require grad" in message:
        return (" — the value was cut off from the autograd graph: a Python number "
                "(`.item()`, `float(…)`, `math.sin(…)`) or a tensor rebuilt from one "
                "(`torch.tensor(…)`, `.detach()`); compute it with torch operations on the "
                "tensors")
    if kind == "IndexError" and message.startswith("Target ") and "out of bounds" in message:
        return (" — a target outside the class indices 0…C-1 reached the loss: a padding "
                "value it should have left out (ignore_index, or a mask, with the pad value "
                "the function was given, not a fixed -100), or labels that are not class "
                "indices")
    return ""


@dataclass
class Hidden:
    """What an ``inputs`` function returns when part of it must stay outside.

    ``inputs`` goes into the sandbox (the learner's code sees it); ``secret``
    (labels, held-out targets) stays in the judge and reaches the check's
    judge function as ``ctx.secrets[check_id]``.
    """

    inputs: Any
    secret: Any = None


@dataclass
class CheckContext:
    """Everything a judge may look at besides the two outcomes."""

    exercise_id: str
    source: SourceIndex
    seed: int
    source_text: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)
    module: dict[str, Any] = field(default_factory=dict)


class CheckJudge(Protocol):
    def probes(self, check: Any, ctx: CheckContext) -> list[dict]: ...

    def judge(self, check: Any, learner: dict[str, Outcome], reference: dict[str, Outcome],
              ctx: CheckContext) -> Verdict: ...


def judge_for(kind: str) -> CheckJudge:
    from grader.checks.python import PythonJudge
    from grader.checks.tensor import TensorJudge

    judges: dict[str, CheckJudge] = {"tensor": TensorJudge(), "python": PythonJudge()}
    return judges[kind]
