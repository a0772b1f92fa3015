"""The wrong-class guard, pure: most cards read lately belong to no student of the class."""

from __future__ import annotations

import pytest

from live.realtime.guard import ClassGuard, Verdict

MINE, FOREIGN = False, True


@pytest.mark.parametrize(
    ("frames", "wrong"),
    [
        # (at, [(card, foreign)]) per frame
        ([(0.0, [(1, MINE), (2, MINE), (3, MINE), (40, FOREIGN)])], False),
        ([(0.0, [(40, FOREIGN), (41, FOREIGN), (42, FOREIGN), (1, MINE)])], True),
        ([(0.0, [(40, FOREIGN), (41, FOREIGN)])], False),  # two cards: too few to say
        ([(0.0, [(40, FOREIGN), (41, FOREIGN), (1, MINE), (2, MINE)])], False),  # half: not most
        # over a sweep, each card counts once, however often it is seen
        (
            [
                (0.0, [(1, MINE)]),
                (0.5, [(1, MINE)]),
                (1.0, [(1, MINE)]),
                (1.5, [(40, FOREIGN)]),
                (2.0, [(41, FOREIGN)]),
                (2.5, [(42, FOREIGN)]),
            ],
            True,
        ),
    ],
)
def test_most_cards_not_the_class_s_trip_it(
    frames: list[tuple[float, list[tuple[int, bool]]]], wrong: bool
) -> None:
    guard = ClassGuard()
    verdict = None
    for at, cards in frames:
        verdict, _ = guard.observe(cards, at)
    assert verdict is not None and verdict.wrong is wrong


def test_the_verdict_changes_once_each_way_and_counts_the_cards() -> None:
    guard = ClassGuard(window_s=6.0)
    foreign = [(40, FOREIGN), (41, FOREIGN), (42, FOREIGN)]
    assert guard.observe(foreign, 0.0) == (Verdict(True, 3, 3), True)
    assert guard.observe(foreign, 1.0) == (Verdict(True, 3, 3), False)  # still: no change
    # the phone turns to the right room: the old cards leave the window, the class's come in
    mine = [(1, MINE), (2, MINE), (3, MINE), (4, MINE)]
    assert guard.observe(mine, 4.0) == (Verdict(False, 3, 7), True)
    assert guard.observe(mine, 8.0) == (Verdict(False, 0, 4), False)


def test_an_empty_view_keeps_the_last_verdict() -> None:
    guard = ClassGuard(window_s=2.0)
    guard.observe([(40, FOREIGN), (41, FOREIGN), (42, FOREIGN)], 0.0)
    verdict, changed = guard.observe([], 10.0)  # pointing at the floor: nothing to go on
    assert verdict == Verdict(True, 0, 0) and not changed
