"""``python -m bot.cli``: the same as the ``torchdojo`` command."""

from bot.cli.main import main

main()
