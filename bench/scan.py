"""Scanner benchmark: our detector against plain OpenCV ArUco on synthetic classroom frames.

    .venv/bin/python bench/scan.py [--frames 60] [--clutter 200] [--seed 1] [--cards 40]

Frames come from ``scanner.synth`` (1920x1080, 40 cards each, printed card sides 18-120 px
log-uniform, tilt, perspective, blur, noise, uneven light, glare, clutter, JPEG 55-90), and
card-free cluttered frames for phantom reads. The baseline is ``cv2.aruco.ArucoDetector`` with
``DICT_4X4_50`` and default ``DetectorParameters``; its ids are mapped to cards the way the deck
maps ``DICT_4X4_100`` ids (ids 42 and 48 are not cards; cards above 48 are out of its reach).

Both detectors see the same frames, one after the other, alternating which goes first, with
OpenCV on one thread (``cv2.setNumThreads(1)``) so the times compare single-core work. A third
row, ``ours+hints``, also passes ``hints``: where each card was a frame earlier (its true place
moved by a tenth of its side), which is what ``scanner.Tracker`` hands the detector in a sweep.

A read counts for the card whose marker centre it falls within half a marker side of. It is a
wrong card or a wrong answer if it disagrees with that card, and a phantom if no card is there.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.deck import Deck
from scanner.detector import Detector, answer_from_corners
from scanner.synth import CardTruth, classroom_frame, clutter_frame

BUCKETS = ((0.0, 20.0, "<20"), (20.0, 30.0, "20-29"), (30.0, 60.0, "30-59"), (60.0, 1e9, "60+"))

Read = tuple[int | None, str | None, np.ndarray]
Hints = list[tuple[float, float, float]]
DetectFn = Callable[[np.ndarray, Hints], list[Read]]


@dataclass
class Score:
    name: str
    found: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    wrong_answer: int = 0
    wrong_card: int = 0
    phantom_in_card_frames: int = 0
    phantom_in_clutter: int = 0
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def add_frame(self, reads: Sequence[Read], truth: Sequence[CardTruth]) -> None:
        centres = np.array([t.corners.mean(axis=0) for t in truth]).reshape(-1, 2)
        sides = np.array([np.linalg.norm(t.corners[0] - t.corners[2]) / 1.414 for t in truth])
        right: set[int] = set()
        for card, answer, corners in reads:
            c = corners.reshape(4, 2).mean(axis=0)
            dist = np.linalg.norm(centres - c, axis=1) if len(truth) else np.zeros(0)
            near = np.flatnonzero(dist < sides * 0.5)
            if not near.size:
                self.phantom_in_card_frames += 1
                continue
            t = truth[int(near[0])]
            if card != t.card:
                self.wrong_card += 1
            elif answer != t.answer:
                self.wrong_answer += 1
            else:
                right.add(int(near[0]))
        for i, t in enumerate(truth):
            b = next(j for j, (lo, hi, _) in enumerate(BUCKETS) if lo <= t.side_px < hi)
            self.total[b] += 1
            self.found[b] += i in right

    def recall(self) -> float:
        return sum(self.found) / max(sum(self.total), 1)


def baseline(deck: Deck) -> DetectFn:
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())

    def detect(frame: np.ndarray, hints: Hints) -> list[Read]:
        corners, ids, _ = detector.detectMarkers(frame)
        if ids is None:
            return []
        out: list[Read] = []
        for c, i in zip(corners, ids.ravel(), strict=True):
            q = np.asarray(c, np.float32).reshape(4, 2)
            out.append((deck.card_for_aruco_id(int(i)), answer_from_corners(q), q))
        return out

    return detect


def ours(deck: Deck, *, use_hints: bool = False) -> DetectFn:
    detector = Detector(deck)

    def detect(frame: np.ndarray, hints: Hints) -> list[Read]:
        dets = detector.detect(frame, hints=hints if use_hints else None)
        return [(d.card, d.answer, d.corners) for d in dets]

    return detect


def tracker_hints(rng: np.random.Generator, truth: Sequence[CardTruth]) -> Hints:
    """What a tracker would pass: where each card was a frame ago (moved a little), its side."""
    hints: Hints = []
    for t in truth:
        side = float(np.linalg.norm(t.corners[0] - t.corners[2]) / 1.414)
        x, y = t.corners.mean(axis=0) + rng.normal(0.0, max(side * 0.1, 1.0), size=2)
        hints.append((float(x), float(y), side))
    return hints


def timed(fn: DetectFn, frame: np.ndarray, hints: Hints, score: Score) -> list[Read]:
    c0, t0 = time.thread_time(), time.perf_counter()
    reads = fn(frame, hints)
    score.ms.append((time.perf_counter() - t0) * 1000)
    score.cpu_ms.append((time.thread_time() - c0) * 1000)
    return reads


def run(args: argparse.Namespace) -> list[Score]:
    cv2.setNumThreads(1)
    deck = Deck()
    rng = np.random.default_rng(args.seed)
    print(
        f"generating {args.frames} classroom frames ({args.width}x{args.height}, "
        f"{args.cards} cards each) and {args.clutter} clutter frames, seed {args.seed} ...",
        file=sys.stderr,
    )
    frames = [
        classroom_frame(rng, deck, width=args.width, height=args.height, n_cards=args.cards)
        for _ in range(args.frames)
    ]
    clutter = [
        clutter_frame(rng, width=args.width, height=args.height) for _ in range(args.clutter)
    ]
    detectors = [
        ("baseline", baseline(deck)),
        ("ours", ours(deck)),
        ("ours+hints", ours(deck, use_hints=True)),
    ]
    scores = {name: Score(name) for name, _ in detectors}
    for _, fn in detectors:  # warm up: first calls allocate
        fn(frames[0][0] if frames else clutter[0], [])
    hint_rng = np.random.default_rng(args.seed + 1)
    for i, (frame, truth) in enumerate(frames):
        hints = tracker_hints(hint_rng, truth)
        order = detectors if i % 2 == 0 else detectors[::-1]
        for name, fn in order:
            scores[name].add_frame(timed(fn, frame, hints, scores[name]), truth)
    for i, frame in enumerate(clutter):
        order = detectors if i % 2 == 0 else detectors[::-1]
        for name, fn in order:
            scores[name].phantom_in_clutter += len(fn(frame, []))
    return list(scores.values())


def table(scores: Sequence[Score], args: argparse.Namespace) -> str:
    base_ms = statistics.median(scores[0].ms) if scores[0].ms else float("nan")
    head = ["detector", "recall"] + [f"{label} px" for *_, label in BUCKETS]
    head += ["wrong ans", "wrong card", "phantom", "clutter phantom", "median ms", "x baseline"]
    head += ["cpu ms"]
    rows = [head]
    for s in scores:
        med = statistics.median(s.ms) if s.ms else float("nan")
        rows.append(
            [s.name, f"{s.recall():.4f}"]
            + [f"{f / t:.3f}" if t else "-" for f, t in zip(s.found, s.total, strict=True)]
            + [
                str(s.wrong_answer),
                str(s.wrong_card),
                str(s.phantom_in_card_frames),
                str(s.phantom_in_clutter),
                f"{med:.1f}",
                f"{med / base_ms:.2f}",
                f"{statistics.median(s.cpu_ms):.1f}" if s.cpu_ms else "-",
            ]
        )
    counts = scores[0].total
    rows.append(["cards", str(sum(counts))] + [str(c) for c in counts] + [""] * 7)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        f"scan benchmark: {args.frames} frames x {args.cards} cards ({args.width}x{args.height}), "
        f"{args.clutter} clutter frames, seed {args.seed}; cv2.setNumThreads(1), "
        f"OpenCV {cv2.__version__}",
        "card size = side of the whole printed card in the image; recall = right card and answer;",
        "median ms = wall time per frame, cpu ms = the thread's CPU time (steadier on a busy box);",
        "ours+hints = ours given where each card was a frame earlier, as the tracker passes it",
    ]
    for j, r in enumerate(rows):
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=60, help="classroom frames (default 60)")
    parser.add_argument("--clutter", type=int, default=200, help="card-free frames (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--cards", type=int, default=40, help="cards per frame (default 40)")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    args = parser.parse_args(argv)
    print(table(run(args), args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
