"""The layering rules, checked on the source: bot/ never imports torch; data
flows adapter → chat → core → (db, grading); only ``bot/core`` and ``bot/db``
touch the database (SQLAlchemy or ``bot.db``); nothing outside a layer calls
its private (``_name``) members; core and chat know no platform.

Each rule is a function over one file's AST, so a deliberate violation (the
fixture module ``fixtures/bad_adapter.py``) shows that the checks can fail."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).parents[2] / "bot"
FIXTURES = Path(__file__).parent / "fixtures"
PLATFORM_SDKS = ("discord", "slack_sdk", "slack_bolt", "aiohttp.web")
#: The only grader modules the bot may import: torch-free contracts.
GRADER_CONTRACTS = ("grader.result", "grader.limits")
DB_LAYERS = ("core", "db")
#: Where the bot starts the grader itself (lazily): the in-process client and
#: the grading commands. Everything else talks to it through the client.
GRADER_EDGE = ("grader_client", "cli")


def imports(tree: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def layer_of(path: Path) -> str:
    rel = path.relative_to(BOT) if path.is_relative_to(BOT) else Path("adapters") / path.name
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def database_imports(tree: ast.AST) -> set[str]:
    return {m for m in imports(tree)
            if m.split(".")[0] == "sqlalchemy" or m == "bot.db" or m.startswith("bot.db.")}


def private_calls(tree: ast.AST) -> list[str]:
    """``something._name`` where ``something`` is not ``self``/``cls``: reaching
    into another object's (another layer's) internals."""
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def forbidden_imports(path: Path, tree: ast.AST) -> set[str]:
    layer = layer_of(path)
    mods = imports(tree)
    bad = {m for m in mods if m.split(".")[0] == "torch"}
    if layer not in GRADER_EDGE:
        bad |= {m for m in mods if m.split(".")[0] == "grader"
                and not m.startswith(GRADER_CONTRACTS)}
    if layer not in DB_LAYERS:
        bad |= database_imports(tree)
    if layer in ("core", "chat", "db"):
        bad |= {m for m in mods if m.startswith(PLATFORM_SDKS) or m.startswith("bot.adapters")}
    if layer in DB_LAYERS:
        bad |= {m for m in mods if m.startswith(("bot.chat", "bot.dashboard"))}
    return bad


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = [f"imports {m}" for m in sorted(forbidden_imports(path, tree))]
    if layer_of(path) not in DB_LAYERS:
        out += [f"reaches into {p}" for p in private_calls(tree)]
    return out


def test_bot_never_imports_torch() -> None:
    code = (
        "import sys, importlib, pkgutil, bot\n"
        "for m in pkgutil.walk_packages(bot.__path__, 'bot.'):\n"
        "    if m.name.endswith('__main__'):\n"
        "        continue  # running it is not importing it\n"
        "    importlib.import_module(m.name)\n"
        "assert 'torch' not in sys.modules, 'bot imported torch'\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-2000:]


def test_every_bot_module_keeps_the_layering() -> None:
    problems = {str(p.relative_to(BOT.parent)): v for p in sorted(BOT.rglob("*.py"))
                if (v := violations(p))}
    assert problems == {}


def test_the_checks_catch_a_deliberate_violation() -> None:
    found = violations(FIXTURES / "bad_adapter.py")
    assert "imports sqlalchemy.select" in found
    assert "imports bot.db.Submission" in found
    assert "imports grader.grading" in found
    assert any(v.startswith("reaches into") and "._exercise_of_message" in v for v in found)
    assert any("._claim" in v for v in found)
