"""The demo class: what ``serve --demo`` and ``cardcheck demo`` seed so a newcomer sees data.

28 students with cards 1-28 in five groups with learning goals, and a question set on fractions
with skill tags. Seeding is idempotent: a data folder that already has the demo class keeps it.
"""

from __future__ import annotations

from typing import Any

from live.store import Store

__all__ = ["DEMO_CLASS", "seed_demo"]

DEMO_CLASS = "Demo class 7B"

_NAMES = [
    "Amara Okafor",
    "Ben Carter",
    "Chloé Martin",
    "Dev Patel",
    "Elif Yilmaz",
    "Finn Murphy",
    "Grace Kim",
    "Hugo Silva",
    "Isla Brown",
    "Jonas Weber",
    "Kai Nakamura",
    "Lena Novak",
    "Mateo García",
    "Nia Williams",
    "Oscar Lindqvist",
    "Priya Shah",
    "Quinn Taylor",
    "Rosa Moreno",
    "Sami Haddad",
    "Tara O'Neill",
    "Umar Farouk",
    "Vera Ivanova",
    "Wen Li",
    "Xavier Dubois",
    "Yara Costa",
    "Zoe Fischer",
    "Aiden Walsh",
    "Bea Rossi",
]

_GROUPS: list[tuple[str, str, str, str, range]] = [
    # name, colour, learning goal, skill, students by index
    ("Blue", "#1f77b4", "Add fractions with unlike denominators", "fraction-addition", range(0, 6)),
    (
        "Red",
        "#d62728",
        "Compare fractions using a common denominator",
        "fraction-compare",
        range(6, 12),
    ),
    ("Green", "#2ca02c", "Place fractions on a number line", "number-line", range(12, 17)),
    ("Purple", "#9467bd", "Explain equivalent fractions with models", "equivalence", range(17, 23)),
    ("Orange", "#ff7f0e", "Extend to mixed numbers", "mixed-numbers", range(23, 28)),
]

_QUESTIONS: list[dict[str, Any]] = [
    {
        "prompt": "What is 1/2 + 1/3?",
        "choices": ["5/6", "2/5", "1/5", "2/6"],
        "correct": "A",
        "skills": ["fraction-addition"],
    },
    {
        "prompt": "Which is larger: 3/4 or 5/8?",
        "choices": ["3/4", "5/8", "They are equal"],
        "correct": "A",
        "skills": ["fraction-compare"],
    },
    {
        "prompt": "Which fraction is equivalent to 2/3?",
        "choices": ["4/6", "3/4", "2/6", "6/4"],
        "correct": "A",
        "skills": ["equivalence"],
    },
    {
        "prompt": "Where is 3/4 on a number line from 0 to 1?",
        "choices": ["Just past halfway", "Three quarters of the way", "Near 0", "Past 1"],
        "correct": "B",
        "skills": ["number-line"],
    },
    {
        "prompt": "What is 2/5 + 1/10?",
        "choices": ["3/15", "1/2", "3/10", "2/10"],
        "correct": "B",
        "skills": ["fraction-addition"],
    },
    {
        "prompt": "Write 1 3/4 as an improper fraction.",
        "choices": ["7/4", "4/3", "13/4", "3/4"],
        "correct": "A",
        "skills": ["mixed-numbers"],
    },
    {
        "prompt": "How confident do you feel adding fractions?",
        "choices": ["Very", "Mostly", "A little", "Not yet"],
        "correct": None,
        "skills": ["fraction-addition"],
    },
]


def seed_demo(store: Store, *, now: float) -> int:
    """Create the demo class, groups and question set unless they exist; returns the class id."""
    existing = store.find_class(DEMO_CLASS)
    if existing is not None:
        return int(existing["id"])
    cls = store.create_class(DEMO_CLASS, now=now)
    students = [
        store.add_student(cls["id"], name, card=i + 1, now=now)["id"]
        for i, name in enumerate(_NAMES)
    ]
    for name, colour, goal, skill, members in _GROUPS:
        store.create_group(
            cls["id"],
            name,
            colour=colour,
            goal=goal,
            skill=skill,
            students=[students[i] for i in members],
            now=now,
        )
    questions = [
        store.create_question(
            q["prompt"], q["choices"], correct=q["correct"], skills=q["skills"], now=now
        )["id"]
        for q in _QUESTIONS
    ]
    store.create_set("Fractions check-in", questions, now=now)
    return int(cls["id"])
