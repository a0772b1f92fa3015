"""The HTTP API under ``/api``: parse, call the store or the sessions, serialise.

Each endpoint is declared once with its method, path, role and body; the same declarations
build the Starlette routes and the OpenAPI document (``live.http.openapi``), so the two cannot drift.
Every failure is a ``CardcheckError`` turned into the one error shape by the app.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from live.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from live.http import bodies
from live.http.bodies import Body
from live.http.params import Flag, Id, Int, Param, Text, read_query
from live.ids import DIGITS, MAX_ID, parse_int
from live.realtime.access import Caller, authenticate, class_access, session_access
from live.realtime.sockets import origin_allowed
from live.reports.imports import read_roster
from live.reports.report import read_session_scores
from live.store import import_roster

__all__ = ["ENDPOINTS", "Call", "Endpoint", "Resource", "referred", "routes", "rows_rejected"]


@dataclass
class Call:
    """What a handler gets: the parsed request and the app's long-lived objects.

    ``params`` are the path's ids, ``args`` the declared query parameters (``None`` when not
    given), ``body`` the fields sent in a JSON body, ``raw`` the bytes of any other body.
    ``caller`` is who is calling (None on a public endpoint), ``access`` what they are on the
    class the path names (``admin``, ``owner``, ``coteacher``, ``projector``, ``link``).
    """

    request: Request
    role: str
    params: dict[str, int]
    args: dict[str, Any]
    body: dict[str, Any]
    raw: bytes
    caller: Caller | None = None
    access: str | None = None

    @property
    def store(self) -> Any:
        """The store itself: for functions that ``db.run`` or ``sessions.commit`` runs off the
        event loop, never to call from a handler."""
        return self.request.app.state.store

    @property
    def db(self) -> Any:
        """The store's calls off the event loop: ``await call.db.get_class(1)``, or
        ``await call.db.run(fn, call.store, ...)`` (``live.store.calls.StoreCalls``)."""
        return self.request.app.state.calls

    @property
    def sessions(self) -> Any:
        return self.request.app.state.sessions

    def query(self, name: str) -> Any:
        """A declared query parameter's value, or None when it was not given."""
        return self.args[name]

    @property
    def who(self) -> Caller:
        """The caller of an endpoint that is not public."""
        assert self.caller is not None, "a public endpoint has no caller"
        return self.caller

    async def taught(self) -> set[int] | None:
        """The ids of the classes the caller may see, or None for every class (an admin)."""
        caller = self.who
        if caller.admin:
            return None
        if caller.user is None:
            return set()
        taught: set[int] = await self.db.classes_taught(int(caller.user["id"]))
        return taught

    async def require_class(self, class_id: int) -> str:
        """What the caller is on ``class_id``; ``NotFound`` when it is not theirs (callers
        inside ``referred`` turn that into a 409)."""
        access = await class_access(self.request.app.state, self.who, class_id)
        if access is None:
            raise NotFound(f"no class {class_id}")
        return access

    async def require_session(self, session_id: int) -> dict[str, Any]:
        """The session, if the caller may reach it; ``NotFound`` otherwise."""
        session: dict[str, Any] = await self.db.get_session(session_id)
        if await session_access(self.request.app.state, self.who, session) is None:
            raise NotFound(f"no session {session_id}")
        return session


Handler = Callable[[Call], Awaitable[Any]]


@dataclass
class Endpoint:
    method: str
    path: str  # relative to /api, with {name} int parameters
    handler: Handler
    summary: str
    teacher: bool = True  # False: the projector token and scoped links may call it too
    public: bool = False  # no token at all (health)
    admin: bool = False  # admins only (the accounts)
    owner: bool = False  # on a class: its owner or an admin, not a co-teacher
    body: type[Body] | None = None
    status: int = 200
    raw_body: str | None = None  # a content type taken as is (CSV upload)
    query: dict[str, Param] = field(default_factory=dict)
    produces: tuple[str, ...] = ("application/json",)
    linked: bool = True  # reached by a link from its parent's create (False: may not exist yet)


ENDPOINTS: list[Endpoint] = []


def endpoint(method: str, path: str, summary: str, **kw: Any) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ENDPOINTS.append(Endpoint(method, path, handler, summary, **kw))
        return handler

    return register


def now() -> float:
    return time.time()


