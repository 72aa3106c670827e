"""The console's saved state (simulated clock, post counter) in the database,
so a restarted console continues where it left off: the demo's day 12 is
still day 12, and post ids never repeat (a reply names exactly one post)."""

from __future__ import annotations

from bot.core.context import CoreContext
from bot.db import ConsoleState


class ConsoleStateStore:
    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx

    async def get(self, key: str) -> str | None:
        async with self.ctx.db.session() as s:
            row = await s.get(ConsoleState, key)
            return row.value if row else None

    async def put(self, key: str, value: str) -> None:
        async with self.ctx.db.session() as s:
            row = await s.get(ConsoleState, key)
            if row is None:
                s.add(ConsoleState(key=key, value=value))
            else:
                row.value = value

    async def next_number(self, key: str) -> int:
        """An increasing counter that survives restarts."""
        async with self.ctx.db.session() as s:
            row = await s.get(ConsoleState, key, with_for_update=True)
            if row is None:
                row = ConsoleState(key=key, value="0")
                s.add(row)
            value = int(row.value or 0) + 1
            row.value = str(value)
            return value
