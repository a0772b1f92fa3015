"""The demo's simulated classroom camera: frames of the demo class holding up their cards, sent
through the real ``/ws/scan`` path, with a teacher driving the session over the real HTTP API.

``cardcheck demo`` runs the server and this camera in one process, so a newcomer with no printed
cards sees the projector and the console move. Three parts, top to bottom:

* ``plan_question`` (pure): who answers what and when, with plausible patterns: most of the class
  right, a few changing their mind, one or two never raising a card, and the Blue group sharing a
  misconception on adding fractions (adding tops and bottoms: 1/2 + 1/3 = 2/5).
* ``render_room`` (pure): one camera frame at time ``t``: four rows of students, the back row far
  away, each raised card rendered with ``Deck.render_card``, turned and tilted in the hand and
  swaying, the camera panning slowly across the room.
* ``drive`` (the shell): start a session, then for each question ask it, stream frames for the
  answering window (one frame in flight, like the phone), close, reveal, pause, next. A session
  the teacher ends on the console is followed by a new one after a pause; sessions an earlier
  run left behind are ended first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from live.realtime.sockets import CLOSE_SESSION_ENDED, CLOSE_SESSION_INTERRUPTED
from scanner import Deck

__all__ = ["Answer", "Seat", "drive", "plan_question", "render_room", "run_demo", "seats_for"]

log = logging.getLogger("cardcheck.democam")

BgrImage = npt.NDArray[np.uint8]

MISCONCEPTION_GROUP = "Blue"
# the wrong answer "adding tops and bottoms" gives, by prompt of the demo's addition questions
MISCONCEPTIONS = {"What is 1/2 + 1/3?": "B", "What is 2/5 + 1/10?": "A"}
ROWS, PER_ROW = 4, 7
WIDTH, HEIGHT = 1280, 720


@dataclass(frozen=True)
class Answer:
    """One student's card during a question: raised at ``at`` seconds, maybe changed later."""

    card: int
    answer: str
    at: float
    change_to: str | None = None
    change_at: float = math.inf

    def shown(self, t: float) -> str | None:
        if t < self.at:
            return None
        return self.change_to if (self.change_to and t >= self.change_at) else self.answer


@dataclass(frozen=True)
class Seat:
    """Where a student sits: room coordinates of the card's centre, the card's side in pixels."""

    card: int
    x: float
    y: float
    side: float
    phase: float
    roll: float
    tilt: float