@contextmanager
def referred() -> Iterator[None]:
    """Around a call that looks up the ids a *body* names: one that names nothing is a 409
    (code ``unknown_id``). 404 is kept for the resource the URL names, which the handler
    checks before, so a client can tell "no such class" from "no such student in it"."""
    try:
        yield
    except NotFound as exc:
        raise Conflict(exc.message, code="unknown_id") from None


_ARCHIVED = {"archived": Flag("1 to include archived ones")}


# -- health ------------------------------------------------------------------------------


@endpoint("GET", "/health", "Liveness and the store's schema version", public=True)
async def health(call: Call) -> Any:
    return {"ok": True, "schema": await call.db.run(lambda: call.store.schema_version)}


@endpoint(
    "GET",
    "/me",
    "Who is calling: the role, the account, whether an admin, and whether this is the demo",
    teacher=False,
)
async def me(call: Call) -> Any:
    accounts = await call.db.has_users()
    return {**call.who.me(), "demo": call.request.app.state.settings.demo, "accounts": accounts}


# -- classes -----------------------------------------------------------------------------


@endpoint("GET", "/classes", "List classes", query=_ARCHIVED)
async def list_classes(call: Call) -> Any:
    rows = await call.db.list_classes(include_archived=bool(call.query("archived")))
    taught = await call.taught()
    return rows if taught is None else [r for r in rows if r["id"] in taught]


@endpoint(
    "POST",
    "/classes",
    "Create a class (the caller is its owner)",
    body=bodies.ClassBody,
    status=201,
)
async def create_class(call: Call) -> Any:
    row = await call.db.create_class(call.body["name"], now=now())
    if call.who.user_id is not None:
        await call.db.claim_class(row["id"], call.who.user_id, now=now())
    if call.body.get("archived"):
        row = await call.db.update_class(row["id"], archived=True, now=now())
    return row


@endpoint("GET", "/classes/{class_id}", "Get a class")
async def get_class(call: Call) -> Any:
    return await call.db.get_class(call.params["class_id"])


@endpoint("PATCH", "/classes/{class_id}", "Rename or archive a class", body=bodies.ClassPatch)
async def update_class(call: Call) -> Any:
    return await call.db.update_class(call.params["class_id"], now=now(), **call.body)


@endpoint("DELETE", "/classes/{class_id}", "Purge a class and all its data", status=204, owner=True)
async def delete_class(call: Call) -> Any:
    await call.db.delete_class(call.params["class_id"])


# -- students ----------------------------------------------------------------------------


@endpoint(
    "GET",
    "/classes/{class_id}/students",
    "List a class's students",
    query=_ARCHIVED,
)
async def list_students(call: Call) -> Any:
    return await call.db.list_students(
        call.params["class_id"], include_archived=bool(call.query("archived"))
    )


@endpoint(
    "POST", "/classes/{class_id}/students", "Add a student", body=bodies.StudentBody, status=201
)
async def add_student(call: Call) -> Any:
    row = await call.db.add_student(
        call.params["class_id"],
        call.body["name"],
        card=call.body.get("card"),
        school_id=call.body.get("school_id") or None,
        email=call.body.get("email") or None,
        now=now(),
    )
    if call.body.get("active") is False:
        row = await call.db.update_student(row["id"], active=False, now=now())
    return row


@endpoint("GET", "/classes/{class_id}/students/{student_id}", "Get a student")
async def get_student(call: Call) -> Any:
    return await call.db.get_student(call.params["student_id"], class_id=call.params["class_id"])


@endpoint(
    "PATCH",
    "/classes/{class_id}/students/{student_id}",
    "Rename, change card, student ID or email, archive or restore a student",
    body=bodies.StudentPatch,
)
async def update_student(call: Call) -> Any:
    return await call.db.update_student(
        call.params["student_id"], class_id=call.params["class_id"], now=now(), **call.body
    )


@endpoint(
    "DELETE",
    "/classes/{class_id}/students/{student_id}",
    "Purge a student: name, responses, memberships",
    status=204,
)
async def delete_student(call: Call) -> Any:
    await call.db.delete_student(call.params["student_id"], class_id=call.params["class_id"])


