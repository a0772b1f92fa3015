"""HTTP endpoints of the rule engine: flags, check-ins, class rules and grouping suggestions.

Registered with ``live.http.api.endpoint`` when this module is imported (``live.http.app`` does), so they
appear in the routes and the OpenAPI document like the rest. All of them need the teacher token.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from live.errors import BadRequest, Conflict
from live.http import bodies
from live.http.api import Call, endpoint, now, referred
from live.http.params import Flag, Id, Int, Param, Text
from live.rules.flags import RuleEngine
from live.rules.grouping import Answer, suggest
from live.rules.rules import RulesError, load_rules
from live.store.checkins import end_checkin, get_checkin, start_checkin

__all__ = ["GROUPING_QUERY"]

GROUPING_QUERY: dict[str, Param] = {
    "skills": Text(
        "comma-separated skill tags (at least one)",
        required=True,
        max_len=2000,
        pattern=r"[^,\x00-\x20]",
        hint="needs at least one skill tag: ?skills=tag1,tag2",
    ),
    "size": Int("students per group, 2-12 (default 4)", minimum=2, maximum=12),
    "sessions": Int("only the class's last N sessions (default all)", minimum=1),
}


def _engine(call: Call) -> RuleEngine:
    engine: RuleEngine = call.request.app.state.engine
    return engine


# -- flags -------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/sessions/{session_id}/flags",
    "The session's flags, oldest first",
    query={"open": Flag("1 for the open flags only")},
)
async def session_flags(call: Call) -> Any:
    await call.db.get_session(call.params["session_id"])
    return await call.db.flags(
        session_id=call.params["session_id"], open_only=bool(call.query("open"))
    )


@endpoint("GET", "/classes/{class_id}/flags", "Every flag raised in the class's sessions")
async def class_flags(call: Call) -> Any:
    await call.db.get_class(call.params["class_id"])
    return await call.db.flags(class_id=call.params["class_id"])


@endpoint(
    "POST",
    "/sessions/{session_id}/flags/{flag_id}/dismiss",
    "Dismiss an open flag (it stays quiet until its condition clears)",
)
async def dismiss_flag(call: Call) -> Any:
    sid, fid = call.params["session_id"], call.params["flag_id"]
    events = await call.sessions.commit(lambda t: _engine(call).dismiss(sid, fid, t))
    flag = next(f for f in await call.db.flags(session_id=sid) if f["id"] == fid)
    return {"flag": flag, "events": [e.to_dict() for e in events]}


# -- check-ins ---------------------------------------------------------------------------


@endpoint(
    "POST",
    "/sessions/{session_id}/checkins",
    "Start a check-in with a group (resolves its open flags, resets its timer)",
    body=bodies.CheckinStart,
    status=201,
)
async def create_checkin(call: Call) -> Any:
    sid = call.params["session_id"]
    group = call.body["group_id"]
    await call.db.get_session(sid)
    with referred():
        events = await call.sessions.commit(lambda t: start_checkin(call.store, sid, group, now=t))
    checkin = events[0].payload.checkin
    return {
        **await call.db.run(get_checkin, call.store, checkin),
        "events": [e.to_dict() for e in events],
    }


@endpoint(
    "POST",
    "/sessions/{session_id}/checkins/{checkin_id}/end",
    "End a check-in with a note, the goal agreed and the next step",
    body=bodies.CheckinEnd,
)
async def finish_checkin(call: Call) -> Any:
    sid, cid = call.params["session_id"], call.params["checkin_id"]
    b = call.body
    events = await call.sessions.commit(
        lambda t: end_checkin(
            call.store,
            sid,
            cid,
            note=b.get("note", ""),
            goal=b.get("goal", ""),
            next_step=b.get("next_step", ""),
            now=t,
        )
    )
    return {
        **await call.db.run(get_checkin, call.store, cid),
        "events": [e.to_dict() for e in events],
    }


@endpoint("GET", "/sessions/{session_id}/checkins", "The session's check-ins")
async def session_checkins(call: Call) -> Any:
    sid = call.params["session_id"]
    session = await call.db.get_session(sid)
    return [
        c for c in await call.db.checkins(class_id=session["class_id"]) if c["session_id"] == sid
    ]


@endpoint(
    "GET",
    "/classes/{class_id}/checkins",
    "The class's check-ins over time, with minutes per group",
    query={"group_id": Id("only this group's check-ins")},
)
async def class_checkins(call: Call) -> Any:
    class_id = call.params["class_id"]
    await call.db.get_class(class_id)
    group = call.query("group_id")
    if group is not None:
        await call.db.get_group(group, class_id=class_id)
    rows = await call.db.checkins(class_id=class_id, group_id=group)
    minutes: dict[int, float] = {}
    for r in rows:
        if r["ended_at"] is not None:
            minutes[r["group_id"]] = (
                minutes.get(r["group_id"], 0.0) + (r["ended_at"] - r["started_at"]) / 60
            )
    return {
        "checkins": rows,
        "minutes": [{"group_id": g, "minutes": round(m, 1)} for g, m in minutes.items()],
    }


# -- rules -------------------------------------------------------------------------------


def _rules_view(override: str | None) -> dict[str, Any]:
    rules = load_rules(None, override)
    return {"override": override, "rules": [asdict(r) for r in rules]}


@endpoint("GET", "/classes/{class_id}/rules", "The class's rules: the defaults and its override")
async def class_rules(call: Call) -> Any:
    override = (await call.db.get_class(call.params["class_id"]))["rules"]
    try:
        return _rules_view(override)
    except RulesError as exc:
        return {**_rules_view(None), "override": override, "override_error": str(exc)}


@endpoint(
    "PUT",
    "/classes/{class_id}/rules",
    "Set the class's rule override (TOML; checked before it is stored)",
    body=bodies.RulesBody,
)
async def set_class_rules(call: Call) -> Any:
    text = call.body["toml"]
    try:
        view = _rules_view(text or None)
    except RulesError as exc:
        raise BadRequest(str(exc), code="invalid_rules") from None
    await call.db.update_class(call.params["class_id"], rules=text, now=now())
    return view


# -- grouping suggestions ----------------------------------------------------------------


async def _answers(call: Call, class_id: int, sessions: int | None) -> list[Answer]:
    rows = await call.db.graded_answers(class_id, last_sessions=sessions)
    out = []
    for r in rows:
        choices = json.loads(r["choices"])
        index = "ABCD".index(r["answer"])
        out.append(
            Answer(
                r["student_id"],
                r["question_id"],
                tuple(json.loads(r["skills"])),
                r["answer"],
                r["correct"],
                choices[index] if index < len(choices) else "",
            )
        )
    return out


@endpoint(
    "GET",
    "/classes/{class_id}/grouping",
    "Suggest small groups by need on chosen skills, with the evidence per student",
    query=GROUPING_QUERY,
)
async def grouping(call: Call) -> Any:
    class_id = call.params["class_id"]
    students = await call.db.list_students(class_id)
    skills = [s.strip() for s in call.query("skills").split(",") if s.strip()]
    size = call.query("size") or 4
    sessions = call.query("sessions")
    answers = await _answers(call, class_id, sessions)
    result = suggest(students, answers, skills, size=size)
    result["current"] = await call.db.list_groups(class_id)
    return result


@endpoint(
    "POST",
    "/classes/{class_id}/grouping/accept",
    "Accept (edited) suggestions: create or update the groups; history is kept",
    body=bodies.Grouping,
)
async def accept_grouping(call: Call) -> Any:
    class_id = call.params["class_id"]
    groups = call.body["groups"]
    existing = {g["id"]: g for g in await call.db.list_groups(class_id)}
    by_name = {g["name"]: g["id"] for g in existing.values()}
    active = {s["id"] for s in await call.db.list_students(class_id)}
    seen: set[int] = set()
    names: set[str] = set()
    for g in groups:  # a name or a student twice conflicts, and so does an id naming nothing
        if g["name"] in names:
            raise Conflict(f"two groups are called {g['name']!r}")
        names.add(g["name"])
        if "id" in g and g["id"] not in existing:
            raise Conflict(f"no group {g['id']} in class {class_id}", code="unknown_id")
        for sid in g["students"]:
            if sid not in active:
                raise Conflict(f"no active student {sid} in class {class_id}", code="unknown_id")
            if sid in seen:
                raise Conflict(f"student {sid} is in two groups")
            seen.add(sid)
    t = now()
    kept: list[int] = []
    for g in groups:
        target = g.get("id") or by_name.get(g["name"])
        fields = {k: g[k] for k in ("skill", "goal") if k in g}
        if target is None:
            row = await call.db.create_group(
                class_id,
                g["name"],
                students=g["students"],
                goal=fields.get("goal", ""),
                skill=fields.get("skill") or None,
                now=t,
            )
        else:
            row = await call.db.update_group(
                target, class_id=class_id, name=g["name"], students=g["students"], now=t, **fields
            )
        kept.append(row["id"])
    if call.body.get("archive_others"):
        for gid in existing:
            if gid not in kept:
                await call.db.archive_group(gid, class_id=class_id, now=t)
    return await call.db.list_groups(class_id)
