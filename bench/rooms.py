"""Scanner benchmark in the conditions of real rooms, each beside plain ArUco on the same frames.

    .venv/bin/python bench/rooms.py [--quick] [--frames 50] [--clutter 200] [--rows dim,4k]

The scenes are made here, independently of ``scanner.synth`` (which the detector was developed
on): they share only ``Deck.render_card``, the printed card itself. A scene is a room of 40
cards (cards 1-48, the ones plain ArUco's ``DICT_4X4_50`` can read: ids 0-49 less 42 and 48)
on a background of desks, walls, lines and text, held by hands at an angle, under a light that
falls off across the room, photographed with sensor noise and JPEG compression. Each row then
adds one condition of a real room (see ``CONDITIONS``): a dim room, a shadow across part of a
card, defocus, the linear smear of a pan at 5, 7 or 9 px in one direction per frame, a 720p
webcam, 4K photos, a tilt of up to 40 degrees, thumbs over the quiet zone or onto the border,
a glare spot. ``clutter`` frames hold no cards at all, only decoys: other 4x4 ids, 5x5 and 6x6
ArUco, AprilTags, QR codes, checkerboards and text.

Every row runs on two seed sets: ``tune`` (the one to look at while changing the detector) and
``report`` (the one the README quotes). A gap of more than 0.01 between them would mean the
detector fits the frames, not the room. Both detectors see each frame in turn, alternating
which goes first, with OpenCV on one thread (``cv2.setNumThreads(1)``).

A read counts for the card whose marker centre it is within half a marker side of: right when
card and answer agree, else a wrong card or a wrong answer; a read near no card is a phantom.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.deck import ANSWERS, CARD_LAYOUT, Deck
from scanner.detector import Detector, answer_from_corners

F32 = npt.NDArray[np.float32]
Image = npt.NDArray[np.uint8]
Read = tuple[int | None, str | None, F32]
DetectFn = Callable[[Image], list[Read]]

BUCKETS = ((0.0, 20.0, "<20"), (20.0, 30.0, "20-29"), (30.0, 60.0, "30-59"), (60.0, 1e9, "60+"))
BASELINE_CARDS = tuple(range(1, 49))  # DICT_4X4_100 ids 0-49 less 42 and 48: DICT_4X4_50's
TUNE_SEED, REPORT_SEED = 1000, 2000


@dataclass(frozen=True)
class Condition:
    """How the frames of one row are made."""

    name: str
    width: int = 1920
    height: int = 1080
    sides: tuple[float, float] = (14.0, 120.0)  # whole printed card, px, log-uniform
    in_plane: float = 20.0  # degrees either way
    tilt: float = 25.0  # out of the image plane, degrees
    contrast: tuple[float, float] = (90.0, 200.0)  # card white minus black, grey levels
    gamma: tuple[float, float] = (1.0, 1.0)  # exposure: out = 255 * (in / 255) ** gamma
    noise: tuple[float, float] = (2.0, 5.0)
    defocus: tuple[float, float] = (0.4, 1.0)
    smear: float = 0.0  # px, one direction per frame
    smear_random: float = 2.0  # otherwise a small smear up to this, some frames
    shadow: float = 0.0  # darkest side of a card, as the fraction of light taken away
    thumbs: tuple[float, float] = (0.0, 0.0)  # how far in from the card's edge, of its side
    thumb_share: float = 0.25  # of the cards with a thumb
    glare: bool = False


_QUIET_EDGE = CARD_LAYOUT.margin - CARD_LAYOUT.quiet_zone  # where the quiet zone begins
CONDITIONS = {
    c.name: c
    for c in (
        Condition("mixed", thumbs=(0.02, _QUIET_EDGE + 0.03)),
        Condition("dim", contrast=(25.0, 70.0), gamma=(1.5, 2.2), noise=(6.0, 12.0)),
        Condition("shadow", shadow=0.6),
        Condition("defocus", defocus=(1.0, 2.5), smear_random=0.0),
        Condition("pan 5px", sides=(22.0, 110.0), smear=5.0, smear_random=0.0),
        Condition("pan 7px", sides=(22.0, 110.0), smear=7.0, smear_random=0.0),
        Condition("pan 9px", sides=(22.0, 110.0), smear=9.0, smear_random=0.0),
        Condition("720p", width=1280, height=720, sides=(14.0, 80.0)),
        Condition("4k", width=3840, height=2160, sides=(30.0, 240.0)),
        Condition("tilt", tilt=40.0),
        Condition(
            "thumbs quiet",
            thumbs=(CARD_LAYOUT.margin * 0.5, CARD_LAYOUT.margin - 0.01),
            thumb_share=1.0,
        ),
        Condition(
            "thumbs border",
            thumbs=(CARD_LAYOUT.margin, CARD_LAYOUT.margin + CARD_LAYOUT.cell),
            thumb_share=1.0,
        ),
        Condition("glare", glare=True),
    )
}


@dataclass(frozen=True)
class Truth:
    card: int
    answer: str
    marker: F32  # (4, 2) marker corners in the image
    side_px: float  # the whole printed card's side


# --- scenes -------------------------------------------------------------------------------------


def background(rng: np.random.Generator, width: int, height: int) -> F32:
    """Walls, desks, shelves, lines and text, in grey levels before the light falls on them."""
    img = np.full((height, width), int(rng.uniform(90, 190)), np.uint8)
    for _ in range(int(rng.integers(15, 30))):
        x, y = rng.uniform(-0.1, 1.0) * width, rng.uniform(-0.1, 1.0) * height
        w, h = rng.uniform(0.05, 0.4) * width, rng.uniform(0.03, 0.3) * height
        cv2.rectangle(
            img, (int(x), int(y)), (int(x + w), int(y + h)), int(rng.uniform(20, 235)), -1
        )
    for _ in range(int(rng.integers(10, 25))):
        p1 = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        p2 = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        cv2.line(img, p1, p2, int(rng.uniform(0, 255)), int(rng.integers(1, 5)), cv2.LINE_AA)
    for _ in range(int(rng.integers(5, 15))):
        text = "".join(rng.choice(list("ABCDEFGHKLMNOPRSTUVWXYZ0123456789 ")) for _ in range(12))
        org = (int(rng.uniform(0, width * 0.8)), int(rng.uniform(20, height)))
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, rng.uniform(0.5, 2.0), 20, 2)
    return img.astype(np.float32)


def _quad(rng: np.random.Generator, centre: F32, side: float, in_plane: float, tilt: float) -> F32:
    """Corners (TL, TR, BR, BL) of a square card of ``side`` px seen turned and tilted."""
    rot = math.radians(rng.uniform(-in_plane, in_plane))
    axis = rng.uniform(0, math.pi)
    squash = math.cos(math.radians(rng.uniform(0, tilt)))
    sq = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * side / 2
    ca, sa = math.cos(axis), math.sin(axis)
    to_axis = np.array([[ca, sa], [-sa, ca]])
    squeeze = to_axis.T @ np.diag([squash, 1.0]) @ to_axis
    turn = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    pts = sq @ (turn @ squeeze).T
    # Perspective: the far edge of a tilted card is a little shorter.
    pts += rng.normal(0, side * 0.02 * (1 - squash + 0.3), size=(4, 2))
    return (pts + centre).astype(np.float32)


def _card_canvas(
    rng: np.random.Generator, deck: Deck, card: int, answer: str, side: float, cond: Condition
) -> tuple[F32, F32, int, int]:
    """The card (and any thumb) drawn large: values in [0, 1] of the card's own light, alpha,
    the card's size on the canvas and the padding around it."""
    size = int(min(max(side * 4, 160), 600))
    pad = size // 4
    card_img = _printed(deck, card, answer, size)
    value = np.zeros((size + 2 * pad, size + 2 * pad), np.float32)
    alpha = np.zeros_like(value)
    value[pad : pad + size, pad : pad + size] = card_img
    alpha[pad : pad + size, pad : pad + size] = 1.0
    if cond.thumbs[1] > 0 and rng.random() < cond.thumb_share:
        for _ in range(int(rng.integers(1, 3))):
            _thumb(rng, value, alpha, size, pad, rng.uniform(*cond.thumbs))
    return value, alpha, size, pad


