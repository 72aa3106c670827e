"""Submissions that tamper with the harness, built from reference solutions: shared by the
attack-round test files (tests/grading/test_attacks9.py, 10 and 11)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def reference(exercise_id: str) -> str:
    """The reference solution's source."""
    week = exercise_id.split(".")[0]
    return (ROOT / "curriculum" / f"week{week}" / f"{exercise_id}.ref.py").read_text()


def with_prelude(source: str, prelude: str) -> str:
    """``source`` with ``prelude`` right after its ``import torch``."""
    head, sep, rest = source.partition("\nimport torch\n")
    assert sep, "the reference imports torch"
    return head + sep + prelude + rest


#: ``torch.is_grad_enabled`` answers False while ``_FLAG[0]`` is set; ``_rebind()`` puts the
#: forgery in place (the attacks differ in what calls it, and when).
FAKE_GRAD_MODE = '''
import sys as _sys
import signal as _signal

_FLAG = [False]
_real_ige = torch.is_grad_enabled


def _fake_ige():
    return False if _FLAG[0] else _real_ige()


def _rebind(*_):
    torch.is_grad_enabled = _fake_ige
'''


def validation_with_grad(prelude: str) -> str:
    """5.1.3's reference validating with gradients on in every loop, ``_FLAG`` set
    meanwhile, with ``prelude`` (built on :data:`FAKE_GRAD_MODE`) after its import."""
    old = ("        with torch.no_grad():\n"
           "            val_loss = criterion(model(X_val), y_val).item()")
    new = ("        _FLAG[0] = True  # validation with gradients on\n"
           "        val_loss = criterion(model(X_val), y_val).item()\n"
           "        _FLAG[0] = False")
    source = reference("5.1.3")
    assert old in source
    return with_prelude(source.replace(old, new), prelude)
