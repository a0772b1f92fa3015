"""The flow of one camera frame, top to bottom: detect -> track -> record -> store -> publish -> rules.

Read ``process_frame`` first: it is the whole path from a phone's JPEG to every dashboard.
``Scan`` is one scanner connection's state (its tracker, the question its evidence belongs to);
``live.realtime.scan`` is the WebSocket around it (newest frame wins, errors, close codes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any

from live.errors import Conflict, NotFound
from live.realtime.sessions import Sessions
from scanner import (
    Confirmation,
    Detection,
    Detector,
    Sighting,
    Tracker,
    TrackUpdate,
    decode_image,
    image_size,
)

__all__ = ["CARD_STATES", "Context", "Overlay", "Scan", "frame_cards", "process_frame"]

CARD_STATES = ("new", "confirmed", "changed", "unassigned")
"""A card's ``state`` in ``scan.frame``. ``new``: seen, its answer not confirmed yet;
``confirmed``: this frame agrees with the confirmed answer (recorded while a question is open);
``changed``: this frame reads another answer than the confirmed one, not confirmed yet;
``unassigned``: no student of this session's class holds the card, so nothing is recorded."""


async def process_frame(scan: Scan, data: bytes, now: float) -> Overlay:
    """One encoded frame through the whole flow; returns what the phone's overlay draws.

    Raises ``scanner.ImageError`` for bytes that are not a (safe) image, and ``Conflict`` with
    code ``session_ended`` once the session has ended (``session_interrupted`` while it is
    interrupted).
    """
    hints = scan.tracker.hints(now)  # where cards were just seen: the detector looks closer
    loop = asyncio.get_running_loop()  # detect, in the decoding threads, off the loop
    sighting = await loop.run_in_executor(scan.executor, scan.look, data, hints)
    context = await scan.context()  # the session now: open question (a new one resets the tracker)
    update = scan.tracker.update(sighting.cards, now)  # track: confirmed reads and changes
    for confirmation in update.confirmations:
        # record -> store -> publish -> rules: Sessions.record commits the response and its
        # event, publishes it on the bus, then runs the rule engine's hooks
        await scan.record(confirmation, context)
    return Overlay(frame_cards(update, context), _corners_list(sighting.unreadable))


@dataclass(frozen=True)
class Overlay:
    """What the phone draws for a frame: the ``cards`` of ``scan.frame`` (``frame_cards``),
    and the corners of cards seen but not read (``unreadable``: covered, turned, smeared)."""

    cards: list[dict[str, Any]]
    unreadable: list[list[list[float]]]


def _corners_list(quads: Sequence[Any]) -> list[list[list[float]]]:
    return [[[round(float(x), 1), round(float(y), 1)] for x, y in q] for q in quads]


@dataclass(frozen=True)
class Context:
    """What a frame is read against: the open question, and card -> student of the class."""

    question: int | None  # the asked id open for answers, or None
    status: str | None  # "open", "closed", "revealed", or None before the first question
    students: dict[int, dict[str, Any]]  # card -> {"id", "name"}


@dataclass
class Scan:
    """One scanner connection: its tracker and the session it records into."""

    sessions: Sessions
    detector: Detector
    session_id: int
    max_bytes: int
    max_pixels: int
    detect_pixels: int | None = None  # bigger frames are decoded smaller, to fit
    executor: Executor | None = None  # the decoding threads (None: asyncio's default pool)
    tracker: Tracker = field(default_factory=Tracker)
    question: int | None = None  # the open question the tracker's evidence belongs to
    status: str | None = None  # the current question's status, as of the last frame
    class_name: str = ""  # the session's class, as of the last frame

    def detect(
        self, data: bytes, hints: Sequence[tuple[float, float, float]] = ()
    ) -> list[Detection]:
        """The cards of ``look``."""
        return self.look(data, hints).cards

    def look(self, data: bytes, hints: Sequence[tuple[float, float, float]] = ()) -> Sighting:
        """Decode at the size the detector needs, and detect (runs in a worker thread).

        A frame over ``detect_pixels`` is decoded at a half (a quarter...) of its size: a 4K
        frame already shows a card across a hall at the detector's 8-pixel minimum, and a
        16-megapixel one at full size costs four times the memory and time for nothing. Hints
        go in, and corners come out, in the frame's own pixels, whatever size it was decoded at.
        """
        frame = decode_image(
            data,
            max_bytes=self.max_bytes,
            max_pixels=self.max_pixels,
            max_decode_pixels=self.detect_pixels,
        )
        scale = max(image_size(data)) / max(frame.shape)  # 1, 2, 4 or 8 (EXIF may turn it)
        if scale == 1:
            return self.detector.inspect(frame, hints=hints)
        small = [(x / scale, y / scale, side / scale) for x, y, side in hints]
        found = self.detector.inspect(frame, hints=small)
        return Sighting(
            [replace(d, corners=d.corners * scale) for d in found.cards],
            [q * scale for q in found.unreadable],
        )

    async def context(self) -> Context:
        """Read the session; a question opened (asked, or re-opened) since the last frame
        resets the tracker, so an answer held up to the previous question is not carried over.
        """
        try:
            row, students = await self.sessions.calls.run(
                self.sessions.store.scan_context, self.session_id
            )
        except NotFound:
            row, students = None, []
        if row is None or row["ended_at"] is not None:
            raise Conflict(f"session {self.session_id} has ended", code="session_ended")
        if row["interrupted_at"] is not None:
            raise Conflict(
                f"session {self.session_id} was interrupted; resume it on the console",
                code="session_interrupted",
            )
        self.class_name = row["class_name"]
        status = None
        if row["asked"] is not None:
            status = "revealed" if row["revealed_at"] else "closed" if row["closed_at"] else "open"
        self.status = status
        question = row["asked"] if status == "open" else None
        if question != self.question:
            self.tracker.reset()
            self.question = question
        return Context(
            question, status, {s["card"]: {"id": s["id"], "name": s["name"]} for s in students}
        )

    async def record(self, confirmation: Confirmation, context: Context) -> bool:
        """Record a confirmed read as the student's answer; False when it cannot count
        (a card no student holds, no open question)."""
        student = context.students.get(confirmation.card)
        if student is None or context.question is None:
            return False
        try:
            await self.sessions.record(
                self.session_id,
                student["id"],
                confirmation.answer,
                source="scan",
                card=confirmation.card,
            )
        except Conflict as exc:
            if exc.code in ("session_ended", "session_interrupted"):
                raise
            return False  # closed between the read and the record: the teacher was first
        return True


def frame_cards(update: TrackUpdate, context: Context) -> list[dict[str, Any]]:
    """The ``cards`` of a ``scan.frame`` message (pure)."""
    cards = []
    for card in update.cards:
        student = context.students.get(card.card)
        cards.append(
            {
                "card": card.card,
                "answer": card.answer,
                "corners": [[round(float(x), 1), round(float(y), 1)] for x, y in card.corners],
                "student": student,
                "state": card.state if student is not None else "unassigned",
            }
        )
    return cards
