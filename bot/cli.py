"""``torchdojo`` command line (typer).

Commands that need torch (``grade``, ``grader serve``) import the grader only
when they run, so ``torchdojo exercises`` and the bot stay torch-free.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="TorchDojo: PyTorch study-group bot and sandboxed grader.")
grader_app = typer.Typer(no_args_is_help=True, help="The sandboxed torch grader service.")
app.add_typer(grader_app, name="grader")


def _curriculum():
    from curriculum import CurriculumError, load_curriculum

    try:
        return load_curriculum()
    except CurriculumError as exc:
        Console(stderr=True).print(f"curriculum error:\n{exc}", markup=False)
        raise typer.Exit(2) from None


@app.command()
def exercises(week: Annotated[int | None, typer.Option(help="only this week")] = None) -> None:
    """List exercise ids, titles, kinds and points."""
    table = Table("id", "title", "kind", "points", "limit")
    for ex in _curriculum().ordered(week):
        limit = f"{ex.time_limit_min} min" if ex.time_limit_min else ""
        table.add_row(ex.id, ex.title, ex.kind.value, str(ex.max_score), limit)
    Console().print(table)


@app.command()
def show(exercise_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Print an exercise prompt with its contract and starter code."""
    cur = _curriculum()
    ex = cur.get(exercise_id)
    if ex is None:
        hint = cur.closest(exercise_id)
        Console(stderr=True).print(f"error: unknown exercise {exercise_id!r}"
                                   + (f"; did you mean {', '.join(hint)}?" if hint else ""))
        raise typer.Exit(2)
    console = Console()
    console.print(Markdown(ex.prompt))
    if ex.starter:
        console.print(Markdown(f"### Starter\n```python\n{ex.starter}\n```"))


@app.command()
def grade(
    exercise_id: Annotated[str, typer.Argument(metavar="ID")],
    file: Annotated[str, typer.Argument(metavar="FILE|-")],
    json_out: Annotated[bool, typer.Option("--json", help="print the result JSON")] = False,
    unsafe_no_sandbox: Annotated[bool, typer.Option(
        "--unsafe-no-sandbox", help="grade without namespaces (trusted code only)")] = False,
) -> None:
    """Grade FILE (or - for stdin). Exit 0 passed, 1 not passed, 2 usage error."""
    from grader.cli import grade_command

    raise typer.Exit(grade_command(exercise_id, file, json_out, unsafe_no_sandbox))


@grader_app.command("serve")
def grader_serve(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="port (default: $PORT or 8080)")] = None,
    workers: Annotated[int | None, typer.Option(help="warm workers")] = None,
    unsafe_no_sandbox: Annotated[bool, typer.Option("--unsafe-no-sandbox")] = False,
) -> None:
    """Run the HTTP grader service."""
    from grader.cli import serve_command

    try:
        resolved = port if port is not None else int(os.environ.get("PORT", "8080"))
    except ValueError:
        Console(stderr=True).print("error: PORT must be an integer")
        raise typer.Exit(2) from None
    serve_command(host, resolved, workers, unsafe_no_sandbox)


from bot.cli_core import register as _register_core  # noqa: E402

_register_core(app)

from bot.cli_adapters import register as _register_adapters  # noqa: E402

_register_adapters(app)

from bot.cli_dashboard import dashboard_app  # noqa: E402

app.add_typer(dashboard_app, name="dashboard")


def main() -> None:  # pragma: no cover - console entry for `python -m bot.cli`
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
