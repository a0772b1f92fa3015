"""Synthetic classroom frames with known answers, for the benchmark, the tests and the demo.

A frame is what a teacher's phone sees sweeping a classroom: a cluttered room (walls, desks,
posters, shelves, text, grids, people) and students holding cards. Every random choice comes
from the ``numpy.random.Generator`` passed in, so a seed gives the same frame on every machine
with the same OpenCV build.

What makes it hard, on purpose (the numbers are defaults of ``Realism``):

* printed card sides (the whole card, not just the marker) 18 to 120 px, log-uniform;
* each card turned in its plane up to 25 degrees by the hand holding it, and tilted out of the
  image plane up to 35 degrees (foreshortening and perspective), never overlapping another card;
* a thumb and fingers over part of the card's white margin; a grey, tinted paper and ink;
* uneven light across the room, and glare spots;
* defocus blur, motion blur from sweeping, sensor noise (read noise plus shot noise);
* JPEG compression at quality 55 to 90, with the usual 4:2:0 chroma subsampling;
* a background of rectangles, edges, lines, text and hard negatives: checkerboards and bordered
  grids of black and white cells of other sizes than a card's marker.

No I/O: images come back as arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from scanner.deck import ANSWERS, CARD_LAYOUT, Deck

__all__ = [
    "CardTruth",
    "Realism",
    "card_side",
    "classroom_frame",
    "clutter_frame",
]

BgrImage = npt.NDArray[np.uint8]
_Float = npt.NDArray[np.float32]


class CardTruth(NamedTuple):
    """One card placed in a synthetic frame: unpacks as ``card, answer, corners``.

    ``corners`` are the marker's corners, in the order of ``Detection.corners`` (top-left,
    top-right, bottom-right, bottom-left as printed with A up), float32 (4, 2).
    """

    card: int
    answer: str
    corners: npt.NDArray[np.float32]

    @property
    def side_px(self) -> float:
        """Side of the whole printed card in the image: the marker's mean side over its share."""
        return card_side(self.corners) / CARD_LAYOUT.marker


@dataclass(frozen=True, slots=True)
class Realism:
    """How hard the frames are: ranges that every frame draws its own values from."""

    max_roll_deg: float = 25.0
    max_tilt_deg: float = 35.0
    focal_px: float = 1400.0
    defocus_sigma: tuple[float, float] = (0.3, 1.0)
    motion_px: tuple[float, float] = (0.0, 3.0)
    motion_probability: float = 0.5
    noise_sigma: tuple[float, float] = (1.5, 5.0)
    jpeg_quality: tuple[int, int] = (55, 90)
    light_range: tuple[float, float] = (0.45, 1.1)
    glare_spots: tuple[int, int] = (0, 3)
    finger_probability: float = 0.6


DEFAULT_REALISM = Realism()


def card_side(corners: npt.NDArray[np.float32]) -> float:
    """Mean side of a quadrilateral, in pixels."""
    d = corners - np.roll(corners, -1, axis=0)
    return float(np.hypot(d[:, 0], d[:, 1]).mean())


def classroom_frame(
    rng: np.random.Generator,
    deck: Deck,
    *,
    width: int = 1920,
    height: int = 1080,
    n_cards: int = 40,
    min_side: float = 18.0,
    max_side: float = 120.0,
    realism: Realism = DEFAULT_REALISM,
) -> tuple[BgrImage, list[CardTruth]]:
    """A classroom frame with up to ``n_cards`` distinct cards held up, and where they are.

    Card sides are log-uniform in ``[min_side, max_side]`` px. Cards never overlap; when the frame
    has no room left for a card it is left out, so the truth can be shorter than ``n_cards``.
    Returns ``(bgr_frame, truth)``; ``bgr_frame`` has been through a JPEG round trip.
    """
    if n_cards > len(deck):
        raise ValueError(f"at most {len(deck)} distinct cards fit in one frame")
    img = _background(rng, width, height)
    numbers = rng.choice(np.asarray(deck.numbers), size=n_cards, replace=False)
    sides = np.exp(rng.uniform(math.log(min_side), math.log(max_side), size=n_cards))
    placed: list[tuple[float, float, float]] = []
    poses: list[tuple[int, str, npt.NDArray[np.float32]]] = []
    for number, side in sorted(zip(numbers.tolist(), sides.tolist(), strict=True), key=_by_side):
        spot = _free_spot(rng, placed, side, width, height)
        if spot is None:
            continue
        placed.append((spot[0], spot[1], side * 0.75))
        answer = ANSWERS[int(rng.integers(4))]
        poses.append((int(number), answer, _pose(rng, side, spot, realism)))
    for _, _, dst in poses:  # arms first: an arm never covers somebody else's card
        _arm(rng, img, dst)
    truth = [_draw_card(rng, img, deck, n, a, dst, realism) for n, a, dst in poses]
    out = _photograph(rng, img, realism)
    return out, truth


