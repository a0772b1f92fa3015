"""Where each student of a class stands, read from the store: answers on step questions in
sessions, the teacher's placements, and the path so far."""

from __future__ import annotations

from live.rules.standing import class_standing, student_standing
from live.store import Store

STEPS = [{"name": f"Step {i}", "prompts": [f"Prompt {i}"]} for i in range(1, 5)]


def _class(store: Store) -> tuple[int, list[int], dict]:
    cid = store.create_class("7B", now=0)["id"]
    kids = [store.add_student(cid, n, now=0)["id"] for n in ("Ada", "Ben", "Cy")]
    p = store.create_progression("Fractions", STEPS, now=0)
    return cid, kids, p


def _check(store: Store, cid: int, step_id: int, answers: dict[int, list[str]], t: float) -> None:
    """A session asking one question per answer on ``step_id`` (key A)."""
    sid = store.start_session(cid, set_id=None, now=t)[0]["id"]
    n = max(len(a) for a in answers.values())
    for i in range(n):
        q = store.create_question(
            f"q{t}-{i}", ["a", "b", "c", "d"], correct="A", step_id=step_id, now=t
        )
        store.ask(sid, q["id"], now=t + i)
        for student, marks in answers.items():
            if i < len(marks):
                store.record(sid, student, marks[i], source="manual", now=t + i + 0.5)
    store.end_session(sid, now=t + n)


def test_students_are_placed_from_their_answers_with_the_evidence(store: Store) -> None:
    cid, (ada, ben, cy), p = _class(store)
    one, two, three, _ = (s["id"] for s in p["steps"])
    _check(store, cid, one, {ada: ["A", "A"], ben: ["A", "A"], cy: ["B"]}, 100)
    _check(store, cid, two, {ada: ["A", "A", "A"], ben: ["B", "C"]}, 200)
    _check(store, cid, three, {ada: ["B", "A", "C"], ben: ["B", "B"]}, 300)
    got = {s["id"]: s for s in class_standing(store, cid, p["id"])["students"]}
    assert got[ada]["current"]["position"] == 2
    assert got[ada]["current"]["label"] == "Step 2: Step 2"
    assert got[ada]["current"]["next"]["prompts"] == ["Prompt 3"]
    assert got[ada]["estimate"]["evidence_text"] == (
        "2 of 2 right on step 1, 3 of 3 on step 2, 1 of 3 on step 3"
    )
    assert got[ben]["current"]["position"] == 1
    assert got[cy]["current"]["position"] is None  # one answer is not enough
    assert got[cy]["current"]["ask"] == 1


def test_a_conference_places_a_student_until_later_answers_say_otherwise(store: Store) -> None:
    cid, (ada, _, _), p = _class(store)
    one, two, three, four = (s["id"] for s in p["steps"])
    _check(store, cid, one, {ada: ["A", "A"]}, 100)
    _check(store, cid, two, {ada: ["B", "B"]}, 200)
    store.add_placement(ada, p["id"], two, kind="conference", note="Explains it", now=250)
    [mine] = student_standing(store, cid, ada)
    assert mine["current"]["position"] == 2 and mine["current"]["source"] == "conference"
    assert mine["current"]["teacher"]["note"] == "Explains it"
    _check(store, cid, three, {ada: ["A", "A", "A"]}, 300)
    _check(store, cid, four, {ada: ["B", "C"]}, 400)
    [mine] = student_standing(store, cid, ada)
    assert mine["current"]["position"] == 3
    assert [(s["step"], s["source"]) for s in mine["path"]] == [
        (1, "answers"),
        (2, "conference"),
        (3, "answers since the teacher's word"),
    ]
