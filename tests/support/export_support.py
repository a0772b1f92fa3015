"""A fixed small session for the export tests: explicit times, awkward names, two classes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from live.store import Store
from live.store.tables import checkins, flags

T0 = 1725271200.0  # 2024-09-02T10:00:00Z

# names that must survive every format: formula starts, commas, quotes, newlines, Unicode
NAMES = [
    ("Ada Lovelace", "Blue"),
    ("=cmd|' /C calc'!A0", "Blue"),
    ('Zoë "Zee" O\'Brien, Jr.', "Red"),
    ("Li\nWei", "Red"),
    ("@SUM(1+1)", None),
    ("-Minus Sign", None),
    ("李 小龍", "Blue"),
    ("+Plus\tTab", "Red"),
]


def build(store: Store) -> dict[str, Any]:
    """Class 7B with eight students, three questions (one a poll) in a set, one ended session
    with a changed answer and a manual entry, a flag and a check-in; and class 8C with its own
    session (for isolation). Returns the ids."""
    t = T0 - 3600
    cls = store.create_class("7B", now=t)
    cid = cls["id"]
    # the school's student IDs (two students have none) and a few emails
    students = [
        store.add_student(
            cid,
            n,
            card=i + 1,
            school_id=None if n.startswith(("@", "-")) else f"S{1001 + i}",
            email="ada@school.example" if i == 0 else None,
            now=t,
        )["id"]
        for i, (n, _) in enumerate(NAMES)
    ]
    groups: dict[str, int] = {}
    for gname in ("Blue", "Red"):
        members = [students[i] for i, (_, g) in enumerate(NAMES) if g == gname]
        groups[gname] = store.create_group(
            cid, gname, students=members, goal=f"{gname} goal", skill="fractions", now=t
        )["id"]
    q1 = store.create_question(
        "What is 1/2 + 1/3?", ["5/6", "2/5", "1/6"], correct="A", skills=["fractions"], now=t
    )["id"]
    q2 = store.create_question(
        "=1+1, which is bigger: 3/4 or 5/8?",
        ["5/8", "3/4"],
        correct="B",
        skills=["fractions", "compare"],
        now=t,
    )["id"]
    q3 = store.create_question(
        "How sure are you?", ["Very", "A bit", "Not yet"], correct=None, now=t
    )["id"]
    qset = store.create_set("Fractions check", [q1, q2, q3], now=t)["id"]
    session, _ = store.start_session(cid, set_id=qset, now=T0)
    sid = session["id"]
    answers = [
        # q1: key A
        ["A", "B", "A", "C", "A", None, "A", "B"],
        # q2: key B
        ["B", "A", "B", "B", None, "A", "B", "A"],
        # q3: poll
        ["A", "B", "C", "A", "A", None, "B", None],
    ]
    now = T0
    for qi, qid in enumerate((q1, q2, q3)):
        now += 60
        store.ask(sid, qid, now=now)
        for si, ans in enumerate(answers[qi]):
            if ans is None:
                continue
            now += 1
            store.record(sid, students[si], ans, source="scan", now=now)
        if qi == 0:
            # Ada changes her mind twice and ends where she began: two changes
            store.record(sid, students[0], "C", source="scan", now=now + 1)
            store.record(sid, students[0], "A", source="scan", now=now + 2)
            now += 2
            store.close_question(sid, now=now + 1)
            # a card the camera missed, entered by hand after close
            store.record(sid, students[5], "A", source="manual", now=now + 2)
            now += 2
        store.reveal(sid, now=now + 5)
        now += 5
    store.end_session(sid, now=now + 30)
    with store.transaction() as db:
        db.execute(
            insert(flags).values(
                session_id=sid,
                class_id=cid,
                group_id=groups["Red"],
                rule="misconception",
                severity="high",
                message="=Red chose B on Q1: check in",
                raised_at=T0 + 100,
                updated_at=T0 + 100,
            )
        )
        db.execute(
            insert(checkins).values(
                class_id=cid,
                group_id=groups["Red"],
                session_id=sid,
                started_at=T0 + 200,
                ended_at=T0 + 260,
                note="Used a number line",
                goal="Compare fractions",
                next_step="Re-check Friday",
            )
        )
    # another class, whose data must never leak into 7B's exports
    other = store.create_class("8C", now=t)["id"]
    stranger = store.add_student(other, "Stranger Danger", card=1, now=t)["id"]
    s2, _ = store.start_session(other, set_id=qset, now=T0 + 7200)
    store.ask(s2["id"], q1, now=T0 + 7260)
    store.record(s2["id"], stranger, "B", source="scan", now=T0 + 7261)
    store.end_session(s2["id"], now=T0 + 7300)
    return {
        "class": cid,
        "students": students,
        "groups": groups,
        "questions": [q1, q2, q3],
        "set": qset,
        "session": sid,
        "other_class": other,
        "other_session": s2["id"],
        "stranger": stranger,
    }
