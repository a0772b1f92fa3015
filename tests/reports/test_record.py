"""The conferring record's pure parts: small-group time from check-ins and stays, and the
printed record (escaped, one page per student)."""

from __future__ import annotations

from datetime import UTC

from live.reports.record import render_records, small_group_time

STAYS = [
    {"group_id": 1, "student_id": 10, "joined_at": 0.0, "left_at": 1000.0},
    {"group_id": 2, "student_id": 10, "joined_at": 1000.0, "left_at": None},
    {"group_id": 1, "student_id": 11, "joined_at": 0.0, "left_at": None},
]


def _checkin(group: int, start: float, minutes: float | None) -> dict:
    end = None if minutes is None else start + minutes * 60
    return {"group_id": group, "started_at": start, "ended_at": end}


def test_a_check_in_counts_for_the_members_of_its_group_at_the_time() -> None:
    checkins = [
        _checkin(1, 100, 5),  # 10 and 11 were in group 1
        _checkin(1, 2000, 4),  # 10 had left group 1
        _checkin(2, 3000, 6),
        _checkin(2, -50, 60),  # before the term
    ]
    got = small_group_time(checkins, STAYS, since=0, until=10_000)
    assert got["students"] == {
        10: {"minutes": 11.0, "checkins": 2},
        11: {"minutes": 9.0, "checkins": 2},
    }
    assert got["groups"] == {1: {"minutes": 9.0, "checkins": 2}, 2: {"minutes": 6.0, "checkins": 1}}


def test_an_open_check_in_counts_up_to_now() -> None:
    got = small_group_time([_checkin(2, 3000, None)], STAYS, since=0, until=3600)
    assert got["students"][10]["minutes"] == 10.0


def _record(name: str) -> dict:
    steps = [
        {"id": 7, "position": 1, "name": "Same <denominators>", "description": "", "prompts": []},
        {"id": 8, "position": 2, "name": "Mixed", "description": "x", "prompts": ["Show me?"]},
    ]
    current = {
        "position": 1,
        "label": "Step 1: Same <denominators>",
        "provisional": False,
        "source": "conference",
        "evidence_text": "2 of 2 right on step 1",
        "next": {"position": 2, "step_id": 8, "name": "Mixed", "prompts": ["Show me?"]},
    }
    return {
        "student": {"name": name, "card": 3},
        "class_name": "5C",
        "group": {"name": "Blue"},
        "goal": "Step 2: Mixed",
        "goal_step_id": 8,
        "progressions": [
            {
                "progression": {"name": "Fractions", "steps": steps},
                "current": current,
                "path": [{"at": 86400.0, "step": 1, "source": "answers"}],
            }
        ],
        "time": {"minutes": 12.5, "checkins": 2},
        "notes": [{"at": 86400.0, "what": "check-in with Blue", "text": "used a <bar> model"}],
    }


def test_the_record_shows_step_goal_prompts_notes_and_time_escaped() -> None:
    html = render_records([_record("Ada <b>")], tz=UTC, term="over the last 12 weeks")
    assert "Ada &lt;b&gt;" in html and "<b>" not in html.replace("<br>", "")
    assert "Same &lt;denominators&gt;" in html and "used a &lt;bar&gt; model" in html
    assert "stands here" in html and "goal" in html and "Show me?" in html
    assert "12.5 minutes" in html and "02 Jan 1970" in html
    assert "from a conference" in html


def test_several_records_break_to_a_page_each() -> None:
    html = render_records([_record("Ada"), _record("Ben")], tz=UTC, term="x")
    assert html.count('<section class="record">') == 2
    assert "break-after: page" in html
