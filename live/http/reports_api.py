"""Export, report and import endpoints (registered on import, declared like the rest of live.http.api).

Downloads: ``GET /api/sessions/{id}/export``, ``/api/classes/{id}/export`` (``from``/``to``
dates) and ``/api/sets/{id}/export``, each with ``format=csv|long|xlsx|json|canvas|oneroster``;
the printable report ``GET /api/sessions/{id}/report``; question sets from CSV with
``POST /api/sets/import``. Teacher token only: the projector token gets 403 like everywhere.

Reading a year of a class and formatting it takes a good fraction of a second, so it runs in a
worker thread (the store is thread-safe), never on the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.responses import Response

from live.errors import BadRequest
from live.http.api import Call, endpoint, rows_rejected
from live.http.params import Choice, Day, Flag, Param, Text, Zone
from live.reports.export import FORMATS, export, file_name
from live.reports.imports import parse_question_set, rejected_json
from live.reports.report import ReportData, read_class, read_session, read_set
from live.reports.report_html import render_report

__all__ = ["download", "parse_tz"]

_FORMAT_HELP = "one of " + ", ".join(f"{k} ({f.description})" for k, f in FORMATS.items())
_TZ = Zone("IANA time zone for dates (default: the school's, CARDCHECK_TIME_ZONE)")
_EXPORT_QUERY: dict[str, Param] = {
    "format": Choice(_FORMAT_HELP + "; default csv", options=tuple(FORMATS), code="bad_format"),
    "tz": _TZ,
}
# what an export answers with: each format's own media type (the OpenAPI document lists them)
_EXPORT_TYPES = tuple(dict.fromkeys(f.media_type.split(";")[0] for f in FORMATS.values()))


def parse_tz(raw: str | None, default: tzinfo | None = None) -> tzinfo:
    """The named zone, or ``default`` (the school's zone, ``Settings.zone``), or the server's
    local zone."""
    if not raw:
        return default or datetime.now().astimezone().tzinfo or UTC
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"unknown time zone {raw!r}; use a name like Europe/Berlin") from None


def _attachment(name: str, *, inline: bool = False) -> str:
    return f'{"inline" if inline else "attachment"}; filename="{name}"'


def download(data: ReportData, fmt: str, tz: tzinfo) -> Response:
    """The export as a download response (call from a worker thread)."""
    body = export(data, fmt, tz=tz)
    return Response(
        body,
        media_type=FORMATS[fmt].media_type,
        headers={
            "Content-Disposition": _attachment(file_name(data, fmt, tz=tz)),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _export(call: Call, read: Callable[[tzinfo], ReportData]) -> Response:
    fmt = call.query("format") or "csv"
    tz = parse_tz(call.query("tz"), call.request.app.state.settings.zone)

    def work() -> Response:
        return download(read(tz), fmt, tz)

    response: Response = await call.db.run(work)
    return response


@endpoint(
    "GET",
    "/sessions/{session_id}/export",
    "Download a session's results",
    query=_EXPORT_QUERY,
    produces=_EXPORT_TYPES,
)
async def export_session(call: Call) -> Any:
    sid = call.params["session_id"]
    return await _export(call, lambda tz: read_session(call.store, sid))


@endpoint(
    "GET",
    "/classes/{class_id}/export",
    "Download a class's results over a date range (that class only)",
    query={
        **_EXPORT_QUERY,
        "from": Day("first day, YYYY-MM-DD (inclusive); after to, nothing is selected"),
        "to": Day("last day, YYYY-MM-DD (inclusive)"),
    },
    produces=_EXPORT_TYPES,
)
async def export_class(call: Call) -> Any:
    cid = call.params["class_id"]
    start, end = call.query("from"), call.query("to")
    return await _export(call, lambda tz: read_class(call.store, cid, start=start, end=end, tz=tz))


@endpoint(
    "GET",
    "/sets/{set_id}/export",
    "Download the results of every session of a set",
    query=_EXPORT_QUERY,
    produces=_EXPORT_TYPES,
)
async def export_set(call: Call) -> Any:
    set_id = call.params["set_id"]
    return await _export(call, lambda tz: read_set(call.store, set_id))


@endpoint(
    "GET",
    "/sessions/{session_id}/report",
    "Printable HTML report: item analysis with a chart per question, scores, groups",
    query={"tz": _TZ, "download": Flag("1 to download instead of view")},
    produces=("text/html",),
)
async def session_report(call: Call) -> Any:
    sid = call.params["session_id"]
    tz = parse_tz(call.query("tz"), call.request.app.state.settings.zone)

    def work() -> tuple[str, str]:
        data = read_session(call.store, sid)
        return render_report(data, tz=tz), file_name(data, "csv", tz=tz)[:-4] + "-report.html"

    html, name = await call.db.run(work)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": _attachment(name, inline=not call.query("download")),
            "Cache-Control": "no-store",
            # self-contained: nothing may be fetched, and no script runs
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:",
        },
    )


@endpoint(
    "POST",
    "/sets/import",
    "Import a question set from CSV (prompt, choice a-d or choices, correct, skills)",
    raw_body="text/csv",
    status=201,
    query={
        "name": Text("the new set's name (default: Imported questions)", name=True),
        "partial": Flag("1 to import the good rows"),
    },
)
async def import_set(call: Call) -> Any:
    name = call.query("name") or "Imported questions"
    try:
        text = call.raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the question set must be UTF-8 CSV text") from None
    try:
        sheet = parse_question_set(text)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    rejected = rejected_json(sheet.rejected)
    if rejected and not call.query("partial"):
        return rows_rejected(rejected)
    if not sheet.rows:
        raise BadRequest("the file has no questions", code="rows_rejected")
    set_id = await call.db.import_question_set(name, sheet.rows, now=time.time())
    return {"set": await call.db.get_set(set_id), "created": len(sheet.rows), "rejected": rejected}
