"""How judges name shapes, dtypes and types in learner-facing messages (one copy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from grader.sandbox.harness import PUBLIC_EXCEPTION_NAMES


def fmt_shape(shape: Sequence[int]) -> str:
    """``(3,)``, ``(2, 3)``, ``()`` — Python's tuple spelling, which learners know."""
    dims = tuple(int(s) for s in shape)
    return "(" + ", ".join(str(s) for s in dims) + ("," if len(dims) == 1 else "") + ")"


def dtype_name(value: torch.Tensor | np.ndarray) -> str:
    return str(value.dtype).replace("torch.", "")


def type_name(value: object) -> str:
    """"a torch.Tensor", "a NumPy array", "None", "a list", … for messages."""
    if isinstance(value, torch.Tensor):
        cls = getattr(getattr(value, "meta", None), "cls", "Tensor")
        if cls in ("Tensor", "Parameter"):
            return "a torch.Tensor"
        return f"a tensor subclass {cls}"
    if isinstance(value, np.ndarray):
        return "a NumPy array"
    if value is None:
        return "None"
    return with_article(getattr(value, "type_name", type(value).__name__))


def with_article(word: object) -> str:
    """A type or class name with its article, as said aloud: "an int", "an OrderedDict",
    "a float", "a uint8", "a Tensor"."""
    text = str(word)
    low = text.lower()
    vowel = low[:1] in ("a", "e", "i", "o") or (
        low[:1] == "u" and not low.startswith(("uint", "uni", "use", "usu")))
    return ("an " if vowel else "a ") + text


def pretty_calls(entries: Sequence[str], joiner: str = " and ") -> str:
    """```torch.zeros()``` / ```x.view()``` joined for a message."""
    return joiner.join(f"`x{e}()`" if e.startswith(".") else f"`{e}()`" for e in entries)


def exception_name(name: str) -> str:
    """An exception class name from a probe as a learner knows it: torch's private
    classes by their public alias (``_LinAlgError`` → ``torch.linalg.LinAlgError``)."""
    return PUBLIC_EXCEPTION_NAMES.get(name, name)
