"""The live bus: committed events out to every subscriber of a session.

``LocalBus`` is the embedded default (one process). Subscribers get a bounded queue each; a
subscriber whose queue is full is marked overflowed and dropped, never awaited, so a slow
dashboard never slows the scan. The events are already in the store when they are published, so
a dropped subscriber resumes from the store by its seq.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from live.events import Event

__all__ = ["Bus", "LocalBus", "Overflow", "Subscription"]


class Overflow(Exception):
    """The subscriber fell too far behind; it must resume from the store."""


class Subscription:
    """One subscriber's bounded queue of events of one session."""

    def __init__(self, bus: LocalBus | None, session_id: int, maxsize: int) -> None:
        self.session_id = session_id
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.overflowed = False
        self._bus = bus

    def offer(self, event: Event) -> None:
        """Hand over one event without waiting; overflows the subscriber when full."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            # make room for the wake-up so the reader notices at once
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def get(self) -> Event:
        """The next event; ``Overflow`` once the subscriber has fallen behind."""
        event = await self.queue.get()
        if event is None or self.overflowed:
            raise Overflow(f"subscriber of session {self.session_id} fell behind")
        return event

    def close(self) -> None:
        if self._bus is not None:
            self._bus.unsubscribe(self)
            self._bus = None

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            yield await self.get()


class Bus(Protocol):
    """What the service needs of a bus, local or Redis."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, events: Sequence[Event]) -> None: ...

    def subscribe(self, session_id: int, *, maxsize: int = ...) -> Subscription: ...


class LocalBus:
    """In-process fan-out; events arrive in the order they were published."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[Subscription]] = defaultdict(set)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._subscribers.clear()

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            for sub in list(self._subscribers.get(event.session, ())):
                sub.offer(event)

    def subscribe(self, session_id: int, *, maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, session_id, maxsize)
        self._subscribers[session_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subscribers.get(sub.session_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscribers[sub.session_id]

    def subscriber_count(self, session_id: int) -> int:
        return len(self._subscribers.get(session_id, ()))