def clutter_frame(
    rng: np.random.Generator,
    *,
    width: int = 1920,
    height: int = 1080,
    realism: Realism = DEFAULT_REALISM,
) -> BgrImage:
    """A cluttered classroom frame with no card in it, after the same camera effects."""
    img = _background(rng, width, height, hard_negatives=3.0)
    return _photograph(rng, img, realism)


# --- the room -------------------------------------------------------------------------------


def _by_side(item: tuple[int, float]) -> float:
    return -item[1]


def _color(
    rng: np.random.Generator, lo: float = 0.0, hi: float = 255.0, tint: float = 25.0
) -> tuple[float, ...]:
    base = rng.uniform(lo, hi)
    shift = rng.normal(0.0, tint, size=3)
    return tuple(float(np.clip(base + t, 0, 255)) for t in shift)


def _background(
    rng: np.random.Generator, width: int, height: int, *, hard_negatives: float = 1.0
) -> _Float:
    """A room: a wall and floor gradient, furniture, posters, people, text and patterns."""
    yy = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    top = np.array(_color(rng, 90, 220), np.float32)
    bottom = np.array(_color(rng, 40, 180), np.float32)
    gradient = np.broadcast_to(top * (1 - yy) + bottom * yy, (height, width, 3))
    img = np.ascontiguousarray(gradient.astype(np.uint8))  # OpenCV draws text on 8-bit only
    area_scale = width * height / (1920 * 1080)

    for _ in range(int(rng.integers(30, 70) * area_scale) + 3):  # furniture, posters, windows
        w, h = rng.uniform(10, 420, size=2) * math.sqrt(area_scale + 0.1)
        _rotated_rect(rng, img, w, h, _color(rng), filled=rng.random() < 0.7)
    for _ in range(int(rng.integers(6, 14) * area_scale) + 1):  # people: bodies and heads
        cx, cy = rng.uniform(0, width), rng.uniform(height * 0.2, height)
        body = rng.uniform(60, 220)
        cv2.ellipse(
            img,
            (int(cx), int(cy + body)),
            (int(body * 0.6), int(body)),
            0,
            0,
            360,
            _color(rng, 20, 200),
            -1,
            cv2.LINE_AA,
        )
        skin = _color(rng, 80, 210)
        cv2.circle(img, (int(cx), int(cy)), int(body * 0.3), skin, -1, cv2.LINE_AA)
        hair = _color(rng, 10, 90)
        cv2.ellipse(
            img, (int(cx), int(cy - body * 0.1)), (int(body * 0.3),) * 2, 0, 180, 360, hair, -1
        )
    for _ in range(int(rng.integers(20, 60) * area_scale) + 2):  # edges
        p1 = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        p2 = (int(p1[0] + rng.normal(0, 300)), int(p1[1] + rng.normal(0, 300)))
        cv2.line(img, p1, p2, _color(rng), int(rng.integers(1, 5)), cv2.LINE_AA)
    for _ in range(int(rng.integers(10, 30) * area_scale) + 1):  # text on posters and boards
        text = "".join(chr(int(c)) for c in rng.integers(48, 91, size=int(rng.integers(2, 12))))
        org = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        scale = float(rng.uniform(0.3, 2.0))
        cv2.putText(img, text, org, int(rng.integers(0, 8)), scale, _color(rng), 1, cv2.LINE_AA)
    room = img.astype(np.float32)
    for _ in range(int(rng.integers(4, 12) * area_scale * hard_negatives) + 1):
        _pattern(rng, room)

    # Fine texture (wood, fabric, plaster), so flat areas are never perfectly flat.
    small = rng.normal(0.0, 1.0, size=(height // 8 + 1, width // 8 + 1, 1)).astype(np.float32)
    texture = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    room += texture[..., None] * float(rng.uniform(2, 10))
    return room


def _rotated_rect(
    rng: np.random.Generator,
    img: BgrImage,
    w: float,
    h: float,
    color: tuple[float, ...],
    *,
    filled: bool,
) -> None:
    height, width = img.shape[:2]
    centre = (float(rng.uniform(0, width)), float(rng.uniform(0, height)))
    angle = float(rng.choice([0.0, 0.0, rng.uniform(-40, 40)]))
    box = cv2.boxPoints((centre, (float(w), float(h)), angle)).astype(np.int32)
    if filled:
        cv2.fillPoly(img, [box], color, cv2.LINE_AA)
    else:
        cv2.polylines(img, [box], True, color, int(rng.integers(1, 6)), cv2.LINE_AA)


def _pattern(rng: np.random.Generator, img: _Float) -> None:
    """A hard negative: a checkerboard or a bordered grid of cells, never a 6x6 marker grid."""
    height, width = img.shape[:2]
    n = int(rng.choice([3, 4, 5, 7, 8, 9, 10]))
    cells = rng.integers(0, 2, size=(n, n)).astype(np.float32)
    kind = rng.random()
    if kind < 0.3:
        cells = (np.indices((n, n)).sum(axis=0) % 2).astype(np.float32)
    elif kind < 0.8:
        cells[0, :] = cells[-1, :] = cells[:, 0] = cells[:, -1] = 0
    side = float(np.exp(rng.uniform(math.log(12), math.log(150))))
    cell_img = np.kron(cells, np.ones((8, 8), np.float32))
    if rng.random() < 0.5:  # on a white sheet, like a card's quiet zone
        cell_img = cv2.copyMakeBorder(cell_img, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=1.0)
    dark, light = rng.uniform(10, 70), rng.uniform(170, 250)
    patch = (dark + (light - dark) * cell_img).astype(np.float32)
    src = _square(patch.shape[0])
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    angle = rng.uniform(-math.pi, math.pi)
    dst = _quad((cx, cy), side, angle, rng.normal(0, 0.05, size=(4, 2)))
    _paste(img, np.repeat(patch[..., None], 3, axis=2), src, dst)


def _square(n: int) -> npt.NDArray[np.float32]:
    """Corners of an n x n image, in pixel-centre coordinates, clockwise from top left."""
    a, b = -0.5, n - 0.5
    return np.array([[a, a], [b, a], [b, b], [a, b]], np.float32)


def _quad(
    centre: tuple[float, float], side: float, angle: float, jitter: npt.NDArray[np.float64]
) -> npt.NDArray[np.float32]:
    unit = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) + jitter
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    out: npt.NDArray[np.float32] = (unit @ rot.T * side + np.array(centre)).astype(np.float32)
    return out


def _paste(
    img: _Float,
    patch: _Float,
    src: npt.NDArray[np.float32],
    dst: npt.NDArray[np.float32],
) -> None:
    """Warp ``patch`` so its corners ``src`` land on ``dst`` and blend it in, antialiased."""
    height, width = img.shape[:2]
    x0, y0 = np.floor(dst.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(dst.max(axis=0)).astype(int) + 3
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return
    hom = cv2.getPerspectiveTransform(src, dst - np.array([x0, y0], np.float32))
    size = (int(x1 - x0), int(y1 - y0))
    # Blur before shrinking, as a lens would, so a big patch does not alias when shrunk.
    shrink = math.sqrt(abs(np.linalg.det(np.asarray(hom)[:2, :2]))) or 1.0
    if shrink < 0.8:
        sigma = 0.45 / shrink
        patch = cv2.GaussianBlur(patch, (0, 0), sigma)
    warped = cv2.warpPerspective(patch, hom, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(
        np.ones(patch.shape[:2], np.float32), hom, size, flags=cv2.INTER_LINEAR
    )[..., None]
    roi = img[y0:y1, x0:x1]
    roi *= 1.0 - mask
    roi += warped * mask


# --- the cards ------------------------------------------------------------------------------


def _free_spot(
    rng: np.random.Generator,
    placed: list[tuple[float, float, float]],
    side: float,
    width: int,
    height: int,
) -> tuple[float, float] | None:
    radius = side * 0.75
    pad = radius + 4
    for _ in range(300):
        cx = float(rng.uniform(pad, width - pad))
        cy = float(rng.uniform(pad, height - pad))
        if all(math.hypot(cx - x, cy - y) > radius + r + 3 for x, y, r in placed):
            return cx, cy
    return None


def _pose(
    rng: np.random.Generator, side: float, centre: tuple[float, float], realism: Realism
) -> npt.NDArray[np.float32]:
    """Image corners of a card of mean side ``side`` held at ``centre``: turned, tilted, seen."""
    roll = math.radians(rng.uniform(-realism.max_roll_deg, realism.max_roll_deg))
    tilt = math.radians(rng.uniform(0, realism.max_tilt_deg))
    axis = rng.uniform(0, 2 * math.pi)
    square = np.array([[-0.5, -0.5, 0], [0.5, -0.5, 0], [0.5, 0.5, 0], [-0.5, 0.5, 0]])
    cr, sr = math.cos(roll), math.sin(roll)
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    # Tilt about an axis in the card's plane: foreshortening plus true perspective.
    ax = np.array([math.cos(axis), math.sin(axis), 0.0])
    k = np.array([[0, -ax[2], ax[1]], [ax[2], 0, -ax[0]], [-ax[1], ax[0], 0]])
    rt = np.eye(3) + math.sin(tilt) * k + (1 - math.cos(tilt)) * (k @ k)
    pts = square @ rz.T @ rt.T
    distance = realism.focal_px / side  # a unit card at this distance is about `side` px
    proj = pts[:, :2] / (distance + pts[:, 2:3]) * realism.focal_px
    proj *= side / card_side(proj.astype(np.float32))
    corners: npt.NDArray[np.float32] = (proj + np.array(centre)).astype(np.float32)
    return corners


def _arm(rng: np.random.Generator, img: _Float, dst: npt.NDArray[np.float32]) -> None:
    """The arm of the student holding the card at ``dst``, reaching down out of the frame."""
    arm = _color(rng, 30, 200)
    bottom = (dst[2] + dst[3]) / 2
    centre = dst.mean(axis=0)
    reach = bottom + (bottom - centre) * rng.uniform(1.2, 2.5)
    width = max(2, int(card_side(dst) * 0.35))
    p1 = (int(centre[0]), int(centre[1]))
    p2 = (int(reach[0]), int(reach[1]))
    cv2.line(img, p1, p2, arm, width, cv2.LINE_AA)


def _draw_card(
    rng: np.random.Generator,
    img: _Float,
    deck: Deck,
    number: int,
    answer: str,
    dst: npt.NDArray[np.float32],
    realism: Realism,
) -> CardTruth:
    k = ANSWERS.index(answer)
    side = card_side(dst)
    size = max(32, int(side * 2))
    card = deck.render_card(number, answer, size).astype(np.float32) / 255.0
    ink = np.array(_color(rng, 10, 60, tint=8), np.float32)
    paper = np.array(_color(rng, 200, 250, tint=10), np.float32)
    paper = np.clip(paper, ink + 120, 255)
    patch = ink + (paper - ink) * card[..., None]
    src = _square(size)
    _paste(img, patch, src, dst)

    if rng.random() < realism.finger_probability:
        _fingers(rng, img, dst)

    # Marker corners as printed with A up, then carried through the rotation to the image.
    lay = CARD_LAYOUT
    lo, hi = lay.margin * size - 0.5, (lay.margin + lay.marker) * size - 0.5
    marker = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]], np.float64)
    for _ in range(k):  # np.rot90 anticlockwise: (x, y) -> (y, n - 1 - x) in pixel centres
        marker = np.stack([marker[:, 1], size - 1 - marker[:, 0]], axis=1)
    hom = cv2.getPerspectiveTransform(src, dst)
    corners = cv2.perspectiveTransform(marker.reshape(1, 4, 2), hom).reshape(4, 2)
    return CardTruth(number, answer, corners.astype(np.float32))