_PRINTS: dict[tuple[int, str], F32] = {}


def _printed(deck: Deck, card: int, answer: str, size: int) -> F32:
    """``Deck.render_card`` at 600 px (drawn once per card and answer), shrunk to ``size``."""
    key = (card, answer)
    if key not in _PRINTS:
        _PRINTS[key] = deck.render_card(card, answer, 600).astype(np.float32) / 255.0
    out: F32 = cv2.resize(_PRINTS[key], (size, size), interpolation=cv2.INTER_AREA)
    return out


def _thumb(
    rng: np.random.Generator, value: F32, alpha: F32, size: int, pad: int, reach: float
) -> None:
    """A thumb or finger about 7 % of the card wide, from outside the card ``reach`` in."""
    grey = rng.uniform(90, 170) / 255.0
    width = size * rng.uniform(0.06, 0.08)
    along = rng.uniform(0.2, 0.8) * size
    depth = reach * size
    # Drawn on the top edge, then the canvas is turned so it lands on a random edge.
    k = int(rng.integers(0, 4))
    v, a = np.rot90(value, k).copy(), np.rot90(alpha, k).copy()
    x0, x1 = pad + along - width / 2, pad + along + width / 2
    y_top, y_tip = 0.0, pad + depth
    pts = np.array([[x0, y_top], [x1, y_top], [x1, y_tip - width / 2], [x0, y_tip - width / 2]])
    cv2.fillConvexPoly(v, np.round(pts).astype(np.int32), grey, cv2.LINE_AA)
    cv2.fillConvexPoly(a, np.round(pts).astype(np.int32), 1.0, cv2.LINE_AA)
    centre = (round(pad + along), round(y_tip - width / 2))
    cv2.circle(v, centre, round(width / 2), grey, -1, cv2.LINE_AA)
    cv2.circle(a, centre, round(width / 2), 1.0, -1, cv2.LINE_AA)
    value[:] = np.rot90(v, -k)
    alpha[:] = np.rot90(a, -k)


