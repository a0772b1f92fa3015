"""Benchmark: does the tracker confirm every card of a sweep, and never a wrong answer?

Run from the repository root: ``.venv/bin/python -m bench.tracker [--trials N] [--seed S]``.

A room of 30-40 cards is swept by a camera panning across it in 10 frames; each card is in view
in the frames whose field of view covers it (about 2-6 of them, depending on where it sits and on
the trial's field of view). A simulated detector misses each card in view with probability
``miss``, reads a wrong answer with probability ``wrong`` and, rarely, a wrong card number
(which may collide with the real card of that number: a duplicate in the frame). The tracker
sees the detections with the frames' timestamps (~7 frames/s, jittered).

Two scenarios:

* ``sweep``: one sweep left to right;
* ``change``: a sweep, then 20 % of the students change their answer, then a sweep back; a card
  counts as right when the confirmed answer is the one shown on the way back.

With ``--frames N`` it also runs N sweeps over rendered frames through the real detector: a
3600 x 1080 classroom panorama from ``scanner.synth`` (36 cards, 18-120 px), seen through a
1280 px wide window panning across it in 10 frames, each frame with its own sensor noise and
JPEG round trip.

For each row, over all trials: cards in view in >= 3 frames of the (last) sweep, how many of them
were detected >= 3 times, and how many ended confirmed right, confirmed wrong, or not confirmed
(wrong confirmations are counted over every card, also those seen fewer than 3 times; a
confirmation counts as wrong if the card's last confirmation is not the answer shown).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scanner import ANSWERS, Detection, Tracker

FRAMES = 10
FRAME_DT = 0.15
MARKER_PX = 48.0


@dataclass
class Room:
    x: list[float]  # card positions across the room, 0..1
    y: list[float]
    answers: list[str]


@dataclass
class Tally:
    in_view_3: int = 0  # cards in view in >= 3 frames of the last sweep
    right: int = 0  # ... of them, confirmed with the answer shown
    detected_3: int = 0  # ... of them, detected (right card and answer) >= 3 times
    detected_right: int = 0  # ... of those, confirmed with the answer shown
    stale: int = 0  # in view >= 3 frames, still confirmed with an answer shown earlier
    not_confirmed: int = 0  # in view >= 3 frames, no confirmed answer
    wrong: int = 0  # confirmations, of any card, of an answer it was not showing then

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def make_room(rng: random.Random) -> Room:
    n = rng.randint(30, 40)
    return Room(
        x=[rng.random() for _ in range(n)],
        y=[rng.random() for _ in range(n)],
        answers=[rng.choice(ANSWERS) for _ in range(n)],
    )


def detection(card: int, answer: str, x: float, y: float) -> Detection:
    h = MARKER_PX / 2
    corners = np.array([[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h]])
    return Detection(card, answer, corners.astype(np.float32))


def sweep(
    rng: random.Random,
    room: Room,
    *,
    view: float,
    reverse: bool,
    miss: float,
    wrong: float,
    misid: float,
) -> Iterator[tuple[list[Detection], list[int]]]:
    """The frames of one sweep: (detections, indices of the cards in view)."""
    lefts = np.linspace(-view * 0.5, 1.0 - view * 0.5, FRAMES)
    if reverse:
        lefts = lefts[::-1]
    n = len(room.x)
    for left in lefts:
        in_view = [i for i in range(n) if left <= room.x[i] <= left + view]
        dets = []
        for i in in_view:
            if rng.random() < miss:
                continue
            answer = room.answers[i]
            if rng.random() < wrong:
                answer = rng.choice([a for a in ANSWERS if a != answer])
            card = i + 1
            if rng.random() < misid:
                card = rng.randint(1, n)
                answer = rng.choice(ANSWERS)
            px = (room.x[i] - left) / view * 1280
            dets.append(detection(card, answer, px, room.y[i] * 720))
        yield dets, in_view


def trial(
    rng: random.Random,
    scenario: str,
    *,
    miss: float,
    wrong: float,
    misid: float,
    window_s: float | None = None,
) -> Tally:
    room = make_room(rng)
    tracker = Tracker() if window_s is None else Tracker(window_s=window_s)
    view = rng.uniform(0.35, 0.55)
    now = 0.0
    tally = Tally()
    sweeps = [False] if scenario == "sweep" else [False, True]
    for k, reverse in enumerate(sweeps):
        if k > 0:
            now += 2.0  # the teacher turns round; some students change their minds
            for i in range(len(room.answers)):
                if rng.random() < 0.2:
                    room.answers[i] = rng.choice([a for a in ANSWERS if a != room.answers[i]])
        in_view_count = [0] * len(room.x)
        detected_count = [0] * len(room.x)
        frames = sweep(rng, room, view=view, reverse=reverse, miss=miss, wrong=wrong, misid=misid)
        for dets, in_view in frames:
            for i in in_view:
                in_view_count[i] += 1
            for d in dets:
                if d.answer == room.answers[d.card - 1]:
                    detected_count[d.card - 1] += 1
            update = tracker.update(dets, now)
            tally.wrong += sum(c.answer != room.answers[c.card - 1] for c in update.confirmations)
            now += FRAME_DT * rng.uniform(0.7, 1.3)

    confirmed = tracker.confirmed()
    for i, answer in enumerate(room.answers):
        if in_view_count[i] < 3:
            continue
        got = confirmed.get(i + 1)
        tally.in_view_3 += 1
        tally.right += got == answer
        tally.stale += got is not None and got != answer
        tally.not_confirmed += got is None
        if detected_count[i] >= 3:
            tally.detected_3 += 1
            tally.detected_right += got == answer
    return tally


COLUMNS = (
    f"{'miss':>5}{'wrong':>6}{'misid':>6}"
    f"{'in view>=3':>11}{'right':>7}{'%':>6}{'detected>=3':>12}{'right':>7}{'%':>6}"
    f"{'stale':>6}{'not conf.':>10}{'WRONG':>6}"
)
NOISE = [
    (0.0, 0.0, 0.0),
    (0.1, 0.01, 0.002),
    (0.2, 0.02, 0.005),
    (0.3, 0.03, 0.005),
    (0.3, 0.10, 0.01),
]


def row(
    trials: int, seed: int, scenario: str, noise: tuple[float, float, float], window_s: float | None
) -> str:
    miss, wrong, misid = noise
    rng = random.Random(seed)
    t = Tally()
    for _ in range(trials):
        t.add(trial(rng, scenario, miss=miss, wrong=wrong, misid=misid, window_s=window_s))
    pct = 100.0 * t.right / max(1, t.in_view_3)
    dpct = 100.0 * t.detected_right / max(1, t.detected_3)
    return (
        f"{miss:>5.2f}{wrong:>6.2f}{misid:>6.3f}"
        f"{t.in_view_3:>11}{t.right:>7}{pct:>6.1f}{t.detected_3:>12}"
        f"{t.detected_right:>7}{dpct:>6.1f}{t.stale:>6}{t.not_confirmed:>10}{t.wrong:>6}"
    )


def simulated(trials: int, seed: int) -> None:
    defaults = Tracker()
    print(
        f"simulated detector, {trials} trials per row, {FRAMES} frames per sweep, 30-40 cards; "
        f"Tracker(confirm_frames={defaults.confirm_frames}, majority={defaults.majority}, "
        f"window_s={defaults.window_s})"
    )
    header = f"{'scenario':<9}{COLUMNS}"
    print(header)
    print("-" * len(header))
    for scenario in ("sweep", "change"):
        for noise in NOISE:
            print(f"{scenario:<9}{row(trials, seed, scenario, noise, None)}")
    print(
        "right: confirmed with the answer shown (on the last sweep); detected>=3: the detector "
        "read the right card and answer in >= 3 frames;\nstale: still the answer shown before "
        "the change; WRONG: confirmations of an answer the card was not showing.\n"
    )
    print(
        "the window trade-off, scenario change (sweep rows do not depend on it: a sweep is short)"
    )
    header = f"{'window_s':<9}{COLUMNS}"
    print(header)
    print("-" * len(header))
    for window_s in (2.0, 3.0, 4.0):
        for noise in NOISE[3:]:
            print(f"{window_s:<9}{row(trials, seed, 'change', noise, window_s)}")


def rendered(trials: int, seed: int) -> None:
    import cv2

    from scanner import Deck, Detector
    from scanner.synth import classroom_frame

    deck = Deck()
    detector = Detector(deck)
    rng = np.random.default_rng(seed)
    width, view = 3600, 1280
    t = Tally()
    detect_s = 0.0
    frames_run = 0
    for _ in range(trials):
        room, truth = classroom_frame(rng, deck, width=width, height=1080, n_cards=36)
        answers = {c.card: c.answer for c in truth}
        tracker = Tracker()
        in_view_count = dict.fromkeys(answers, 0)
        detected_count = dict.fromkeys(answers, 0)
        for i, left in enumerate(np.linspace(0, width - view, FRAMES).astype(int)):
            crop = room[:, left : left + view].astype(np.float32)
            crop += rng.normal(0.0, 3.0, crop.shape).astype(np.float32)
            quality = int(rng.integers(60, 90))
            _, buf = cv2.imencode(
                ".jpg", np.clip(crop, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality]
            )
            frame: npt.NDArray[np.uint8] = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR))
            for c in truth:
                xs = c.corners[:, 0]
                if xs.min() >= left and xs.max() < left + view:
                    in_view_count[c.card] += 1
            t0 = time.perf_counter()
            dets = detector.detect(frame)
            detect_s += time.perf_counter() - t0
            frames_run += 1
            for d in dets:
                if answers.get(d.card) == d.answer:
                    detected_count[d.card] += 1
            update = tracker.update(dets, i * FRAME_DT)
            t.wrong += sum(c.answer != answers.get(c.card) for c in update.confirmations)
        confirmed = tracker.confirmed()
        for card, answer in answers.items():
            if in_view_count[card] < 3:
                continue
            got = confirmed.get(card)
            t.in_view_3 += 1
            t.right += got == answer
            t.stale += got is not None and got != answer
            t.not_confirmed += got is None
            if detected_count[card] >= 3:
                t.detected_3 += 1
                t.detected_right += got == answer
    ms = 1000 * detect_s / max(1, frames_run)
    print(f"\nrendered frames through the detector: {trials} sweeps, detect {ms:.0f} ms per frame")
    pct = 100.0 * t.right / max(1, t.in_view_3)
    dpct = 100.0 * t.detected_right / max(1, t.detected_3)
    header = (
        f"{'in view>=3':>11}{'right':>7}{'%':>6}{'detected>=3':>12}{'right':>7}{'%':>6}"
        f"{'not conf.':>10}{'WRONG':>6}"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{t.in_view_3:>11}{t.right:>7}{pct:>6.1f}{t.detected_3:>12}{t.detected_right:>7}"
        f"{dpct:>6.1f}{t.not_confirmed:>10}{t.wrong:>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--frames",
        type=int,
        default=0,
        metavar="N",
        help="also run N sweeps of rendered frames through the detector",
    )
    args = parser.parse_args()
    simulated(args.trials, args.seed)
    if args.frames:
        rendered(args.frames, args.seed)


if __name__ == "__main__":
    main()
