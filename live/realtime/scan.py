"""``/ws/scan``: a phone or camera sends encoded frames; each decoded one is answered.

Client -> server: binary messages, each one JPEG, PNG or WebP image. Server -> client, for every
frame it decodes::

    {"type": "scan.frame", "frame": n, "ms": 12.3, "dropped": 0, "question": "open",
     "cards": [{"card", "answer", "corners", "student": {"id", "name"} | null, "state"}],
     "unreadable": [[[x, y], [x, y], [x, y], [x, y]], ...],
     "wrong_class": null | {"foreign": 5, "seen": 6, "class_name": "Period 3",
                            "message": "these cards are not Period 3's: ..."}}

``frame`` counts the frames decoded on this connection, ``ms`` is the time from the frame's
turn to its answer, ``dropped`` how many frames were skipped so far (newest wins: while one
frame is decoded, one waiting frame is kept and an older one dropped, so a slow decoder never
builds a backlog), ``question`` the current question's status (answers are recorded only while
it is "open"). States are ``live.realtime.pipeline.CARD_STATES``. ``unreadable`` holds the
marker corners of cards seen but not read (covered, turned too far, smeared), for the page to
outline so the student can fix the card. ``wrong_class`` is set while
most cards read lately belong to no student of the session's class (``live.realtime.guard``);
it comes and goes in the session's log too (``scanner.mismatched``,
``scanner.matched``), so the console says it as well.

Bad input gets ``{"type": "error", "code", "message"}`` and the connection stays open:
``bad_image`` (not a decodable image, or over ``max_frame_pixels``), ``too_large`` (over
``max_frame_bytes``), ``binary_expected`` (a text message). A session that is unknown, has
ended or was interrupted by a server stop closes the socket (``CLOSE_NOT_FOUND``,
``CLOSE_SESSION_ENDED``, ``CLOSE_SESSION_INTERRUPTED``). Frames are never stored and never put
on the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from typing import Any

from starlette.websockets import WebSocket

from live.errors import Conflict, Unavailable
from live.events import (
    Payload,
    ScannerConnected,
    ScannerDisconnected,
    ScannerMatched,
    ScannerMismatched,
)
from live.realtime.guard import ClassGuard, Verdict
from live.realtime.pipeline import Scan, process_frame
from live.realtime.sessions import Sessions
from live.realtime.sockets import (
    CLOSE_SESSION_ENDED,
    CLOSE_SESSION_INTERRUPTED,
    error_message,
    open_socket,
    refuse,
)
from scanner import ImageError

__all__ = ["Inbox", "scan_socket"]

log = logging.getLogger("cardcheck.scan")
_NAME = re.compile(r"[\w .:-]{1,40}")


class Inbox:
    """The frame waiting for the decoder: at most one, the newest; older ones are dropped."""

    def __init__(self) -> None:
        self._frame: bytes | None = None
        self._ready = asyncio.Event()
        self.dropped = 0

    def put(self, frame: bytes) -> None:
        if self._frame is not None:
            self.dropped += 1
        self._frame = frame
        self._ready.set()

    async def get(self) -> bytes:
        await self._ready.wait()
        self._ready.clear()
        frame, self._frame = self._frame, None
        assert frame is not None  # _ready is set only with a frame in place
        return frame


async def scan_socket(ws: WebSocket) -> None:
    opened = await open_socket(ws, teacher=True)
    if opened is None:
        return
    if opened.session["status"] == "ended":
        await refuse(ws, CLOSE_SESSION_ENDED, "session_ended", "this session has ended")
        return
    if opened.session["status"] == "interrupted":
        await refuse(ws, *_INTERRUPTED)
        return
    state = ws.app.state
    sessions: Sessions = state.sessions
    settings = state.settings
    raw_name = ws.query_params.get("name", "")
    name = raw_name if _NAME.fullmatch(raw_name) else f"scanner-{secrets.token_hex(3)}"
    scan = Scan(
        sessions,
        state.detector,
        opened.session_id,
        max_bytes=settings.max_frame_bytes,
        max_pixels=settings.max_frame_pixels,
        detect_pixels=settings.detect_pixels,
        executor=state.frame_workers,
    )
    inbox = Inbox()
    lock = asyncio.Lock()  # the receiver's errors and the worker's answers share the socket
    guard = ClassGuard()
    await _scanner_event(sessions, opened.session_id, ScannerConnected(name))
    worker = asyncio.create_task(_work(ws, scan, inbox, lock, guard, name))
    frames = 0
    try:
        while not worker.done():
            receiving = asyncio.ensure_future(ws.receive())
            await asyncio.wait({receiving, worker}, return_when=asyncio.FIRST_COMPLETED)
            if not receiving.done():
                receiving.cancel()
                break
            message = receiving.result()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            if data is None:
                await _send(
                    ws,
                    lock,
                    error_message(
                        "binary_expected", "send each frame as a binary message (JPEG, PNG or WebP)"
                    ),
                )
            elif len(data) > settings.max_frame_bytes:
                await _send(
                    ws,
                    lock,
                    error_message(
                        "too_large", f"a frame may be at most {settings.max_frame_bytes} bytes"
                    ),
                )
            else:
                frames += 1
                inbox.put(data)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await worker
        await _scanner_event(
            sessions,
            opened.session_id,
            ScannerDisconnected(name, frames=frames, dropped=inbox.dropped),
        )


_INTERRUPTED = (
    CLOSE_SESSION_INTERRUPTED,
    "session_interrupted",
    "this session was interrupted when the server stopped; resume it on the console",
)


async def _work(
    ws: WebSocket, scan: Scan, inbox: Inbox, lock: asyncio.Lock, guard: ClassGuard, name: str
) -> None:
    """Decode frames one at a time, newest first, and answer each."""
    decoded = 0
    while True:
        frame = await inbox.get()
        start = time.perf_counter()
        now = time.monotonic()
        try:
            overlay = await process_frame(scan, frame, now)
        except ImageError as exc:
            await _send(ws, lock, error_message("bad_image", str(exc)))
            continue
        except Conflict as exc:  # the session ended (or was interrupted) while scanning
            interrupted = exc.code == "session_interrupted"
            async with lock:
                if interrupted:
                    await refuse(ws, *_INTERRUPTED)
                else:
                    await refuse(ws, CLOSE_SESSION_ENDED, exc.code, exc.message)
            return
        except Unavailable as exc:  # the database is busy or away: this frame is lost, not the scan
            await _send(ws, lock, error_message(exc.code, exc.message))
            continue
        except Exception:  # a bug, not bad input: say so, keep scanning, keep the trace
            log.exception("frame failed on session %s", scan.session_id)
            await _send(ws, lock, error_message("internal", "this frame failed; see the log"))
            continue
        decoded += 1
        cards = overlay.cards
        verdict, changed = guard.observe(((c["card"], c["student"] is None) for c in cards), now)
        if changed:
            warning: Payload = (
                ScannerMismatched(name, foreign=verdict.foreign, seen=verdict.seen)
                if verdict.wrong
                else ScannerMatched(name)
            )
            await _scanner_event(scan.sessions, scan.session_id, warning)
        message: dict[str, Any] = {
            "type": "scan.frame",
            "frame": decoded,
            "ms": round((time.perf_counter() - start) * 1000, 1),
            "dropped": inbox.dropped,
            "question": scan.status,
            "cards": cards,
            "unreadable": overlay.unreadable,
            "wrong_class": _wrong_class(verdict, scan.class_name),
        }
        await _send(ws, lock, json.dumps(message, separators=(",", ":")))


def _wrong_class(verdict: Verdict, class_name: str) -> dict[str, Any] | None:
    """The ``wrong_class`` of a ``scan.frame``: None while the cards are the class's."""
    if not verdict.wrong:
        return None
    return {
        "foreign": verdict.foreign,
        "seen": verdict.seen,
        "class_name": class_name,
        "message": (
            f"these cards are not {class_name}'s: {verdict.foreign} of the {verdict.seen}"
            f" cards read belong to no student of {class_name}"
        ),
    }


async def _send(ws: WebSocket, lock: asyncio.Lock, text: str) -> None:
    async with lock:
        await ws.send_text(text)


async def _scanner_event(sessions: Sessions, session_id: int, payload: Payload) -> None:
    """Log a scanner coming, going or reading another class's cards in the session's events
    (best effort: never fatal)."""
    try:
        await sessions.commit(
            lambda now: sessions.store.append_events(session_id, [payload], now=now)
        )
    except Exception:
        log.exception("could not record %s for session %s", payload.type, session_id)
