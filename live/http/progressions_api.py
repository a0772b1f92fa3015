"""Skill progressions: the library of progressions (CRUD, TOML and CSV import and export, the
shipped examples) and where each student of a class stands on one (``live.rules.placement``),
with the teacher's placements. Registered on import, declared like the rest of ``live.http.api``. Teacher
token only: nothing here reaches the projector.

Progressions are shared by every class of the installation, like the question library: a
progression written for one class is there for the next.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from live.errors import BadRequest, Conflict
from live.http import bodies
from live.http.api import Call, endpoint, now, referred
from live.http.params import Choice, Flag, Int
from live.reports.progression_files import (
    ProgressionFile,
    example_progressions,
    progression_csv,
    progression_toml,
    read_progression,
)
from live.rules.standing import class_standing, step_groups

__all__ = ["FILE_TYPES"]

FILE_TYPES = {"toml": "application/toml", "csv": "text/csv; charset=utf-8"}
_FORMAT = Choice("toml or csv; default toml", options=tuple(FILE_TYPES), code="bad_format")


@endpoint(
    "GET",
    "/progressions",
    "The skill progressions, each with its steps in order",
    query={"archived": Flag("1 to include archived ones")},
)
async def list_progressions(call: Call) -> Any:
    return await call.db.list_progressions(include_archived=bool(call.query("archived")))


@endpoint(
    "POST",
    "/progressions",
    "Add a skill progression (named, ordered steps with descriptions and prompts)",
    body=bodies.ProgressionBody,
    status=201,
)
async def create_progression(call: Call) -> Any:
    return await _create(call, call.body)


async def _create(call: Call, body: dict[str, Any]) -> Any:
    return await call.db.create_progression(
        body["name"],
        body["steps"],
        subject=body.get("subject", ""),
        description=body.get("description", ""),
        now=now(),
    )


@endpoint("GET", "/progressions/{progression_id}", "Get a progression with its steps")
async def get_progression(call: Call) -> Any:
    return await call.db.get_progression(call.params["progression_id"])


@endpoint(
    "PATCH",
    "/progressions/{progression_id}",
    "Edit a progression: rename, archive, or send its whole list of steps",
    body=bodies.ProgressionPatch,
)
async def update_progression(call: Call) -> Any:
    progression_id = call.params["progression_id"]
    await call.db.get_progression(progression_id)
    with referred():  # a step id of another progression: the body names nothing here (409)
        return await call.db.update_progression(progression_id, now=now(), **call.body)


@endpoint(
    "DELETE",
    "/progressions/{progression_id}",
    "Delete a progression (archived instead when a question, placement or goal uses it)",
    status=204,
)
async def delete_progression(call: Call) -> Any:
    await call.db.delete_progression(call.params["progression_id"], now=now())


@endpoint(
    "GET",
    "/progressions/{progression_id}/export",
    "A progression as TOML or CSV, to share or to edit and import again",
    query={"format": _FORMAT},
    produces=("application/toml", "text/csv"),
)
async def export_progression(call: Call) -> Any:
    progression = await call.db.get_progression(call.params["progression_id"])
    fmt = call.query("format") or "toml"
    data = progression_toml(progression) if fmt == "toml" else progression_csv(progression)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", progression["name"]).strip("-").lower() or "progression"
    return Response(
        data,
        media_type=FILE_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


@endpoint(
    "POST",
    "/progressions/import",
    "Import a progression from TOML, or CSV with ?format=csv or a text/csv body (one step per row)",
    raw_body="text/plain",
    status=201,
    query={"format": _FORMAT},
)
async def import_progression(call: Call) -> Any:
    fmt = call.query("format") or _sniff(call.request.headers.get("content-type", ""))
    try:
        read = read_progression(call.raw, fmt)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return await _create(call, _checked(read))


def _sniff(content_type: str) -> str:
    return "csv" if "csv" in content_type.lower() else "toml"


def _checked(read: ProgressionFile) -> dict[str, Any]:
    """The file's progression checked like a JSON body; a step's problem names its line."""
    try:
        return bodies.validate(bodies.ProgressionBody, read.body)
    except BadRequest as exc:
        message = re.sub(
            r"steps\[(\d+)\]",
            lambda m: _step_at(read, int(m.group(1))),
            exc.message,
        ).replace("must be a JSON object", "must be a table (name, description, prompts)")
        raise BadRequest(message) from None


def _step_at(read: ProgressionFile, index: int) -> str:
    if index < len(read.lines):
        return f"step {index + 1} (line {read.lines[index]})"
    return f"step {index + 1}"


@endpoint(
    "POST",
    "/progressions/examples",
    "Add the example progressions (adding fractions; writing information texts) not yet there",
    status=201,
)
async def add_examples(call: Call) -> Any:
    have = {p["name"] for p in await call.db.list_progressions(include_archived=True)}
    added = []
    for example in example_progressions():
        body = bodies.validate(bodies.ProgressionBody, example.body)
        if body["name"] not in have:
            added.append(await _create(call, body))
    return added


# -- where each student stands ------------------------------------------------------------


@endpoint(
    "GET",
    "/classes/{class_id}/progressions/{progression_id}/standing",
    "Where each student stands on the progression: the estimate from answers, with its"
    " evidence, the teacher's word, and the path so far",
)
async def class_progress(call: Call) -> Any:
    class_id, progression_id = call.params["class_id"], call.params["progression_id"]
    await call.db.get_class(class_id)
    await call.db.get_progression(progression_id)
    return await call.db.run(class_standing, call.store, class_id, progression_id)


@endpoint(
    "POST",
    "/classes/{class_id}/students/{student_id}/placements",
    "Place a student on a step: confirm the estimate, or from an observation or a conference",
    body=bodies.Placement,
    status=201,
)
async def place_student(call: Call) -> Any:
    class_id, student_id = call.params["class_id"], call.params["student_id"]
    await call.db.get_student(student_id, class_id=class_id)
    b = call.body
    with referred():  # a progression or step naming nothing
        return await call.db.add_placement(
            student_id,
            b["progression_id"],
            b["step_id"],
            kind=b["kind"],
            note=b.get("note", ""),
            now=now(),
        )


@endpoint(
    "GET",
    "/classes/{class_id}/students/{student_id}/placements",
    "The teacher's placements of a student, oldest first",
)
async def student_placements(call: Call) -> Any:
    class_id, student_id = call.params["class_id"], call.params["student_id"]
    await call.db.get_student(student_id, class_id=class_id)
    return await call.db.placements(student_id=student_id)


# -- groups by step, and goals that are steps ---------------------------------------------


@endpoint(
    "GET",
    "/classes/{class_id}/progressions/{progression_id}/grouping",
    "Suggest groups by step: the students on the same step, each group's goal the next step",
    query={"size": Int("students per group, 2-12 (default 4)", minimum=2, maximum=12)},
)
async def grouping_by_step(call: Call) -> Any:
    class_id, progression_id = call.params["class_id"], call.params["progression_id"]
    await call.db.get_class(class_id)
    await call.db.get_progression(progression_id)
    size = call.query("size") or 4
    return await call.db.run(lambda: step_groups(call.store, class_id, progression_id, size=size))


@endpoint(
    "POST",
    "/classes/{class_id}/progressions/{progression_id}/grouping/accept",
    "Accept (edited) groups by step: create or update them, each goal a step (the next by default)",
    body=bodies.StepGrouping,
)
async def accept_grouping_by_step(call: Call) -> Any:
    class_id, progression_id = call.params["class_id"], call.params["progression_id"]
    progression = await call.db.get_progression(progression_id)
    plans = call.body["groups"]
    existing = {g["name"]: g for g in await call.db.list_groups(class_id)}
    active = {s["id"] for s in await call.db.list_students(class_id)}
    steps = {s["id"] for s in progression["steps"]}
    seen: set[int] = set()
    names: set[str] = set()
    for g in plans:  # check everything before changing anything
        if g["name"] in names:
            raise Conflict(f"two groups are called {g['name']!r}")
        names.add(g["name"])
        for sid in g["students"]:
            if sid not in active:
                raise Conflict(f"no active student {sid} in class {class_id}", code="unknown_id")
            if sid in seen:
                raise Conflict(f"student {sid} is in two groups")
            seen.add(sid)
        if g.get("goal_step_id") is not None and g["goal_step_id"] not in steps:
            raise Conflict(
                f"no step {g['goal_step_id']} in progression {progression_id}", code="unknown_id"
            )
    standing = await call.db.run(class_standing, call.store, class_id, progression_id)
    where = {s["id"]: s["current"] for s in standing["students"]}
    t = now()
    kept = []
    for g in plans:
        if g["name"] in existing:
            row = await call.db.update_group(
                existing[g["name"]]["id"], class_id=class_id, students=g["students"], now=t
            )
        else:
            row = await call.db.create_group(class_id, g["name"], students=g["students"], now=t)
        goal = g.get("goal_step_id", _next_step(progression, [where[s] for s in g["students"]]))
        if goal is not None:
            await call.db.set_goal_step(row["id"], goal, now=t)
        kept.append(row["id"])
    if call.body.get("archive_others"):
        for other in existing.values():
            if other["id"] not in kept:
                await call.db.archive_group(other["id"], class_id=class_id, now=t)
    return await _groups_with_steps(call, class_id)


def _next_step(progression: dict[str, Any], places: list[dict[str, Any]]) -> int | None:
    """The default goal of a group: the step after the lowest step its members stand on."""
    positions = [p["position"] for p in places if p["position"] is not None]
    if not positions:
        return None
    lowest = min(positions)
    steps = progression["steps"]
    return int(steps[lowest]["id"]) if lowest < len(steps) else None


async def _groups_with_steps(call: Call, class_id: int) -> list[dict[str, Any]]:
    groups = await call.db.list_groups(class_id)
    goals = await call.db.goal_steps_of_class(class_id)
    return [{**g, "goal_step": goals.get(g["id"])} for g in groups]


@endpoint(
    "PUT",
    "/classes/{class_id}/groups/{group_id}/goal-step",
    "Make a step of a progression the group's goal (its history is kept)",
    body=bodies.GoalStep,
)
async def set_goal_step(call: Call) -> Any:
    class_id, group_id = call.params["class_id"], call.params["group_id"]
    group = await call.db.get_group(group_id, class_id=class_id)
    if group["archived"]:
        raise Conflict(f"group {group_id} is archived")
    with referred():
        goal = await call.db.set_goal_step(group_id, call.body["step_id"], now=now())
    return {**await call.db.get_group(group_id), "goal_step": goal}


@endpoint(
    "POST",
    "/classes/{class_id}/groups/{group_id}/goal-step/acknowledge",
    "The group reached its goal step: mark it reached, place its members on the step (the"
    " teacher's word, confirmed); the answer suggests the next step",
)
async def acknowledge_goal(call: Call) -> Any:
    class_id, group_id = call.params["class_id"], call.params["group_id"]
    group = await call.db.get_group(group_id, class_id=class_id)
    t = now()
    goal = await call.db.achieve_goal(group_id, now=t)
    step = await call.db.get_step(goal["step_id"])
    progression_id = step["progression_id"]
    # the teacher's word: the members not yet placed on the step stand on it now
    standing = await call.db.run(class_standing, call.store, class_id, progression_id)
    where = {s["id"]: s["current"]["position"] for s in standing["students"]}
    placed = []
    for student in group["students"]:
        if (where.get(student) or 0) < step["position"]:
            await call.db.add_placement(
                student,
                progression_id,
                step["id"],
                kind="confirmed",
                note=f"goal reached with {group['name']}",
                now=t,
            )
            placed.append(student)
    progression = standing["progression"]
    following = [s for s in progression["steps"] if s["position"] == step["position"] + 1]
    return {
        "goal_step": goal,
        "placed": placed,
        "suggested": following[0] if following else None,
    }


@endpoint(
    "GET",
    "/classes/{class_id}/groups/goal-steps",
    "The class's groups, each with its goal step (null when its goal is not a step)",
)
async def groups_goal_steps(call: Call) -> Any:
    await call.db.get_class(call.params["class_id"])
    return await _groups_with_steps(call, call.params["class_id"])
