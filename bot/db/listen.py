"""PostgreSQL LISTEN, for wake-ups across processes.

A trigger of migration 0007 NOTIFYs :data:`NOTICES_CHANNEL` (payload: the
cohort's platform) whenever a notice is written, by any process: a grading
worker on another machine wakes the process connected to the chat at once,
instead of at its next poll. NOTIFY is transactional, so the listener only
hears about notices that are committed.

The listener holds one connection of the engine's pool for as long as it
listens (asyncpg's ``add_listener``), reconnects after losing it and then
calls back once with an empty payload, since notifications sent while it was
away are lost (the callers also poll, slowly). On SQLite it returns at once:
there, the only process wakes itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from bot.db.session import Database

log = logging.getLogger(__name__)

NOTICES_CHANNEL = "torchdojo_notices"
RECONNECT_S = 2.0


async def listen(db: Database, channel: str, on_payload: Callable[[str], None]) -> None:
    """Call ``on_payload(payload)`` for every NOTIFY on ``channel`` until cancelled."""
    if db.is_sqlite:
        return
    while True:
        try:
            async with db.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                pg: Any = raw.driver_connection
                lost = asyncio.Event()

                def heard(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
                    on_payload(payload)

                def closed(_conn: Any, lost: asyncio.Event = lost) -> None:
                    lost.set()

                await pg.add_listener(channel, heard)
                pg.add_termination_listener(closed)
                try:
                    on_payload("")  # whatever was sent while we were not listening
                    await lost.wait()
                finally:
                    pg.remove_termination_listener(closed)
                    with contextlib.suppress(Exception):
                        await pg.remove_listener(channel, heard)
                log.warning("lost the LISTEN connection for %s; reconnecting", channel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("cannot LISTEN on %s (%s); retrying in %.0f s", channel, exc,
                        RECONNECT_S)
        await asyncio.sleep(RECONNECT_S)
