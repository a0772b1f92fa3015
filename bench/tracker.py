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

With ``--sweeps N`` it pans N times per row across rooms of 40 cards (cards 1-40, 22-110 px,
made by ``bench/rooms.py``, three 1920 px frames wide) through a real ``cardcheck serve``: frames
go to ``/ws/scan`` in real time at 5 frames/s while a dashboard on ``/ws/live`` collects the
``response.recorded`` events. Each frame is smeared along the pan by the pan's speed times the
exposure: 1/100 s in a lit room, 1/50 s in a dim one (a phone exposes longer in the dark), so a
slow sweep (450 px/s) smears 4.5 px lit and 9 px dim, a quick one (900 px/s) 9 px.

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


# --- sweeps through a real server ----------------------------------------------------------------

SWEEP_FPS = 5.0
SWEEP_VIEW = (1920, 1080)
SWEEPS = (  # name, pan speed px/s, exposure s, dim room
    ("slow sweep", 450.0, 1 / 100, False),
    ("fast sweep", 900.0, 1 / 100, False),
    ("slow, dim room", 450.0, 1 / 50, True),
)


@dataclass
class SweepTally:
    in_view_3: int = 0  # cards wholly in view in >= 3 frames sent
    right: int = 0  # ... of them, recorded with the answer they showed
    wrong: int = 0  # answers recorded that a card was not showing (any card)
    frames_sent: int = 0
    frames_answered: int = 0


async def _sweep_once(
    url: str,
    session: int,
    frames: list[tuple[bytes, list[int]]],
    answers: dict[int, str],
) -> SweepTally:
    """Send ``frames`` in real time on /ws/scan while a dashboard listens on /ws/live."""
    import asyncio
    import json

    from websockets.asyncio.client import connect

    from tests.support.ws_support import TEACHER

    ws = url.replace("http://", "ws://")
    recorded: dict[int, str] = {}
    t = SweepTally()
    async with (
        connect(f"{ws}/ws/live?session={session}&token={TEACHER}", compression=None) as live,
        connect(
            f"{ws}/ws/scan?session={session}&token={TEACHER}",
            compression=None,
            max_size=None,
        ) as scan,
    ):
        await live.recv()  # the snapshot

        async def listen() -> None:
            async for raw in live:
                message = json.loads(raw)
                if message["type"] == "response.recorded":
                    data = message["data"]
                    if data["card"] is not None:
                        recorded[int(data["card"])] = str(data["answer"])
                        t.wrong += data["answer"] != answers.get(int(data["card"]))

        async def replies() -> None:
            async for raw in scan:
                if json.loads(raw).get("type") == "scan.frame":
                    t.frames_answered += 1

        tasks = [asyncio.create_task(listen()), asyncio.create_task(replies())]
        start = time.perf_counter()
        for i, (data, _) in enumerate(frames):
            delay = start + i / SWEEP_FPS - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await scan.send(data)
            t.frames_sent += 1
        await asyncio.sleep(1.5)  # the last frames decode and their answers arrive
        for task in tasks:
            task.cancel()
    in_view = dict.fromkeys(answers, 0)
    for _, cards in frames:
        for c in cards:
            in_view[c] += 1
    for card, answer in answers.items():
        if in_view[card] >= 3:
            t.in_view_3 += 1
            t.right += recorded.get(card) == answer
    return t


