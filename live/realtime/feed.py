"""``/ws/live``: a session's snapshot, then its events in seq order, as the caller's role sees them.

The order of a connection, and why:

1. subscribe to the bus *before* reading anything, so no event committed from then on is missed;
2. send a ``snapshot`` (its ``seq`` is the last event it contains), or, for ``?since=SEQ`` within
   ``REPLAY_WINDOW`` events, replay exactly the events after SEQ from the store;
3. forward each bus event: drop what the client already has (seq <= last sent), fill a gap from
   the store, so the client sees seq rise by one (the projector skips events it may not see).

A client that stops reading overflows its bounded queue and is closed with
``CLOSE_FELL_BEHIND``; it reconnects with ``since`` and loses nothing, since the store has it all.
The bus never waits for a client. Clients send nothing; small text (a keep-alive) is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections import OrderedDict
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from live.errors import BadRequest, Unavailable
from live.events import Event
from live.ids import parse_int
from live.realtime.bus import Overflow, Subscription
from live.realtime.sockets import (
    CLOSE_BAD_REQUEST,
    CLOSE_FELL_BEHIND,
    CLOSE_TOO_BIG,
    CLOSE_TRY_AGAIN,
    open_socket,
    refuse,
)
from live.realtime.views import PROJECTOR_REFRESH, for_role
from live.session import Role, first_name, snapshot
from live.store import Store
from live.store.calls import StoreCalls

__all__ = ["MAX_CLIENT_MESSAGE", "QUEUE_SIZE", "REPLAY_WINDOW", "live_socket"]

log = logging.getLogger("cardcheck.feed")

REPLAY_WINDOW = 1000  # events a reconnecting client may catch up on; further back: a snapshot
QUEUE_SIZE = 256  # events buffered per connection before it counts as fallen behind
MAX_CLIENT_MESSAGE = 1024  # bytes; clients have nothing to say beyond a keep-alive


async def live_socket(ws: WebSocket) -> None:
    opened = await open_socket(ws, teacher=False)
    if opened is None:
        return
    raw_since = ws.query_params.get("since")
    try:
        since = None if raw_since is None else parse_int(raw_since, "since")
    except BadRequest as exc:
        await refuse(ws, CLOSE_BAD_REQUEST, "bad_request", exc.message)
        return
    state = ws.app.state
    sub = state.bus.subscribe(opened.session_id, maxsize=QUEUE_SIZE)
    feed = Feed(ws, state.calls, opened.session_id, opened.role)
    sender = asyncio.create_task(feed.run(sub, since))
    sub.on_overflow = sender.cancel  # a client stuck in send is cut loose at once
    try:
        await _read_until_closed(ws, sender)
    finally:
        sub.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        if sub.overflowed:
            await _close(ws, CLOSE_FELL_BEHIND, "fell behind; reconnect with ?since=<last seq>")


async def _read_until_closed(ws: WebSocket, sender: asyncio.Task[None]) -> None:
    """Wait for the client to leave (or the sender to stop), ignoring keep-alives."""
    receiver = asyncio.ensure_future(ws.receive())
    try:
        while True:
            done, _ = await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
            if sender in done:
                return
            message = receiver.result()
            if message["type"] == "websocket.disconnect":
                return
            size = len(message.get("text") or message.get("bytes") or b"")
            if size > MAX_CLIENT_MESSAGE:
                await refuse(ws, CLOSE_TOO_BIG, "too_large", "this socket takes no messages")
                return
            receiver = asyncio.ensure_future(ws.receive())
    finally:
        receiver.cancel()


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code, reason=reason)


class Feed:
    """One connection's view of a session: what was sent last, and in which role."""

    def __init__(self, ws: WebSocket, calls: StoreCalls, session_id: int, role: Role) -> None:
        self.ws = ws
        self.calls = calls  # the store, off the event loop
        self.store = calls.store
        self.session_id = session_id
        self.role = role
        self.last = 0  # the seq of the last event the client has (sent, or in a snapshot)
        self.names: dict[int, str] | None = None  # first names, while the projector shows them

    async def run(self, sub: Subscription, since: int | None) -> None:
        try:
            await sub.ready()
            await self.start(since)
            while True:
                await self.deliver(await sub.get())
        except Overflow:
            return
        except WebSocketDisconnect:
            return
        except Unavailable as exc:  # the store could not be read: the client reconnects
            await _close(self.ws, CLOSE_TRY_AGAIN, exc.message[:120])

    async def start(self, since: int | None) -> None:
        """A snapshot, or exactly the events after ``since`` when few enough were missed."""
        current = int((await self.calls.get_session(self.session_id))["seq"])
        if since is None or since > current or current - since > REPLAY_WINDOW:
            await self.send_snapshot()
            return
        self.last = since
        if self.role == "projector":
            self.names = await self._names()
        for event in await self.calls.events_since(self.session_id, since, limit=REPLAY_WINDOW):
            await self.send(event)

    async def deliver(self, event: Event) -> None:
        """Send one bus event in order: drop what the client has, fill a gap from the store."""
        if event.seq <= self.last:
            return
        if event.seq > self.last + 1:
            for missed in await self.calls.events_since(
                self.session_id, self.last, limit=event.seq - self.last - 1
            ):
                await self.send(missed)
        if event.seq > self.last:
            await self.send(event)

    async def send(self, event: Event) -> None:
        self.last = event.seq
        text = _encoded(self.store, event, self.role, self.names)
        if text is not None:
            await self.ws.send_text(text)
        if self.role == "projector" and event.type in PROJECTOR_REFRESH:
            await self.send_snapshot()

    async def send_snapshot(self) -> None:
        data = snapshot(await self.calls.session_data(self.session_id), self.role)
        if self.role == "projector":
            self.names = await self._names()
        self.last = max(self.last, int(data["seq"]))
        message = {"type": "snapshot", "seq": data["seq"], "session": self.session_id, "data": data}
        await self.ws.send_text(json.dumps(message, separators=(",", ":")))

    async def _names(self) -> dict[int, str] | None:
        session = await self.calls.get_session(self.session_id)
        if not session["show_names"]:
            return None
        students = await self.calls.list_students(session["class_id"])
        return {s["id"]: first_name(s["name"]) for s in students}


# One event goes to every dashboard of a session in the same few forms: encode each form once
# (1,000 projectors, one json.dumps). One cache per store, so two apps never share entries.
_CacheKey = tuple[int, int, str, bool]
_CACHES: weakref.WeakKeyDictionary[Store, OrderedDict[_CacheKey, str | None]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_SIZE = 512


def _encoded(store: Store, event: Event, role: Role, names: dict[int, str] | None) -> str | None:
    cache = _CACHES.setdefault(store, OrderedDict())
    key = (event.session, event.seq, role, names is not None)
    if key in cache:
        return cache[key]
    message: dict[str, Any] | None = for_role(event, role, names)
    text = None if message is None else json.dumps(message, separators=(",", ":"))
    cache[key] = text
    if len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return text
