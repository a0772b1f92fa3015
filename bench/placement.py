"""Benchmark: how often the placement on a skill progression is the student's true step, and
how many questions it needs, next to a naive baseline.

Run from the repository root: ``.venv/bin/python -m bench.placement [--students N]``.

**The simulation.** A progression of 5 steps. Each student stands on a true step drawn evenly
from 0 ("not yet on step 1") to 5. On a question of a step at or below their own a student
answers right, except for a slip (each student's slip rate is drawn from 2 % to 20 %); on a step
above their own they guess among 4 choices (25 % right). A card check asks *k* questions on
each of the 5 steps (5k questions), in a shuffled order.

**The rules.** *placement*: ``live.rules.placement.estimate`` (the rule of the README: the step
that best explains the answers, and never from fewer than ``min_answers`` on the step and the
one above). *naive*: the highest step with any right answer. A *hit* is an estimate equal to
the true step; the placement may also *abstain* (too little evidence: always with k = 1, since
it never places from a single answer), which counts as not a hit.

**Tuning.** The slip rate the rule assumes and ``min_answers`` are chosen on the tune seeds (the
best mean hit rate over k = 2..4) and reported on the report seeds; both tables are printed.
*Questions needed*: the smallest k (and 5k questions) with a hit rate of at least 80, 85 and
90 %. The rule counts the 4 newest answers per step (so a student can move on), so beyond k = 4
more questions add nothing here, where students do not learn between questions.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from live.rules.placement import PlacementRule, StepAnswer, estimate, naive_estimate

STEPS = 5
GUESS = 0.25
KS = (1, 2, 3, 4, 5, 6)
TUNE_SEEDS = (11, 12, 13)
REPORT_SEEDS = (101, 102, 103)
SLIPS = (0.05, 0.1, 0.15, 0.2, 0.3)
MIN_ANSWERS = (2, 3)


@dataclass
class Score:
    hits: int = 0
    abstained: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else 0.0


def simulate(rng: random.Random, k: int) -> tuple[int, list[StepAnswer]]:
    """One student: the true step and the answers to k questions on each step."""
    true = rng.randint(0, STEPS)
    slip = rng.uniform(0.02, 0.2)
    order = [s for s in range(1, STEPS + 1) for _ in range(k)]
    rng.shuffle(order)
    answers = []
    for i, step in enumerate(order):
        right = rng.random() >= slip if step <= true else rng.random() < GUESS
        answers.append(StepAnswer(step, right, float(i)))
    return true, answers


def run(seeds: Sequence[int], students: int, rule: PlacementRule) -> dict[int, tuple[Score, Score]]:
    """Per k: the placement's score and the naive baseline's, over the seeds."""
    out: dict[int, tuple[Score, Score]] = {}
    for k in KS:
        mine, naive = Score(), Score()
        for seed in seeds:
            rng = random.Random(seed * 1000 + k)
            for _ in range(students):
                true, answers = simulate(rng, k)
                got = estimate(answers, STEPS, rule)
                mine.total += 1
                naive.total += 1
                mine.hits += got.step == true
                mine.abstained += got.step is None
                naive.hits += naive_estimate(answers, STEPS) == true
        out[k] = (mine, naive)
    return out


def tune(students: int) -> PlacementRule:
    best: tuple[float, PlacementRule] | None = None
    print(f"tuning on seeds {TUNE_SEEDS} ({students} students per seed and k):")
    for min_answers in MIN_ANSWERS:
        for slip in SLIPS:
            rule = PlacementRule(min_answers=min_answers, slip=slip, guess=GUESS)
            scores = run(TUNE_SEEDS, students, rule)
            mean = sum(scores[k][0].rate for k in (2, 3, 4)) / 3
            print(f"  min_answers {min_answers}, slip {slip:.2f}: mean hit rate k=2..4 {mean:.3f}")
            if best is None or mean > best[0] + 1e-12:
                best = (mean, rule)
    assert best is not None
    return best[1]


def table(title: str, scores: dict[int, tuple[Score, Score]]) -> None:
    print(f"\n{title}")
    print(f"{'k per step':>10} {'questions':>9} | {'placement':>9} {'abstain':>7} | {'naive':>6}")
    for k, (mine, naive) in scores.items():
        print(
            f"{k:>10} {k * STEPS:>9} | {mine.rate:>9.3f} {mine.abstained / mine.total:>7.3f}"
            f" | {naive.rate:>6.3f}"
        )
    for target in (0.8, 0.85, 0.9):
        cells = []
        for name, index in (("placement", 0), ("naive", 1)):
            needed = next((k for k, s in scores.items() if s[index].rate >= target), None)
            said = f"k = {needed} ({needed * STEPS} questions)" if needed else "not within k = 6"
            cells.append(f"{name} {said}")
        print(f"questions needed for a {target:.0%} hit rate: " + "; ".join(cells))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2000, help="students per seed and k")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rule = tune(args.students)
    print(f"chosen: min_answers {rule.min_answers}, slip {rule.slip:.2f}")
    table(f"tune seeds {TUNE_SEEDS}", run(TUNE_SEEDS, args.students, rule))
    table(f"report seeds {REPORT_SEEDS}", run(REPORT_SEEDS, args.students, rule))
    default = PlacementRule()
    if default != rule:
        table(
            f"report seeds, the shipped default (slip {default.slip:.2f})",
            run(REPORT_SEEDS, args.students, default),
        )
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