@endpoint(
    "POST",
    "/classes/{class_id}/roster",
    "Import a roster CSV or XLSX (name or first/last name, optional card, group, student ID "
    "and email)",
    raw_body="text/csv",
    query={"partial": Flag("1 to import the good rows when some are bad")},
)
async def import_roster_csv(call: Call) -> Any:
    class_id = call.params["class_id"]
    roster = await call.db.list_students(class_id)
    taken = {s["card"] for s in roster if s["card"] is not None}
    taken_ids = {s["school_id"] for s in roster if s["school_id"] is not None}
    try:  # CSV, or XLSX told apart by its zip signature or content type (live.reports.imports)
        sheet = read_roster(
            call.raw,
            call.request.headers.get("content-type", ""),
            taken=taken,
            taken_ids=taken_ids,
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    rejected = [{"line": line, "reason": reason} for line, reason in sheet.rejected]
    if rejected and not call.query("partial"):
        return rows_rejected(rejected)
    counts = await call.db.run(import_roster, call.store, class_id, sheet.rows, now=now())
    return {**counts, "rejected": rejected}


def rows_rejected(rejected: list[dict[str, Any]]) -> JSONResponse:
    """An import refused whole: the one error shape, plus each rejected row and why (422)."""
    message = f"{len(rejected)} row(s) rejected; nothing was imported"
    body = {"error": {"code": "rows_rejected", "message": message}, "rejected": rejected}
    return JSONResponse(body, status_code=422)


# -- groups ------------------------------------------------------------------------------


@endpoint("GET", "/classes/{class_id}/groups", "List a class's groups and who is in them")
async def list_groups(call: Call) -> Any:
    return await call.db.list_groups(call.params["class_id"])


@endpoint("POST", "/classes/{class_id}/groups", "Create a group", body=bodies.GroupBody, status=201)
async def create_group(call: Call) -> Any:
    b = call.body
    await call.db.get_class(call.params["class_id"])
    with referred():
        return await call.db.create_group(
            call.params["class_id"],
            b["name"],
            students=b.get("students", []),
            colour=b.get("colour"),
            goal=b.get("goal", ""),
            skill=b.get("skill") or None,
            now=now(),
        )


@endpoint("GET", "/classes/{class_id}/groups/history", "Who was in which group when")
async def group_history(call: Call) -> Any:
    return await call.db.membership_history(call.params["class_id"])


@endpoint("GET", "/classes/{class_id}/groups/{group_id}", "Get a group with its goals")
async def get_group(call: Call) -> Any:
    row = await call.db.get_group(call.params["group_id"], class_id=call.params["class_id"])
    row["goals"] = await call.db.goals(row["id"])
    return row


@endpoint(
    "PATCH",
    "/classes/{class_id}/groups/{group_id}",
    "Rename a group, change its goal or its members",
    body=bodies.GroupPatch,
)
async def update_group(call: Call) -> Any:
    await call.db.get_group(call.params["group_id"], class_id=call.params["class_id"])
    with referred():
        return await call.db.update_group(
            call.params["group_id"], class_id=call.params["class_id"], now=now(), **call.body
        )


@endpoint(
    "DELETE", "/classes/{class_id}/groups/{group_id}", "End a group (its history stays)", status=204
)
async def delete_group(call: Call) -> Any:
    await call.db.archive_group(
        call.params["group_id"], class_id=call.params["class_id"], now=now()
    )


# -- questions and sets ------------------------------------------------------------------


@endpoint(
    "GET",
    "/questions",
    "The question library",
    query={"skill": Text("only the questions with this skill tag", max_len=100)},
)
async def list_questions(call: Call) -> Any:
    return await call.db.list_questions(skill=call.query("skill"))


@endpoint(
    "POST",
    "/questions",
    "Add a question (2-4 choices; correct null for a poll)",
    body=bodies.QuestionBody,
    status=201,
)
async def create_question(call: Call) -> Any:
    b = call.body
    with referred():  # a step_id naming no step
        return await call.db.create_question(
            b["prompt"],
            b["choices"],
            correct=b["correct"],
            skills=b.get("skills", []),
            step_id=b.get("step_id"),
            now=now(),
        )


@endpoint("GET", "/questions/{question_id}", "Get a question")
async def get_question(call: Call) -> Any:
    return await call.db.get_question(call.params["question_id"])


@endpoint("PATCH", "/questions/{question_id}", "Edit a question", body=bodies.QuestionPatch)
async def update_question(call: Call) -> Any:
    existing = await call.db.get_question(call.params["question_id"])
    choices = call.body.get("choices", existing["choices"])
    correct = call.body.get("correct", existing["correct"])
    if correct is not None and "ABCD".index(correct) >= len(choices):
        raise Conflict(
            f"correct answer {correct} is not one of the question's {len(choices)} choices"
        )
    with referred():
        return await call.db.update_question(call.params["question_id"], now=now(), **call.body)


@endpoint(
    "DELETE",
    "/questions/{question_id}",
    "Delete a question (archived instead once it was asked)",
    status=204,
)
async def delete_question(call: Call) -> Any:
    await call.db.delete_question(call.params["question_id"], now=now())


_IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}
MAX_IMAGE_BYTES = 900_000


