"""The tracker: per-frame detections in, confirmed answers out, with time passed in."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import Confirmation, Detection, Tracker, TrackUpdate

DT = 0.1  # seconds between frames, well inside the default window


def det(
    card: int, answer: str, x: float = 100.0, y: float = 100.0, side: float = 40.0
) -> Detection:
    """A detection of ``card`` read as ``answer``, its marker a square centred on (x, y)."""
    h = side / 2
    corners = np.array([[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h]], np.float32)
    return Detection(card=card, answer=answer, corners=corners)


def frames(script: str, card: int = 7) -> list[list[Detection]]:
    """One card's frames from a script: "A" read as A, "-" not seen, "A|B" seen twice at once."""
    out = []
    for token in script.split():
        if token == "-":
            out.append([])
        else:
            out.append([det(card, a, 100.0 + 200 * i) for i, a in enumerate(token.split("|"))])
    return out


def run(tracker: Tracker, script: str, *, start: float = 0.0, dt: float = DT) -> list[TrackUpdate]:
    return [tracker.update(f, start + i * dt) for i, f in enumerate(frames(script))]


def confirmations(updates: list[TrackUpdate]) -> list[tuple[int, str, str | None]]:
    """(frame index, answer, previous) for every confirmation in ``updates``."""
    return [(i, c.answer, c.previous) for i, u in enumerate(updates) for c in u.confirmations]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        pytest.param("A A A", [(2, "A", None)], id="three agreeing frames"),
        pytest.param("A A", [], id="two frames are not enough"),
        pytest.param("A A B A A", [(3, "A", None)], id="flicker confirms the majority"),
        pytest.param("A B A B A B", [], id="no clear majority"),
        pytest.param("A A A B B B", [(2, "A", None), (5, "B", "A")], id="change of mind"),
        pytest.param("A A A B A A A", [(2, "A", None)], id="a single B never flips"),
        pytest.param("A A A B", [(2, "A", None)], id="a last B frame never flips"),
        pytest.param(
            "A A A B B A B B B",
            [(2, "A", None), (8, "B", "A")],
            id="change counted after the last sight of the old answer",
        ),
        pytest.param("A A A B C B B", [(2, "A", None), (6, "B", "A")], id="change through noise"),
        pytest.param("A A A|A A", [(3, "A", None)], id="duplicate id in a frame not counted"),
        pytest.param("B|C B|C B|C B|C", [], id="duplicates never confirm"),
        pytest.param("A - A - - A", [(5, "A", None)], id="missed frames in a sweep"),
        pytest.param("- A - - B - A A", [(7, "A", None)], id="misses and noise"),
    ],
)
def test_confirmations(script: str, expected: list[tuple[int, str, str | None]]) -> None:
    """Each script of frames confirms exactly the expected answers, at the expected frames."""
    assert confirmations(run(Tracker(), script)) == expected


@pytest.mark.parametrize(
    ("script", "states"),
    [
        ("A A A", ["new", "new", "confirmed"]),
        (
            "A A A B B B A",
            ["new", "new", "confirmed", "changed", "changed", "confirmed", "changed"],
        ),
        ("A A A|B A", ["new", "new", None, "confirmed"]),
    ],
)
def test_states(script: str, states: list[str | None]) -> None:
    """The overlay state of the card in each frame (None: not drawn)."""
    updates = run(Tracker(), script)
    got = [u.cards[0].state if u.cards else None for u in updates]
    assert got == states


def test_tracked_card_shows_this_frames_reading() -> None:
    """A drawn card carries the answer and corners read in this frame."""
    tracker = Tracker()
    run(tracker, "A A A")
    d = det(7, "B", 300.0, 50.0)
    (card,) = tracker.update([d], 1.0).cards
    assert (card.card, card.answer, card.state) == (7, "B", "changed")
    assert card.corners is d.corners


def test_duplicate_not_drawn_others_are() -> None:
    """A number seen twice in a frame is left out; the other cards of the frame are not."""
    update = Tracker().update([det(3, "A", 10), det(3, "A", 300), det(4, "B")], 0.0)
    assert [(c.card, c.answer) for c in update.cards] == [(4, "B")]


