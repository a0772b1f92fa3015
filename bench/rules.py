"""Benchmark: the rule engine's cost per response event, next to the cost of storing the event.

Run from the repository root: ``.venv/bin/python -m bench.rules [--questions N] [--history S]``.

A class of 40 students in 8 groups of 5, with the 12 default rules. A live session asks
``--questions`` questions; every student answers each one (and a tenth change their mind), and
each answer goes through the pipeline's two steps after the scan:

* ``store.record``: the SQLite transaction that stores the response and appends its event;
* ``rules``: ``RuleEngine.handle`` on the committed event: the roster fingerprint (one SELECT),
  the pure engine's fold and evaluation of the 12 rules on 8 groups and 40 students, and storing
  any flag decisions with their events;
* ``rules, pure core``: the engine's ``apply`` + ``decide`` alone, on a replica fed the same log.

Then 40 quiet ticks, 15 s apart (what ``live.rules.ticker`` does between answers), per session:

* ``tick``: ``RuleEngine.tick``: the fingerprint, a look at the log for missed events, the
  time-based rules, and storing any flag decisions with their events;
* ``tick, pure core``: the replica's ``tick`` alone.

Twice: a fresh class, and a class with a year of history (``--history`` earlier sessions, each
with 8 questions answered by everyone, and two check-ins). The one-off cost of building the
engine for a session (reading the class and the recent history, replaying the log) is printed
below the table. Target: rules < 1 ms per event, and never the slowest step.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from live.rules.engine import Engine
from live.rules.flags import RuleEngine, load_context
from live.rules.rules import load_rules
from live.store import Store

SKILLS = [
    "fraction-addition",
    "fraction-compare",
    "number-line",
    "equivalence",
    "mixed-numbers",
    "decimals",
    "percent",
    "ratio",
]


def seed_class(store: Store, *, now: float) -> tuple[int, list[int], list[int]]:
    cls = store.create_class("Bench 8C", now=now)
    students = [
        store.add_student(cls["id"], f"Student {i + 1}", card=i + 1, now=now)["id"]
        for i in range(40)
    ]
    for g in range(8):
        store.create_group(
            cls["id"],
            f"Group {g + 1}",
            students=students[g * 5 : (g + 1) * 5],
            goal=f"Goal on {SKILLS[g]}",
            skill=SKILLS[g],
            now=now - 200 * 86400,
        )
    questions = [
        store.create_question(
            f"Question {i + 1}",
            ["a", "b", "c", "d"],
            correct="A",
            skills=[SKILLS[i % 8], SKILLS[(i + 3) % 8]],
            now=now,
        )["id"]
        for i in range(16)
    ]
    return cls["id"], students, questions


def seed_history(
    store: Store,
    class_id: int,
    students: list[int],
    questions: list[int],
    sessions: int,
    *,
    now: float,
    rng: random.Random,
) -> None:
    """A year of sessions written straight into the tables (the engine reads the tables)."""
    with store.transaction() as db:
        for k in range(sessions):
            started = now - (sessions - k) * 86400 * 1.5
            sid = db.execute(
                "INSERT INTO sessions(class_id, started_at, ended_at) VALUES (?, ?, ?)",
                (class_id, started, started + 3000),
            ).lastrowid
            for n in range(8):
                qid = questions[(k + n) % len(questions)]
                aid = db.execute(
                    "INSERT INTO asked(session_id, question_id, number, correct, opened_at,"
                    " closed_at) VALUES (?, ?, ?, 'A', ?, ?)",
                    (sid, qid, n + 1, started + 60 * n, started + 60 * n + 50),
                ).lastrowid
                db.executemany(
                    "INSERT INTO responses(asked_id, student_id, answer, source, first_at,"
                    " updated_at) VALUES (?, ?, ?, 'scan', ?, ?)",
                    [(aid, s, rng.choice("AABCD"), started, started) for s in students],
                )
            for g in rng.sample(range(8), 2):
                gid = db.execute(
                    "SELECT id FROM groups WHERE class_id = ? AND name = ?",
                    (class_id, f"Group {g + 1}"),
                ).fetchone()[0]
                db.execute(
                    "INSERT INTO checkins(class_id, group_id, session_id, started_at,"
                    " ended_at, note) VALUES (?, ?, ?, ?, ?, '')",
                    (class_id, gid, sid, started + 600, started + 600 + 240),
                )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(history: int, questions_asked: int, seed: int) -> tuple[dict[str, list[float]], float, int]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        try:
            now = time.time()
            class_id, students, questions = seed_class(store, now=now)
            if history:
                seed_history(store, class_id, students, questions, history, now=now, rng=rng)
            row, _ = store.start_session(class_id, set_id=None, now=now)
            sid = row["id"]
            engine = RuleEngine(store)
            t0 = time.perf_counter()
            engine.handle(store.ask(sid, questions[0], now=now), now)
            build = time.perf_counter() - t0
            context, override = load_context(store, sid)
            replica = Engine(context, load_rules(None, override), session_id=sid)
            replica.replay(store.events_since(sid, 0))
            times: dict[str, list[float]] = {
                "store.record": [],
                "rules": [],
                "rules, pure core": [],
                "tick": [],
                "tick, pure core": [],
            }
            flags = 0
            clock = now
            for q in range(questions_asked):
                if q:
                    clock += 60
                    out = engine.handle(
                        store.ask(sid, questions[q % len(questions)], now=clock), clock
                    )
                    flags += sum(1 for e in out if e.type == "flag.raised")
                order = students[:]
                rng.shuffle(order)
                changers = set(rng.sample(students, 4))
                for s in order + sorted(changers):
                    clock += 0.05
                    answer = rng.choice("AAABCD" if s % 5 else "BBBACD")
                    a = time.perf_counter()
                    events = store.record(sid, s, answer, source="scan", now=clock)
                    b = time.perf_counter()
                    out = engine.handle(events, clock)
                    c = time.perf_counter()
                    flags += sum(1 for e in out if e.type == "flag.raised")
                    logged = store.events_since(sid, replica.seq)
                    d = time.perf_counter()
                    for e in logged:
                        replica.apply(e)
                    replica.decide(clock)
                    e_ = time.perf_counter()
                    if events:
                        times["store.record"].append(b - a)
                        times["rules"].append(c - b)
                        times["rules, pure core"].append(e_ - d)
                clock += 5
                out = engine.handle(store.close_question(sid, now=clock), clock)
                flags += sum(1 for e in out if e.type == "flag.raised")
            for _ in range(40):
                clock += 15
                a = time.perf_counter()
                out = engine.tick(sid, clock)
                b = time.perf_counter()
                flags += sum(1 for e in out if e.type == "flag.raised")
                for e in store.events_since(sid, replica.seq):
                    replica.apply(e)
                c = time.perf_counter()
                replica.tick(clock)
                d = time.perf_counter()
                times["tick"].append(b - a)
                times["tick, pure core"].append(d - c)
            return times, build, flags
        finally:
            store.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--questions", type=int, default=8)
    p.add_argument("--history", type=int, default=180)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rules = len(load_rules())
    print(
        f"rule engine per response event: 40 students in 8 groups, {rules} default rules, "
        f"{args.questions} questions x 40 answers (+4 changes) per run"
    )
    print()
    header = f"{'class':<28} {'step':<20} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'events':>7}"
    print(header)
    print("-" * len(header))
    builds = []
    for label, history in (
        ("fresh (no history)", 0),
        (f"a year ({args.history} sessions)", args.history),
    ):
        times, build, flags = run(history, args.questions, args.seed)
        builds.append((label, build, flags))
        for step, values in times.items():
            ms = [v * 1000 for v in values]
            print(
                f"{label:<28} {step:<20} {statistics.median(ms):>8.3f} {pct(ms, 0.95):>8.3f} "
                f"{statistics.fmean(ms):>8.3f} {len(ms):>7}"
            )
            label = ""
    print()
    for label, build, flags in builds:
        print(
            f"engine build for a session ({label}): {build * 1000:.1f} ms once; "
            f"flags raised in the run: {flags}"
        )
    print("target: rules under 1 ms per event")


if __name__ == "__main__":
    main()
