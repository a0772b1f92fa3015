"""The live bus on Redis Streams: several ``cardcheck serve`` processes serve the same session.

One stream per session, ``<prefix>:events:<session id>``, trimmed to about ``maxlen`` entries;
each entry carries one committed event (``live.events.encode``) and its ``seq``. Redis is the
bus, not the record: the store assigned the seq when it committed the event, before it was
published, so every process can check what it has delivered against the store.

In one process:

* ``publish`` hands each event to this process's subscribers at once (they never wait for
  Redis), then queues it for a background task that ``XADD``s it; a publish never blocks or
  fails on Redis, so scanning goes on recording to the store while Redis is away;
* one reader task per subscribed session ``XREAD BLOCK``s its stream and delivers what other
  processes published;
* delivery is in seq order, once: an event at or below the last delivered seq is dropped (this
  process's own events come back from the stream), and a gap is filled from the store by seq.

When Redis goes away, the reader retries with a short backoff and, meanwhile, and after every
idle block, catches up from the store, so dashboards resume with no gap and no duplicate.
Written on redis-py's asyncio client (broadcaster was seen to deliver nothing to a new subscriber
and to die silently on a Redis restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from live.events import Event, decode, encode
from live.realtime.bus import Subscription

__all__ = ["Backfill", "RedisBus"]

log = logging.getLogger("cardcheck.redisbus")

Backfill = Callable[..., Awaitable[Sequence[Event]]]
"""``await backfill(session_id, since, limit=n)``: the committed events after ``since`` (the
store's ``events_since``, run off the event loop)."""


@dataclass(eq=False)
class _Channel:
    """This process's subscribers of one session and what they were last given."""

    session_id: int
    subscribers: set[Subscription] = field(default_factory=set)
    last: int | None = None  # seq of the last event delivered here
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None


class RedisBus:
    """Events of every session on Redis Streams; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "cardcheck",
        backfill: Backfill | None = None,
        maxlen: int = 1000,
        block_ms: int = 1000,
        outbox_size: int = 10_000,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.backfill = backfill
        self.maxlen = maxlen
        self.block_ms = block_ms
        self.outbox_size = outbox_size
        self._channels: dict[int, _Channel] = {}
        self._outbox: asyncio.Queue[Event] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._writer: aioredis.Redis | None = None
        self._reader: aioredis.Redis | None = None
        self._warned = 0.0
        self.published = 0
        self.publish_failures = 0

    def key(self, session_id: int) -> str:
        return f"{self.prefix}:events:{session_id}"

    async def start(self) -> None:
        retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), 1)
        self._writer = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=1.0, socket_timeout=2.0, retry=retry
        )
        self._reader = aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=1.0,
            socket_timeout=self.block_ms / 1000 + 2.0,
            retry=retry,
        )
        self._outbox = asyncio.Queue(self.outbox_size)
        self._publisher = asyncio.create_task(self._publish_loop())

    async def stop(self) -> None:
        tasks = [c.reader for c in self._channels.values() if c.reader is not None]
        if self._publisher is not None:
            # give queued events a moment to reach Redis, for the other processes
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drain(), 1.0)
            tasks.append(self._publisher)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._channels.clear()
        for client in (self._writer, self._reader):
            if client is not None:
                await client.aclose()

    async def _drain(self) -> None:
        assert self._outbox is not None
        while not self._outbox.empty():
            await asyncio.sleep(0.01)

    async def publish(self, events: Sequence[Event]) -> None:
        """Deliver here at once, then queue for Redis; never waits on Redis."""
        for event in events:
            await self._deliver(event)
            if self._outbox is None:
                continue
            try:
                self._outbox.put_nowait(event)
            except asyncio.QueueFull:
                # Redis has been away a long time; the other processes catch up from the store
                self.publish_failures += 1

    def subscribe(self, session_id: int, *, maxsize: int = 1000) -> Subscription:
        channel = self._channels.get(session_id)
        if channel is None:
            channel = self._channels[session_id] = _Channel(session_id)
            channel.reader = asyncio.create_task(self._read_loop(channel))
        sub = Subscription(self, session_id, maxsize, ready=channel.ready)
        channel.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        channel = self._channels.get(sub.session_id)
        if channel is None:
            return
        channel.subscribers.discard(sub)
        if not channel.subscribers:
            del self._channels[sub.session_id]
            if channel.reader is not None:
                channel.reader.cancel()

    def subscriber_count(self, session_id: int) -> int:
        channel = self._channels.get(session_id)
        return 0 if channel is None else len(channel.subscribers)

    # -- delivery in this process -----------------------------------------------------------

    async def _deliver(self, event: Event) -> None:
        """Fan ``event`` out here, in seq order and once; fill a gap before it from the store."""
        channel = self._channels.get(event.session)
        if channel is None:
            return
        if channel.last is not None:
            if event.seq <= channel.last:
                return
            if event.seq > channel.last + 1 and self.backfill is not None:
                for missed in await self._backfill(
                    event.session, channel.last, limit=event.seq - channel.last - 1
                ):
                    self._fan(channel, missed)
        self._fan(channel, event)

    def _fan(self, channel: _Channel, event: Event) -> None:
        if channel.last is not None and event.seq <= channel.last:
            return
        channel.last = event.seq
        for sub in list(channel.subscribers):
            sub.offer(event)

    async def _catch_up(self, channel: _Channel) -> None:
        """Deliver what the store committed after the last event delivered here."""
        if self.backfill is None or channel.last is None:
            return
        for event in await self._backfill(channel.session_id, channel.last, limit=1000):
            self._fan(channel, event)

    async def _backfill(self, session_id: int, since: int, *, limit: int) -> Sequence[Event]:
        """The store's events after ``since``; none when the store cannot say now (it is
        asked again at the next gap or idle read)."""
        assert self.backfill is not None
        try:
            return await self.backfill(session_id, since, limit=limit)
        except Exception as exc:
            self._warn(f"reading session {session_id}'s events from the store failed", exc)
            return ()

    # -- the tasks that talk to Redis -------------------------------------------------------

    async def _publish_loop(self) -> None:
        assert self._outbox is not None and self._writer is not None
        while True:
            event = await self._outbox.get()
            try:
                await self._writer.xadd(
                    self.key(event.session),
                    {"seq": event.seq, "event": encode(event)},
                    maxlen=self.maxlen,
                    approximate=True,
                )
                self.published += 1
            except (RedisError, OSError) as exc:
                self.publish_failures += 1
                self._warn(f"could not publish event {event.seq} of session {event.session}", exc)

    async def _read_loop(self, channel: _Channel) -> None:
        assert self._reader is not None
        key = self.key(channel.session_id)
        position: Any = None  # the last stream entry id read
        failing = False
        backoff = 0.05
        while True:
            try:
                if position is None:
                    # start after the newest entry: what a subscriber's snapshot (read after
                    # this) does not hold is published after it
                    top = await self._reader.xrevrange(key, count=1)
                    position = top[0][0] if top else "0-0"
                    channel.ready.set()
                reply: Any = await self._reader.xread(
                    {key: position}, block=self.block_ms, count=500
                )
                if failing or not reply:
                    await self._catch_up(channel)  # back from an outage, or idle: check the store
                failing, backoff = False, 0.05
                for _stream, entries in reply or ():
                    for entry_id, fields in entries:
                        position = entry_id
                        try:
                            event = decode(fields[b"event"])
                        except (KeyError, ValueError) as exc:
                            self._warn(f"skipping a bad entry {entry_id!r} on {key}", exc)
                            continue
                        await self._deliver(event)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                failing = True
                self._warn(f"reading {key} failed; retrying", exc)
                await self._catch_up(channel)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)

    def _warn(self, message: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned > 5.0:  # once every few seconds, not once per event
            self._warned = now
            log.warning("%s: %s", message, exc)