def test_cards_are_independent() -> None:
    """Evidence for one card never counts for another."""
    tracker = Tracker()
    updates = [
        tracker.update([det(1, "A", 10), det(2, "B", 200)], 0.0),
        tracker.update([det(1, "A", 10)], 0.1),
        tracker.update([det(1, "A", 10), det(2, "B", 200)], 0.2),
        tracker.update([det(2, "B", 200)], 0.3),
    ]
    assert updates[2].confirmations == (Confirmation(1, "A", None),)
    assert updates[3].confirmations == (Confirmation(2, "B", None),)
    assert tracker.confirmed() == {1: "A", 2: "B"}


def test_confirmations_sorted_by_card() -> None:
    """Several cards confirmed by one frame come out in card order."""
    tracker = Tracker()
    batch = [det(9, "C", 10), det(2, "D", 100), det(5, "A", 200)]
    for i in range(3):
        update = tracker.update(batch, i * DT)
    assert [c.card for c in update.confirmations] == [2, 5, 9]


def test_leaving_view_and_coming_back_within_window() -> None:
    """Sightings before and after a short absence add up."""
    updates = run(Tracker(), "A A - - - - - - A")
    assert confirmations(updates) == [(8, "A", None)]


def test_evidence_expires_after_window() -> None:
    """Sightings older than the window no longer count."""
    tracker = Tracker(window_s=2.0)
    assert confirmations(run(tracker, "A A")) == []
    late = run(tracker, "A A A", start=10.0)
    assert confirmations(late) == [(2, "A", None)]


def test_confirmed_answer_survives_absence_and_changes_on_return() -> None:
    """A confirmed card out of view keeps its answer; back with another one, it changes."""
    tracker = Tracker()
    run(tracker, "A A A")
    assert tracker.hints(60.0) == []
    assert tracker.confirmed() == {7: "A"}
    back = run(tracker, "B B B", start=60.0)
    assert confirmations(back) == [(2, "B", "A")]


def test_reset_forgets_answers_and_evidence() -> None:
    """After reset (a new question) nothing is confirmed and earlier frames do not count."""
    tracker = Tracker()
    run(tracker, "A A A B B")
    tracker.reset()
    assert tracker.confirmed() == {}
    updates = run(tracker, "B B B", start=1.0)
    assert [u.cards[0].state for u in updates] == ["new", "new", "confirmed"]
    assert confirmations(updates) == [(2, "B", None)]


def rounded(hints: list[tuple[float, float, float]]) -> list[tuple[float, ...]]:
    return [tuple(round(v, 6) for v in h) for h in hints]


def test_hints_recent_positions_newest_first() -> None:
    """Hints are the latest centre and side of each card seen lately, newest first, moved on
    by the camera's motion (card 1 moved 20 px right and down in 0.8 s: 25 px/s)."""
    tracker = Tracker(forget_after_s=1.0)
    tracker.update([det(1, "A", 50, 60, side=30)], 0.0)
    tracker.update([det(2, "A", 300, 200, side=44), det(3, "A", 3, 4, side=10)], 0.5)
    assert tracker.hints(0.5) == [(300, 200, 44), (3, 4, 10), (50, 60, 30)]  # no motion seen
    tracker.update([det(1, "B", 70, 80, side=32)], 0.8)
    assert rounded(tracker.hints(0.8)) == [(70, 80, 32), (307.5, 207.5, 44), (10.5, 11.5, 10)]
    assert rounded(tracker.hints(1.6)) == [(90, 100, 32)]
    assert tracker.hints(5.0) == []