def _paste(img: F32, value: F32, alpha: F32, src: F32, dst: F32) -> None:
    """Warp ``value`` (with ``alpha``) so that ``src`` lands on ``dst``, onto ``img``."""
    h, w = img.shape
    canvas_size = value.shape[0]
    full = np.array([[0, 0], [canvas_size, 0], [canvas_size, canvas_size], [0, canvas_size]])
    hom = cv2.getPerspectiveTransform(src, dst)
    corners = cv2.perspectiveTransform(full.reshape(1, 4, 2).astype(np.float32), hom)[0]
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    # Shrinking by warpPerspective aliases: blur to the target's resolution first.
    scale = float(np.linalg.norm(dst[1] - dst[0]) / np.linalg.norm(src[1] - src[0]))
    sigma = 0.45 / max(scale, 1e-3)
    if sigma > 0.6:
        value = cv2.GaussianBlur(value, (0, 0), sigma)
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigma)
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    m = shift @ hom
    size = (int(x1 - x0), int(y1 - y0))
    v = cv2.warpPerspective(value, m, size, flags=cv2.INTER_LINEAR)
    a = cv2.warpPerspective(alpha, m, size, flags=cv2.INTER_LINEAR)
    roi = img[y0:y1, x0:x1]
    roi[:] = roi * (1 - a) + v * a


def _shade(
    rng: np.random.Generator, value: F32, alpha: F32, black: float, white: float, cond: Condition
) -> F32:
    """The canvas in grey levels (before the exposure's gamma): ink and paper levels, then a
    shadow's edge across the card and a glare spot, where the row asks for them."""
    out = black + (white - black) * value
    if not cond.shadow and not cond.glare:
        return out.astype(np.float32)
    n = value.shape[0]
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) / n
    if cond.shadow > 0:
        angle = rng.uniform(0, 2 * math.pi)
        proj = (xx - 0.5) * math.cos(angle) + (yy - 0.5) * math.sin(angle)
        edge = rng.uniform(-0.2, 0.2)
        soft = rng.uniform(0.03, 0.15)
        depth = rng.uniform(0.3, cond.shadow)
        dark = 1.0 / (1.0 + np.exp(-(proj - edge) / soft))
        out = out * (1.0 - depth * dark)
    if cond.glare:
        gx, gy = rng.uniform(0.25, 0.75, size=2)
        r = rng.uniform(0.08, 0.2)
        amp = rng.uniform(60, 160)
        out = out + amp * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))
    return out.astype(np.float32)


