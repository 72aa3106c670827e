"""``exercises``, ``show`` and ``grade``: the curriculum from the command line."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table


def _curriculum() -> Any:
    from curriculum import CurriculumError, load_curriculum

    try:
        return load_curriculum()
    except CurriculumError as exc:
        Console(stderr=True).print(f"curriculum error:\n{exc}", markup=False)
        raise typer.Exit(2) from None


def exercises(week: Annotated[int | None, typer.Option(help="only this week")] = None) -> None:
    """List exercise ids, titles, kinds and points."""
    cur = _curriculum()
    chosen = cur.ordered(week)
    if not chosen:
        weeks = sorted({ex.week for ex in cur.ordered()})
        Console(stderr=True).print(f"error: no exercises in week {week}; the weeks are "
                                   f"{weeks[0]}–{weeks[-1]} (torchdojo exercises lists all)")
        raise typer.Exit(2)
    table = Table("id", "title", "kind", "points", "limit")
    for ex in chosen:
        limit = f"{ex.time_limit_min} min" if ex.time_limit_min else ""
        table.add_row(ex.id, ex.title, ex.kind.value, str(ex.max_score), limit)
    Console().print(table)


def show(exercise_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Print an exercise prompt with its contract and starter code."""
    from bot.core.catalog import Catalog

    catalog = Catalog(_curriculum())
    found = catalog.resolve(exercise_id)  # as in chat: `1.1.1`, 1,1,1, ex 1.1.1 → 1.1.1
    ex = catalog.get(found) if found else None
    if ex is None:
        hint = catalog.suggest(exercise_id)
        Console(stderr=True).print(f"error: unknown exercise {exercise_id!r}"
                                   + (f"; did you mean {', '.join(hint)}?" if hint else
                                      "; torchdojo exercises lists them"), markup=False)
        raise typer.Exit(2)
    console = Console()
    console.print(Markdown(ex.prompt))
    if ex.starter:
        console.print(Markdown(f"### Starter\n```python\n{ex.starter}\n```"))


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
