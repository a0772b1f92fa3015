"""The printable session report: one self-contained HTML page, pure (``ReportData`` in, text out).

Per question: the prompt, the key, percent correct, the point-biserial discrimination (or why
not), an inline SVG bar chart of the choices, and each choice's share among the top and bottom
groups of students. Then the scoresheet, the groups with their goals and check-ins, and the
flags. Nothing is fetched: no scripts, fonts or images from anywhere; print CSS keeps each
question on one page where it fits. Every text from the store is HTML-escaped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, tzinfo
from html import escape

from live.reports.report import ItemStats, ReportData, item_analysis
from live.reports.score import student_scores, total

__all__ = ["render_report", "svg_chart"]

_CSS = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.meta { color: #555; margin-top: .25rem; }
.question { border: 1px solid #ccc; border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0;
            break-inside: avoid; page-break-inside: avoid; }
.question h3 { margin: 0 0 .5rem; font-size: 1.05rem; }
.stats { display: flex; flex-wrap: wrap; gap: 1.5rem; color: #333; margin: .25rem 0 .5rem; }
.note { color: #777; font-size: .85rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.ok { background: #c6efce; } td.no { background: #ffc7ce; }
svg text { font: 12px system-ui, sans-serif; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  h2 { break-before: auto; } .question { border-color: #999; }
}
"""


def _fmt_pct(x: float | None) -> str:
    return "–" if x is None else f"{math.floor(x + 0.5)}%"  # half up, like the exports