@endpoint(
    "PUT",
    "/questions/{question_id}/image",
    "Attach an image to a question (PNG, JPEG or WebP, under 900 kB)",
    raw_body="image/png",
)
async def put_question_image(call: Call) -> Any:
    await call.db.get_question(call.params["question_id"])
    kind = next((t for magic, t in _IMAGE_TYPES.items() if call.raw.startswith(magic)), None)
    if kind == "image/webp" and call.raw[8:12] != b"WEBP":
        kind = None
    if kind is None:
        raise BadRequest("the image must be PNG, JPEG or WebP")
    if len(call.raw) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge(f"the image is over {MAX_IMAGE_BYTES} bytes")
    return await call.db.update_question(
        call.params["question_id"], now=now(), image=(call.raw, kind)
    )


@endpoint(
    "GET",
    "/questions/{question_id}/image",
    "A question's image",
    teacher=False,
    produces=tuple(_IMAGE_TYPES.values()),
    linked=False,
)
async def get_question_image(call: Call) -> Any:
    image = await call.db.question_image(call.params["question_id"])
    if image is None:
        raise NotFound(f"question {call.params['question_id']} has no image")
    return Response(
        image[0], media_type=image[1], headers={"Cache-Control": "private, max-age=3600"}
    )


@endpoint("DELETE", "/questions/{question_id}/image", "Remove a question's image", status=204)
async def delete_question_image(call: Call) -> Any:
    await call.db.update_question(call.params["question_id"], now=now(), image=None)


@endpoint("GET", "/sets", "List question sets")
async def list_sets(call: Call) -> Any:
    return await call.db.list_sets()


@endpoint("POST", "/sets", "Create a question set", body=bodies.QuestionSetBody, status=201)
async def create_set(call: Call) -> Any:
    with referred():
        return await call.db.create_set(call.body["name"], call.body["questions"], now=now())


@endpoint("GET", "/sets/{set_id}", "Get a question set")
async def get_set(call: Call) -> Any:
    return await call.db.get_set(call.params["set_id"])


@endpoint(
    "PATCH", "/sets/{set_id}", "Rename or reorder a question set", body=bodies.QuestionSetPatch
)
async def update_set(call: Call) -> Any:
    await call.db.get_set(call.params["set_id"])
    with referred():
        return await call.db.update_set(call.params["set_id"], **call.body)


@endpoint("DELETE", "/sets/{set_id}", "Delete a question set (its questions stay)", status=204)
async def delete_set(call: Call) -> Any:
    await call.db.delete_set(call.params["set_id"])


# -- sessions ----------------------------------------------------------------------------


def _with_urls(call: Call, state: dict[str, Any], session_id: int) -> dict[str, Any]:
    """The session's links that carry the installation's tokens: only for callers who hold
    the owner token already (the laptop's owner). An account gets links scoped to the
    session instead (``POST /api/sessions/{id}/links``)."""
    if call.who.how not in ("owner token", "owner link", "projector token"):
        return state
    urls = call.request.app.state.urls
    state["projector_url"] = urls.projector(session_id)
    if call.role == "teacher":
        class_id = state["session"]["class_id"] if "session" in state else state["class_id"]
        state["class_projector_url"] = urls.class_projector(class_id)
        state["scan_url"] = urls.scanner(session_id)
    return state


@endpoint(
    "GET",
    "/sessions",
    "Past and running sessions, newest first, each with its score (percent, right, answered "
    "and scored questions asked of its students)",
    query={"class_id": Id("only this class's sessions")},
)
async def list_sessions(call: Call) -> Any:
    rows = await call.db.list_sessions(class_id=call.query("class_id"))
    taught = await call.taught()
    if taught is not None:
        rows = [r for r in rows if r["class_id"] in taught]
    ids = [r["id"] for r in rows]
    scores = await call.db.run(read_session_scores, call.store, ids)
    for row in rows:
        # the one score (live.reports.score): right out of the scored questions asked of the
        # students on the roster, with how many of those they answered
        sc = scores[row["id"]]
        pct = sc.percent
        row["score"] = None if pct is None else math.floor(pct + 0.5)
        row["correct"], row["answered"], row["scored_asked"] = sc.correct, sc.answered, sc.asked
    return rows


