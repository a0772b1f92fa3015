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

from starlette.responses import Response

from live.errors import Conflict
from live.http import bodies
from live.http.api import Call, endpoint, referred
from live.http.pairing import qr_svg, scanner_url
from live.http.params import Choice, Flag, Id

__all__ = ["cards_pdf", "class_live", "pair_svg", "set_class_live"]

_SESSION = {
    "session": Id("the session to scan for: a scanner link names its session", required=True)
}


async def _session_param(call: Call) -> int:
    session: int = call.query("session")
    await call.db.get_session(session)  # NotFound for an unknown session
    return session


@endpoint(
    "GET",
    "/pair",
    "The scanner link a phone on this network can open (teacher token)",
    query=_SESSION,
)
async def pair(call: Call) -> Any:
    settings = call.request.app.state.settings
    url = scanner_url(settings, call.request.app.state.tokens.teacher, await _session_param(call))
    secure = url.startswith("https:")
    local = "://127." in url or "://localhost" in url or "://[::1]" in url
    return {"url": url, "secure": secure, "reachable_from_phone": not local}


@endpoint(
    "GET",
    "/pair.svg",
    "The scanner link as a QR code (SVG) for a phone to pair",
    query=_SESSION,
    produces=("image/svg+xml",),
)
async def pair_svg(call: Call) -> Any:
    settings = call.request.app.state.settings
    url = scanner_url(settings, call.request.app.state.tokens.teacher, await _session_param(call))
    return Response(qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


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