def scene(
    rng: np.random.Generator, deck: Deck, cond: Condition, n_cards: int = 40
) -> tuple[Image, list[Truth]]:
    """One frame of a room: the image (BGR uint8, after JPEG) and the cards in it."""
    gamma = rng.uniform(*cond.gamma)
    img, truths = room(rng, deck, cond, gamma, n_cards)
    return camera(rng, img, cond, gamma), truths


def room(
    rng: np.random.Generator,
    deck: Deck,
    cond: Condition,
    gamma: float,
    n_cards: int = 40,
    width: int | None = None,
    cards: Sequence[int] = (),
) -> tuple[F32, list[Truth]]:
    """The room as light leaves it (grey levels before the camera's exposure), and its cards:
    ``cards`` in turn if given (one each), else drawn from ``BASELINE_CARDS``."""
    w, h = width or cond.width, cond.height
    img = background(rng, w, h)
    if gamma > 1.0:  # a dim room: the background is dark too (in output levels 10-90)
        img = 255.0 * (np.clip(img, 0, 255) / 255.0 * rng.uniform(0.1, 0.35)) ** (1 / gamma)
    lo, hi = cond.sides
    sides = np.exp(rng.uniform(math.log(lo), math.log(hi), size=n_cards))
    occupied: list[tuple[float, float, float]] = []
    truths: list[Truth] = []
    for side in sorted(sides, reverse=True):
        spot = _free_spot(rng, occupied, float(side), w, h)
        if spot is None:
            continue
        card = int(cards[len(truths)]) if cards else int(rng.choice(BASELINE_CARDS))
        answer = str(rng.choice(ANSWERS))
        quad = _quad(rng, spot, float(side), cond.in_plane, cond.tilt)
        value, alpha, size, pad = _card_canvas(rng, deck, card, answer, float(side), cond)
        # Levels in the output image; their pre-exposure values follow from the gamma.
        black = rng.uniform(10, 45) if gamma > 1.0 else rng.uniform(15, 60)
        white = min(black + rng.uniform(*cond.contrast), 250.0)
        lin_black = 255.0 * (black / 255.0) ** (1 / gamma)
        lin_white = 255.0 * (white / 255.0) ** (1 / gamma)
        shaded = _shade(rng, value, alpha, lin_black, lin_white, cond)
        src = np.array([[pad, pad], [pad + size, pad], [pad + size, pad + size], [pad, pad + size]])
        _paste(img, shaded, alpha, src.astype(np.float32), quad)
        truths.append(Truth(card, answer, _marker_of(quad), float(side)))
        occupied.append((float(spot[0]), float(spot[1]), float(side)))
    return img, truths


def _marker_of(card_quad: F32) -> F32:
    """Marker corners inside a card's corners, in A-up order (TL, TR, BR, BL of the print)."""
    lo = CARD_LAYOUT.margin
    hi = lo + CARD_LAYOUT.marker
    hom = cv2.getPerspectiveTransform(
        np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32), card_quad
    )
    canon = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]], np.float32).reshape(1, 4, 2)
    return cv2.perspectiveTransform(canon, hom)[0].astype(np.float32)


def _free_spot(
    rng: np.random.Generator,
    occupied: list[tuple[float, float, float]],
    side: float,
    w: int,
    h: int,
) -> F32 | None:
    for _ in range(60):
        x = rng.uniform(side, w - side)
        y = rng.uniform(side, h - side)
        if all(math.hypot(x - ox, y - oy) > (side + os) * 0.85 for ox, oy, os in occupied):
            return np.array([x, y], np.float32)
    return None


def camera(
    rng: np.random.Generator,
    img: F32,
    cond: Condition,
    gamma: float,
    smear_angle: float | None = None,
) -> Image:
    """The frame a camera sends of ``img``: uneven light, defocus, a smear (``cond.smear``
    px at ``smear_angle``, random by default), the exposure's gamma, noise, JPEG."""
    h, w = img.shape
    if gamma == 1.0:  # a dim row sets its cards' levels as the camera records them
        light = cv2.resize(rng.uniform(0.75, 1.05, size=(3, 4)).astype(np.float32), (w, h))
        img = img * light
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(*cond.defocus))
    length = cond.smear
    if not length and cond.smear_random and rng.random() < 0.5:
        length = rng.uniform(1.0, cond.smear_random)
    if length:
        angle = rng.uniform(0, math.pi) if smear_angle is None else smear_angle
        img = cv2.filter2D(img, -1, smear_kernel(length, angle))
    if gamma > 1.0:
        img = 255.0 * (np.clip(img, 0, 255) / 255.0) ** gamma
    img = img + rng.normal(0, rng.uniform(*cond.noise), size=img.shape).astype(np.float32)
    frame = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    quality = int(rng.integers(60, 91))
    _, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    out: Image = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