def svg_chart(item: ItemStats, *, width: int = 420) -> str:
    """A horizontal bar chart of the choices (the key in green), as inline SVG."""
    bar_h, gap, label_w = 22, 6, 150
    n = max(len(item.choices), 1)
    height = n * (bar_h + gap) + gap
    total = max(item.answered, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="answers to question '
        f'{item.number}">'
    ]
    for i, c in enumerate(item.choices):
        y = gap + i * (bar_h + gap)
        w = (width - label_w - 60) * c.count / total
        colour = "#2ca02c" if c.choice == item.correct else "#8c9db5"
        label = f"{c.choice}  {c.text}"
        if len(label) > 22:
            label = label[:21] + "…"
        parts.append(
            f'<text x="0" y="{y + 15}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{c.count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _question_html(item: ItemStats) -> str:
    disc = "–" if item.discrimination is None else f"{item.discrimination:.2f}"
    rows = "".join(
        f"<tr><td>{c.choice}{' ✓' if c.choice == item.correct else ''}</td>"
        f"<td>{escape(c.text)}</td><td>{c.count}</td>"
        f"<td>{_fmt_pct(None if c.share is None else 100 * c.share)}</td>"
        f"<td>{_fmt_pct(None if c.top is None else 100 * c.top)}</td>"
        f"<td>{_fmt_pct(None if c.bottom is None else 100 * c.bottom)}</td></tr>"
        for c in item.choices
    )
    skills = ", ".join(item.skills) or "–"
    return (
        f'<section class="question"><h3>Q{item.number}. {escape(item.prompt)}</h3>'
        f'<div class="stats"><span>Key: <b>{escape(item.correct or "poll")}</b></span>'
        f"<span>Answered: {item.answered}</span>"
        f"<span>Correct: {_fmt_pct(item.percent_correct)}</span>"
        f"<span>Discrimination: {disc} (n={item.discrimination_n})</span>"
        f"<span>Skills: {escape(skills)}</span></div>"
        f"{svg_chart(item)}"
        "<table><thead><tr><th>Choice</th><th>Text</th><th>Count</th><th>Share</th>"
        f"<th>Top {item.top_n or ''}</th><th>Bottom {item.bottom_n or ''}</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        + (f'<p class="note">{escape(item.note)}</p>' if item.note else "")
        + "</section>"
    )


def _when(t: float | None, tz: tzinfo) -> str:
    return "" if t is None else datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M")


def render_report(data: ReportData, *, tz: tzinfo = UTC) -> str:
    """The whole page for ``data`` (normally one session)."""
    items = item_analysis(data)
    scores = student_scores(data)
    answers: dict[int, dict[int, str]] = defaultdict(dict)
    for r in data.responses:
        answers[r.student_id][r.asked_id] = r.answer
    when = ", ".join(_when(s.started_at, tz) for s in data.sessions[:3])
    if len(data.sessions) > 3:
        when += f" and {len(data.sessions) - 3} more"
    overall = total(scores.values())
    head = "".join(
        f"<th>Q{q.number}<br><small>{'key ' + escape(q.correct) if q.correct else 'poll'}"
        "</small></th>"
        for q in data.questions
    )
    body = []
    for s in data.students:
        sc = scores[s.id]
        cells = []
        for q in data.questions:
            a = answers.get(s.id, {}).get(q.asked_id)
            cls = (
                ""
                if a is None or q.correct is None
                else (" class=ok" if a == q.correct else " class=no")
            )
            cells.append(f"<td{cls}>{escape(a or '')}</td>")
        body.append(
            f"<tr><td>{s.card or ''}</td><td>{escape(s.name)}</td>"
            f"<td>{escape(s.group or '')}</td><td>{_fmt_pct(sc.percent)}</td>"
            f"<td>{sc.correct}/{sc.asked}</td><td>{sc.answered}</td>{''.join(cells)}</tr>"
        )
    goals: dict[int, list[str]] = defaultdict(list)
    for g in data.goals:
        goals[g.group_id].append(g.text)
    checkins: dict[int, list[str]] = defaultdict(list)
    for c in data.checkins:
        text = "; ".join(
            x
            for x in (c.note, c.goal and f"goal: {c.goal}", c.next_step and f"next: {c.next_step}")
            if x
        )
        checkins[c.group_id].append(f"{_when(c.started_at, tz)} {text}".strip())
    groups = "".join(
        f"<tr><td>{escape(g.name)}</td><td>{escape(g.goal)}</td>"
        f"<td>{escape(' | '.join(goals[g.id]))}</td>"
        f"<td>{'<br>'.join(escape(x) for x in checkins[g.id])}</td></tr>"
        for g in data.groups
        if not g.archived
    )
    names = {s.id: s.name for s in data.students}
    gnames = {g.id: g.name for g in data.groups}
    flags = "".join(
        f"<tr><td>{_when(f.raised_at, tz)}</td>"
        f"<td>{escape(gnames.get(f.group_id or 0, '') or names.get(f.student_id or 0, ''))}</td>"
        f"<td>{escape(f.message)}</td><td>{escape(f.resolution or '')}</td></tr>"
        for f in data.flags
    )
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(data.title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(data.title)}</h1>"
        f'<p class="meta">{escape(when)} · {len(data.students)} students · '
        f"{len(data.questions)} questions · score {_fmt_pct(overall.percent)} "
        f"({overall.correct} right of {overall.asked} asked, {overall.answered} answered)</p>"
        "<h2>Questions</h2>"
        + "".join(_question_html(it) for it in items)
        + "<h2>Scoresheet</h2><table><thead><tr><th>Card</th><th>Name</th><th>Group</th>"
        f"<th>Score</th><th>Right of asked</th><th>Answered</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        + (
            "<h2>Groups, goals and check-ins</h2><table><thead><tr><th>Group</th><th>Goal</th>"
            f"<th>Goals so far</th><th>Check-ins</th></tr></thead><tbody>{groups}</tbody></table>"
            if groups
            else ""
        )
        + (
            "<h2>Flags</h2><table><thead><tr><th>Raised</th><th>Who</th><th>Why</th>"
            f"<th>Resolved</th></tr></thead><tbody>{flags}</tbody></table>"
            if flags
            else ""
        )
        + "</body></html>\n"
    )