def _sweep_frames(
    seed: int, speed: float, exposure: float, dim: bool
) -> tuple[list[tuple[bytes, list[int]]], dict[int, str]]:
    """A room of 40 cards (1-40) four frames wide, and the JPEG frames of one pan across it:
    ``speed`` px/s at ``SWEEP_FPS``, each frame smeared along the pan by speed x exposure."""
    import cv2

    from bench import rooms
    from scanner import Deck

    rng = np.random.default_rng(seed)
    base = rooms.CONDITIONS["dim" if dim else "mixed"]
    cond = rooms.Condition(
        "sweep",
        sides=(22.0, 110.0),
        contrast=base.contrast,
        gamma=base.gamma,
        noise=base.noise,
        smear=speed * exposure,
        smear_random=0.0,
        thumbs=base.thumbs,
    )
    width = SWEEP_VIEW[0]
    gamma = float(rng.uniform(*cond.gamma))
    room_w = width * 3
    # cards 1-40, one each: every card is a student's of the class
    numbers = [int(n) for n in rng.permutation(np.arange(1, 41))]
    img, truths = rooms.room(rng, Deck(), cond, gamma, n_cards=40, width=room_w, cards=numbers)
    answers = {t.card: t.answer for t in truths}
    step = speed / SWEEP_FPS
    frames: list[tuple[bytes, list[int]]] = []
    left = 0.0
    while left + width <= room_w:
        x0 = int(left)
        crop = img[:, x0 : x0 + width]
        frame = rooms.camera(rng, np.ascontiguousarray(crop), cond, gamma, smear_angle=0.0)
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        seen = [
            t.card
            for t in truths
            if t.marker[:, 0].min() >= x0 + 2 and t.marker[:, 0].max() < x0 + width - 2
        ]
        frames.append((buf.tobytes(), seen))
        left += step
    return frames, answers


def sweeps(trials: int, seed: int) -> None:
    """Pans across rooms of 40 cards through a real ``cardcheck serve``, in real time."""
    import asyncio
    import tempfile
    from pathlib import Path

    from tests.support.ws_servers import api, serve

    print(
        f"\nsweeps through a real server (/ws/scan in real time, {SWEEP_FPS:.0f} frames/s, "
        f"{SWEEP_VIEW[0]}x{SWEEP_VIEW[1]} JPEG, 40 cards 22-110 px in a room 3 frames wide), "
        f"{trials} sweeps a row"
    )
    header = (
        f"{'sweep':<16}{'px/s':>6}{'smear px':>9}{'in view>=3':>11}{'recorded right':>15}"
        f"{'%':>7}{'WRONG':>6}{'frames sent':>12}{'answered':>9}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "db.sqlite3") as url:
        cls = api(url, "POST", "classes", {"name": "sweep"})
        for card in range(1, 41):
            api(url, "POST", f"classes/{cls['id']}/students", {"name": f"S{card}", "card": card})
        q = api(url, "POST", "questions", {"prompt": "Q", "choices": list("abcd"), "correct": None})
        for k, (name, speed, exposure, dim) in enumerate(SWEEPS):
            total = SweepTally()
            for trial in range(trials):
                frames, answers = _sweep_frames(seed * 1000 + k * 100 + trial, speed, exposure, dim)
                session = api(url, "POST", "sessions", {"class_id": cls["id"]})["id"]
                api(url, "POST", f"sessions/{session}/ask", {"question_id": q["id"]})
                t = asyncio.run(_sweep_once(url, session, frames, answers))
                api(url, "POST", f"sessions/{session}/end")
                for field_name in total.__dataclass_fields__:
                    setattr(total, field_name, getattr(total, field_name) + getattr(t, field_name))
            pct = 100.0 * total.right / max(1, total.in_view_3)
            print(
                f"{name:<16}{speed:>6.0f}{speed * exposure:>9.1f}{total.in_view_3:>11}"
                f"{total.right:>15}{pct:>7.1f}{total.wrong:>6}{total.frames_sent:>12}"
                f"{total.frames_answered:>9}"
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
    parser.add_argument(
        "--sweeps",
        type=int,
        default=0,
        metavar="N",
        help="also pan N times per speed across rooms of 40 cards through a real server",
    )
    parser.add_argument("--no-simulated", action="store_true", help="skip the simulated rows")
    args = parser.parse_args()
    if not args.no_simulated:
        simulated(args.trials, args.seed)
    if args.frames:
        rendered(args.frames, args.seed)
    if args.sweeps:
        sweeps(args.sweeps, args.seed)


if __name__ == "__main__":
    main()
