"""Sandbox slots out of service: the one mechanism every sandbox back-end shares.

A slot is what a back-end must (re)start before it can run a job: a warm
worker of :class:`~grader.pool.SandboxPool`, the single worker of
:class:`~grader.oneshot.OneShotPool`, the engine and image behind
:class:`~grader.container.ContainerPool`. One that cannot be (re)started leaves
service instead of being handed the next job: it is tried again after
:data:`~grader.limits.WORKER_RESTART_FIRST_S`, then twice as long each time up
to :data:`~grader.limits.WORKER_RESTART_MAX_S`, until it starts. A job that no
slot in service can take is refused with :class:`~grader.errors.PoolUnavailable`
(the service's 503 with ``Retry-After``, which the bot retries), never given a
"the sandbox crashed" verdict: it did not run. ``health()`` lists the slots
out, why, since when, how often they were tried and when the next try is due.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from grader.errors import PoolUnavailable, WorkerLost
from grader.limits import WORKER_RESTART_FIRST_S, WORKER_RESTART_MAX_S

log = logging.getLogger("torchdojo.grader.outage")
#: Longest reason kept per slot (a restart's error can be a whole traceback's text).
REASON_CHARS = 300


class Outage:
    """The slots of one back-end that are out of service, and their revival.

    ``restart(slot, reason)`` starts a slot's successor, raising
    :class:`~grader.errors.WorkerLost` (its cause: why) when it does not start;
    ``resume(slot, successor)`` puts a successor that did start back in service
    (it is out of :attr:`out` by then). ``first_s``/``max_s``: the back-off.
    """

    def __init__(self, size: int, restart: Callable[[Any, str], Awaitable[Any]],
                 resume: Callable[[Any, Any], None], *, label: str = "worker",
                 first_s: float = WORKER_RESTART_FIRST_S,
                 max_s: float = WORKER_RESTART_MAX_S) -> None:
        self.size = size
        self.label = label  # what health() calls a slot
        self.first_s = first_s
        self.max_s = max_s
        self._restart = restart
        self._resume = resume
        self.out: dict[Any, dict[str, Any]] = {}
        self._tasks: set[asyncio.Task] = set()

    def __contains__(self, slot: Hashable) -> bool:
        return slot in self.out

    def __bool__(self) -> bool:
        return bool(self.out)

    @property
    def in_service(self) -> int:
        """Slots not out of service."""
        return self.size - len(self.out)

    def take_out(self, slot: Hashable, reason: str) -> bool:
        """Takes ``slot`` out of service and starts trying it again with back-off;
        False when it was out already."""
        if slot in self.out:
            return False
        self.out[slot] = {"reason": reason[:REASON_CHARS], "since": round(time.time(), 3),
                          "attempts": 1, "next_try_at": time.monotonic() + self.first_s}
        task = asyncio.create_task(self._revive(slot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _revive(self, slot: Hashable) -> None:
        """Restarts ``slot`` until it starts, waiting longer after each failure."""
        delay = self.first_s
        while True:
            state = self.out[slot]
            state["next_try_at"] = time.monotonic() + delay
            await asyncio.sleep(delay)
            try:
                fresh = await self._restart(slot, state["reason"])
            except WorkerLost as exc:
                state["attempts"] += 1
                state["last_error"] = str(exc.__cause__ or exc)[:REASON_CHARS]
                delay = min(delay * 2, self.max_s)
                log.warning("%s %s still cannot be restarted (attempt %d): %s; next try "
                            "in %.0f s", self.label, slot, state["attempts"],
                            state["last_error"], delay)
                continue
            del self.out[slot]
            log.warning("%s %s is back in service", self.label, slot)
            self._resume(slot, fresh)
            return

    def refusal(self) -> PoolUnavailable:
        """The refusal for a job no slot can take: retry when the next restart is due."""
        now = time.monotonic()
        due = min((state["next_try_at"] for state in self.out.values()), default=now)
        reasons = "; ".join(state["reason"] for state in self.out.values())
        return PoolUnavailable(max(1.0, due - now), reasons[:REASON_CHARS])

    def status(self, started: bool, healthy: bool) -> str:
        """``ok``, ``degraded`` (some slot out, or ``healthy`` false), or ``unavailable``
        (started, and no slot in service: every job is refused until one is back)."""
        if started and not self.in_service:
            return "unavailable"
        return "ok" if started and healthy and not self.out else "degraded"

    def report(self) -> dict[str, Any]:
        """``in_service`` and ``out_of_service`` for ``health()``."""
        now = time.monotonic()
        return {
            "in_service": self.in_service,
            # slots that could not be restarted, and when the next try is due
            "out_of_service": [
                {self.label: slot, "reason": state["reason"], "since": state["since"],
                 "attempts": state["attempts"], "last_error": state.get("last_error"),
                 "next_try_in_s": round(max(0.0, state["next_try_at"] - now), 1)}
                for slot, state in sorted(self.out.items())],  # one kind of slot per back-end
        }

    def close(self) -> None:
        """Stops trying (the back-end is closing)."""
        for task in list(self._tasks):
            task.cancel()
