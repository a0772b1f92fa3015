"""Skill progressions in the store: steps keep their ids through edits, what points at a step
protects it, questions measure steps, placements and step goals are kept with their history."""

from __future__ import annotations

import pytest

from live.errors import BadRequest, Conflict, NotFound
from live.store import Store

STEPS = [
    {"name": "Same denominators", "description": "2/7 + 3/7", "prompts": ["Show me"]},
    {"name": "Mixed numbers", "prompts": []},
    {"name": "Unlike denominators"},
]


def _progression(store: Store) -> dict:
    return store.create_progression("Fractions", STEPS, subject="Mathematics", now=1)


def test_a_progression_keeps_its_steps_in_order_with_prompts(store: Store) -> None:
    p = _progression(store)
    assert [s["position"] for s in p["steps"]] == [1, 2, 3]
    assert p["steps"][0]["prompts"] == ["Show me"] and p["steps"][1]["description"] == ""
    assert p["subject"] == "Mathematics" and not p["archived"]
    assert [x["id"] for x in store.list_progressions()] == [p["id"]]
    assert store.get_step(p["steps"][1]["id"])["progression"] == "Fractions"


def test_reordering_keeps_step_ids_so_questions_follow_their_step(store: Store) -> None:
    p = _progression(store)
    one, two, three = (s["id"] for s in p["steps"])
    q = store.create_question("1/3+1/3?", ["2/3", "2/6"], correct="A", step_id=three, now=2)
    assert q["step_id"] == three
    new = [
        {"id": three, "name": "Unlike denominators, first"},
        {"id": one, "name": "Same denominators"},
        {"id": two, "name": "Mixed numbers"},
        {"name": "Mixed numbers, unlike"},
    ]
    p = store.update_progression(p["id"], steps=new, now=3)
    assert [(s["id"], s["position"]) for s in p["steps"]][:3] == [(three, 1), (one, 2), (two, 3)]
    assert p["steps"][0]["questions"] == 1 and len(p["steps"]) == 4
    assert store.get_question(q["id"])["step_id"] == three


def test_a_step_in_use_cannot_be_removed_and_a_used_progression_is_archived(
    store: Store,
) -> None:
    p = _progression(store)
    one = p["steps"][0]["id"]
    store.create_question("?", ["a", "b"], correct="A", step_id=one, now=2)
    with pytest.raises(Conflict, match="a question measures it"):
        store.update_progression(p["id"], steps=[{"name": "Only"}], now=3)
    assert len(store.get_progression(p["id"])["steps"]) == 3  # nothing changed
    assert store.delete_progression(p["id"], now=4) is False
    assert store.get_progression(p["id"])["archived"]
    assert store.list_progressions() == []
    unused = store.create_progression("Unused", [{"name": "x"}], now=5)
    assert store.delete_progression(unused["id"], now=6) is True
    with pytest.raises(NotFound):
        store.get_progression(unused["id"])


def test_steps_of_another_progression_or_listed_twice_are_refused(store: Store) -> None:
    p = _progression(store)
    other = store.create_progression("Other", [{"name": "x"}], now=2)
    with pytest.raises(NotFound):
        store.update_progression(
            p["id"], steps=[{"id": other["steps"][0]["id"], "name": "x"}], now=3
        )
    one = p["steps"][0]["id"]
    with pytest.raises(BadRequest):
        store.update_progression(
            p["id"], steps=[{"id": one, "name": "a"}, {"id": one, "name": "b"}], now=3
        )
    with pytest.raises(NotFound):
        store.create_question("?", ["a", "b"], correct="A", step_id=999, now=2)


def test_step_answers_are_the_latest_answers_to_keyed_step_questions(store: Store) -> None:
    p = _progression(store)
    one = p["steps"][0]["id"]
    cls = store.create_class("7B", now=1)
    ada = store.add_student(cls["id"], "Ada", now=1)
    q = store.create_question("?", ["a", "b"], correct="A", step_id=one, now=1)
    poll = store.create_question("poll", ["a", "b"], correct=None, step_id=one, now=1)
    free = store.create_question("free", ["a", "b"], correct="A", now=1)
    sid = store.start_session(cls["id"], set_id=None, now=2)[0]["id"]
    for question, answer in ((q, "B"), (poll, "A"), (free, "A")):
        store.ask(sid, question["id"], now=3)
        store.record(sid, ada["id"], answer, source="manual", now=4)
    store.ask(sid, q["id"], now=5)
    store.record(sid, ada["id"], "B", source="manual", now=6)
    store.record(sid, ada["id"], "A", source="manual", now=7)  # changed: the latest counts
    rows = store.step_answers(cls["id"], p["id"])
    assert [(r["step_id"], r["right"], r["session_id"]) for r in rows] == [
        (one, False, sid),
        (one, True, sid),
    ]
    assert store.progressions_of_class(cls["id"]) == [p["id"]]


def test_placements_and_step_goals_keep_their_history(store: Store) -> None:
    p = _progression(store)
    one, two, _ = (s["id"] for s in p["steps"])
    cls = store.create_class("7B", now=1)
    ada = store.add_student(cls["id"], "Ada", now=1)
    store.add_placement(ada["id"], p["id"], None, kind="observed", now=2)
    row = store.add_placement(ada["id"], p["id"], one, kind="conference", note="fine", now=3)
    assert row["kind"] == "conference" and row["step_id"] == one
    assert [r["step_id"] for r in store.placements(class_id=cls["id"])] == [None, one]
    other = store.create_progression("Other", [{"name": "x"}], now=2)
    with pytest.raises(NotFound):
        store.add_placement(ada["id"], other["id"], one, kind="observed", now=4)
    group = store.create_group(cls["id"], "Blue", students=[ada["id"]], now=2)
    assert store.goal_step(group["id"]) is None
    goal = store.set_goal_step(group["id"], two, now=5)
    assert goal["step_id"] == two and goal["achieved_at"] is None
    assert store.get_group(group["id"])["goal"] == "Step 2: Mixed numbers"
    assert store.goal_steps_of_class(cls["id"])[group["id"]]["step_id"] == two
    assert store.achieve_goal(group["id"], now=6)["achieved_at"] == 6
    with pytest.raises(Conflict):
        store.achieve_goal(group["id"], now=7)
    store.update_group(group["id"], goal="Free text goal", now=8)
    assert store.goal_step(group["id"]) is None  # the newest goal is not a step
    with pytest.raises(Conflict, match="placed on it"):
        store.update_progression(p["id"], steps=[{"name": "x"}], now=9)
    store.delete_student(ada["id"])
    assert store.placements(class_id=cls["id"]) == []
