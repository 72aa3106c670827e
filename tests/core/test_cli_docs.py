"""docs/cli.md names every command and option the ``torchdojo`` CLI has, and the
console's help says how it grades (the bot's own grader process, as the README)."""

from __future__ import annotations

from pathlib import Path

import click
import typer.main

from bot.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _leaves(cmd: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    if isinstance(cmd, click.Group):
        return [leaf for name, sub in sorted(cmd.commands.items())
                for leaf in _leaves(sub, (*path, name))]
    return [(" ".join(path), cmd)]


def test_docs_cli_names_every_command_and_option() -> None:
    doc = DOC.read_text()
    missing = []
    for path, cmd in _leaves(typer.main.get_command(app)):
        if f"torchdojo {path}" not in doc:
            missing.append(f"torchdojo {path}")
        for param in cmd.params:
            for opt in [*param.opts, *param.secondary_opts]:
                if opt.startswith("--") and opt != "--help" and opt not in doc:
                    missing.append(f"torchdojo {path} {opt}")
    assert missing == [], "docs/cli.md does not mention: " + ", ".join(missing)


def test_console_help_says_the_grader_is_a_child_process() -> None:
    cmd = typer.main.get_command(app).commands["console"]  # type: ignore[attr-defined]
    assert "in-process" not in (cmd.help or "")
    assert "child process" in (cmd.help or "")


def test_docs_health_and_environment_fields_are_the_real_ones() -> None:
    """The health answer's fields in docs/grader-http-api.md, and the sandbox
    value in docs/result-format.md, are those the grader really sends."""
    import inspect
    import json
    import re

    from grader.grading import Grader
    from grader.pool import SandboxPool

    source = "".join(inspect.getsource(f) for f in (
        SandboxPool.health, SandboxPool.environment, Grader.health))
    api = (DOC.parent / "grader-http-api.md").read_text()
    health = api.split("## `GET /v1/health`")[1].split("##")[0]
    example = health.split("`200` with `")[1].split("` when")[0]
    keys = re.findall(r'"(\w+)":', example)
    assert {"waiting", "max_queue"} <= set(keys)
    assert [k for k in keys if f'"{k}"' not in source] == []
    result = (DOC.parent / "result-format.md").read_text()
    env = json.loads(re.search(r'"environment": (\{[^}]*\})', result).group(1))  # type: ignore[union-attr]
    assert f'"sandbox": "{env["sandbox"]}"' in inspect.getsource(SandboxPool.environment)


def test_console_clock_forms_agree_between_help_and_docs() -> None:
    import re

    from bot.chat.parser import CONSOLE_HELP

    def forms(text: str) -> set[str]:
        line = re.search(r"/dojo clock\s+(ISO-TIME[^—`;]*)", text.replace("\n", " "))
        assert line is not None
        return {f.strip() for f in line.group(1).split("|")}

    doc = (DOC.parent / "chat-commands.md").read_text()
    assert forms(CONSOLE_HELP) == forms(doc) == {"ISO-TIME", "+1d", "+3h", "-30m"}
