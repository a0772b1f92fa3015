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

from live.errors import BadRequest
from live.http import bodies
from live.http.api import Call, endpoint, now, referred
from live.http.params import Choice, Flag
from live.reports.progression_files import (
    ProgressionFile,
    example_progressions,
    progression_csv,
    progression_toml,
    read_progression,
)
from live.rules.standing import class_standing

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