def test_hints_follow_a_pan() -> None:
    """In a pan every card moves the same way: a card read in one frame and missed in the next
    (smeared) is looked for where the pan has taken it, not where it was."""
    tracker = Tracker()
    tracker.update([det(1, "A", 900, 300), det(2, "A", 1500, 500)], 0.0)
    tracker.update([det(1, "A", 810, 300), det(2, "A", 1410, 500)], 0.2)  # -450 px/s
    tracker.update([det(1, "A", 720, 300)], 0.4)  # card 2 missed
    hints = dict(((round(x), round(y)), side) for x, y, side in tracker.hints(0.6))
    assert set(hints) == {(630, 300), (1230, 500)}
    tracker.update([], 0.8)  # a frame with no card read keeps the last motion
    assert [round(x) for x, _, _ in tracker.hints(0.8)] == [540, 1140]
    tracker.update([det(1, "A", 540, 300)], 1.0)  # still again: 540 at 0.8 and at 1.0
    assert round(tracker.hints(1.0)[0][0]) == 540


def test_time_going_backwards_is_an_error() -> None:
    tracker = Tracker()
    tracker.update([], 5.0)
    with pytest.raises(ValueError, match="backwards"):
        tracker.update([], 4.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"confirm_frames": 1},
        {"majority": 0.5},
        {"majority": 1.1},
        {"window_s": 0},
        {"forget_after_s": -1},
    ],
)
def test_bad_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Tracker(**kwargs)  # type: ignore[arg-type]


ANSWER = st.sampled_from("ABCD")


@settings(max_examples=300, deadline=None)
@given(
    right=ANSWER,
    wrong=ANSWER,
    n=st.integers(3, 12),
    at=st.integers(0, 12),
    confirmed_first=st.booleans(),
    gaps=st.lists(st.floats(0.01, 0.3), min_size=13, max_size=13),
)
def test_single_outlier_never_confirmed(
    right: str, wrong: str, n: int, at: int, confirmed_first: bool, gaps: list[float]
) -> None:
    """One outlier frame among agreeing frames never confirms the outlier; the majority wins."""
    if wrong == right:
        wrong = "ABCD"[("ABCD".index(right) + 1) % 4]
    tracker = Tracker()
    now = 0.0
    if confirmed_first:
        run(tracker, f"{right} {right} {right}")
        now = 1.0
    answers = [right] * n
    answers.insert(min(at, n), wrong)
    for answer, gap in zip(answers, gaps, strict=False):
        now += gap
        update = tracker.update([det(7, answer)], now)
        assert all(c.answer != wrong for c in update.confirmations)
    assert tracker.confirmed() == {7: right}


@settings(max_examples=300, deadline=None)
@given(
    confirm_frames=st.integers(2, 5),
    window_s=st.floats(0.3, 3.0),
    readings=st.lists(
        st.tuples(st.floats(0.0, 0.5), st.sampled_from(["A", "B", "C", "-", "A|B"])),
        max_size=40,
    ),
)
def test_every_confirmation_is_backed_by_the_window(
    confirm_frames: int, window_s: float, readings: list[tuple[float, str]]
) -> None:
    """Whatever the frames, a confirmed answer was read (alone) in this frame and at least
    confirm_frames times in the last window_s seconds, after the last reading of the old one."""
    tracker = Tracker(confirm_frames=confirm_frames, window_s=window_s)
    seen: list[tuple[float, str]] = []
    now = 0.0
    for gap, token in readings:
        now += gap
        (frame,) = frames(token)
        if len(frame) == 1:
            seen.append((now, frame[0].answer))
        update = tracker.update(frame, now)
        for c in update.confirmations:
            recent = [a for t, a in seen if t >= now - window_s]
            if c.previous in recent:
                recent = recent[len(recent) - recent[::-1].index(c.previous) :]
            assert recent[-1] == c.answer
            assert recent.count(c.answer) >= confirm_frames


def test_regression_confirmation_on_a_frame_reading_another_answer() -> None:
    """Old noise leaving the window does not confirm the majority on a frame that reads B."""
    tracker = Tracker(confirm_frames=2, window_s=2.0)
    script = [(0.0, "B"), (0.0, "C"), (0.5, "A"), (0.5, "A"), (0.5, "A"), (0.5, "A"), (0.5, "B")]
    now, got = 0.0, []
    for gap, answer in script:
        now += gap
        got += [(now, c.answer) for c in tracker.update([det(7, answer)], now).confirmations]
    assert got == []
    assert tracker.update([det(7, "A")], now + 0.1).confirmations == (Confirmation(7, "A", None),)