def smear_kernel(length: float, angle: float) -> F32:
    """A straight smear ``length`` px long at ``angle``: what a pan does during the exposure."""
    n = math.ceil(length) + 3
    n += 1 - n % 2
    big = np.zeros((n * 8, n * 8), np.float32)
    c = n * 4
    dx, dy = math.cos(angle) * length * 4, math.sin(angle) * length * 4
    cv2.line(big, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 8)
    k = cv2.resize(big, (n, n), interpolation=cv2.INTER_AREA)
    return (k / k.sum()).astype(np.float32)


# --- clutter ------------------------------------------------------------------------------------

_DECOY_DICTS = (
    cv2.aruco.DICT_4X4_100,
    cv2.aruco.DICT_5X5_100,
    cv2.aruco.DICT_6X6_100,
    cv2.aruco.DICT_APRILTAG_16h5,
    cv2.aruco.DICT_APRILTAG_36h11,
)


def _decoy(rng: np.random.Generator) -> F32:
    kind = int(rng.integers(0, 8))
    if kind < len(_DECOY_DICTS):
        d = cv2.aruco.getPredefinedDictionary(_DECOY_DICTS[kind])
        if kind == 0:  # other 4x4 ids: never a card's
            ident = int(rng.choice([42, 48, *range(66, 100)]))
        else:
            ident = int(rng.integers(0, min(d.bytesList.shape[0], 30)))
        inner = cv2.aruco.generateImageMarker(d, ident, 240)
    elif kind == 5:
        inner = cv2.QRCodeEncoder.create().encode(f"room {int(rng.integers(0, 10**6))}")
        inner = cv2.resize(inner, (240, 240), interpolation=cv2.INTER_NEAREST)
    elif kind == 6:
        n = int(rng.integers(3, 9))
        cells = (np.indices((n, n)).sum(axis=0) % 2 * 255).astype(np.uint8)
        inner = cv2.resize(cells, (240, 240), interpolation=cv2.INTER_NEAREST)
    else:
        inner = np.full((240, 240), 255, np.uint8)
        for row in range(6):
            text = "".join(rng.choice(list("ABCDEFGHKLMNPRSTUVXYZ")) for _ in range(6))
            cv2.putText(inner, text, (5, 35 + row * 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 3)
    page = np.full((360, 360), 255, np.uint8)
    page[60:300, 60:300] = inner
    return page.astype(np.float32) / 255.0


def clutter_scene(rng: np.random.Generator, width: int = 1920, height: int = 1080) -> Image:
    """A frame with no cards: 40 decoys printed like cards, on a room's background."""
    cond = CONDITIONS["mixed"]
    img = background(rng, width, height)
    occupied: list[tuple[float, float, float]] = []
    for _ in range(40):
        side = float(np.exp(rng.uniform(math.log(20), math.log(150))))
        spot = _free_spot(rng, occupied, side, width, height)
        if spot is None:
            continue
        value = _decoy(rng)
        alpha = np.ones_like(value)
        black, white = rng.uniform(15, 60), rng.uniform(140, 240)
        n = value.shape[0]
        src = np.array([[0, 0], [n, 0], [n, n], [0, n]], np.float32)
        quad = _quad(rng, spot, side, cond.in_plane, cond.tilt)
        _paste(img, black + (white - black) * value, alpha, src, quad)
        occupied.append((float(spot[0]), float(spot[1]), side))
    return camera(rng, img, cond, 1.0)


# --- the detectors ------------------------------------------------------------------------------


def baseline(deck: Deck) -> DetectFn:
    """Plain OpenCV ArUco: ``DICT_4X4_50``, default parameters, ids mapped to the deck's cards."""
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())

    def detect(frame: Image) -> list[Read]:
        corners, ids, _ = detector.detectMarkers(frame)
        if ids is None:
            return []
        out: list[Read] = []
        for c, i in zip(corners, ids.ravel(), strict=True):
            q = np.asarray(c, np.float32).reshape(4, 2)
            out.append((deck.card_for_aruco_id(int(i)), answer_from_corners(q), q))
        return out

    return detect


