"""What both WebSockets share: the handshake checks, the close codes, the error message.

Every handshake checks the ``Origin`` header first (a page on another site must not open a
socket with a token it found; see "cross-site WebSocket hijacking"): a browser's Origin must be
this server's own host and port, the public URL, or one of ``settings.allowed_origins``. A client
that sends no Origin is not a browser and is let through to the token check. A refused Origin is
refused before the socket opens (HTTP 403); every later refusal opens the socket, sends one
``{"type": "error", "code", "message"}`` so a browser can read why, and closes with a code below.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketState

from live.errors import BadRequest, NotFound, Unauthorized, Unavailable
from live.ids import parse_id
from live.realtime.access import Caller, authenticate, session_access
from live.session import Role
from live.settings import Settings

__all__ = [
    "CLOSE_BAD_REQUEST",
    "CLOSE_FELL_BEHIND",
    "CLOSE_FORBIDDEN",
    "CLOSE_NORMAL",
    "CLOSE_NOT_FOUND",
    "CLOSE_POLICY",
    "CLOSE_SESSION_ENDED",
    "CLOSE_SESSION_INTERRUPTED",
    "CLOSE_TOO_BIG",
    "CLOSE_TRY_AGAIN",
    "CLOSE_UNAUTHORIZED",
    "Opened",
    "error_message",
    "open_socket",
    "origin_allowed",
    "refuse",
]

# Close codes. 1xxx are the protocol's own (RFC 6455); 4xxx are ours and mirror HTTP statuses.
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # refused Origin (sent as HTTP 403 before the handshake completes)
CLOSE_TOO_BIG = 1009  # a message over the size limit
CLOSE_BAD_REQUEST = 4400  # a missing or malformed query parameter
CLOSE_UNAUTHORIZED = 4401  # no token, or a token this server does not know
CLOSE_FORBIDDEN = 4403  # the projector token on the teacher's scanner socket
CLOSE_NOT_FOUND = 4404  # no such session
CLOSE_SESSION_ENDED = 4409  # the session has ended: nothing more to scan
CLOSE_SESSION_INTERRUPTED = 4423  # interrupted by a server stop: resume it on the console first
CLOSE_FELL_BEHIND = 4429  # the client stopped reading; reconnect with ?since=<last seq>
CLOSE_TRY_AGAIN = 1013  # the database is busy or away: reconnect in a moment


@dataclass(frozen=True)
class Opened:
    """An accepted socket's caller: their role and the session they asked for."""

    role: Role
    session_id: int
    session: dict[str, Any]
    caller: Caller | None = None


def origin_allowed(headers: Mapping[str, str], settings: Settings) -> bool:
    """Whether a handshake's ``Origin`` may open a socket here (no Origin: not a browser)."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin in settings.allowed_origins:
        return True
    netloc = urlsplit(origin).netloc.lower()
    if netloc and netloc == headers.get("host", "").lower():
        return True
    return bool(settings.public_url) and netloc == urlsplit(settings.public_url or "").netloc


def error_message(code: str, message: str) -> str:
    """The one error message shape over a WebSocket, as text."""
    return json.dumps({"type": "error", "code": code, "message": message})


async def refuse(ws: WebSocket, close_code: int, code: str, message: str) -> None:
    """Tell an accepted client why in one message, then close with ``close_code``."""
    if ws.application_state == WebSocketState.CONNECTED:
        await ws.send_text(error_message(code, message))
        await ws.close(close_code, reason=message[:120])


async def open_socket(ws: WebSocket, *, teacher: bool) -> Opened | None:
    """Check the handshake of a session socket and accept it; None when it was refused.

    Checks, in order: the Origin, the credential (``?token=``, ``Authorization: Bearer``, or
    the sign-in cookie; ``live.realtime.access``), the role (``teacher`` demands a teacher or a
    scanner link), then ``?session=`` naming a session the caller may reach (another class's
    session is "no session", as if it did not exist).
    """
    state = ws.app.state
    if not origin_allowed(ws.headers, state.settings):
        await ws.close(CLOSE_POLICY)
        return None
    await ws.accept()
    try:
        caller = await authenticate(state, ws.headers, ws.query_params, ws.cookies)
    except Unauthorized as exc:
        await refuse(ws, CLOSE_UNAUTHORIZED, "unauthorized", exc.message)
        return None
    except Unavailable as exc:
        await refuse(ws, CLOSE_TRY_AGAIN, exc.code, exc.message)
        return None
    if caller is None:
        await refuse(ws, CLOSE_UNAUTHORIZED, "unauthorized", "a valid token is required")
        return None
    if teacher and caller.role != "teacher":
        await refuse(ws, CLOSE_FORBIDDEN, "forbidden", "scanning needs a teacher or a scanner link")
        return None
    raw = ws.query_params.get("session")
    if raw is None:
        await refuse(ws, CLOSE_BAD_REQUEST, "bad_request", "?session=<id> is required")
        return None
    try:
        session_id = parse_id(raw, "session")
    except BadRequest as exc:
        await refuse(ws, CLOSE_BAD_REQUEST, "bad_request", exc.message)
        return None
    try:
        session = await state.calls.get_session(session_id)
        if await session_access(state, caller, session) is None:
            raise NotFound(f"no session {session_id}")
    except NotFound:
        await refuse(ws, CLOSE_NOT_FOUND, "not_found", f"no session {session_id}")
        return None
    except Unavailable as exc:
        await refuse(ws, CLOSE_TRY_AGAIN, exc.code, exc.message)
        return None
    return Opened(caller.role, session_id, session, caller)
