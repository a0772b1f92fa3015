"""Check-ins: the teacher goes to a group, then logs a note, the goal agreed and the next step.

Each command is one store transaction that writes the ``checkins`` row and appends its event to
the session's log; run it through ``Sessions.commit`` so the event is published and the rule
engine resolves the group's open flags and resets its timer. The goal agreed becomes the
group's goal (the store keeps the history of goals).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from live.errors import Conflict, NotFound
from live.events import CheckinEnded, CheckinStarted, Event
from live.store import Store
from live.store.tables import checkins, groups

__all__ = ["end_checkin", "get_checkin", "start_checkin"]


def get_checkin(store: Store, checkin_id: int, *, session_id: int | None = None) -> dict[str, Any]:
    c = checkins.c
    row = store._one(
        select(
            c.id,
            c.class_id,
            c.group_id,
            c.session_id,
            c.started_at,
            c.ended_at,
            c.note,
            c.goal,
            c.next_step,
        ).where(c.id == checkin_id)
    )
    if row is None or (session_id is not None and row["session_id"] != session_id):
        where = f" in session {session_id}" if session_id is not None else ""
        raise NotFound(f"no check-in {checkin_id}{where}")
    return row


def start_checkin(store: Store, session_id: int, group_id: int, *, now: float) -> list[Event]:
    """Start a check-in with ``group_id`` in a running session: ``[checkin.started]``.

    ``NotFound`` for a session or group that is not there (or not of the session's class),
    ``Conflict`` when the session has ended or a check-in with the group is still open.
    """
    c, g = checkins.c, groups.c
    with store.transaction() as db:
        session = store.lock_session(db, session_id)
        if session is None:
            raise NotFound(f"no session {session_id}")
        if session["ended_at"] is not None:
            raise Conflict(f"session {session_id} has ended", code="session_ended")
        group = db.execute(
            select(g.id).where(
                g.id == group_id, g.class_id == session["class_id"], g.archived_at.is_(None)
            )
        ).scalar()
        if group is None:
            raise NotFound(f"no group {group_id} in this session's class")
        running = db.execute(
            select(c.id).where(
                c.group_id == group_id, c.session_id == session_id, c.ended_at.is_(None)
            )
        ).scalar()
        if running is not None:
            raise Conflict(
                f"check-in {running} with this group is still open; end it first",
                code="checkin_open",
            )
        checkin = db.execute(
            insert(checkins)
            .values(
                class_id=session["class_id"],
                group_id=group_id,
                session_id=session_id,
                started_at=now,
            )
            .returning(c.id)
        ).scalar_one()
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
    c = checkins.c
    with store.transaction() as db:
        store.lock_session(db, session_id)
        done = db.execute(
            update(checkins)
            .where(c.id == checkin_id, c.ended_at.is_(None))
            .values(ended_at=max(now, row["started_at"]), note=note, goal=goal, next_step=next_step)
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