def ours(deck: Deck) -> DetectFn:
    detector = Detector(deck)

    def detect(frame: Image) -> list[Read]:
        return [(d.card, d.answer, d.corners) for d in detector.detect(frame)]

    return detect


# --- scoring ------------------------------------------------------------------------------------


@dataclass
class Score:
    found: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    wrong_answer: int = 0
    wrong_card: int = 0
    phantom: int = 0
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def add_frame(self, reads: Sequence[Read], truth: Sequence[Truth]) -> None:
        centres = np.array([t.marker.mean(axis=0) for t in truth]).reshape(-1, 2)
        sides = np.array([np.linalg.norm(t.marker[0] - t.marker[2]) / 1.414 for t in truth])
        right: set[int] = set()
        for card, answer, corners in reads:
            c = corners.reshape(4, 2).mean(axis=0)
            dist = np.linalg.norm(centres - c, axis=1) if len(truth) else np.zeros(0)
            near = np.flatnonzero(dist < sides * 0.5)
            if not near.size:
                self.phantom += 1
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

    def errors(self) -> int:
        return self.wrong_answer + self.wrong_card + self.phantom


def timed(fn: DetectFn, frame: Image, score: Score) -> list[Read]:
    c0, t0 = time.thread_time(), time.perf_counter()
    reads = fn(frame)
    score.ms.append((time.perf_counter() - t0) * 1000)
    score.cpu_ms.append((time.thread_time() - c0) * 1000)
    return reads


def run_row(
    cond: Condition, seed: int, frames: int, detectors: dict[str, DetectFn], deck: Deck
) -> dict[str, Score]:
    rng = np.random.default_rng([seed, zlib_crc(cond.name)])
    scores = {name: Score() for name in detectors}
    names = list(detectors)
    for i in range(frames):
        frame, truth = scene(rng, deck, cond)
        for name in names if i % 2 == 0 else names[::-1]:
            scores[name].add_frame(timed(detectors[name], frame, scores[name]), truth)
    return scores


def zlib_crc(text: str) -> int:
    return zlib.crc32(text.encode())


def run_clutter(seed: int, frames: int, detectors: dict[str, DetectFn]) -> dict[str, int]:
    rng = np.random.default_rng([seed, zlib_crc("clutter")])
    out = dict.fromkeys(detectors, 0)
    for _ in range(frames):
        frame = clutter_scene(rng)
        for name, fn in detectors.items():
            out[name] += len(fn(frame))
    return out


