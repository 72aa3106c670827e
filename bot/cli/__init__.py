"""``torchdojo`` command line (typer), one module per command group:

* :mod:`~bot.cli.curriculum` — ``exercises``, ``show``, ``grade``;
* :mod:`~bot.cli.grader` — ``grader serve``;
* :mod:`~bot.cli.console` — ``console``;
* :mod:`~bot.cli.database` — ``db upgrade``;
* :mod:`~bot.cli.bots` — ``bot discord``, ``bot slack``;
* :mod:`~bot.cli.worker` — ``worker`` (grading from the PostgreSQL job queue).

Commands that need torch (``grade``, ``grader serve``) import the grader only
when they run, so ``torchdojo exercises`` and the bot stay torch-free.
"""

from bot.cli.main import app, main

__all__ = ["app", "main"]