def plan_question(
    rng: np.random.Generator,
    question: dict[str, Any],
    students: Sequence[dict[str, Any]],
    groups: Sequence[dict[str, Any]],
    *,
    pace: float,
) -> list[Answer]:
    """Who raises which answer when, over an answering window of ``pace`` seconds."""
    letters = "ABCD"[: len(question["choices"])]
    correct = question["correct"]
    shared = MISCONCEPTIONS.get(question["prompt"])
    blue = {sid for g in groups if g["name"] == MISCONCEPTION_GROUP for sid in g["students"]}
    with_cards = [s for s in students if s.get("card") is not None]
    silent = set(rng.choice(len(with_cards), size=min(2, len(with_cards) // 10), replace=False))
    plan = []
    for i, s in enumerate(with_cards):
        if i in silent:
            continue
        if correct is None:  # a poll: a spread of opinions
            weights = np.linspace(1.6, 0.6, len(letters))
            answer = str(rng.choice(list(letters), p=weights / weights.sum()))
        elif shared and s["id"] in blue and rng.random() < 0.8:
            answer = shared
        elif rng.random() < 0.78:
            answer = correct
        else:
            answer = str(rng.choice([a for a in letters if a != correct]))
        at = float(rng.uniform(0.05, 0.6) * pace)
        change_to, change_at = None, math.inf
        if correct is not None and answer != correct and rng.random() < 0.15:
            change_to, change_at = correct, at + float(rng.uniform(0.15, 0.3) * pace)
        plan.append(Answer(int(s["card"]), answer, at, change_to, change_at))
    return plan


def seats_for(cards: Sequence[int], rng: np.random.Generator) -> list[Seat]:
    """Seat the cards in rows, the back row first (far away, small)."""
    room_width = WIDTH * 1.25
    seats = []
    for i, card in enumerate(cards):
        row, col = divmod(i, PER_ROW)
        row = min(row, ROWS - 1)
        side = 44.0 + row * 24.0
        x = (col + 0.5) / PER_ROW * room_width + float(rng.uniform(-12, 12))
        y = HEIGHT * (0.22 + 0.19 * row) + float(rng.uniform(-8, 8))
        seats.append(
            Seat(
                card,
                x,
                y,
                side,
                float(rng.uniform(0, 2 * math.pi)),
                float(rng.uniform(-16, 16)),
                float(rng.uniform(-0.25, 0.25)),
            )
        )
    return seats


def _background() -> BgrImage:
    room = np.zeros((HEIGHT, int(WIDTH * 1.25), 3), np.uint8)
    ramp = np.linspace(205, 160, HEIGHT, dtype=np.float32)[:, None]
    room[:] = np.stack([ramp * 0.92, ramp * 0.97, ramp], axis=-1).astype(np.uint8)[:, :1, :]
    cv2.rectangle(room, (180, 18), (1400, 110), (236, 238, 238), -1)  # the whiteboard
    cv2.rectangle(room, (180, 18), (1400, 110), (120, 120, 120), 3)
    for row in range(ROWS):
        y = int(HEIGHT * (0.22 + 0.19 * row) + 40 + row * 20)
        cv2.rectangle(room, (0, y), (room.shape[1], y + 18 + row * 6), (70, 105, 140), -1)
    return room


_ROOM: BgrImage | None = None


def render_room(
    deck: Deck,
    seats: Sequence[Seat],
    shown: dict[int, str],
    t: float,
    *,
    noise: np.random.Generator | None = None,
) -> BgrImage:
    """The camera's frame at ``t`` seconds: every seat's student, with their card when ``shown``
    has an answer for it. Returns a BGR image of ``WIDTH x HEIGHT``."""
    global _ROOM
    if _ROOM is None:
        _ROOM = _background()
    room = _ROOM.copy()
    for seat in seats:
        _person(room, seat)
        answer = shown.get(seat.card)
        if answer is not None:
            _card(room, deck, seat, answer, t)
    pan = (room.shape[1] - WIDTH) * 0.5 * (1 + math.sin(2 * math.pi * t / 16))
    frame = np.ascontiguousarray(room[:, int(pan) : int(pan) + WIDTH])
    if noise is not None:
        frame = cv2.add(frame, noise.normal(0, 3, frame.shape).astype(np.int8), dtype=cv2.CV_8U)
    return frame


def _person(room: BgrImage, seat: Seat) -> None:
    s = seat.side
    shade = int(60 + 40 * math.sin(seat.phase))
    head = (int(seat.x + 0.15 * s), int(seat.y + 0.55 * s))
    cv2.ellipse(
        room,
        (head[0], int(head[1] + 0.9 * s)),
        (int(0.7 * s), int(0.45 * s)),
        0,
        180,
        360,
        (shade + 60, shade + 30, shade),
        -1,
    )
    cv2.circle(room, head, int(0.32 * s), (120, 150, 190), -1)


def _card(room: BgrImage, deck: Deck, seat: Seat, answer: str, t: float) -> None:
    size = int(seat.side)
    card = cv2.cvtColor(deck.render_card(seat.card, answer, size_px=size), cv2.COLOR_GRAY2BGR)
    roll = math.radians(seat.roll + 5 * math.sin(1.3 * t + seat.phase))
    cx = seat.x + 4 * math.sin(0.9 * t + seat.phase)
    cy = seat.y - 0.3 * seat.side + 3 * math.cos(1.1 * t + seat.phase)
    half = seat.side / 2
    squeeze = 1 - abs(seat.tilt) * 0.5
    corners = []
    for ux, uy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        # tilt: the far edge is shorter (perspective), the card narrower (foreshortening)
        near = 1 + seat.tilt * ux * 0.5
        px, py = ux * half * squeeze, uy * half * near
        corners.append(
            (
                cx + px * math.cos(roll) - py * math.sin(roll),
                cy + px * math.sin(roll) + py * math.cos(roll),
            )
        )
    dst = np.array(corners, np.float32)
    x0, y0 = np.floor(dst.min(axis=0)).astype(int)
    x1, y1 = np.ceil(dst.max(axis=0)).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, room.shape[1]), min(y1, room.shape[0])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return
    src = np.array([(0, 0), (size - 1, 0), (size - 1, size - 1), (0, size - 1)], np.float32)
    m = cv2.getPerspectiveTransform(src, dst - np.array([x0, y0], np.float32))
    w, h = int(x1 - x0), int(y1 - y0)
    warped = cv2.warpPerspective(card, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((size, size), 255, np.uint8), m, (w, h))
    roi = room[y0:y1, x0:x1]
    np.copyto(roi, warped, where=(mask > 127)[:, :, None])


# -- the shell: a teacher and a phone, over the real HTTP API and /ws/scan ---------------------------


class _Teacher:
    """The demo's teacher: HTTP calls to the API with the teacher token (in a worker thread)."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.context = ssl._create_unverified_context() if base.startswith("https") else None

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base}/api{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10, context=self.context) as response:
            text = response.read()
        return json.loads(text) if text else None

    async def __call__(self, method: str, path: str, body: Any = None) -> Any:
        return await asyncio.to_thread(self._call, method, path, body)


def _jpeg(frame: BgrImage) -> bytes:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 82])
    if not ok:
        raise RuntimeError("cannot encode a demo frame")
    return bytes(buf)


async def drive(
    base: str,
    token: str,
    class_id: int,
    *,
    questions: int | None = None,
    pace: float = 25.0,
    pause: float = 4.0,
    fps: float = 8.0,
    seed: int = 7,
    say: Callable[[str], None] = print,
) -> None:
    """Run the demo class: sessions of the demo set, question after question, through the real
    API and ``/ws/scan``. ``questions`` bounds the run (None: until cancelled); ``pace`` is each
    question's answering window in seconds."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    teacher = _Teacher(base, token)
    rng = np.random.default_rng(seed)
    deck = Deck()
    students = await teacher("GET", f"/classes/{class_id}/students")
    groups = await teacher("GET", f"/classes/{class_id}/groups")
    library = {q["id"]: q for q in await teacher("GET", "/questions")}
    sets = await teacher("GET", "/sets")
    order = [q for q in (sets[0]["questions"] if sets else library) if q in library]
    seats = seats_for([s["card"] for s in students if s["card"] is not None], rng)
    ws_base = base.replace("http", "ws", 1)
    for left in await teacher("GET", "/sessions/running"):
        if left["class_id"] == class_id:  # the demo's own, left by a run that was stopped
            await teacher("POST", f"/sessions/{left['id']}/end")
            say(f"demo camera: ended session {left['id']}, left running by an earlier demo")
    asked = 0
    while questions is None or asked < questions:
        created = await teacher(
            "POST", "/sessions", {"class_id": class_id, "set_id": sets[0]["id"] if sets else None}
        )
        sid = created["id"]
        say(f"demo camera: session {sid} started")
        url = f"{ws_base}/ws/scan?session={sid}&token={token}&name=demo-camera"
        ssl_context = teacher.context
        try:
            async with connect(url, max_size=2**20, ssl=ssl_context) as ws:
                for qid in order:
                    if questions is not None and asked >= questions:
                        break
                    await teacher("POST", f"/sessions/{sid}/ask", {"question_id": qid})
                    question = library[qid]
                    say(f"demo camera: asked {question['prompt']!r}")
                    plan = plan_question(rng, question, students, groups, pace=pace)
                    await _scan(ws, deck, seats, plan, pace=pace, fps=fps, rng=rng)
                    state = await teacher("POST", f"/sessions/{sid}/close")
                    q = state["question"]
                    say(f"demo camera: closed, {q['answered']}/{q['total']} answered")
                    await asyncio.sleep(pause / 2)
                    await teacher("POST", f"/sessions/{sid}/reveal")
                    await asyncio.sleep(pause)
                    asked += 1
            await teacher("POST", f"/sessions/{sid}/end")
            say(f"demo camera: session {sid} ended")
        except (ConnectionClosed, urllib.error.HTTPError) as exc:
            if not _ended_elsewhere(exc):
                raise
            # the teacher ended the demo's session on the console: the demo goes on
            say(f"demo camera: session {sid} was ended on the console; a new one in {pause:g} s")
            await asyncio.sleep(pause)


def _ended_elsewhere(exc: Exception) -> bool:
    """Whether ``exc`` says the session was ended (or interrupted) by someone else: the scanner
    socket's close code 4409 / 4423, or the API's 409."""
    code = getattr(getattr(exc, "rcvd", None), "code", None)
    return (
        code in (CLOSE_SESSION_ENDED, CLOSE_SESSION_INTERRUPTED) or getattr(exc, "code", 0) == 409
    )


async def _scan(
    ws: Any,
    deck: Deck,
    seats: Sequence[Seat],
    plan: Sequence[Answer],
    *,
    pace: float,
    fps: float,
    rng: np.random.Generator,
) -> None:
    """Stream frames for ``pace`` seconds, one in flight, at most ``fps`` a second."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    noise = np.random.default_rng(int(rng.integers(1 << 30)))
    while (t := loop.time() - start) < pace:
        shown = {a.card: s for a in plan if (s := a.shown(t)) is not None}
        frame = await asyncio.to_thread(render_room, deck, seats, shown, t, noise=noise)
        await ws.send(await asyncio.to_thread(_jpeg, frame))
        reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=15))
        if reply.get("type") == "error":
            log.warning("demo camera: %s", reply.get("message"))
        spent = loop.time() - start - t
        await asyncio.sleep(max(0.0, 1 / fps - spent))


def run_demo(
    app: Any,
    settings: Any,
    *,
    class_id: int,
    camera: bool = True,
    questions: int | None = None,
    pace: float = 25.0,
    open_browser: bool = False,
    ssl_options: dict[str, Any] | None = None,
) -> int:
    """Serve ``app`` and, once it is up, run the demo camera against it (and open the teacher
    console and the projector in a browser). With ``questions`` the run ends after that many
    questions, server included; otherwise it runs until Ctrl+C. Returns the exit status."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ws_per_message_deflate=False,
        ws_max_size=settings.max_frame_bytes,
        **(ssl_options or {}),
    )
    server = uvicorn.Server(config)
    status = 0

    async def main() -> None:
        nonlocal status
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                await serving
                status = 1
                return
            await asyncio.sleep(0.05)
        if open_browser:
            import webbrowser

            urls = app.state.urls
            for url in (urls.owner(), urls.class_projector(class_id)):
                webbrowser.open(url)
        if not camera:
            await serving
            return
        cam = asyncio.create_task(
            drive(
                settings.base_url,
                app.state.tokens.teacher,
                class_id,
                questions=questions,
                pace=pace,
            )
        )
        done, _ = await asyncio.wait({serving, cam}, return_when=asyncio.FIRST_COMPLETED)
        if cam in done:
            if cam.exception() is not None:
                print(f"the demo camera stopped: {cam.exception()!r}", flush=True)
                status = 1
            if questions is not None:
                server.should_exit = True
            await serving
        else:
            cam.cancel()
            await asyncio.gather(cam, return_exceptions=True)

    asyncio.run(main())
    return status
