"""What each role may see of a live event, pure: the event-side twin of ``session.snapshot``.

``snapshot(data, role)`` cuts the projector's view of the *state*; ``for_role`` cuts the
projector's view of each *event* after it, by the same rules: never flags or check-ins, never who
was right or wrong, names (first names) only while the teacher shows them, and the chart only
after reveal. The teacher sees every event as committed.

Messages are the ``/ws/live`` wire shape, ``{"type", "seq", "session", "at", "data"}``. An event
the projector may not see still takes its place in the seq: the projector gets
``{"type": "event.withheld", "seq": n, "session": s}`` with nothing else (no type, no time, no
data), so its seq rises by one like the teacher's and a gap always means a lost message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from live.events import Event
from live.session import Role

__all__ = ["PROJECTOR_EVENTS", "PROJECTOR_REFRESH", "WITHHELD", "for_role"]

Message = dict[str, Any]

PROJECTOR_EVENTS = frozenset(
    {
        "session.started",
        "question.asked",
        "response.recorded",
        "question.closed",
        "question.revealed",
        "session.ended",
        "session.interrupted",
        "session.resumed",
        "display.changed",
        "scanner.connected",
        "scanner.disconnected",
    }
)
"""Event types the projector receives (in its own form); any other type, including types added
later, is withheld until someone decides the projector may see it."""

PROJECTOR_REFRESH = frozenset({"question.asked", "question.revealed", "display.changed"})
"""After these, the projector also gets a fresh ``snapshot``: they change what the projector shows
in ways the event alone does not carry (the prompt, the chart's counts, the names)."""


WITHHELD = "event.withheld"


def for_role(event: Event, role: Role, names: Mapping[int, str] | None = None) -> Message:
    """``event`` as ``role`` may see it; a bare ``event.withheld`` in its place when that role
    must not see it at all.

    ``names`` maps student id -> first name, and is given only while the teacher shows names on
    the projector; without it the projector sees card numbers only.
    """
    message = event.to_dict()
    if role == "teacher":
        return message
    if event.type not in PROJECTOR_EVENTS:
        return {"type": WITHHELD, "seq": event.seq, "session": event.session}
    if event.type == "response.recorded":
        data = message["data"]
        # who answered, never what or whether it was right: the chart comes after reveal
        message["data"] = {
            "asked_id": data["asked_id"],
            "card": data["card"],
            "name": None if names is None else names.get(data["student"]),
            "changed": data["changed_from"] is not None,
        }
    return message
