"""The endpoints the web pages need beyond the core API: pairing, printable cards, a class's
live session. Registered with ``live.http.api.endpoint`` on import, like the other API modules.

No page guesses its session: a scanner link and a pairing code name one; a projector link names
one session, or a class whose live session (``classes.live_session``, set when a session starts
and by the teacher on the console) it shows.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from starlette.responses import Response

from live.errors import BadRequest
from live.http.api import Call, endpoint
from live.http.bodies import Body, Int
from live.http.pairing import qr_svg, scanner_url

__all__ = ["cards_pdf", "class_live", "pair_svg", "set_class_live"]

LIVE = Body(
    session_id=Int(nullable=True, description="a running session of the class; null clears it")
)


async def _session_param(call: Call) -> int:
    raw = call.query("session")
    if raw is None or raw == "":
        raise BadRequest("?session=<id> is required: a scanner link names its session")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise BadRequest("session must be a whole number")
    await call.db.get_session(int(raw))  # NotFound for an unknown session
    return int(raw)


@endpoint(
    "GET",
    "/pair",
    "The scanner link a phone on this network can open (teacher token)",
    query={"session": "the session to scan for (required)"},
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
    query={"session": "the session to scan for (required)"},
    produces="image/svg+xml",
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
    body=LIVE,
)
async def set_class_live(call: Call) -> Any:
    row = await call.db.set_live_session(call.params["class_id"], call.body["session_id"])
    return await _live(call, row)


async def _live(call: Call, row: dict[str, Any]) -> dict[str, Any]:
    urls = call.request.app.state.urls
    session = None if row["session"] is None else await call.db.get_session(row["session"])
    status = None if session is None else session["status"]
    return {**row, "status": status, "projector_url": urls.class_projector(row["class_id"])}


def _choice(call: Call, name: str, options: tuple[str, ...], default: str) -> str:
    value = call.query(name) or default
    if value not in options:
        raise BadRequest(f"{name} must be one of {', '.join(options)}, not {value!r}")
    return value


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
        "per_page": "1, 2 or 4 cards per page (default 2)",
        "paper": "letter or a4 (default letter)",
        "names": "1 to print each student's name on their card",
    },
    produces="application/pdf",
)
async def cards_pdf(call: Call) -> Any:
    class_id = call.params["class_id"]
    cls = await call.db.get_class(class_id)
    per_page = int(_choice(call, "per_page", ("1", "2", "4"), "2"))
    paper = _choice(call, "paper", ("letter", "a4"), "letter")
    with_names = _choice(call, "names", ("0", "1"), "0") == "1"
    students = [s for s in await call.db.list_students(class_id) if s["card"] is not None]
    if not students:
        raise BadRequest("this class has no students with cards yet")
    numbers = sorted(s["card"] for s in students)
    names = {s["card"]: s["name"] for s in students} if with_names else None
    pdf = await asyncio.to_thread(_render_pdf, numbers, per_page, paper, names)
    filename = "".join(c if c.isalnum() else "-" for c in cls["name"]).strip("-") or "class"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="cards-{filename}.pdf"'},
    )
