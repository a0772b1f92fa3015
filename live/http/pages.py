"""The endpoints the web pages need beyond the core API: pairing, printable cards, a class's
live session. Registered with ``live.http.api.endpoint`` on import, like the other API modules.

No page guesses its session: a scanner link and a pairing code name one; a projector link names
one session, or a class whose live session (``classes.live_session``, set when a session starts
and by the teacher on the console) it shows.
"""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from live.errors import Conflict, NotFound, Unauthorized
from live.http import bodies
from live.http.api import Call, endpoint, now, referred
from live.http.pairing import pairing_url, qr_svg
from live.http.params import Choice, Flag, Id

__all__ = ["cards_pdf", "class_live", "pair_svg", "set_class_live", "use_pairing"]

_SESSION = {
    "session": Id("the session to scan for: a scanner link names its session", required=True)
}


async def _session_param(call: Call) -> int:
    session: int = call.query("session")
    await call.require_session(session)  # NotFound for an unknown session, or another's
    return session


async def _pairing_url(call: Call) -> str:
    """The link a phone opens to scan the session the query names: a pairing code (10
    minutes, once) that the scanner page trades for a credential of this session only."""
    session_id = await _session_param(call)
    session = await call.db.get_session(session_id)
    _row, code = await call.db.create_link(
        "pairing",
        class_id=session["class_id"],
        session_id=session_id,
        created_by=call.who.user_id,
        now=now(),
    )
    return pairing_url(call.request.app.state.settings, code, session_id)


@endpoint(
    "GET",
    "/pair",
    "A fresh pairing link for a phone on this network: a code good for 10 minutes, once",
    query=_SESSION,
)
async def pair(call: Call) -> Any:
    url = await _pairing_url(call)
    secure = url.startswith("https:")
    local = "://127." in url or "://localhost" in url or "://[::1]" in url
    return {"url": url, "secure": secure, "reachable_from_phone": not local}


@endpoint(
    "GET",
    "/pair.svg",
    "A fresh pairing link as a QR code (SVG) for a phone to scan",
    query=_SESSION,
    produces=("image/svg+xml",),
)
async def pair_svg(call: Call) -> Any:
    url = await _pairing_url(call)
    return Response(qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@endpoint(
    "POST",
    "/pair",
    "Trade a pairing code for a scanner credential of its session (the scanner page does this)",
    body=bodies.PairBody,
    public=True,
)
async def use_pairing(call: Call) -> Any:
    made = await call.db.use_pairing(call.body["code"], now=now())
    if made is None:
        raise Unauthorized("this pairing code is used, expired or unknown: scan the QR again")
    row, token = made
    await call.db.record_audit(
        "pairing code",
        "scanner.paired",
        user_id=row["created_by"],
        class_id=row["class_id"],
        session_id=row["session_id"],
        now=now(),
    )
    return {"token": token, "session_id": row["session_id"], "expires_at": row["expires_at"]}


# -- links scoped to one session or one class --------------------------------------------------


def _link_url(call: Call, row: dict[str, Any], token: str) -> str:
    base = call.request.app.state.settings.base_url
    if row["session_id"] is not None:
        return f"{base}/projector/?session={row['session_id']}&token={quote(token)}"
    return f"{base}/projector/?class={row['class_id']}&token={quote(token)}"


@endpoint(
    "POST",
    "/classes/{class_id}/links",
    "A projector link of the class: it shows the class's live session, read only, until revoked"
    " or the class is archived (the answer carries it, once)",
    status=201,
)
async def create_class_link(call: Call) -> Any:
    class_id = call.params["class_id"]
    row, token = await call.db.create_link(
        "projector", class_id=class_id, created_by=call.who.user_id, now=now()
    )
    return {**row, "url": _link_url(call, row, token)}


@endpoint(
    "POST",
    "/sessions/{session_id}/links",
    "A projector link of one session, read only, until revoked (the answer carries it, once)",
    status=201,
)
async def create_session_link(call: Call) -> Any:
    session = await call.db.get_session(call.params["session_id"])
    row, token = await call.db.create_link(
        "projector",
        class_id=session["class_id"],
        session_id=session["id"],
        created_by=call.who.user_id,
        now=now(),
    )
    return {**row, "url": _link_url(call, row, token)}


@endpoint("GET", "/classes/{class_id}/links", "The class's projector and scanner links in use")
async def list_class_links(call: Call) -> Any:
    rows = await call.db.list_links(call.params["class_id"])
    return [r for r in rows if r["kind"] != "pairing"]


@endpoint(
    "DELETE",
    "/classes/{class_id}/links/{link_id}",
    "Revoke a link of the class: it stops working at once",
)
async def revoke_class_link(call: Call) -> Any:
    row = await call.db.get_link(call.params["link_id"])
    if row["class_id"] != call.params["class_id"]:
        raise NotFound(f"no link {call.params['link_id']} in class {call.params['class_id']}")
    row = await call.db.revoke_link(row["id"], now=now())
    return row


@endpoint(
    "GET",
    "/classes/{class_id}/live",
    "The class's live session, the one its projector link shows (projector token too)",
    teacher=False,
)
async def class_live(call: Call) -> Any:
    return await _live(call, await call.db.live_session(call.params["class_id"]))


@endpoint(
    "PUT",
    "/classes/{class_id}/live",
    "Put a running session of the class on its projector (null: none)",
    body=bodies.LiveSession,
)
async def set_class_live(call: Call) -> Any:
    await call.db.get_class(call.params["class_id"])
    with referred():
        row = await call.db.set_live_session(call.params["class_id"], call.body["session_id"])
    return await _live(call, row)


async def _live(call: Call, row: dict[str, Any]) -> dict[str, Any]:
    urls = call.request.app.state.urls
    session = None if row["session"] is None else await call.db.get_session(row["session"])
    status = None if session is None else session["status"]
    return {**row, "status": status, "projector_url": urls.class_projector(row["class_id"])}


def _render_pdf(
    numbers: list[int], per_page: int, paper: str, names: dict[int, str] | None
) -> bytes:
    from scanner import Deck, write_cards_pdf

    out = io.BytesIO()
    write_cards_pdf(out, Deck(), numbers=numbers, per_page=per_page, paper=paper, names=names)
    return out.getvalue()


@endpoint(
    "GET",
    "/classes/{class_id}/cards.pdf",
    "Printable cards for a class's students",
    query={
        "per_page": Choice("1, 2 or 4 cards per page (default 2)", options=("1", "2", "4")),
        "paper": Choice("letter or a4 (default letter)", options=("letter", "a4")),
        "names": Flag("1 to print each student's name on their card"),
    },
    produces=("application/pdf",),
)
async def cards_pdf(call: Call) -> Any:
    class_id = call.params["class_id"]
    cls = await call.db.get_class(class_id)
    per_page = int(call.query("per_page") or "2")
    paper = call.query("paper") or "letter"
    with_names = bool(call.query("names"))
    students = [s for s in await call.db.list_students(class_id) if s["card"] is not None]
    if not students:
        raise Conflict("this class has no students with cards yet")
    numbers = sorted(s["card"] for s in students)
    names = {s["card"]: s["name"] for s in students} if with_names else None
    pdf = await asyncio.to_thread(_render_pdf, numbers, per_page, paper, names)
    # a header is Latin-1: the file name keeps ASCII letters and digits of the class's name
    filename = "".join(c if c.isascii() and c.isalnum() else "-" for c in cls["name"])
    filename = re.sub("-+", "-", filename).strip("-") or "class"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="cards-{filename}.pdf"'},
    )
