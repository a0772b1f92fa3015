"""Where each student of a class stands on a progression: the store's answers and placements
through the pure rule of ``live.rules.placement``. Call it off the event loop (it reads the
store).

Steps are numbered by position (1 first; 0 is "not yet on step 1") in the pure rule, and named
by id and name in what this returns, so a reordered progression reads right.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from live.rules.placement import (
    PlacementRule,
    StepAnswer,
    TeacherWord,
    by_step,
    current,
    estimate,
    path,
)
from live.store import Store

__all__ = ["class_standing", "step_groups", "step_label", "student_standing"]


def step_label(progression: dict[str, Any], position: int | None) -> str:
    """``Step 2: Writes a sum over 1 as a mixed number``, ``Not yet on step 1``, or ``Not
    placed yet``."""
    if position is None:
        return "Not placed yet"
    if position == 0:
        return "Not yet on step 1"
    step = progression["steps"][position - 1]
    return f"Step {position}: {step['name']}"


def _step_ref(progression: dict[str, Any], position: int | None) -> dict[str, Any]:
    steps = progression["steps"]
    step = steps[position - 1] if position else None
    following = steps[position] if position is not None and position < len(steps) else None
    return {
        "position": position,
        "step_id": step["id"] if step else None,
        "label": step_label(progression, position),
        "next": None
        if following is None
        else {
            "position": following["position"],
            "step_id": following["id"],
            "name": following["name"],
            "prompts": following["prompts"],
        },
    }


def _inputs(
    progression: dict[str, Any], answers: Sequence[dict[str, Any]], words: Sequence[dict[str, Any]]
) -> tuple[dict[int, list[StepAnswer]], dict[int, list[TeacherWord]]]:
    position = {s["id"]: s["position"] for s in progression["steps"]}
    by_student: dict[int, list[StepAnswer]] = {}
    for a in answers:
        by_student.setdefault(a["student_id"], []).append(
            StepAnswer(position[a["step_id"]], bool(a["right"]), a["at"], a["session_id"])
        )
    said: dict[int, list[TeacherWord]] = {}
    for w in words:
        step = 0 if w["step_id"] is None else position.get(w["step_id"])
        if step is not None:
            said.setdefault(w["student_id"], []).append(
                TeacherWord(step, w["kind"], w["at"], w["note"])
            )
    return by_student, said


def _standing(
    progression: dict[str, Any],
    answers: list[StepAnswer],
    words: list[TeacherWord],
    rule: PlacementRule,
) -> dict[str, Any]:
    steps = len(progression["steps"])
    from_answers = estimate(answers, steps, rule)
    now = current(answers, words, steps, rule)
    return {
        "estimate": {**from_answers.to_dict(), **_step_ref(progression, from_answers.step)},
        "current": {**now.to_dict(), **_step_ref(progression, now.step)},
        "path": [
            {**p, "label": step_label(progression, p["step"])}
            for p in path(answers, words, steps, rule)
        ],
    }


def class_standing(
    store: Store, class_id: int, progression_id: int, *, rule: PlacementRule | None = None
) -> dict[str, Any]:
    """The progression and, per active student of the class, the estimate from answers alone,
    where they stand now (the teacher's word counted), and the path so far."""
    rule = rule or PlacementRule()
    progression = store.get_progression(progression_id)
    students = store.list_students(class_id)
    answers, words = _inputs(
        progression,
        store.step_answers(class_id, progression_id),
        store.placements(class_id=class_id, progression_id=progression_id),
    )
    return {
        "progression": progression,
        "rule": {"min_answers": rule.min_answers, "slip": rule.slip, "recent": rule.recent},
        "students": [
            {
                "id": s["id"],
                "name": s["name"],
                "card": s["card"],
                "group_id": s["group_id"],
                **_standing(progression, answers.get(s["id"], []), words.get(s["id"], []), rule),
            }
            for s in students
        ],
    }


def student_standing(
    store: Store, class_id: int, student_id: int, *, rule: PlacementRule | None = None
) -> list[dict[str, Any]]:
    """Per progression the class has answered on or the student was placed on: the student's
    standing (as in ``class_standing``) with the progression."""
    rule = rule or PlacementRule()
    said = store.placements(student_id=student_id)
    ids = list(
        dict.fromkeys(
            [*store.progressions_of_class(class_id), *(w["progression_id"] for w in said)]
        )
    )
    out = []
    for progression_id in ids:
        progression = store.get_progression(progression_id)
        answers, words = _inputs(
            progression,
            [
                a
                for a in store.step_answers(class_id, progression_id)
                if a["student_id"] == student_id
            ],
            [w for w in said if w["progression_id"] == progression_id],
        )
        out.append(
            {
                "progression": progression,
                **_standing(
                    progression, answers.get(student_id, []), words.get(student_id, []), rule
                ),
            }
        )
    return out


def step_groups(
    store: Store,
    class_id: int,
    progression_id: int,
    *,
    size: int = 4,
    rule: PlacementRule | None = None,
) -> dict[str, Any]:
    """Grouping suggestions by step: the students who stand on the same step (the teacher's
    word counted; provisional estimates too, said so), in groups of about ``size``, each with
    the next step as its goal. Students with no estimate are ``unplaced``, with what to ask."""
    standing = class_standing(store, class_id, progression_id, rule=rule)
    progression = standing["progression"]
    by_id = {s["id"]: s for s in standing["students"]}
    cut = by_step([(s["id"], s["current"]["position"]) for s in standing["students"]], size)
    per_step = Counter(position for position, _ in cut)
    seen: Counter[int] = Counter()
    groups = []
    for position, members in cut:
        seen[position] += 1
        ref = _step_ref(progression, position)
        if position:
            reason = f"{len(members)} stand on step {position}"
        else:
            reason = f"{len(members)} are not yet on step 1"
        unsure = sum(1 for m in members if by_id[m]["current"]["provisional"])
        if unsure:
            reason += f" ({unsure} provisionally: ask about the step above)"
        goal = ref["next"]
        if goal is None:
            reason += "; the last step: extend beyond the progression"
        name = f"Step {position}" if position else "Before step 1"
        if per_step[position] > 1:
            name += f" ({seen[position]})"
        groups.append(
            {
                "name": name,
                "step": ref,
                "goal": goal,
                "reason": reason,
                "students": [
                    {
                        "id": m,
                        "name": by_id[m]["name"],
                        "card": by_id[m]["card"],
                        "evidence": by_id[m]["current"]["evidence_text"],
                        "source": by_id[m]["current"]["source"],
                        "provisional": by_id[m]["current"]["provisional"],
                    }
                    for m in members
                ],
            }
        )
    return {
        "progression": {"id": progression["id"], "name": progression["name"]},
        "size": size,
        "method": "students on the same step (estimate or the teacher's word), lowest step first,"
        " cut into groups of about the size asked; each group's goal is the next step",
        "groups": groups,
        "unplaced": [
            {
                "id": s["id"],
                "name": s["name"],
                "card": s["card"],
                "reason": f"not enough evidence yet ({s['current']['evidence_text']});"
                f" ask about step {s['current']['ask']}",
            }
            for s in standing["students"]
            if s["current"]["position"] is None
        ],
    }
