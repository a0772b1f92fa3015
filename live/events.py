"""Live events: frozen dataclasses with a wire name, and the one JSON envelope.

An event is a fact in the past tense. ``Event`` is the envelope (session, seq, time) around one
payload dataclass; ``encode`` and ``decode`` are the only functions in the service that turn
events into JSON and back, and ``decode`` rejects unknown types loudly.

Wire shape: ``{"type": "response.recorded", "seq": 12, "session": 3, "at": 1700000000.0,
"data": {...}}``. Payloads carry ids and card numbers, never student names.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "PAYLOADS",
    "CheckinEnded",
    "CheckinStarted",
    "DisplayChanged",
    "Event",
    "FlagRaised",
    "FlagResolved",
    "FlagUpdated",
    "Payload",
    "QuestionAsked",
    "QuestionClosed",
    "QuestionRevealed",
    "ResponseRecorded",
    "ScannerConnected",
    "ScannerDisconnected",
    "ScannerMatched",
    "ScannerMismatched",
    "SessionEnded",
    "SessionInterrupted",
    "SessionResumed",
    "SessionStarted",
    "decode",
    "encode",
    "payload_from_dict",
]


@dataclass(frozen=True)
class Payload:
    """Base of every event payload; subclasses set ``type``, their wire name."""

    type: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SessionStarted(Payload):
    type: ClassVar[str] = "session.started"
    class_id: int


@dataclass(frozen=True)
class QuestionAsked(Payload):
    type: ClassVar[str] = "question.asked"
    asked_id: int
    question_id: int
    number: int


@dataclass(frozen=True)
class ResponseRecorded(Payload):
    type: ClassVar[str] = "response.recorded"
    asked_id: int
    student: int
    card: int | None
    answer: str
    correct: bool | None
    changed_from: str | None
    source: str  # "scan" | "manual"
    late: bool = False  # a manual answer entered after the reveal


@dataclass(frozen=True)
class QuestionClosed(Payload):
    type: ClassVar[str] = "question.closed"
    asked_id: int


@dataclass(frozen=True)
class QuestionRevealed(Payload):
    type: ClassVar[str] = "question.revealed"
    asked_id: int
    correct: str | None


@dataclass(frozen=True)
class SessionEnded(Payload):
    type: ClassVar[str] = "session.ended"
    reason: str = "teacher"  # "teacher" | "idle" (nothing happened for settings.session_idle_s)


@dataclass(frozen=True)
class SessionInterrupted(Payload):
    """The server stopped while the session ran: it takes nothing until resumed or ended."""

    type: ClassVar[str] = "session.interrupted"


@dataclass(frozen=True)
class SessionResumed(Payload):
    type: ClassVar[str] = "session.resumed"


@dataclass(frozen=True)
class DisplayChanged(Payload):
    """The teacher changed what the projector shows (names shown or hidden)."""

    type: ClassVar[str] = "display.changed"
    show_names: bool


@dataclass(frozen=True)
class ScannerConnected(Payload):
    type: ClassVar[str] = "scanner.connected"
    scanner: str


@dataclass(frozen=True)
class ScannerDisconnected(Payload):
    type: ClassVar[str] = "scanner.disconnected"
    scanner: str
    frames: int = 0
    dropped: int = 0


@dataclass(frozen=True)
class ScannerMismatched(Payload):
    """Most cards this scanner reads belong to no student of the session's class."""

    type: ClassVar[str] = "scanner.mismatched"
    scanner: str
    foreign: int  # cards read lately that no student of the class holds
    seen: int  # cards read lately


@dataclass(frozen=True)
class ScannerMatched(Payload):
    """The scanner reads the class's own cards again (or it left)."""

    type: ClassVar[str] = "scanner.matched"
    scanner: str


@dataclass(frozen=True)
class FlagRaised(Payload):
    type: ClassVar[str] = "flag.raised"
    flag: int
    rule: str
    scope: str  # "group" | "student"
    group: int | None
    student: int | None
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    action: str = "check-in"  # "check-in" | "acknowledge" (a note that the group is doing well)


@dataclass(frozen=True)
class FlagUpdated(Payload):
    type: ClassVar[str] = "flag.updated"
    flag: int
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FlagResolved(Payload):
    type: ClassVar[str] = "flag.resolved"
    flag: int
    reason: str  # "cleared" | "fixed" | "superseded" | "checkin" | "dismissed" | "session.ended"


@dataclass(frozen=True)
class CheckinStarted(Payload):
    type: ClassVar[str] = "checkin.started"
    checkin: int
    group: int


@dataclass(frozen=True)
class CheckinEnded(Payload):
    type: ClassVar[str] = "checkin.ended"
    checkin: int
    group: int
    note: str = ""
    goal: str = ""
    next_step: str = ""


PAYLOADS: dict[str, type[Payload]] = {
    cls.type: cls
    for cls in (
        SessionStarted,
        QuestionAsked,
        ResponseRecorded,
        QuestionClosed,
        QuestionRevealed,
        SessionEnded,
        SessionInterrupted,
        SessionResumed,
        DisplayChanged,
        ScannerConnected,
        ScannerDisconnected,
        ScannerMismatched,
        ScannerMatched,
        FlagRaised,
        FlagUpdated,
        FlagResolved,
        CheckinStarted,
        CheckinEnded,
    )
}


@dataclass(frozen=True)
class Event:
    """One committed event: ``seq`` rises by one per session, assigned by the store."""

    session: int
    seq: int
    at: float
    payload: Payload

    @property
    def type(self) -> str:
        return self.payload.type

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.payload.type,
            "seq": self.seq,
            "session": self.session,
            "at": self.at,
            "data": self.payload.to_dict(),
        }


def payload_from_dict(type_: str, data: dict[str, Any]) -> Payload:
    """Build the payload named ``type_``; ``ValueError`` for an unknown type or wrong fields."""
    cls = PAYLOADS.get(type_)
    if cls is None:
        raise ValueError(f"unknown event type {type_!r}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise ValueError(f"bad data for {type_}: {exc}") from None


def encode(event: Event) -> str:
    """The event's JSON text, as sent to dashboards and put on the bus."""
    return json.dumps(event.to_dict(), separators=(",", ":"))


def decode(text: str | bytes) -> Event:
    """Parse ``encode``'s output; ``ValueError`` for anything else."""
    try:
        raw = json.loads(text)
        payload = payload_from_dict(raw["type"], raw["data"])
        return Event(
            session=int(raw["session"]), seq=int(raw["seq"]), at=float(raw["at"]), payload=payload
        )
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not an event: {exc}") from None
