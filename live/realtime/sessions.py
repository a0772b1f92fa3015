"""Running sessions: each teacher command commits to the store, then goes out on the bus.

This is the thin shell around the store's transactional commands and the pure session rules:
every command is ``store -> publish -> after``, where ``after`` hooks (the rule engine) see the
committed events. The clock is read here, once per command, and passed down.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from live.events import Event
from live.realtime.bus import Bus
from live.session import Role, snapshot
from live.store import Store

__all__ = ["AfterHook", "Sessions"]

AfterHook = Callable[[Sequence[Event], float], Awaitable[Sequence[Event]]]


class Sessions:
    """Session commands for the API, the scan pipeline and the demo."""

    def __init__(self, store: Store, bus: Bus, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.after: list[AfterHook] = []

    async def commit(self, command: Callable[[float], list[Event]]) -> list[Event]:
        """Run one store command at ``now``, publish what it committed, then the hooks."""
        now = self.clock()
        events = command(now)
        if events:
            await self.bus.publish(events)
            for hook in self.after:
                more = await hook(events, now)
                if more:
                    await self.bus.publish(more)
                    events = [*events, *more]
        return events

    async def start(self, class_id: int, *, set_id: int | None = None) -> dict[str, Any]:
        row, events = self.store.start_session(class_id, set_id=set_id, now=self.clock())
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

    def state(self, session_id: int, role: Role = "teacher") -> dict[str, Any]:
        """The session as ``role`` sees it now (the live snapshot's shape)."""
        return snapshot(self.store.session_data(session_id), role)