def _fingers(rng: np.random.Generator, img: _Float, dst: npt.NDArray[np.float32]) -> None:
    """A thumb or fingertips over the card's white margin, never reaching the quiet zone."""
    edge = int(rng.integers(4))
    a, b = dst[edge], dst[(edge + 1) % 4]
    centre = dst.mean(axis=0)
    t = rng.uniform(0.15, 0.85)
    on_edge = a + (b - a) * t
    inward = centre - on_edge
    inward_len = float(np.hypot(*inward)) or 1.0
    side = card_side(dst)
    depth = side * rng.uniform(0.02, 0.07)  # how far the finger reaches onto the card
    radius = side * rng.uniform(0.06, 0.12)
    tip = on_edge + inward / inward_len * (depth - radius)
    skin = _color(rng, 90, 220)
    cv2.circle(img, (int(tip[0]), int(tip[1])), max(1, int(radius)), skin, -1, cv2.LINE_AA)


# --- the camera -----------------------------------------------------------------------------


def _photograph(rng: np.random.Generator, img: _Float, realism: Realism) -> BgrImage:
    """Light, optics, sensor and JPEG: from a scene in [0, 255] to the frame a phone sends."""
    height, width = img.shape[:2]
    # Uneven light: a smooth random field across the room.
    coarse = rng.uniform(*realism.light_range, size=(3, 4)).astype(np.float32)
    light = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    img = img * np.clip(light, 0.3, 1.2)[..., None]
    # Glare: bright spots from windows and ceiling lights.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for _ in range(int(rng.integers(realism.glare_spots[0], realism.glare_spots[1] + 1))):
        gx, gy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(30, 200)
        amp = rng.uniform(40, 110)
        img += (amp * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r)))[..., None]
    # Optics: defocus, then motion from sweeping the phone.
    sigma = rng.uniform(*realism.defocus_sigma)
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    if rng.random() < realism.motion_probability:
        length = rng.uniform(*realism.motion_px)
        if length >= 1.0:
            img = cv2.filter2D(img, -1, _motion_kernel(length, rng.uniform(0, math.pi)))
    # Sensor: read noise plus shot noise, per channel.
    read = rng.uniform(*realism.noise_sigma)
    noise = rng.standard_normal(img.shape, dtype=np.float32)
    img = img + noise * np.sqrt(read**2 + np.clip(img, 0, None) * 0.08)
    frame = np.clip(img, 0, 255).astype(np.uint8)
    quality = int(rng.integers(realism.jpeg_quality[0], realism.jpeg_quality[1] + 1))
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:  # pragma: no cover - a buffer OpenCV just encoded always decodes
        raise RuntimeError("JPEG decoding failed")
    out: BgrImage = decoded
    return out


def _motion_kernel(length: float, angle: float) -> npt.NDArray[np.float32]:
    size = math.ceil(length) | 1
    size += 2
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
    cv2.line(
        kernel,
        (round((c - dx) * 16), round((c - dy) * 16)),
        (round((c + dx) * 16), round((c + dy) * 16)),
        1.0,
        1,
        cv2.LINE_AA,
        4,
    )
    total = float(kernel.sum())
    if total <= 0:
        kernel[c, c] = 1.0
        total = 1.0
    return kernel / total
