"""The Starlette application: HTTP API, WebSockets and the static pages.

``create_app(settings)`` declares everything; the long-lived objects (store, bus, sessions) are
built in ``lifespan`` and live on ``app.state``. Every error leaves as the one JSON shape.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from live import __version__
from live.errors import CardcheckError, Unavailable, error_body
from live.http.accounts_api import owner_signin
from live.http.api import Resource
from live.http.api import routes as api_routes
from live.http.headers import SecurityHeaders
from live.http.openapi import openapi
from live.http.pages import __all__ as _pages_api  # noqa: F401  registers its endpoints
from live.http.progressions_api import __all__ as _progressions  # noqa: F401  registers its endpoints
from live.http.records_api import __all__ as _records  # noqa: F401  registers its endpoints
from live.http.reports_api import __all__ as _export_api  # noqa: F401  registers its endpoints
from live.http.rules_api import __all__ as _engine_api  # noqa: F401  registers its endpoints
from live.http.throttle import Throttle
from live.realtime.access import Tokens
from live.realtime.bus import Bus, LocalBus
from live.realtime.feed import live_socket
from live.realtime.lifecycle import Lifecycle
from live.realtime.scan import scan_socket
from live.realtime.sessions import Sessions
from live.rules.flags import RuleEngine
from live.rules.ticker import Ticker
from live.settings import Settings
from live.store import Store
from live.store.calls import StoreCalls
from scanner import Deck, Detector

__all__ = ["WEB_DIR", "Urls", "create_app", "open_store", "tokens_for"]

log = logging.getLogger("cardcheck")
WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"


@dataclass(frozen=True)
class Urls:
    """The links ``serve`` prints and the API hands out."""

    base: str
    tokens: Tokens

    def teacher(self) -> str:
        """The console with the owner token in its address (scripts, and links kept from
        before; ``owner`` is the link to hand a person)."""
        return f"{self.base}/teacher/?token={quote(self.tokens.teacher)}"

    def owner(self) -> str:
        """The link that signs the owner in and opens the console (a notebook server's link)."""
        return f"{self.base}/signin?token={quote(self.tokens.teacher)}"

    def projector(self, session_id: int) -> str:
        """The read-only view of one session."""
        return f"{self.base}/projector/?session={session_id}&token={quote(self.tokens.projector)}"

    def class_projector(self, class_id: int) -> str:
        """The read-only view of whichever session is live for the class (its projector's
        link: it stays the same from one lesson to the next)."""
        return f"{self.base}/projector/?class={class_id}&token={quote(self.tokens.projector)}"

    def scanner(self, session_id: int) -> str:
        """The scanner page of one session."""
        return f"{self.base}/scan/?session={session_id}&token={quote(self.tokens.teacher)}"


def open_store(settings: Settings) -> Store:
    return Store(settings.database, busy_timeout=settings.store_wait_s)


def tokens_for(settings: Settings, store: Store) -> Tokens:
    """The teacher token (``--token`` wins over the one kept in the data folder) and the
    projector token."""
    teacher = settings.token or store.token("teacher")
    return Tokens(teacher=teacher, projector=store.token("projector"))


def _make_bus(settings: Settings, calls: StoreCalls) -> Bus:
    if settings.redis:
        from live.realtime.redisbus import RedisBus

        # the store fills gaps (an event published while Redis was away) by seq
        return RedisBus(settings.redis, prefix=settings.redis_prefix, backfill=calls.events_since)
    return LocalBus()


async def _error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unavailable):
        headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
    if isinstance(exc, CardcheckError):
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
    if isinstance(exc, HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = "no such page or route" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal", "internal error; see the server log"), 500)


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> Starlette:
    """The service. ``store`` may be handed in (tests); otherwise it is opened in lifespan."""
    settings = settings or Settings.load()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own = store is None
        st = open_store(settings) if store is None else store
        # every store call of the service runs off the event loop; a call left on it is a bug
        calls = StoreCalls(st, threads=settings.store_threads, wait_s=settings.store_wait_s)
        st.loop_guard = own and settings.store_threads > 0
        tokens = await calls.run(tokens_for, settings, st)
        bus = _make_bus(settings, calls)
        await bus.start()
        app.state.settings = settings
        app.state.store = st
        app.state.calls = calls
        app.state.tokens = tokens
        app.state.urls = Urls(settings.base_url, tokens)
        app.state.throttle = Throttle()  # failed sign-ins, per account and per address
        app.state.bus = bus
        app.state.sessions = Sessions(st, bus, calls=calls)
        app.state.engine = RuleEngine(st, calls=calls)  # flags after every committed command
        app.state.sessions.after.append(app.state.engine.after)
        # and every few seconds, so time-based rules fire in a quiet spell too
        app.state.ticker = Ticker(
            app.state.engine, bus, every=settings.rules_tick_s, clock=app.state.sessions.clock
        )
        app.state.detector = Detector(Deck())  # one for the process: /ws/scan decodes with it
        # sessions a stopped server left running are interrupted; idle ones end by themselves
        app.state.lifecycle = Lifecycle(
            app.state.sessions, idle_after=settings.session_idle_s, clock=app.state.sessions.clock
        )
        # a few threads decode every scanner's frames: six phones sending 16-megapixel frames
        # queue for them instead of each holding a frame's worth of memory at once
        app.state.frame_workers = ThreadPoolExecutor(
            max_workers=max(1, settings.scan_workers), thread_name_prefix="frames"
        )
        try:
            async with app.state.lifecycle.running(), app.state.ticker.running():
                yield
        finally:
            app.state.frame_workers.shutdown(wait=False, cancel_futures=True)
            await bus.stop()
            calls.close()
            if own:
                st.close()

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi(__version__))

    routes: list[BaseRoute] = [
        Route("/api/openapi.json", Resource({"GET": openapi_json})),
        *api_routes(),
        Route("/api/{rest:path}", _UnknownApi()),
        Route("/signin", owner_signin),
        WebSocketRoute("/ws/scan", scan_socket),
        WebSocketRoute("/ws/live", live_socket),
    ]
    routes.append(Mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web"))
    handlers: dict[Any, Any] = {Exception: _error, HTTPException: _error, CardcheckError: _error}
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=handlers,
        middleware=[Middleware(SecurityHeaders)],
    )


class _UnknownApi:
    """Any method on a path under /api that names no route: 404 (an ASGI class, so that every
    method reaches it rather than Starlette's 405)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"no API route {scope['path'][:200]}"
        await JSONResponse(error_body("not_found", message), status_code=404)(scope, receive, send)
