"""The rule engine's clock: time-based rules fire in a quiet spell, not at the next answer.

The rules run after every committed command (``RuleEngine.after``), but some change with time
alone: a group not checked in with for 15 minutes while below target, a question open for 20 s
with one group silent. ``Ticker`` asks the ``RuleEngine`` every ``every`` seconds to decide for
each running session at ``now``, and publishes the flag events it appended, as
``Sessions.commit`` does for a hook's: stored first (one transaction, guarded against another
process deciding the same), then on the bus, so teacher dashboards get ``flag.raised`` /
``flag.resolved`` and the projector its ``event.withheld`` in their place.

One task per app, started and cancelled by ``running()`` in the app's lifespan; ``every = 0``
starts none. A round that fails is logged and the next one tries again: the clock never takes
the server down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from live.events import Event
from live.realtime.bus import Bus
from live.rules.flags import RuleEngine

__all__ = ["Ticker"]

log = logging.getLogger("cardcheck.rules")


class Ticker:
    """Time-based rules for every running session, every ``every`` seconds (0: never)."""

    def __init__(
        self,
        engine: RuleEngine,
        bus: Bus,
        *,
        every: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.bus = bus
        self.every = every
        self.clock = clock
        self.task: asyncio.Task[None] | None = None

    async def tick(self, now: float | None = None) -> list[Event]:
        """One round at ``now`` (the clock's when None): the flag events appended and published,
        session by session. Never raises."""
        now = self.clock() if now is None else now
        out: list[Event] = []
        calls = self.engine.calls
        try:
            sessions = await calls.run(self.engine.running, now)
        except Exception:
            log.exception("the rules tick could not list the running sessions")
            return out
        for session_id in sessions:
            try:
                events = await calls.run(self.engine.tick, session_id, now)  # logs its failures
            except Exception:  # no worker free in time: the next round tries again
                log.exception("the rules tick could not run for session %d", session_id)
                continue
            if events:
                try:
                    await self.bus.publish(events)
                except Exception:
                    # stored already: subscribers fill the gap from the store by seq
                    log.exception("the rules tick could not publish session %d", session_id)
                out.extend(events)
            await asyncio.sleep(0)  # many sessions: let the scan and the dashboards in between
        return out

    async def run(self) -> None:
        """Tick every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.every)
            await self.tick()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Tick in the background for the body of the ``async with``, then stop (cancelled and
        awaited, so nothing runs after the store closes)."""
        if self.every <= 0:
            yield
            return
        self.task = asyncio.create_task(self.run(), name="cardcheck-rules-tick")
        try:
            yield
        finally:
            self.task.cancel()
            await asyncio.wait([self.task])  # never re-raises the task's CancelledError
