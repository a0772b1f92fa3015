"""The school's student IDs in the store: kept, unique among a class's active students, freed
by archiving; archiving records when the student left the roster."""

from __future__ import annotations

import pytest

from live.errors import Conflict
from live.reports.roster import RosterRow
from live.store import Store, import_roster


def test_a_student_keeps_the_schools_id_and_email(store: Store) -> None:
    cid = store.create_class("7B", now=1.0)["id"]
    ada = store.add_student(cid, "Ada", school_id="S1", email="ada@school.example", now=2.0)
    assert (ada["school_id"], ada["email"], ada["left_at"]) == ("S1", "ada@school.example", None)
    changed = store.update_student(ada["id"], school_id="S9", email="", now=3.0)
    assert (changed["school_id"], changed["email"]) == ("S9", None)
    assert store.update_student(ada["id"], school_id="", now=4.0)["school_id"] is None


def test_a_student_id_is_unique_among_the_active_students_of_a_class(store: Store) -> None:
    cid = store.create_class("7B", now=1.0)["id"]
    other = store.create_class("8C", now=1.0)["id"]
    ada = store.add_student(cid, "Ada", school_id="S1", now=2.0)
    with pytest.raises(Conflict, match="S1"):
        store.add_student(cid, "Ben", school_id="S1", now=2.0)
    ben = store.add_student(cid, "Ben", school_id="S2", now=2.0)
    with pytest.raises(Conflict):
        store.update_student(ben["id"], school_id="S1", now=3.0)
    assert store.add_student(other, "Ada too", school_id="S1", now=2.0)["school_id"] == "S1"
    # archiving frees the ID and records when Ada left; restoring her needs it back
    archived = store.update_student(ada["id"], active=False, now=5.0)
    assert archived["left_at"] == 5.0
    store.update_student(ben["id"], school_id="S1", now=6.0)
    with pytest.raises(Conflict):
        store.update_student(ada["id"], active=True, now=7.0)
    restored = store.update_student(ada["id"], active=True, school_id="S3", now=7.0)
    assert (restored["active"], restored["left_at"], restored["school_id"]) == (True, None, "S3")


def test_a_roster_import_keeps_the_ids_and_refuses_one_already_taken(store: Store) -> None:
    cid = store.create_class("7B", now=1.0)["id"]
    store.add_student(cid, "Ada", card=1, school_id="S1", now=2.0)
    rows = [
        RosterRow(line=2, name="Ben", card=2, group=None, school_id="S2", email="b@x.example"),
        RosterRow(line=3, name="Cy", card=3, group=None),
    ]
    assert import_roster(store, cid, rows, now=3.0)["created"] == 2
    got = {s["name"]: (s["school_id"], s["email"]) for s in store.list_students(cid)}
    assert got == {"Ada": ("S1", None), "Ben": ("S2", "b@x.example"), "Cy": (None, None)}
    again = [RosterRow(line=2, name="Dee", card=4, group=None, school_id="S2")]
    with pytest.raises(Conflict, match="S2"):
        import_roster(store, cid, again, now=4.0)
    assert len(store.list_students(cid)) == 3  # nothing of the refused roster was added
