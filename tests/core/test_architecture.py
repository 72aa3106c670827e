"""Architecture rules of DESIGN.md, checked: bot/ never imports torch; data flows
adapter → chat → core → (db, grading), so core and chat know no platform."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).parents[2] / "bot"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_bot_never_imports_torch() -> None:
    code = (
        "import sys, importlib, pkgutil, bot\n"
        "for m in pkgutil.walk_packages(bot.__path__, 'bot.'):\n"
        "    if m.name.startswith(('bot.adapters.discord', 'bot.adapters.slack')):\n"
        "        continue  # platform SDKs are optional at import time\n"
        "    importlib.import_module(m.name)\n"
        "assert 'torch' not in sys.modules, 'bot imported torch'\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-2000:]


def test_core_and_chat_hold_no_platform_types() -> None:
    for layer in ("core", "chat", "db"):
        for path in (BOT / layer).rglob("*.py"):
            mods = _imports(path)
            bad = {m for m in mods if m.split(".")[0] in ("discord", "slack_sdk", "slack_bolt",
                                                           "torch", "grader")}
            bad |= {m for m in mods if m.startswith("bot.adapters")}
            if layer in ("core", "db"):
                bad |= {m for m in mods if m.startswith("bot.chat")}
            assert not bad, f"{path.relative_to(BOT.parent)} imports {sorted(bad)}"


def test_dashboard_reads_through_the_core_only() -> None:
    """The instructor dashboard gets view objects from core services; it never
    touches SQLAlchemy or the tables itself."""
    for path in (BOT / "dashboard").rglob("*.py"):
        bad = {m for m in _imports(path)
               if m.split(".")[0] == "sqlalchemy" or m == "bot.db" or m.startswith("bot.db.")}
        assert not bad, f"{path.relative_to(BOT.parent)} imports {sorted(bad)}"
