"""``cardcheck scan``: a laptop or USB camera, or a recording, as the scanner of a session.

Frames go to ``/ws/scan`` at a steady rate (``--fps``), encoded as JPEG (a camera or a video)
or as they are (a folder of image files); every ``scan.frame`` answer is logged when what is
seen changes. If the server goes away the client reconnects with a backoff, for up to
``retry_for`` seconds of failure, and goes on from the frame it was at; a refusal that will not
change (bad token, unknown or ended session) stops it at once. A recording ends the run when
its last frame has been answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import ssl
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from live.realtime.sockets import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_SESSION_ENDED,
    CLOSE_UNAUTHORIZED,
)

__all__ = [
    "ScanClient",
    "add_scan_parser",
    "camera_frames",
    "cmd_scan",
    "file_frames",
    "newest_running_session",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
FINAL = {CLOSE_BAD_REQUEST, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND,
         CLOSE_SESSION_ENDED}  # fmt: skip
"""Close codes after which reconnecting cannot help."""


class Refused(Exception):
    """The server refused the scanner for a reason a retry cannot fix."""


def _jpeg(frame: Any, quality: int = 90) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode a frame as JPEG")
    return bytes(buf.tobytes())


def camera_frames(index: int) -> Iterator[bytes]:
    """Frames from camera ``index``, JPEG-encoded, until the camera stops delivering."""
    import cv2

    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        raise ValueError(f"cannot open camera {index}")
    yield from _captured(capture)


def file_frames(path: str | Path) -> Iterator[bytes]:
    """The frames of a recording: a folder of images (sorted by name), one image, or a video."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"{p} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        for f in files:
            yield f.read_bytes()
        return
    if not p.exists():
        raise ValueError(f"{p} does not exist")
    if p.suffix.lower() in IMAGE_SUFFIXES:
        yield p.read_bytes()
        return
    import cv2

    capture = cv2.VideoCapture(str(p))
    if not capture.isOpened():
        raise ValueError(f"cannot read {p} as a video")
    yield from _captured(capture)


def _captured(capture: Any) -> Iterator[bytes]:
    """An opened ``cv2.VideoCapture``'s frames as JPEG until it stops; releases it."""
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield _jpeg(frame)
    finally:
        capture.release()


def _request_json(url: str, token: str, context: ssl.SSLContext | None) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return json.loads(response.read())


def newest_running_session(server: str, token: str, context: ssl.SSLContext | None = None) -> int:
    """The id of the newest running session on ``server``; ``ValueError`` when none runs."""
    sessions = _request_json(f"{server.rstrip('/')}/api/sessions", token, context)
    for s in sessions:
        if s.get("status") == "running":
            return int(s["id"])
    raise ValueError("no session is running; start one, or pass --session")


