"""Sessions across restarts and quiet hours: nothing is left running by accident.

* **Interrupted on restart.** A server that starts and finds no other server alive on its store
  marks every session still running as interrupted (``session.interrupted``): the server that ran
  it stopped without ending it. An interrupted session keeps every answer and question it had,
  takes no scans, answers or questions, and waits for the teacher to resume or end it on the
  console. A server starting next to a live one (several workers on one database) leaves the
  sessions alone: they are still being served.
* **Ended when idle.** A session with no activity for ``idle_after`` seconds (no question asked,
  closed or revealed, no answer, no scanner coming or going, no check-in) ends by itself:
  ``session.ended`` with reason ``"idle"``, and a line in the log.
* **Heartbeat.** Every ``HEARTBEAT_S`` the server records that it is alive; one that stops says so.
  Another server counts as alive when heard from within ``ALIVE_S``, unless it ran on this
  machine and its process is gone (a crash, ``kill -9``): a laptop's server restarted at once
  after a crash still finds its sessions interrupted.

One task per app, started and stopped by ``running()`` in the app's lifespan. A round that fails
is logged and the next one tries again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from live.errors import CardcheckError
from live.events import Event
from live.realtime.sessions import Sessions

__all__ = ["ALIVE_S", "HEARTBEAT_S", "Lifecycle", "idle_text", "process_alive"]

log = logging.getLogger("cardcheck.sessions")

HEARTBEAT_S = 10.0
ALIVE_S = 3 * HEARTBEAT_S  # a server heard from this recently is taken to be running


def idle_text(seconds: float) -> str:
    """A duration as a teacher reads it: "3 h", "1 h 30 min", "20 min", "45 s"."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    except OSError:
        return False
    return True


class Lifecycle:
    """Interrupts what a stopped server left running, ends idle sessions, beats the heart."""

    def __init__(
        self,
        sessions: Sessions,
        *,
        idle_after: float,
        clock: Callable[[], float] = time.time,
        server_id: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.store = sessions.store
        self.calls = sessions.calls  # every store call below runs off the event loop
        self.idle_after = idle_after
        self.clock = clock
        self.server_id = server_id or secrets.token_hex(8)
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.task: asyncio.Task[None] | None = None

    @property
    def period(self) -> float:
        """Seconds between two rounds: the heartbeat's, or less for a short idle time."""
        if self.idle_after <= 0:
            return HEARTBEAT_S
        return min(HEARTBEAT_S, max(0.2, self.idle_after / 4))

    async def start(self) -> list[Event]:
        """Register this server; alone on the store, interrupt what is still running."""
        now = self.clock()
        await self._seen(now)
        others = await self.calls.other_servers(self.server_id, since=now - ALIVE_S)
        if any(o["host"] != self.host or process_alive(o["pid"]) for o in others):
            return []
        events = await self.sessions.interrupt_running()
        for event in events:
            if event.type == "session.interrupted":
                session = await self.calls.get_session(event.session)
                log.info(
                    "session %d (%s) was still running when the server stopped: interrupted;"
                    " resume it or end it on the console",
                    event.session,
                    session["class_name"],
                )
        return events

    async def check(self) -> list[Event]:
        """One round: the heartbeat, then the sessions idle for too long ended. Never raises."""
        now = self.clock()
        try:
            await self._seen(now)
        except Exception:
            log.exception("could not record this server's heartbeat")
        if self.idle_after <= 0:
            return []
        try:
            idle = await self.calls.idle_sessions(before=now - self.idle_after)
        except Exception:
            log.exception("could not list the idle sessions")
            return []
        out: list[Event] = []
        for session_id in idle:
            try:
                session = await self.calls.get_session(session_id)
                out += await self.sessions.end(session_id, reason="idle")
            except CardcheckError:
                continue  # ended meanwhile, by the teacher or another server
            except Exception:
                log.exception("could not end idle session %d", session_id)
                continue
            log.info(
                "session %d (%s) ended by itself after %s without activity"
                " (CARDCHECK_SESSION_IDLE_S=%g)",
                session_id,
                session["class_name"],
                idle_text(self.idle_after),
                self.idle_after,
            )
        return out

    async def _seen(self, now: float) -> None:
        await self.calls.server_seen(self.server_id, host=self.host, pid=self.pid, now=now)

    async def run(self) -> None:
        """A round every ``period`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.period)
            await self.check()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """``start``, then rounds in the background for the body of the ``async with``; then
        this server says it has stopped."""
        await self.start()
        self.task = asyncio.create_task(self.run(), name="cardcheck-lifecycle")
        try:
            yield
        finally:
            self.task.cancel()
            await asyncio.wait([self.task])
            try:
                await self.calls.server_stopped(self.server_id)
            except Exception:
                log.exception("could not record that this server stopped")
