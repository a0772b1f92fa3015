"""The detector: frames in, ``Detection`` values out.

How a frame is read
-------------------
1. **Candidates.** OpenCV's ArUco detector, run once on the full-resolution grey frame with a
   single small adaptive-threshold window (7 px) and a low minimum size, proposes dark
   quadrilaterals: those it decoded and those it rejected. Its decoding is ignored. One
   threshold pass instead of ArUco's default three is what pays for step 3.
2. **Hinted regions get a closer look.** Around each ``hints`` entry (where the tracker saw a
   card lately) not already read, a crop is scaled up so the marker is about 48 px and searched
   again; the number of crops per frame is capped. (``small_crops`` does the same for small
   candidates that failed to read; off by default, as the reader rarely needs it.)
3. **Every candidate is read by our own reader** (``scanner.reader.Reader``), all candidates at once as arrays:
   a cheap first look drops quadrilaterals without a dark border in a lighter ring; the four
   sides are re-fitted to the marker's outer edge with sub-pixel precision (where the profile
   across the edge crosses half-way between black and white, then a robust line fit); the
   marker with a strip of its quiet zone is sampled on an 18 x 18 grid and compared, by
   normalised correlation, with every card in every rotation at four amounts of blur. A read is
   kept only if the best card is a clear winner (correlation >= ``min_score``, and the runner-up,
   any other card or another answer of the same card, leaves ``min_ratio`` times the residual)
   and passes hard checks: a black border, a white quiet zone, enough contrast, and a
   hard-decision read of the 16 bits at most ``max_bit_errors`` from the card.
4. **The answer** comes from which way the printed A edge points in the image; a card turned so
   far that it is nearly diagonal is left out rather than guessed.

Reads that overlap are merged; two different reads at one place are both dropped.

Errors: ``ValueError`` for frames that are not uint8 images; ``ImageError`` (a ``ValueError``)
for encoded images that are corrupt, empty or too big.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from scanner.deck import ANSWERS, Deck
from scanner.detection import Corners, Detection, Sighting
from scanner.images import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    ImageError,
    decode_image,
    image_size,
)
from scanner.reader import Reader, side_of

__all__ = [
    "Detector",
    "ImageError",
    "Sighting",
    "annotate",
    "answer_from_corners",
    "decode_image",
    "image_size",
]

Image = npt.NDArray[np.uint8]
_F32 = npt.NDArray[np.float32]

# --- the detector -------------------------------------------------------------------------------


class Detector:
    """Finds the cards of ``deck`` in frames. Configure once, then call ``detect`` per frame.

    A ``Detector`` holds no per-frame state: one instance can serve every frame of a session.
    Every keyword has a safe default (the configuration ``bench/scan.py`` measures):

    ``min_marker_px``: smallest marker side searched for, in pixels; a printed card's side is
    about 1.5 times its marker's (``CARD_LAYOUT.marker``).
    ``max_crops``: cap on closer looks per frame, hinted regions first.
    ``small_crops``: whether unread small candidates also get a closer look, and how many at
    most (0: off; the reader already reads at sub-pixel precision, so they add little).
    ``upscale``: the most a crop is scaled up for a closer look.
    ``max_bit_errors``: data bits (of 16) a read may disagree with its card in, 0 or 1; cards
    are at least ``MIN_CARD_DISTANCE`` = 4 bits apart, so 1 leaves 3 to spare.
    ``min_score`` and ``min_ratio``: the best card's normalised correlation with the samples,
    and how many times more residual the runner-up (any other card or answer) leaves.
    ``min_contrast``: grey levels between the black border and the white quiet zone.
    ``max_tilt_deg``: a card turned further than this from upright has no clear answer and is
    left out (45 would always answer).
    ``threshold_window`` and ``threshold_constant``: the candidate search's adaptive threshold.
    ``half_search``: also search the frame shrunk to half size for candidates (finds cards
    smeared by a pan or read in a dim room, whose outline is broken at full size).
    """

    def __init__(
        self,
        deck: Deck,
        *,
        min_marker_px: float = 8.0,
        max_crops: int = 64,
        small_crops: int = 0,
        upscale: float = 3.0,
        max_bit_errors: int = 1,
        min_score: float = 0.88,
        min_ratio: float = 1.8,
        min_contrast: float = 25.0,
        max_tilt_deg: float = 40.0,
        threshold_window: int = 7,
        threshold_constant: float = 7.0,
        half_search: bool = True,
    ) -> None:
        if not 0 <= max_bit_errors <= 1:
            raise ValueError("max_bit_errors must be 0 or 1: the deck's cards are 4 bits apart")
        if threshold_window < 3 or threshold_window % 2 == 0:
            raise ValueError("threshold_window must be an odd number >= 3")
        if not 0 < max_tilt_deg <= 45:
            raise ValueError("max_tilt_deg must be in (0, 45]")
        self.deck = deck
        self.min_marker_px = float(min_marker_px)
        self.max_crops = max(int(max_crops), 0)
        self.small_crops = max(int(small_crops), 0)
        self.upscale = max(float(upscale), 1.0)
        self.max_tilt_deg = float(max_tilt_deg)
        self.threshold_window = int(threshold_window)
        self.threshold_constant = float(threshold_constant)
        self.half_search = bool(half_search)
        # One window (tried: 7, 9, 11, 7 and 17): 9 finds nearly what two find, at half the cost.
        self._half_windows = (threshold_window + 2, threshold_window + 2)
        self._reader = Reader(
            deck,
            min_score=min_score,
            min_ratio=min_ratio,
            max_bit_errors=max_bit_errors,
            min_contrast=min_contrast,
        )

    def _aruco(
        self,
        *,
        min_perimeter_rate: float,
        windows: tuple[int, int],
        constant: float | None = None,
    ) -> cv2.aruco.ArucoDetector:
        p = cv2.aruco.DetectorParameters()
        p.minMarkerPerimeterRate = min_perimeter_rate
        p.adaptiveThreshWinSizeMin = windows[0]
        p.adaptiveThreshWinSizeMax = windows[1]
        p.adaptiveThreshWinSizeStep = 10
        p.adaptiveThreshConstant = self.threshold_constant if constant is None else constant
        # ArUco's own reading only sorts its candidates (ours reads them all), but which
        # contour of a candidate it reports depends on it: these keep the outer one.
        p.perspectiveRemovePixelPerCell = 8
        p.perspectiveRemoveIgnoredMarginPerCell = 0.25
        p.errorCorrectionRate = 0.0
        return cv2.aruco.ArucoDetector(self.deck.dictionary, p)

    def detect(
        self,
        frame: Image,
        *,
        hints: Sequence[tuple[float, float, float]] | None = None,
    ) -> list[Detection]:
        """The cards in ``frame``: uint8, grey (H, W) or BGR (H, W, 3). ``[]`` when none.

        ``hints``: (x, y, side_px) of places where a card was seen lately (its centre and
        marker side), e.g. from the tracker; each gets a closer look, scaled up if small.
        Raises ``ValueError`` for an empty array, a dtype other than uint8, or a wrong shape.
        """
        return self.inspect(frame, hints=hints).cards

    def inspect(
        self,
        frame: Image,
        *,
        hints: Sequence[tuple[float, float, float]] | None = None,
    ) -> Sighting:
        """Like ``detect``, and also where cards were seen but not read (``Sighting``):
        candidates of at least ``MIN_UNREADABLE_PX`` that look like a card but gave no read,
        or a read turned too far to tell its answer, away from every read."""
        gray_u8 = _to_gray(frame)
        gray = gray_u8.astype(np.float32)
        hgt, wid = gray_u8.shape
        w = self.threshold_window
        main = self._aruco(
            min_perimeter_rate=4 * self.min_marker_px / max(hgt, wid), windows=(w, w)
        )
        corners, _ids, rejected = main.detectMarkers(gray_u8)
        quads = [np.asarray(c, np.float32).reshape(4, 2) for c in [*corners, *rejected]]
        dets, plausible, missed = self._read(gray, quads)
        reads = [d for d in dets if d is not None]
        if self.half_search:
            halves = _not_covered(self._half_candidates(gray_u8), reads)
            if halves:
                more, _, missed_half = self._read(gray, halves)
                reads.extend(d for d in more if d is not None)
                missed += missed_half

        regions = [(float(x), float(y), float(s)) for x, y, s in (hints or [])]
        if self.small_crops:
            small = [i for i in plausible if dets[i] is None and side_of(quads[i]) < 26.0]
            for i in small[: self.small_crops]:
                cx, cy = quads[i].mean(axis=0)
                regions.append((float(cx), float(cy), side_of(quads[i])))
        closer: list[_F32] = []
        # ArUco detectors are made per call (it is cheap): nothing mutable is shared between
        # threads that use one Detector.
        crop_aruco = self._aruco(min_perimeter_rate=0.15, windows=(7, 17))
        for x, y, s in _unique_regions(regions, reads)[: self.max_crops]:
            closer.extend(self._look_closer(crop_aruco, gray_u8, x, y, s))
        if closer:
            more, _, missed_closer = self._read(gray, closer)
            reads.extend(d for d in more if d is not None)
            missed += missed_closer
        cards = _merge(reads)
        return Sighting(cards, _unreadable(missed, cards))

    def detect_bytes(
        self,
        data: bytes | bytearray | memoryview,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        hints: Sequence[tuple[float, float, float]] | None = None,
    ) -> list[Detection]:
        """The cards in an encoded JPEG, PNG or WebP image; see ``detect``.

        The size is checked twice: the encoded bytes against ``max_bytes``, and the width and
        height in the file's header against ``max_pixels`` before anything is decoded, so a
        small file that would decode to a huge image is refused cheaply. EXIF orientation is
        applied, so a phone photo reads the way it is shown.

        Raises ``ImageError`` (a ``ValueError``) for empty, oversized, unknown or corrupt input.
        """
        return self.detect(
            decode_image(data, max_bytes=max_bytes, max_pixels=max_pixels), hints=hints
        )

    def _read(
        self, gray: _F32, quads: Sequence[_F32]
    ) -> tuple[list[Detection | None], list[int], list[_F32]]:
        """Reads per quad, the plausible quads' indices, and the corners of near misses
        (``Reader.read``) and of reads turned too far for an answer."""
        out: list[Detection | None] = []
        reads, plausible, missed = self._reader.read(gray, quads)
        for r in reads:
            det = None
            if r is not None:
                ordered = r.corners[_ROLL[r.rotation]]  # printed A-up order
                answer = answer_from_corners(ordered, self.max_tilt_deg)
                if answer is not None:
                    det = Detection(r.card, answer, ordered)
                else:
                    missed.append(r.corners)
            out.append(det)
        return out, plausible, missed

    def _half_candidates(self, gray_u8: Image) -> list[_F32]:
        """Candidate quads found on the frame shrunk to half its size, in frame pixels.

        Shrinking averages 2 x 2 pixels: it halves a dim room's sensor noise and a pan's
        smear in pixels, the two things that break the thin dark outline the full-size
        threshold needs (a card smeared by 7 px or read at 30 grey levels over noise of 12
        has no clean contour at full size, and a clear one at half).
        """
        hgt, wid = gray_u8.shape
        if min(hgt, wid) < 64:
            return []
        small = cv2.resize(gray_u8, (wid // 2, hgt // 2), interpolation=cv2.INTER_AREA)
        side = max(self.min_marker_px, 12.0) / 2
        # A wider window and a lower constant than at full size: the shrunk frame is less
        # noisy, and a dim card's outline is only a few grey levels below its surroundings.
        aruco = self._aruco(
            min_perimeter_rate=4 * side / max(small.shape), windows=self._half_windows, constant=4.0
        )
        corners, _ids, rejected = aruco.detectMarkers(small)
        found = [*corners, *rejected]
        # Once more after a 3 x 3 closing, which wipes out dark strokes 1-2 px wide: a thumb
        # across the marker's border (grey, darker than the paper) joins the border's outline
        # and makes it no quadrilateral; the border itself, a cell wide, stays. (Not instead:
        # in a dim room the closing also wipes out the outline.)
        closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, _CLOSING)
        corners, _ids, rejected = aruco.detectMarkers(closed)
        quads = [np.asarray(c, np.float32).reshape(4, 2) for c in found]
        more = [np.asarray(c, np.float32).reshape(4, 2) for c in [*corners, *rejected]]
        if quads and more:  # the same outline found twice is read once
            a = np.stack(quads).reshape(len(quads), 8)
            b = np.stack(more).reshape(len(more), 8)
            same = (np.abs(b[:, None, :] - a[None, :, :]).max(axis=2) < 1.0).any(axis=1)
            more = [q for q, dup in zip(more, same, strict=True) if not dup]
        sx, sy = wid / (wid // 2), hgt / (hgt // 2)
        scale = np.array([sx, sy], np.float32)
        return [(q + 0.5) * scale - 0.5 for q in [*quads, *more]]

    def _look_closer(
        self,
        crop_aruco: cv2.aruco.ArucoDetector,
        gray_u8: Image,
        x: float,
        y: float,
        side: float,
    ) -> list[_F32]:
        """Candidate quads from a crop around (x, y), scaled up if the marker is small."""
        hgt, wid = gray_u8.shape
        r = max(side * 1.5, 12.0)
        x0, y0 = max(int(x - r), 0), max(int(y - r), 0)
        x1, y1 = min(int(x + r) + 1, wid), min(int(y + r) + 1, hgt)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        crop = gray_u8[y0:y1, x0:x1]
        f = min(max(48.0 / max(side, 1.0), 1.0), self.upscale)
        if f > 1.0:
            crop = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
        corners, _ids, rejected = crop_aruco.detectMarkers(crop)
        offset = np.array([x0, y0], np.float32)
        # Back to frame pixels: pixel centres scale about -0.5.
        return [
            (np.asarray(c, np.float32).reshape(4, 2) + 0.5) / f - 0.5 + offset
            for c in [*corners, *rejected]
        ]


_CLOSING = np.ones((3, 3), np.uint8)

# _ROLL[k] reorders a candidate's corners into printed A-up order when its patch shows the
# card turned k quarter turns: corner m of the card is corner (m - k) % 4 of the candidate.
_ROLL = [np.array([(m - k) % 4 for m in range(4)]) for k in range(4)]


MIN_UNREADABLE_PX = 16.0
"""Smallest marker side reported as unreadable: smaller ones are too far to fix by hand."""


def _unreadable(missed: list[_F32], cards: list[Detection]) -> list[Corners]:
    """Near misses of at least ``MIN_UNREADABLE_PX``, one per place, away from every read."""
    out: list[Corners] = []
    for q in _not_covered([m for m in missed if side_of(m) >= MIN_UNREADABLE_PX], cards):
        x, y = q.mean(axis=0)
        if any(
            math.hypot(x - ox, y - oy) < side_of(o) * 0.5
            for o in out
            for ox, oy in [o.mean(axis=0)]
        ):
            continue
        out.append(q.astype(np.float32))
    return out


def _not_covered(quads: list[_F32], reads: list[Detection]) -> list[_F32]:
    """The quads with no read already where they are."""
    if not quads or not reads:
        return quads
    centres = np.stack([q.mean(axis=0) for q in quads])  # (n, 2)
    read_c = np.array([d.center for d in reads], np.float32)  # (m, 2)
    radius = np.array([d.side_px * 0.5 for d in reads], np.float32)
    dist = np.linalg.norm(centres[:, None, :] - read_c[None, :, :], axis=2)
    covered = (dist < radius[None, :]).any(axis=1)
    return [q for q, c in zip(quads, covered, strict=True) if not c]


def _unique_regions(
    regions: list[tuple[float, float, float]], reads: list[Detection]
) -> list[tuple[float, float, float]]:
    """Regions not already read and not repeating an earlier region."""
    seen = [(*d.center, d.side_px * 0.5) for d in reads]
    out: list[tuple[float, float, float]] = []
    for x, y, s in regions:
        if any(math.hypot(x - cx, y - cy) < r for cx, cy, r in seen):
            continue
        if any(math.hypot(x - ox, y - oy) < max(s, os) * 0.3 for ox, oy, os in out):
            continue
        out.append((x, y, s))
    return out


def answer_from_corners(corners: _F32, max_tilt_deg: float = 45.0) -> str | None:
    """The letter on top, from the direction the marker's A-up top edge faces in the image.

    ``corners`` in ``Detection.corners`` order. ``None`` when the card is turned more than
    ``max_tilt_deg`` away from the nearest upright position (45 always gives an answer).
    """
    up = (corners[0] + corners[1]) / 2 - (corners[2] + corners[3]) / 2
    # Angle of "up" measured anticlockwise from the image's up direction (y grows downwards).
    angle = math.degrees(math.atan2(-float(up[0]), -float(up[1])))
    k = round(angle / 90.0)
    if abs(angle - 90.0 * k) > max_tilt_deg:
        return None
    return ANSWERS[k % 4]


def _merge(reads: list[Detection]) -> list[Detection]:
    """One read per place; a place with disagreeing reads gives none."""
    kept: list[tuple[Detection, float, float, float]] = []
    conflicted: set[int] = set()
    for d in reads:
        x, y = d.center
        hit = None
        for i, (_, ox, oy, r) in enumerate(kept):
            if math.hypot(x - ox, y - oy) < r:
                hit = i
                break
        if hit is None:
            kept.append((d, x, y, d.side_px * 0.5))
        elif (kept[hit][0].card, kept[hit][0].answer) != (d.card, d.answer):
            conflicted.add(hit)
    return [k[0] for i, k in enumerate(kept) if i not in conflicted]


def _to_gray(frame: Image) -> Image:
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame must be a numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise ValueError(f"frame must be uint8, got {frame.dtype}")
    if frame.size == 0:
        raise ValueError("frame is empty")
    if frame.ndim == 2:
        return np.ascontiguousarray(frame)
    if frame.ndim == 3 and frame.shape[2] == 3:
        gray: Image = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        return gray
    if frame.ndim == 3 and frame.shape[2] == 1:
        return np.ascontiguousarray(frame[:, :, 0])
    raise ValueError(f"frame must be (H, W) grey or (H, W, 3) BGR, got shape {frame.shape}")


def annotate(frame: Image, detections: Sequence[Detection]) -> Image:
    """A BGR copy of ``frame`` with each detection's box, card number and answer drawn."""
    out = cv2.cvtColor(_to_gray(frame), cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame.copy()
    for d in detections:
        pts = np.round(d.corners).astype(np.int32)
        cv2.polylines(out, [pts], True, (0, 200, 0), 2, cv2.LINE_AA)
        cv2.circle(out, tuple(int(v) for v in pts[0]), 3, (0, 0, 255), -1)
        x, y = d.center
        label = f"{d.card}{d.answer}"
        scale = max(0.4, d.side_px / 60)
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        org = (int(x - tw / 2), int(y + th / 2))
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 255, 255), 1, cv2.LINE_AA)
    return out