@dataclass
class ScanClient:
    """Sends ``frames`` to a session's scanner socket and logs the answers."""

    server: str
    token: str
    session_id: int
    frames: Iterator[bytes]
    fps: float = 10.0
    name: str = "cardcheck-scan"
    retry_for: float = 60.0
    insecure: bool = False
    log: Callable[[str], None] = print
    sent: int = 0
    answered: int = 0
    dropped: int = 0
    errors: int = 0
    lost: int = 0
    confirmed: dict[int, str] = field(default_factory=dict)
    _last_seen: str = ""
    _pending: bytes | None = None
    _done: bool = False

    @property
    def url(self) -> str:
        parts = urlsplit(self.server)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return (
            f"{scheme}://{parts.netloc}/ws/scan?session={self.session_id}"
            f"&token={quote(self.token)}&name={quote(self.name)}"
        )

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.server.startswith("https"):
            return None
        context = ssl.create_default_context()
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    async def run(self) -> int:
        """Scan until the frames run out (0), or a refusal or too long an outage (1)."""
        failing_since: float | None = None
        backoff = 0.25
        while not self._done:
            try:
                async with connect(
                    self.url, ssl=self._ssl(), compression=None, max_size=2**22, open_timeout=5
                ) as ws:
                    self.log(f"connected to {self.server}, session {self.session_id}")
                    failing_since, backoff = None, 0.25
                    await self._session(ws)
            except Refused as exc:
                self.log(f"refused: {exc}")
                return 1
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
                if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
                    self.log(f"refused: {exc}")
                    return 1
                if isinstance(exc, ConnectionClosed) and exc.rcvd and exc.rcvd.code in FINAL:
                    self.log(f"refused: {exc.rcvd.reason} (code {exc.rcvd.code})")
                    return 1
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > self.retry_for:
                    self.log(f"giving up after {self.retry_for:.0f} s: {exc}")
                    return 1
                self.log(f"connection lost ({exc}); retrying in {backoff:.2f} s")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        self.log(
            f"done: {self.sent} frames sent, {self.answered} answered, {self.dropped} dropped"
            + (f", {self.lost} lost in outages; " if self.lost else "; ")
            + (", ".join(f"card {c} {a}" for c, a in sorted(self.confirmed.items())) or "no cards")
        )
        return 0

    async def _session(self, ws: ClientConnection) -> None:
        # frames sent on an earlier connection and never answered will not be: write them off,
        # or the wait for the last answer below would always time out after an outage
        self.lost = self.sent - self.answered - self.dropped - self.errors
        receiver = asyncio.create_task(self._receive(ws))
        try:
            period = 1.0 / self.fps
            due = time.monotonic()
            while True:
                # a camera blocks for its next frame: wait for it off the event loop. A frame a
                # lost connection did not send goes first on the next one.
                frame, self._pending = self._pending, None
                if frame is None:
                    frame = await asyncio.to_thread(next, self.frames, None)
                if frame is None:
                    break
                self._pending = frame
                if receiver.done():
                    break
                await ws.send(frame)
                self._pending = None
                self.sent += 1
                due += period
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            if frame is None:
                self._done = True
                # the newest frame is always answered: wait for it, briefly
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._caught_up(), 10.0)
                await ws.close()
            await receiver
        finally:
            receiver.cancel()

    async def _caught_up(self) -> None:
        sent = self.sent
        while self.answered + self.dropped + self.errors + self.lost < sent:
            await asyncio.sleep(0.02)

    async def _receive(self, ws: ClientConnection) -> None:
        base_answered, base_dropped = self.answered, self.dropped
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "error":
                    self.log(f"error {message['code']}: {message['message']}")
                    self.errors += 1
                    continue
                if message["type"] != "scan.frame":
                    raise ValueError(f"unexpected message type {message['type']!r}")
                self.answered = base_answered + message["frame"]
                self.dropped = base_dropped + message["dropped"]
                self._report(message)
        except ConnectionClosed:
            pass
        code = ws.close_code
        if code in FINAL:
            raise Refused(f"{ws.close_reason or 'closed'} (code {code})")

    def _report(self, message: dict[str, Any]) -> None:
        seen = []
        for c in sorted(message["cards"], key=lambda c: c["card"]):
            who = c["student"]["name"] if c["student"] else "no student"
            seen.append(f"{c['card']}:{c['answer']} {c['state']} ({who})")
            if c["state"] == "confirmed":
                self.confirmed[c["card"]] = c["answer"]
        line = ", ".join(seen) or "no cards"
        if line != self._last_seen:
            self._last_seen = line
            self.log(f"frame {message['frame']} ({message['ms']} ms): {line}")


def add_scan_parser(sub: Any) -> None:
    """``cardcheck scan``: register the subcommand on the CLI's subparsers."""
    p = sub.add_parser("scan", help="use a laptop/USB camera, or a recording, as the scanner")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--camera", type=int, help="camera index (0 is the first camera)")
    source.add_argument("--file", help="a video, an image, or a folder of images to replay")
    p.add_argument("--server", required=True, help="the server's URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--token", required=True, help="the teacher token")
    p.add_argument("--session", type=int, help="session id (default: the newest running one)")
    p.add_argument("--fps", type=float, default=10.0, help="frames per second to send (10)")
    p.add_argument("--name", default="cardcheck-scan", help="this scanner's name in the events")
    p.add_argument(
        "--retry-for",
        type=float,
        default=60.0,
        dest="retry_for",
        help="seconds to keep reconnecting to a server that is away (60)",
    )
    p.add_argument(
        "--insecure", action="store_true", help="accept a self-signed certificate (https servers)"
    )
    p.set_defaults(func=cmd_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    if not 0 < args.fps <= 60:
        raise ValueError("--fps must be between 0 and 60")
    client = ScanClient(
        args.server,
        args.token,
        0,
        iter(()),
        fps=args.fps,
        name=args.name,
        retry_for=args.retry_for,
        insecure=args.insecure,
    )
    session = args.session
    if session is None:
        try:
            session = newest_running_session(args.server, args.token, client._ssl())
        except OSError as exc:  # urllib's errors: refused, 401, unreachable
            print(f"cardcheck scan: cannot list sessions on {args.server}: {exc}", file=sys.stderr)
            return 1
    client.session_id = session
    client.frames = camera_frames(args.camera) if args.file is None else file_frames(args.file)
    client.log = lambda line: print(line, flush=True)
    return asyncio.run(client.run())
