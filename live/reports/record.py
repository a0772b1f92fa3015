"""The conferring record: small-group time per student and per group over a term, and the
printable record of one student (one page each, for a folder). Pure: rows in, numbers and HTML
out; every text from the store is HTML-escaped, nothing is fetched.

Small-group time: a check-in with a group counts, for each student who was a member of the
group while it lasted, the minutes it lasted (an open one counts up to ``until``), and one
check-in. Only check-ins started from ``since`` to ``until`` count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from html import escape
from typing import Any

__all__ = ["render_records", "small_group_time"]


def small_group_time(
    checkins: Sequence[dict[str, Any]],
    stays: Sequence[dict[str, Any]],
    *,
    since: float,
    until: float,
) -> dict[str, dict[int, dict[str, float]]]:
    """``{"students": {id: {"minutes", "checkins"}}, "groups": {id: {...}}}`` from check-in
    rows (``group_id``, ``started_at``, ``ended_at``) and membership stays (``group_id``,
    ``student_id``, ``joined_at``, ``left_at``)."""
    students: dict[int, dict[str, float]] = {}
    groups: dict[int, dict[str, float]] = {}
    for c in checkins:
        start = float(c["started_at"])
        if not since <= start <= until:
            continue
        end = float(c["ended_at"]) if c["ended_at"] is not None else until
        minutes = max(0.0, end - start) / 60
        g = groups.setdefault(int(c["group_id"]), {"minutes": 0.0, "checkins": 0})
        g["minutes"] += minutes
        g["checkins"] += 1
        for s in stays:
            if s["group_id"] != c["group_id"] or s["joined_at"] > start:
                continue
            if s["left_at"] is not None and s["left_at"] < start:
                continue
            t = students.setdefault(int(s["student_id"]), {"minutes": 0.0, "checkins": 0})
            t["minutes"] += minutes
            t["checkins"] += 1
    for table in (students, groups):
        for row in table.values():
            row["minutes"] = round(row["minutes"], 1)
    return {"students": students, "groups": groups}


_CSS = """
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111;
       max-width: 48rem; margin: 1.5rem auto; padding: 0 1rem; }
.record { break-after: page; page-break-after: always; }
.record:last-child { break-after: auto; page-break-after: auto; }
h1 { font-size: 1.4rem; margin: 0; } h2 { font-size: 1.05rem; margin: 1rem 0 .3rem; }
.meta { color: #444; margin: .2rem 0 .6rem; }
ol.steps { padding-left: 1.6rem; margin: .2rem 0; }
ol.steps li { padding: 2px 4px; }
ol.steps li.done { color: #333; }
ol.steps li.here { font-weight: 700; outline: 2px solid #111; }
ol.steps li.goal { border-left: 4px solid #555; }
.mark { font-weight: 400; font-size: .85rem; color: #333; }
table { border-collapse: collapse; width: 100%; margin: .2rem 0; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
.blank { height: 4.5rem; border: 1px solid #bbb; }
@page { size: A4; margin: 14mm; }
@media print { body { margin: 0; max-width: none; font-size: 10.5pt; } }
"""


def _day(t: float | None, tz: tzinfo) -> str:
    return "" if t is None else datetime.fromtimestamp(t, tz).strftime("%d %b %Y")


def _progression(p: dict[str, Any], goal_step: int | None, tz: tzinfo) -> list[str]:
    progression, now = p["progression"], p["current"]
    here = now["position"]
    out = [f"<h2>{escape(progression['name'])}</h2>"]
    evidence = escape(now["evidence_text"])
    source = {
        "answers": "from answers",
        "answers since the teacher's word": "from answers since the last conference",
        "confirmed": "confirmed by the teacher",
        "observed": "observed by the teacher",
        "conference": "from a conference",
    }.get(now["source"], escape(now["source"]))
    label = escape(now["label"]) + (" (at least)" if now["provisional"] else "")
    out.append(f'<p class="meta">Now: <strong>{label}</strong>, {source}; {evidence}.</p>')
    out.append('<ol class="steps">')
    for s in progression["steps"]:
        cls, marks = [], []
        if here is not None and s["position"] <= here:
            cls.append("done" if s["position"] < here else "here")
        if here == s["position"]:
            marks.append("stands here")
        if goal_step == s["id"]:
            cls.append("goal")
            marks.append("goal")
        reached = [x for x in p["path"] if x["step"] == s["position"]]
        if reached:
            marks.append("since " + _day(reached[0]["at"], tz))
        mark = f' <span class="mark">({"; ".join(marks)})</span>' if marks else ""
        out.append(
            f'<li class="{" ".join(cls)}">{escape(s["name"])}{mark}'
            + (f"<br><small>{escape(s['description'])}</small>" if s["description"] else "")
            + "</li>"
        )
    out.append("</ol>")
    following = now["next"]
    if following is not None:
        out.append(f"<p><strong>Next step:</strong> {escape(following['name'])}</p>")
        if following["prompts"]:
            out.append("<p>Prompts for the conference:</p><ul>")
            out.extend(f"<li>{escape(q)}</li>" for q in following["prompts"])
            out.append("</ul>")
    return out


def _record(r: dict[str, Any], *, tz: tzinfo, term: str) -> str:
    student = r["student"]
    out = ['<section class="record">', f"<h1>{escape(student['name'])}</h1>"]
    card = f", card {student['card']}" if student.get("card") else ""
    group = r.get("group")
    group_text = f"; group {escape(group['name'])}" if group else "; no group"
    out.append(f'<p class="meta">{escape(r["class_name"])}{card}{group_text}</p>')
    goal = r.get("goal") or ""
    out.append(f"<p><strong>Goal:</strong> {escape(goal) if goal else 'none agreed yet'}</p>")
    for p in r["progressions"]:
        out.extend(_progression(p, r.get("goal_step_id"), tz))
    if not r["progressions"]:
        out.append("<p>No answers on the steps of a progression yet.</p>")
    time = r["time"]
    minutes = f"{time['minutes']:g} minutes"
    if time["checkins"] and time["minutes"] < 1:
        minutes = "under a minute"
    out.append(
        f"<h2>Small-group time {escape(term)}</h2><p>{time['checkins']:g} check-in(s),"
        f" {minutes}</p>"
    )
    out.append("<h2>Notes from check-ins and conferences</h2>")
    if r["notes"]:
        out.append("<table><tr><th>Date</th><th>What</th><th>Note</th></tr>")
        for n in r["notes"]:
            out.append(
                f"<tr><td>{_day(n['at'], tz)}</td><td>{escape(n['what'])}</td>"
                f"<td>{escape(n['text'])}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>No notes yet.</p>")
    out.append('<h2>Next conference</h2><div class="blank"></div>')
    out.append("</section>")
    return "\n".join(out)


def render_records(records: Sequence[dict[str, Any]], *, tz: tzinfo, term: str) -> str:
    """One HTML document with one printed page per student record. Each record:
    ``student`` (name, card), ``class_name``, ``group`` (name) or None, ``goal`` text,
    ``goal_step_id``, ``progressions`` (each as ``live.rules.standing.student_standing``),
    ``time`` (minutes, checkins) and ``notes`` (at, what, text), oldest first."""
    title = records[0]["student"]["name"] if len(records) == 1 else "Conferring records"
    body = "\n".join(_record(r, tz=tz, term=term) for r in records)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} · conferring record</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
