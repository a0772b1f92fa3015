"""``cardcheck scan``: a laptop or USB camera, a recording or a photo, as the scanner of a session.

The session is always named (``--session``): the client never guesses it. Frames go to
``/ws/scan`` at a steady rate (``--fps``), encoded as JPEG (a camera or a video) or as they are
(a folder of image files); every ``scan.frame`` answer is logged when what is seen changes. A
single photo is sent like a camera held still, again until its cards are confirmed (the tracker
confirms an answer on several agreeing frames), as the scanner page's "Take a photo" does, and
the run ends by listing who was recorded. If the server goes away the client reconnects with a
backoff, for up to ``retry_for`` seconds of failure, and goes on from the frame it was at (an
interrupted session is waited for the same way, until the teacher resumes it); a refusal that
will not change (bad token, unknown or ended session) stops it at once. A recording ends the
run when its last frame has been answered.
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
    CLOSE_SESSION_INTERRUPTED,
    CLOSE_UNAUTHORIZED,
)

__all__ = [
    "PHOTO_SENDS",
    "ScanClient",
    "add_scan_parser",
    "camera_frames",
    "cmd_scan",
    "file_frames",
    "running_sessions",
    "still_photo",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
FINAL = {CLOSE_BAD_REQUEST, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND,
         CLOSE_SESSION_ENDED}  # fmt: skip
"""Close codes after which reconnecting cannot help."""
FRAME_ERRORS = {"bad_image", "too_large", "binary_expected", "internal"}
"""Error codes that answer a frame (``live.realtime.scan``); the others come with a close."""
PHOTO_SENDS = 5
"""How often a photo is sent at most: the tracker confirms an answer on 3 agreeing frames, and
a frame may be dropped while another is decoded (as ``web/scan/scan.js`` does)."""
SETTLED = {"confirmed", "unassigned"}  # card states after which a photo need not be sent again


class Refused(Exception):
    """The server refused the scanner for a reason a retry cannot fix."""


class Interrupted(Exception):
    """The session was interrupted by a server stop: wait for the teacher to resume it."""


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


def still_photo(path: str | Path) -> bytes | None:
    """The bytes of ``path`` when it is one photo (sent as a still), None for a recording."""
    p = Path(path)
    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
        return p.read_bytes()
    return None


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


def running_sessions(server: str, token: str, context: ssl.SSLContext | None = None) -> list[str]:
    """One line per session not ended on ``server``: id, class, start, question, status."""
    rows = _request_json(f"{server.rstrip('/')}/api/sessions/running", token, context)
    lines = []
    for s in rows:
        started = time.strftime("%H:%M", time.localtime(s["started_at"]))
        q = s["question"]
        asked = f"Q{q['number']} {q['status']}" if q else "no question yet"
        paused = ", interrupted" if s["status"] == "interrupted" else ""
        lines.append(
            f"  --session {s['id']}  {s['class_name']} (started {started}, {asked}{paused})"
        )
    return lines


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
    photo: bool = False  # one still, sent again until its cards are confirmed (PHOTO_SENDS)
    # a recording has no clock of its own: each frame waits for its answer (at most ``fps``), so
    # a replay on a busy server reads every frame instead of dropping the ones it was too slow for
    every_frame: bool = False
    sent: int = 0
    answered: int = 0
    dropped: int = 0
    errors: int = 0
    lost: int = 0
    confirmed: dict[int, str] = field(default_factory=dict)
    last: dict[str, Any] | None = None  # the newest scan.frame answer
    _last_seen: str = ""
    _last_warning: str | None = None
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
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, Interrupted) as exc:
                if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
                    self.log(f"refused: {exc}")
                    return 1
                if isinstance(exc, ConnectionClosed) and exc.rcvd and exc.rcvd.code in FINAL:
                    self.log(f"refused: {exc.rcvd.reason} (code {exc.rcvd.code})")
                    return 1
                closed = exc.rcvd if isinstance(exc, ConnectionClosed) else None
                if closed is not None and closed.code == CLOSE_SESSION_INTERRUPTED:
                    exc = self._interrupted()
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > self.retry_for:
                    self.log(f"giving up after {self.retry_for:.0f} s: {exc}")
                    return 1
                if isinstance(exc, Interrupted):
                    self.log(f"{exc}; trying again in {backoff:.2f} s")
                else:
                    self.log(f"connection lost ({exc}); retrying in {backoff:.2f} s")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        self.log(
            f"done: {self.sent} frames sent, {self.answered} answered, {self.dropped} dropped"
            + (f", {self.lost} lost in outages; " if self.lost else "; ")
            + (", ".join(f"card {c} {a}" for c, a in sorted(self.confirmed.items())) or "no cards")
        )
        if self.photo:
            for line in photo_summary(self.last):
                self.log(line)
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
                if frame is None and not (self.photo and await self._photo_settled()):
                    frame = await asyncio.to_thread(next, self.frames, None)
                if frame is None:
                    break
                self._pending = frame
                if receiver.done():
                    break
                await ws.send(frame)
                self._pending = None
                self.sent += 1
                if self.every_frame:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._caught_up(), 10.0)
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

    async def _photo_settled(self) -> bool:
        """Whether the photo already sent need not be sent again: its last answer (waited for)
        has every card confirmed or held by no student of the class."""
        if self.sent == 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._caught_up(), 10.0)
        cards = self.last["cards"] if self.last else []
        return self.answered > 0 and all(c["state"] in SETTLED for c in cards)

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
                    if message["code"] in FRAME_ERRORS:  # else a refusal: the close follows
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
        if code == CLOSE_SESSION_INTERRUPTED:
            raise self._interrupted()

    def _interrupted(self) -> Interrupted:
        return Interrupted(
            f"session {self.session_id} was interrupted when the server stopped:"
            " waiting for the teacher to resume it on the console"
        )

    def _report(self, message: dict[str, Any]) -> None:
        self.last = message
        warning = (message.get("wrong_class") or {}).get("message")
        if warning != self._last_warning:
            if warning:
                self.log(f"warning: {warning}")
            elif self._last_warning:
                self.log("the cards read are the class's own again")
            self._last_warning = warning
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


def photo_summary(last: dict[str, Any] | None) -> list[str]:
    """What a photo's last answer means for the teacher: who was recorded, and what was not."""
    if last is None:
        return ["the photo was never answered: nothing recorded"]
    cards = sorted(last["cards"], key=lambda c: c["card"])
    mine = [c for c in cards if c["student"] is not None]
    foreign = [c for c in cards if c["student"] is None]
    confirmed = [c for c in mine if c["state"] == "confirmed"]
    unsure = [c for c in mine if c["state"] != "confirmed"]
    lines = []
    status = last.get("question")
    if status == "open":
        lines.append(f"recorded {len(confirmed)} answer(s) from the photo:")
        lines += [
            f"  card {c['card']:>2}  {c['answer']}  {c['student']['name']}" for c in confirmed
        ]
    else:
        why = {None: "no question has been asked yet", "closed": "the question is closed"}.get(
            status, "the answer was revealed"
        )
        lines.append(f"nothing recorded: {why} (the photo read {len(mine)} card(s) of the class)")
    if unsure:
        cards_text = ", ".join(f"card {c['card']}" for c in unsure)
        lines.append(f"not confirmed (take another photo, the cards flatter): {cards_text}")
    if foreign:
        cards_text = ", ".join(f"card {c['card']}" for c in foreign)
        lines.append(f"held by no student of this class: {cards_text}")
    if not cards:
        lines.append("no card was read in the photo")
    return lines