@endpoint(
    "GET",
    "/sessions/running",
    "Every session not ended (running or interrupted), oldest first, with its current question",
)
async def running_sessions(call: Call) -> Any:
    rows = await call.db.running_sessions()
    taught = await call.taught()
    return rows if taught is None else [r for r in rows if r["class_id"] in taught]


@endpoint(
    "POST",
    "/sessions",
    "Start a session for a class (it becomes the class's live session): the session, with its links",
    body=bodies.SessionBody,
    status=201,
)
async def create_session(call: Call) -> Any:
    with referred():
        await call.require_class(call.body["class_id"])
        row = await call.sessions.start(call.body["class_id"], set_id=call.body.get("set_id"))
    return _with_urls(call, dict(row), row["id"])


@endpoint(
    "GET",
    "/sessions/{session_id}",
    "The session's state (the live snapshot; the projector's view for its token)",
    teacher=False,
)
async def get_session(call: Call) -> Any:
    sid = call.params["session_id"]
    return _with_urls(call, await call.sessions.state(sid, call.role), sid)


@endpoint(
    "PATCH",
    "/sessions/{session_id}",
    "Show or hide names on the projector",
    body=bodies.SessionPatch,
)
async def update_session(call: Call) -> Any:
    sid = call.params["session_id"]
    await call.sessions.show_names(sid, call.body["show_names"])
    return await call.sessions.state(sid)


def _command(name: str, summary: str, body: type[Body] | None = None) -> None:
    async def run(call: Call) -> Any:
        sid = call.params["session_id"]
        method = getattr(call.sessions, name)
        if body is None:
            events = await method(sid)
        else:
            await call.db.get_session(sid)
            with referred():
                events = await method(sid, call.body["question_id"])
        state = await call.sessions.state(sid)
        state["events"] = [e.to_dict() for e in events]
        return state

    run.__name__ = f"session_{name}"
    endpoint("POST", f"/sessions/{{session_id}}/{name}", summary, body=body)(run)


_command("ask", "Open a question (closes the one open before)", bodies.Ask)
_command("close", "Close the open question")
_command("reopen", "Open the current question again (before reveal)")
_command("reveal", "Reveal the correct answer and the chart on the projector")
_command("end", "End the session (running or interrupted)")
_command("resume", "Take up a session interrupted by a server stop")


@endpoint(
    "PUT",
    "/sessions/{session_id}/responses/{student_id}",
    "Enter a student's answer by hand",
    body=bodies.Answer,
)
async def put_response(call: Call) -> Any:
    sid, student = call.params["session_id"], call.params["student_id"]
    events = await call.sessions.record(sid, student, call.body["answer"], source="manual")
    return {"recorded": bool(events), "events": [e.to_dict() for e in events]}


@endpoint(
    "GET",
    "/sessions/{session_id}/events",
    "The session's event log after a seq",
    query={"since": Int("the events with a seq greater than this (default 0)")},
)
async def session_events(call: Call) -> Any:
    since = call.query("since") or 0
    await call.db.get_session(call.params["session_id"])
    return [e.to_dict() for e in await call.db.events_since(call.params["session_id"], since)]


# -- flags, check-ins and grouping suggestions: see live.http.rules_api (registered on import) ----
# -- exports and reports: see live.http.reports_api (registered on import) --------------------------

