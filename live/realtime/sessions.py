"""Running sessions: each teacher command commits to the store, then goes out on the bus.

This is the thin shell around the store's transactional commands and the pure session rules:
every command is ``store -> publish -> after``, where ``after`` hooks (the rule engine) see the
committed events. The clock is read here, once per command, and passed down. Store calls run
through ``StoreCalls`` (off the event loop in the service; inline when none is given).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from live.events import Event
from live.realtime.bus import Bus
from live.session import Role, snapshot
from live.store import Store
from live.store.calls import StoreCalls

__all__ = ["AfterHook", "Sessions"]

log = logging.getLogger("cardcheck.sessions")

AfterHook = Callable[[Sequence[Event], float], Awaitable[Sequence[Event]]]


class Sessions:
    """Session commands for the API, the scan pipeline and the demo."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        *,
        clock: Callable[[], float] = time.time,
        calls: StoreCalls | None = None,
    ) -> None:
        self.store = store
        self.calls = calls if calls is not None else StoreCalls(store, threads=0)
        self.bus = bus
        self.clock = clock
        self.after: list[AfterHook] = []

    async def commit(self, command: Callable[[float], list[Event]]) -> list[Event]:
        """Run one store command at ``now`` (off the loop), publish what it committed, then
        the hooks. Shielded: a caller cancelled meanwhile (a client gone, a socket closing)
        does not stop what was stored from being published and seen by the rules."""
        task = asyncio.ensure_future(self._commit(command))
        task.add_done_callback(_retrieve)
        return await asyncio.shield(task)

    async def _commit(self, command: Callable[[float], list[Event]]) -> list[Event]:
        now = self.clock()
        events = await self.calls.run(command, now)
        if events:
            await self.bus.publish(events)
            for hook in self.after:
                more = await hook(events, now)
                if more:
                    await self.bus.publish(more)
                    events = [*events, *more]
        return events

    async def start(self, class_id: int, *, set_id: int | None = None) -> dict[str, Any]:
        row, events = await self.calls.run(
            self.store.start_session, class_id, set_id=set_id, now=self.clock()
        )
        await self.bus.publish(events)
        return row

    async def ask(self, session_id: int, question_id: int) -> list[Event]:
        return await self.commit(lambda now: self.store.ask(session_id, question_id, now=now))

    async def close(self, session_id: int) -> list[Event]:
        return await self.commit(lambda now: self.store.close_question(session_id, now=now))

    async def reopen(self, session_id: int) -> list[Event]:
        return await self.commit(lambda now: self.store.reopen(session_id, now=now))

    async def reveal(self, session_id: int) -> list[Event]:
        return await self.commit(lambda now: self.store.reveal(session_id, now=now))

    async def end(self, session_id: int, *, reason: str = "teacher") -> list[Event]:
        return await self.commit(
            lambda now: self.store.end_session(session_id, now=now, reason=reason)
        )

    async def resume(self, session_id: int) -> list[Event]:
        return await self.commit(lambda now: self.store.resume_session(session_id, now=now))

    async def interrupt_running(self) -> list[Event]:
        """Every running session interrupted (its server stopped); see ``live.realtime.lifecycle``."""
        return await self.commit(lambda now: self.store.interrupt_running(now=now))

    async def show_names(self, session_id: int, show: bool) -> list[Event]:
        return await self.commit(
            lambda now: self.store.set_display(session_id, show_names=show, now=now)
        )

    async def record(
        self,
        session_id: int,
        student_id: int,
        answer: str,
        *,
        source: str,
        card: int | None = None,
    ) -> list[Event]:
        return await self.commit(
            lambda now: self.store.record(
                session_id, student_id, answer, source=source, card=card, now=now
            )
        )

    async def state(self, session_id: int, role: Role = "teacher") -> dict[str, Any]:
        """The session as ``role`` sees it now (the live snapshot's shape)."""
        return snapshot(await self.calls.run(self.store.session_data, session_id), role)


def _retrieve(task: asyncio.Future[list[Event]]) -> None:
    """Log the failure of a commit whose caller had gone (nobody else would see it)."""
    if not task.cancelled() and task.exception() is not None:
        log.debug("a command failed after its caller left", exc_info=task.exception())