def add_scan_parser(sub: Any) -> None:
    """``cardcheck scan``: register the subcommand on the CLI's subparsers."""
    p = sub.add_parser("scan", help="use a laptop/USB camera, or a recording, as the scanner")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--camera", type=int, help="camera index (0 is the first camera)")
    source.add_argument(
        "--file",
        help='a photo (recorded as the scanner page\'s "Take a photo" does), a video, or a'
        " folder of images to replay",
    )
    p.add_argument("--server", required=True, help="the server's URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--token", required=True, help="the teacher token")
    p.add_argument(
        "--session",
        type=int,
        help="the session to scan for (required; without it, the sessions running are listed)",
    )
    p.add_argument(
        "--fps",
        type=float,
        default=10.0,
        help="frames per second to send (10); a recording is replayed frame by frame, each frame"
        " waiting for its answer, at most this fast",
    )
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
    if args.session is None:
        try:
            lines = running_sessions(args.server, args.token, client._ssl())
        except OSError as exc:  # urllib's errors: refused, 401, unreachable
            print(f"cardcheck scan: cannot list sessions on {args.server}: {exc}", file=sys.stderr)
            return 1
        print("cardcheck scan: name the session to scan for with --session.", file=sys.stderr)
        print(
            "\n".join(["Sessions not ended:", *lines])
            if lines
            else "No session is running: start one on the teacher console.",
            file=sys.stderr,
        )
        return 2
    client.session_id = args.session
    photo = None if args.file is None else still_photo(args.file)
    if photo is not None:
        client.photo = True
        client.frames = iter([photo] * PHOTO_SENDS)
    else:
        client.frames = camera_frames(args.camera) if args.file is None else file_frames(args.file)
        client.every_frame = args.file is not None
    client.log = lambda line: print(line, flush=True)
    return asyncio.run(client.run())
