"""Check-ins: the teacher goes to a group, then logs a note, the goal agreed and the next step.

Each command is one store transaction that writes the ``checkins`` row and appends its event to
the session's log; run it through ``Sessions.commit`` so the event is published and the rule
engine resolves the group's open flags and resets its timer. The goal agreed becomes the
group's goal (the store keeps the history of goals).
"""

from __future__ import annotations

from typing import Any

from live.errors import Conflict, NotFound
from live.events import CheckinEnded, CheckinStarted, Event
from live.store import Store

__all__ = ["end_checkin", "get_checkin", "start_checkin"]


def get_checkin(store: Store, checkin_id: int, *, session_id: int | None = None) -> dict[str, Any]:
    rows = store.query(
        "SELECT id, class_id, group_id, session_id, started_at, ended_at, note, goal, next_step"
        " FROM checkins WHERE id = ?",
        (checkin_id,),
    )
    if not rows or (session_id is not None and rows[0]["session_id"] != session_id):
        where = f" in session {session_id}" if session_id is not None else ""
        raise NotFound(f"no check-in {checkin_id}{where}")
    return rows[0]


def start_checkin(store: Store, session_id: int, group_id: int, *, now: float) -> list[Event]:
    """Start a check-in with ``group_id`` in a running session: ``[checkin.started]``.

    ``NotFound`` for a session or group that is not there (or not of the session's class),
    ``Conflict`` when the session has ended or a check-in with the group is still open.
    """
    with store.transaction() as db:
        session = db.execute(
            "SELECT class_id, ended_at FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if session is None:
            raise NotFound(f"no session {session_id}")
        if session["ended_at"] is not None:
            raise Conflict(f"session {session_id} has ended", code="session_ended")
        group = db.execute(
            "SELECT id FROM groups WHERE id = ? AND class_id = ? AND archived_at IS NULL",
            (group_id, session["class_id"]),
        ).fetchone()
        if group is None:
            raise NotFound(f"no group {group_id} in this session's class")
        running = db.execute(
            "SELECT id FROM checkins WHERE group_id = ? AND session_id = ? AND ended_at IS NULL",
            (group_id, session_id),
        ).fetchone()
        if running is not None:
            raise Conflict(
                f"check-in {running['id']} with this group is still open; end it first",
                code="checkin_open",
            )
        cur = db.execute(
            "INSERT INTO checkins(class_id, group_id, session_id, started_at) VALUES (?, ?, ?, ?)",
            (session["class_id"], group_id, session_id, now),
        )
        checkin = int(cur.lastrowid or 0)
        return [store.append(db, session_id, CheckinStarted(checkin, group_id), now)]


def end_checkin(
    store: Store,
    session_id: int,
    checkin_id: int,
    *,
    note: str = "",
    goal: str = "",
    next_step: str = "",
    now: float,
) -> list[Event]:
    """End an open check-in with its note, goal agreed and next step: ``[checkin.ended]``.

    Works after the session has ended too (the teacher writes the note up later). A goal that
    differs from the group's becomes its new goal. ``NotFound``; ``Conflict`` when already ended.
    """
    row = get_checkin(store, checkin_id, session_id=session_id)
    with store.transaction() as db:
        done = db.execute(
            "UPDATE checkins SET ended_at = ?, note = ?, goal = ?, next_step = ?"
            " WHERE id = ? AND ended_at IS NULL",
            (max(now, row["started_at"]), note, goal, next_step, checkin_id),
        )
        if done.rowcount == 0:
            raise Conflict(f"check-in {checkin_id} has already ended", code="checkin_ended")
        events = [
            store.append(
                db,
                session_id,
                CheckinEnded(
                    checkin_id, row["group_id"], note=note, goal=goal, next_step=next_step
                ),
                now,
            )
        ]
    if goal:
        group = store.get_group(row["group_id"])
        if not group["archived"] and group["goal"] != goal:
            store.update_group(row["group_id"], goal=goal, now=now)
    return events
