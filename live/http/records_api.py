"""The conferring record: a page per student (teacher only, printable one page each), every
student's of a class at once for a folder, and the class's small-group time over the term.
Registered on import. Nothing here reaches the projector: every endpoint needs the teacher
token, and none of it is an event on the live feed.

The record brings together where the student stands on each progression
(``live.rules.standing``), the group's goal, dated notes from check-ins with their group and
from the teacher's placements, and the small-group time (``live.reports.record``).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from starlette.responses import HTMLResponse

from live.http.api import Call, endpoint
from live.http.params import Day, Param, Zone
from live.http.reports_api import parse_tz
from live.reports.record import render_records, small_group_time
from live.rules.standing import step_label, student_standing
from live.store import Store

__all__ = ["TERM_WEEKS"]

TERM_WEEKS = 12
"""Without ``from``, the term is the last twelve weeks."""

_QUERY: dict[str, Param] = {
    "from": Day(f"the term's first day, YYYY-MM-DD (default: {TERM_WEEKS} weeks ago)"),
    "tz": Zone("IANA time zone for dates (default: the server's)"),
}


def _term(call: Call) -> tuple[float, float, str, Any]:
    tz = parse_tz(call.query("tz"))
    until = time.time()
    day = call.query("from")
    if day is None:
        since = until - TERM_WEEKS * 7 * 86400
        return since, until, f"over the last {TERM_WEEKS} weeks", tz
    since = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
    return since, until, f"since {day.strftime('%d %b %Y')}", tz


def _time(store: Store, class_id: int, since: float, until: float) -> dict[str, Any]:
    return small_group_time(
        store.checkins(class_id=class_id),
        store.membership_history(class_id),
        since=since,
        until=until,
    )


def _records(
    store: Store, class_id: int, student_ids: list[int], since: float, until: float
) -> list[dict[str, Any]]:
    cls = store.get_class(class_id)
    groups = {g["id"]: g for g in store.list_groups(class_id, include_archived=True)}
    names = {g: row["name"] for g, row in groups.items()}
    time_by = _time(store, class_id, since, until)["students"]
    stays = store.membership_history(class_id)
    checkins = store.checkins(class_id=class_id)
    goals = store.goal_steps_of_class(class_id)
    out = []
    for sid in student_ids:
        student = store.get_student(sid, class_id=class_id)
        group = groups.get(student["group_id"]) if student["group_id"] else None
        standing = student_standing(store, class_id, sid)
        notes = []
        mine = [s for s in stays if s["student_id"] == sid]
        for c in checkins:
            member = any(
                s["group_id"] == c["group_id"]
                and s["joined_at"] <= c["started_at"]
                and (s["left_at"] is None or s["left_at"] >= c["started_at"])
                for s in mine
            )
            text = " ".join(
                part if part[-1] in ".!?" else part + "."
                for part in (
                    c["note"],
                    f"Goal agreed: {c['goal']}" if c["goal"] else "",
                    f"Next step: {c['next_step']}" if c["next_step"] else "",
                )
                if part
            )
            if member and text:
                notes.append(
                    {
                        "at": c["started_at"],
                        "what": f"check-in with {names.get(c['group_id'], 'a group')}",
                        "text": text,
                    }
                )
        progressions = {p["progression"]["id"]: p["progression"] for p in standing}
        for w in store.placements(student_id=sid):
            progression = progressions.get(w["progression_id"])
            if progression is None:
                continue
            position = next(
                (s["position"] for s in progression["steps"] if s["id"] == w["step_id"]), 0
            )
            notes.append(
                {
                    "at": w["at"],
                    "what": f"{w['kind']}: {step_label(progression, position)}",
                    "text": w["note"],
                }
            )
        notes.sort(key=lambda n: n["at"])
        goal = goals.get(group["id"]) if group else None
        out.append(
            {
                "student": student,
                "class_name": cls["name"],
                "group": group,
                "goal": group["goal"] if group else "",
                "goal_step_id": goal["step_id"] if goal else None,
                "progressions": standing,
                "time": time_by.get(sid, {"minutes": 0, "checkins": 0}),
                "notes": notes,
            }
        )
    return out


@endpoint(
    "GET",
    "/classes/{class_id}/students/{student_id}/record",
    "A student's conferring record: progressions with the current step and path, goal, dated"
    " notes, prompts for the next step, small-group time; printable as one page",
    query=_QUERY,
    produces=("text/html",),
)
async def student_record(call: Call) -> Any:
    class_id, student_id = call.params["class_id"], call.params["student_id"]
    await call.db.get_student(student_id, class_id=class_id)
    since, until, term, tz = _term(call)
    records = await call.db.run(_records, call.store, class_id, [student_id], since, until)
    return HTMLResponse(render_records(records, tz=tz, term=term))


@endpoint(
    "GET",
    "/classes/{class_id}/records",
    "Every active student's conferring record, one printed page each (for a folder)",
    query=_QUERY,
    produces=("text/html",),
)
async def class_records(call: Call) -> Any:
    class_id = call.params["class_id"]
    students = await call.db.list_students(class_id)
    since, until, term, tz = _term(call)
    ids = [s["id"] for s in students]
    records = await call.db.run(_records, call.store, class_id, ids, since, until)
    if not records:
        return HTMLResponse(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Conferring"
            " records</title></head><body><main><p>This class has no students.</p></main></body></html>"
        )
    return HTMLResponse(render_records(records, tz=tz, term=term))


@endpoint(
    "GET",
    "/classes/{class_id}/small-group-time",
    "Small-group (check-in) minutes per student and per group over the term",
    query=_QUERY,
)
async def class_small_group_time(call: Call) -> Any:
    class_id = call.params["class_id"]
    students = await call.db.list_students(class_id)
    groups = await call.db.list_groups(class_id, include_archived=True)
    since, until, term, _ = _term(call)
    got = await call.db.run(_time, call.store, class_id, since, until)
    zero = {"minutes": 0, "checkins": 0}
    return {
        "since": since,
        "until": until,
        "term": term,
        "students": [
            {
                "id": s["id"],
                "name": s["name"],
                "card": s["card"],
                "group_id": s["group_id"],
                **got["students"].get(s["id"], zero),
            }
            for s in students
        ],
        "groups": [
            {
                "id": g["id"],
                "name": g["name"],
                "archived": g["archived"],
                **got["groups"].get(g["id"], zero),
            }
            for g in groups
        ],
    }