def _med(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def table(results: dict[str, dict[str, dict[str, Score]]], clutter: dict[str, int]) -> str:
    head = ["row", "tune", "report", "gap", "aruco", "+vs aruco"]
    head += [f"{label}" for *_, label in BUCKETS]
    head += ["cards", "wrong ans", "wrong card", "phantom", "ms", "aruco ms", "x aruco"]
    head += ["cpu ms", "aruco cpu", "x aruco cpu"]
    rows = [head]
    for name, sets in results.items():
        tune, rep = sets["tune"]["ours"], sets["report"]["ours"]
        base = sets["report"]["aruco"]
        both = [sets["tune"]["ours"], rep]
        ms, base_ms = _med(rep.ms), _med(base.ms)
        rows.append(
            [
                name,
                f"{tune.recall():.3f}",
                f"{rep.recall():.3f}",
                f"{rep.recall() - tune.recall():+.3f}",
                f"{base.recall():.3f}",
                f"{rep.recall() - base.recall():+.3f}",
                *[f"{f / t:.3f}" if t else "-" for f, t in zip(rep.found, rep.total, strict=True)],
                str(sum(rep.total)),
                str(sum(s.wrong_answer for s in both)),
                str(sum(s.wrong_card for s in both)),
                str(sum(s.phantom for s in both)),
                f"{ms:.1f}",
                f"{base_ms:.1f}",
                f"{ms / base_ms:.2f}",
                f"{_med(rep.cpu_ms):.1f}",
                f"{_med(base.cpu_ms):.1f}",
                f"{_med(rep.cpu_ms) / _med(base.cpu_ms):.2f}",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for j, r in enumerate(rows):
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(
        f"clutter (decoys only): ours {clutter.get('ours', 0)} reads, "
        f"plain ArUco {clutter.get('aruco', 0)} reads"
    )
    return "\n".join(lines)


LIGHT_LEVELS = (15.0, 20.0, 25.0, 35.0, 50.0, 70.0, 100.0)


def light_table(frames: int, detectors: dict[str, DetectFn], deck: Deck) -> str:
    """How dim is too dim: recall by the card's white-over-black in the image, in a dim room
    (gamma 1.5-2.2, noise sigma 6-12), report seeds, card sides 14-120 px and from 30 px."""
    base = CONDITIONS["dim"]
    lines = [
        "how dim is too dim: a dim room (exposure gamma 1.5-2.2, noise sigma 6-12), "
        f"{frames} frames of 40 cards a level, report seeds",
        f"{'white - black':>13}  {'ours':>6}  {'from 30 px':>10}  {'aruco':>6}  {'errors':>6}",
    ]
    for level in LIGHT_LEVELS:
        cond = Condition(
            f"light {level:.0f}",
            contrast=(level, level),
            gamma=base.gamma,
            noise=base.noise,
        )
        scores = run_row(cond, REPORT_SEED, frames, detectors, deck)
        ours_s, base_s = scores["ours"], scores["aruco"]
        big = sum(ours_s.found[2:]) / max(sum(ours_s.total[2:]), 1)
        lines.append(
            f"{level:>13.0f}  {ours_s.recall():>6.3f}  {big:>10.3f}  {base_s.recall():>6.3f}  "
            f"{ours_s.errors():>6}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=50, help="frames a row a seed set (50)")
    parser.add_argument("--clutter", type=int, default=200, help="card-free frames (200)")
    parser.add_argument("--quick", action="store_true", help="8 frames a row, 20 clutter frames")
    parser.add_argument("--rows", default="", help="comma-separated row names (default: all)")
    parser.add_argument("--sets", default="tune,report", help="seed sets to run")
    parser.add_argument(
        "--light", type=int, default=0, metavar="N", help="only the how-dim table, N frames a level"
    )
    args = parser.parse_args(argv)
    if args.light:
        cv2.setNumThreads(1)
        deck = Deck()
        print(light_table(args.light, {"ours": ours(deck), "aruco": baseline(deck)}, deck))
        return 0
    if args.quick:
        args.frames, args.clutter = 8, 20
    cv2.setNumThreads(1)
    deck = Deck()
    detectors = {"ours": ours(deck), "aruco": baseline(deck)}
    names = [n.strip() for n in args.rows.split(",") if n.strip()] or list(CONDITIONS)
    unknown = [n for n in names if n not in CONDITIONS]
    if unknown:
        parser.error(f"unknown rows {unknown}; rows are {list(CONDITIONS)}")
    seeds = {"tune": TUNE_SEED, "report": REPORT_SEED}
    sets = [s for s in args.sets.split(",") if s in seeds]
    warm, _ = scene(np.random.default_rng(0), deck, CONDITIONS["mixed"], 4)
    for fn in detectors.values():
        fn(warm)
    results: dict[str, dict[str, dict[str, Score]]] = {}
    t0 = time.perf_counter()
    for name in names:
        results[name] = {}
        for s in ("tune", "report"):
            if s in sets:
                results[name][s] = run_row(CONDITIONS[name], seeds[s], args.frames, detectors, deck)
            else:
                results[name][s] = {k: Score() for k in detectors}
        print(f"  {name} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    clutter = run_clutter(REPORT_SEED, args.clutter, detectors)
    print(
        f"rooms benchmark: {args.frames} frames a row a seed set, 40 cards a frame (cards 1-48); "
        f"tune seed {TUNE_SEED}, report seed {REPORT_SEED}; {args.clutter} clutter frames; "
        f"cv2.setNumThreads(1), OpenCV {cv2.__version__}"
    )
    print(
        "tune/report = recall of ours on each seed set, gap = report - tune; aruco = plain "
        "ArUco (DICT_4X4_50, default parameters) on the report frames;\nbuckets = recall of ours "
        "on the report frames by printed card side in px; errors over both seed sets; "
        "ms = median wall time a frame, cpu = median CPU time of the thread (steadier on a busy machine)"
    )
    print(table(results, clutter))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