# -- the Starlette side ------------------------------------------------------------------


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and parse_int(declared, "Content-Length") > limit:
        raise PayloadTooLarge(f"the body is over the {limit} byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is over the {limit} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


async def _caller(ep: Endpoint, request: Request) -> Caller:
    """Who calls ``ep``: 401 with no credential, 403 for a credential that cannot call it or
    for a write signed by the cookie that comes from another site."""
    state = request.app.state
    caller = await authenticate(state, request.headers, request.query_params, request.cookies)
    if caller is None:
        raise Unauthorized(
            "sign in, or send a token (Authorization: Bearer <token>)", code="unauthorized"
        )
    if ep.teacher and (caller.role != "teacher" or caller.link is not None):
        raise Forbidden("this link can only read what its page shows")
    cross_site = not origin_allowed(request.headers, state.settings)
    if caller.cookie and request.method not in _SAFE and cross_site:
        raise Forbidden("a change must come from this server's own pages", code="cross_site")
    if ep.admin and not caller.admin:
        raise Forbidden("only an admin may do this")
    return caller


async def _scope(ep: Endpoint, call: Call) -> str | None:
    """What the caller is on the class or session the path names (None: the path names
    neither); ``NotFound`` when it is not theirs, as if it did not exist."""
    if call.caller is None:
        return None
    if "class_id" in call.params:
        access: str | None = await call.require_class(call.params["class_id"])
    elif "session_id" in call.params:
        session = await call.require_session(call.params["session_id"])
        access = await class_access(call.request.app.state, call.who, session["class_id"])
    else:
        return None
    if ep.owner and access == "coteacher":
        raise Forbidden("only the class's owner or an admin may do this")
    return access


def _audited(ep: Endpoint) -> bool:
    """Every change is audited, and every export (who took the data out)."""
    return ep.method != "GET" or ep.path.endswith(("/export", "/report", "/cards.pdf"))


async def _audit(call: Call, ep: Endpoint) -> None:
    """One row of the audit log: who, the endpoint (its handler's name) and the path's ids;
    never the body, which may hold a student's name."""
    session_id = call.params.get("session_id")
    class_id = call.params.get("class_id") or call.body.get("class_id")  # an id, never a name
    if class_id is None and session_id is not None:
        class_id = (await call.db.get_session(session_id))["class_id"]
    detail = {k: v for k, v in call.params.items() if k not in ("class_id", "session_id")}
    await call.db.record_audit(
        call.who.name,
        ep.handler.__name__,
        user_id=call.who.user_id,
        class_id=class_id,
        session_id=session_id,
        detail=detail,
        now=now(),
    )


def _asgi(ep: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def view(request: Request) -> Response:
        state = request.app.state
        caller = None if ep.public else await _caller(ep, request)
        role = "public" if caller is None else caller.role
        params: dict[str, int] = {}
        for key, value in request.path_params.items():
            if not isinstance(value, int) or not 1 <= value <= MAX_ID:
                raise NotFound(f"no {key.removesuffix('_id')} {value}")
            params[key] = value
        call = Call(request, role, params, {}, {}, b"", caller)
        call.access = await _scope(ep, call)  # a class not theirs is a 404 before anything else
        call.args = read_query(ep.query, request.query_params)
        if ep.body is not None or ep.raw_body is not None:
            call.raw = await _read_body(request, state.settings.max_body_bytes)
        if ep.body is not None:
            call.body = bodies.parse(ep.body, call.raw)
        result = await ep.handler(call)
        if caller is not None and _audited(ep):
            status = result.status_code if isinstance(result, Response) else ep.status
            if status < 400:
                await _audit(call, ep)
        if isinstance(result, Response):
            return result
        if ep.status == 204:
            return Response(status_code=204)
        return JSONResponse(result, status_code=ep.status)

    view.__name__ = ep.handler.__name__
    return view


class _IdConvertor(Convertor[int]):
    """A path id, read like every other id (``live.ids``): "7" or "7.0"."""

    regex = DIGITS

    def convert(self, value: str) -> int:
        return int(value.partition(".")[0])  # out of range: the view answers 404

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", _IdConvertor())


def _starlette_path(path: str) -> str:
    return "/api" + re.sub(r"\{(\w+)\}", r"{\1:id}", path)


class Resource:
    """The ASGI app of one path: the view of the request's method, or a 405 naming the
    methods it takes in ``Allow`` (HEAD answers like GET). An ASGI class rather than a function
    so that Starlette routes every method here instead of answering 405 by itself."""

    def __init__(self, views: dict[str, Callable[[Request], Awaitable[Response]]]) -> None:
        self.views = views
        self.allowed = tuple(sorted([*views, "HEAD"] if "GET" in views else views))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        view = self.views.get(request.method)
        if view is None and request.method == "HEAD":
            view = self.views.get("GET")
        if view is None:
            raise MethodNotAllowed(
                f"{request.method} is not allowed here; use {', '.join(self.allowed)}",
                allow=self.allowed,
            )
        response = await view(request)
        await response(scope, receive, send)


def routes() -> list[Route]:
    """One Starlette route per path; every method reaches its ``Resource``."""
    by_path: dict[str, list[Endpoint]] = {}
    for ep in ENDPOINTS:
        by_path.setdefault(ep.path, []).append(ep)
    return [
        Route(_starlette_path(path), Resource({ep.method: _asgi(ep) for ep in eps}))
        for path, eps in by_path.items()
    ]
