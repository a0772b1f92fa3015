"""The live bus: committed events out to every subscriber of a session.

``LocalBus`` is the embedded default (one process); ``live.realtime.redisbus.RedisBus`` shares events
between processes. Subscribers get a bounded queue each; a subscriber whose queue is full is
marked overflowed and dropped, never awaited, so a slow dashboard never slows the scan. The
events are already in the store when they are published, so a dropped subscriber resumes from
the store by its seq.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

from live.events import Event

__all__ = ["Bus", "LocalBus", "Overflow", "Subscription"]


class Overflow(Exception):
    """The subscriber fell too far behind; it must resume from the store."""


class _Hub(Protocol):
    def unsubscribe(self, sub: Subscription) -> None: ...


class Subscription:
    """One subscriber's bounded queue of events of one session.

    ``on_overflow``, when set, is called once, synchronously, when the queue overflows: the
    owner of a connection uses it to close a client that stopped reading even while it is
    blocked sending to that client.
    """

    def __init__(
        self,
        bus: _Hub | None,
        session_id: int,
        maxsize: int,
        *,
        ready: asyncio.Event | None = None,
    ) -> None:
        self.session_id = session_id
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.overflowed = False
        self.on_overflow: Callable[[], None] | None = None
        self._bus = bus
        self._ready = ready

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
            if self.on_overflow is not None:
                self.on_overflow()

    async def get(self) -> Event:
        """The next event; ``Overflow`` once the subscriber has fallen behind."""
        event = await self.queue.get()
        if event is None or self.overflowed:
            raise Overflow(f"subscriber of session {self.session_id} fell behind")
        return event

    def get_nowait(self) -> Event | None:
        """The next event if one is queued, else None; ``Overflow`` as ``get``."""
        if self.queue.empty():
            return None
        event = self.queue.get_nowait()
        if event is None or self.overflowed:
            raise Overflow(f"subscriber of session {self.session_id} fell behind")
        return event

    async def ready(self, timeout: float = 2.0) -> bool:
        """Wait until every event published from now on will reach this subscription.

        Immediate on the local bus; on Redis, until the session's reader has its position in
        the stream. Returns False after ``timeout`` (Redis unreachable): events still arrive
        from this process, and from others once Redis is back, gaps filled from the store.
        """
        if self._ready is None or self._ready.is_set():
            return True
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

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
