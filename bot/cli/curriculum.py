"""``exercises``, ``show`` and ``grade``: the curriculum from the command line."""

from __future__ import annotations

import sys
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


def show(exercise_id: Annotated[str, typer.Argument(metavar="ID")],
         starter: Annotated[bool, typer.Option(
             "--starter", help="print only the starter code, as plain text to save as a "
                               "file (torchdojo show ID --starter > answer.py)")] = False,
         ) -> None:
    """Print an exercise prompt with its contract and starter code.

    The starter is printed as plain text, without margin or padding, so it can be
    copied or redirected as it is; --starter prints only the starter."""
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
    if starter:
        if not ex.starter:
            Console(stderr=True).print(f"error: {ex.id} has no starter code", markup=False)
            raise typer.Exit(1)
        sys.stdout.write(ex.starter.rstrip("\n") + "\n")
        return
    console = Console()
    # rich's Markdown (headings, lists, emphasis) only on a terminal: redirected, the
    # prompt comes as the plain text it is written in
    if console.is_terminal:
        console.print(Markdown(ex.prompt))
    else:
        sys.stdout.write(ex.prompt.rstrip("\n") + "\n")
    if ex.starter:
        # a code block in rich's Markdown is drawn with a one-space margin and lines
        # padded to the width: copied, that is an "unexpected indent". Plain text.
        sys.stdout.flush()
        console.file.flush()
        sys.stdout.write("\nStarter (torchdojo show " + ex.id + " --starter prints only this):"
                         "\n\n" + ex.starter.rstrip("\n") + "\n")


def grade(
    exercise_id: Annotated[str, typer.Argument(metavar="ID")],
    file: Annotated[str, typer.Argument(metavar="FILE|-")],
    json_out: Annotated[bool, typer.Option("--json", help="print the result JSON")] = False,
    unsafe_no_sandbox: Annotated[bool, typer.Option(
        "--unsafe-no-sandbox", help="grade without namespaces (trusted code only)")] = False,
) -> None:
    """Grade FILE (or - for stdin). Exit 0 passed, 1 not passed, 2 usage error.

    Code whose every line shares a common indent (a starter copied with its margin)
    is graded with that indent taken off, as in chat."""
    from grader.cli import grade_command

    raise typer.Exit(grade_command(exercise_id, file, json_out, unsafe_no_sandbox,
                                   prepare=_dedented))


def _dedented(data: bytes) -> bytes:
    """The file's code with an indent every line shares taken off (UTF-8 text only: the
    grader says what is wrong with anything else)."""
    from bot.code_text import dedent_code

    try:
        code = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return dedent_code(code).encode("utf-8")
