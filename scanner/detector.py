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
3. **Every candidate is read by our own reader** (``_Reader``), all candidates at once as arrays:
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
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from scanner.deck import ANSWERS, MARKER_CELLS, Deck
from scanner.detection import Detection

__all__ = [
    "Detector",
    "ImageError",
    "annotate",
    "answer_from_corners",
    "decode_image",
    "image_size",
]

Image = npt.NDArray[np.uint8]
_F32 = npt.NDArray[np.float32]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


class ImageError(ValueError):
    """An encoded image that is corrupt, empty, or larger than the limits allow."""


# --- the reader ---------------------------------------------------------------------------------

# Canonical marker coordinates: cell units, (0, 0) the marker's outer top-left corner, (6, 6) its
# bottom-right. The reader samples a square grid from -_RING to 6 + _RING: the marker and a
# strip of the quiet zone around it.
_RING = 0.55
_GRID = 18
_BLURS = (0.02, 0.1, 0.3, 0.5, 0.7)  # Gaussian sigma, in cells, of the templates


def _grid_coords() -> _F32:
    lo, hi = -_RING, MARKER_CELLS + _RING
    step = (hi - lo) / _GRID
    return (lo + step * (np.arange(_GRID, dtype=np.float32) + 0.5)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class _Read:
    card: int
    rotation: int  # the sampled patch shows np.rot90(bits, rotation)
    score: float
    margin: float
    corners: _F32  # in the candidate's order


def _ring_points(offset: float, n: int) -> tuple[_F32, _F32]:
    """``n`` points per side on a square ``offset`` cells outside (negative: inside) the edge."""
    t = np.linspace(0.5, MARKER_CELLS - 0.5, n, dtype=np.float32)
    lo, hi = -offset, MARKER_CELLS + offset
    u = np.concatenate([t, np.full(n, hi), t[::-1], np.full(n, lo)])
    v = np.concatenate([np.full(n, lo), t, np.full(n, hi), t[::-1]])
    return u.astype(np.float32), v.astype(np.float32)


# Cell centres, row by row, and which of them are the black border.
_CELL_C = np.arange(MARKER_CELLS, dtype=np.float32) + 0.5
_CELL_U, _CELL_V = (a.ravel().astype(np.float32) for a in np.meshgrid(_CELL_C, _CELL_C))
_BORDER_GRID = np.ones((MARKER_CELLS, MARKER_CELLS), bool)
_BORDER_GRID[1:-1, 1:-1] = False
_BORDER_MASK = _BORDER_GRID.ravel()
_INNER_MASK = ~_BORDER_MASK
_BORDER_U, _BORDER_V = _CELL_U[_BORDER_MASK], _CELL_V[_BORDER_MASK]
_QUIET_U, _QUIET_V = _ring_points(0.3, 8)
_VERIFY_U = np.concatenate([_CELL_U, _QUIET_U])
_VERIFY_V = np.concatenate([_CELL_V, _QUIET_V])


class _Reader:
    """Reads cards off candidate quadrilaterals; see the module docstring, step 3."""

    def __init__(
        self,
        deck: Deck,
        *,
        min_score: float,
        min_ratio: float,
        max_bit_errors: int,
        min_contrast: float,
    ) -> None:
        self.deck = deck
        self.min_score = min_score
        self.min_ratio = min_ratio
        self.max_bit_errors = max_bit_errors
        self.min_contrast = min_contrast
        coords = _grid_coords()
        gu, gv = np.meshgrid(coords, coords)
        self.gu, self.gv = gu.ravel().astype(np.float32), gv.ravel().astype(np.float32)
        self.codes = np.stack(
            [np.rot90(deck.bits(n), k) for n in deck.numbers for k in range(4)]
        ).astype(np.uint8)
        templates = [_template(code, blur, coords) for blur in _BLURS for code in self.codes]
        t = np.stack(templates).reshape(len(templates), -1).astype(np.float32)
        t -= t.mean(axis=1, keepdims=True)
        t /= np.linalg.norm(t, axis=1, keepdims=True)
        self.templates = np.ascontiguousarray(t)
        self.n_codes = len(self.codes)

    def read(self, gray: _F32, quads: Sequence[_F32]) -> tuple[list[_Read | None], list[int]]:
        """One read (or ``None``) per candidate quadrilateral, in order, and the indices of
        the candidates that looked like a marker at first sight."""
        out: list[_Read | None] = [None] * len(quads)
        keep = _plausible(gray, quads, self.min_contrast * 0.5)
        if not keep:
            return out, keep
        new, good = _refine(gray, np.stack([quads[i] for i in keep]))
        refined = [(i, new[k]) for k, i in enumerate(keep) if bool(good[k])]
        if not refined:
            return out, keep
        rquads = [q for _, q in refined]
        obs = _sample_many(gray, rquads, self.gu, self.gv)
        ok = np.asarray(np.isfinite(obs).all(axis=1), dtype=bool)
        obs = np.where(ok[:, None], obs, 0.0).astype(np.float32)
        obs -= obs.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(obs, axis=1)
        obs /= np.maximum(norms, 1e-3)[:, None]
        ncc = cv2.gemm(self.templates, obs, 1.0, None, 0.0, flags=cv2.GEMM_2_T)
        per_code = ncc.reshape(len(_BLURS), self.n_codes, -1).max(axis=0)  # (codes, n)
        cols = np.arange(per_code.shape[1])
        best = per_code.argmax(axis=0)
        score = per_code[best, cols]
        per_code[best, cols] = -np.inf
        margin = score - per_code.max(axis=0)
        # How much worse the runner-up explains the samples than the winner does.
        ratio = (1.0 - (score - margin)) / np.maximum(1.0 - score, 1e-6)
        passed = ok & (norms >= 1e-3) & (score >= self.min_score) & (ratio >= self.min_ratio)
        passed &= self._verify(gray, rquads, best)
        for j in np.flatnonzero(passed).tolist():
            i, q = refined[j]
            b = int(best[j])
            out[i] = _Read(self.deck.numbers[b // 4], b % 4, float(score[j]), float(margin[j]), q)
        return out, keep

    def _verify(
        self, gray: _F32, quads: Sequence[_F32], code_index: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.bool_]:
        """Hard checks: black border, white quiet zone, enough contrast, few wrong bits."""
        n_cells = MARKER_CELLS * MARKER_CELLS
        samples = _sample_many(gray, quads, _VERIFY_U, _VERIFY_V)
        ok = np.isfinite(samples).all(axis=1)
        samples = np.nan_to_num(samples)
        cells, quiet = samples[:, :n_cells], samples[:, n_cells:]
        border = cells[:, _BORDER_MASK]
        black = np.median(border, axis=1)
        white = np.median(quiet, axis=1)
        mid = (black + white) / 2
        ok &= white - black >= self.min_contrast
        ok &= np.count_nonzero(border > mid[:, None], axis=1) <= 1
        ok &= np.count_nonzero(quiet < mid[:, None], axis=1) <= 3
        code = self.codes[code_index].reshape(len(quads), -1).astype(bool)
        bits = cells[:, _INNER_MASK]
        # The inner cells blur towards their neighbours: threshold them between the black and
        # white levels seen among the inner cells themselves.
        with np.errstate(all="ignore"):
            hi = np.nanmedian(np.where(code, bits, np.nan), axis=1)
            lo = np.nanmedian(np.where(code, np.nan, bits), axis=1)
        hi = np.where(np.isfinite(hi), hi, white)
        lo = np.where(np.isfinite(lo), lo, black)
        ok &= hi - lo >= self.min_contrast * 0.5
        hard = bits > ((lo + hi) / 2)[:, None]
        ok &= np.count_nonzero(hard != code, axis=1) <= self.max_bit_errors
        result: npt.NDArray[np.bool_] = ok
        return result


def _template(code: npt.NDArray[np.uint8], blur: float, coords: _F32) -> _F32:
    """How a card with data cells ``code`` looks on the sampling grid, blurred by ``blur``."""
    ppc = 16  # pixels per cell of the drawing the grid is sampled from
    pad = 2
    n = MARKER_CELLS + 2 * pad
    cells = np.ones((n, n), np.float32)
    cells[pad : pad + MARKER_CELLS, pad : pad + MARKER_CELLS] = 0.0
    cells[pad + 1 : pad + 5, pad + 1 : pad + 5] = code
    big = np.kron(cells, np.ones((ppc, ppc), np.float32))
    if blur > 0:
        big = cv2.GaussianBlur(big, (0, 0), blur * ppc)
    pix = (coords + pad) * ppc - 0.5
    mx, my = np.meshgrid(pix, pix)
    out: _F32 = cv2.remap(big, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR)
    return out


_CANON = np.array([[0, 0], [6, 0], [6, 6], [0, 6]], np.float32)


def _homographies(quads: _F32 | Sequence[_F32]) -> npt.NDArray[np.float64]:
    """Homographies (n, 3, 3) from canonical marker coordinates (0..6) onto each quad (n, 4, 2).

    The closed form for a square onto a quadrilateral (Heckbert, 1989), for all quads at once.
    """
    q = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    x0, x1, x2, x3 = (q[:, i, 0] for i in range(4))
    y0, y1, y2, y3 = (q[:, i, 1] for i in range(4))
    dx1, dx2, dx3 = x1 - x2, x3 - x2, x0 - x1 + x2 - x3
    dy1, dy2, dy3 = y1 - y2, y3 - y2, y0 - y1 + y2 - y3
    den = dx1 * dy2 - dx2 * dy1
    den = np.where(np.abs(den) < 1e-12, 1e-12, den)
    g = (dx3 * dy2 - dx2 * dy3) / den
    h = (dx1 * dy3 - dx3 * dy1) / den
    out = np.empty((len(q), 3, 3))
    out[:, 0, 0] = x1 - x0 + g * x1
    out[:, 0, 1] = x3 - x0 + h * x3
    out[:, 0, 2] = x0
    out[:, 1, 0] = y1 - y0 + g * y1
    out[:, 1, 1] = y3 - y0 + h * y3
    out[:, 1, 2] = y0
    out[:, 2, 0] = g
    out[:, 2, 1] = h
    out[:, 2, 2] = 1.0
    out[:, :, :2] /= MARKER_CELLS
    return out


def _sample_many(gray: _F32, quads: Sequence[_F32], u: _F32, v: _F32) -> _F32:
    """Bilinear samples at canonical points (u, v) of each quad: (len(quads), len(u)).

    Points outside the image come back NaN.
    """
    hs = _homographies(quads)  # (n, 3, 3)
    uv1 = np.stack([u, v, np.ones_like(u)]).astype(np.float64)  # (3, p)
    p = hs @ uv1  # (n, 3, p)
    x = (p[:, 0] / p[:, 2]).astype(np.float32)
    y = (p[:, 1] / p[:, 2]).astype(np.float32)
    out: _F32 = cv2.remap(
        gray, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=float("nan")
    )
    return out


def _plausible(gray: _F32, quads: Sequence[_F32], min_contrast: float) -> list[int]:
    """Indices of quads with a dark border inside a lighter ring: cheap, before any fitting."""
    if not quads:
        return []
    border = _sample_many(gray, quads, _BORDER_U, _BORDER_V)
    ring_u, ring_v = _ring_points(0.45, 6)
    ring = _sample_many(gray, quads, ring_u, ring_v)
    with np.errstate(invalid="ignore"):
        dark = np.nanmedian(border, axis=1)
        light = np.nanmedian(ring, axis=1)
    good = np.isfinite(dark) & np.isfinite(light) & (light - dark >= min_contrast)
    return [int(i) for i in np.flatnonzero(good)]


_EDGE_T = np.linspace(0.9, 5.1, 8, dtype=np.float32)
_EDGE_S = np.linspace(-0.9, 0.7, 33, dtype=np.float32)  # outward offsets, cells


def _side_points(s: _F32) -> tuple[_F32, _F32]:
    """Canonical (u, v) of points at ``_EDGE_T`` along each side, ``s`` cells outward.

    ``s`` has shape (4, len(_EDGE_T), k); returns arrays of that shape.
    """
    t = np.broadcast_to(_EDGE_T[None, :, None], s.shape)
    u = np.stack([t[0], 6 + s[1], 6 - t[2], -s[3]])
    v = np.stack([-s[0], t[1], 6 + s[2], 6 - t[3]])
    return u.astype(np.float32), v.astype(np.float32)


_PROFILE_S = np.broadcast_to(_EDGE_S[None, None, :], (4, len(_EDGE_T), len(_EDGE_S)))
_PROFILE_U, _PROFILE_V = _side_points(np.ascontiguousarray(_PROFILE_S))
_INSIDE = _EDGE_S <= -0.3
_OUTSIDE = _EDGE_S >= 0.2


def _refine(gray: _F32, quads: _F32, iterations: int = 2) -> tuple[_F32, npt.NDArray[np.bool_]]:
    """Fit each side of each quad (n, 4, 2) to the dark-to-light step of the marker's edge.

    Returns the refitted quads and which of them could be refitted.
    """
    n_s = len(_EDGE_S)
    n = len(quads)
    good: npt.NDArray[np.bool_] = np.ones(n, bool)
    idx = np.arange(n_s)
    for _ in range(iterations):
        prof = _sample_many(gray, list(quads), _PROFILE_U.ravel(), _PROFILE_V.ravel())
        prof = prof.reshape(n, 4, len(_EDGE_T), n_s)
        good &= np.isfinite(prof).all(axis=(1, 2, 3))
        prof = np.nan_to_num(prof)
        masked_in = np.where(_INSIDE, prof, np.inf)
        inside = masked_in.min(axis=3)
        j0 = masked_in.argmin(axis=3)
        outside = np.where(_OUTSIDE, prof, -np.inf).max(axis=3)
        mid = (inside + outside) / 2
        above = (prof >= mid[..., None]) & (idx >= j0[..., None])
        j = np.where(above.any(axis=3), above.argmax(axis=3), 0)
        valid = (outside - inside >= 8) & (j > 0)
        jm = np.maximum(j - 1, 0)
        a = np.take_along_axis(prof, jm[..., None], 3)[..., 0]
        b = np.take_along_axis(prof, j[..., None], 3)[..., 0]
        step = b - a
        frac = np.where(step != 0, (mid - a) / np.where(step != 0, step, 1), 0.5)
        s_edge = (_EDGE_S[jm] + frac * (_EDGE_S[1] - _EDGE_S[0])).astype(np.float32)
        valid &= np.abs(s_edge) <= 0.6
        # Edge points, canonical -> image, for every quad at once.
        t = np.broadcast_to(_EDGE_T, s_edge.shape)
        eu = np.stack([t[:, 0], 6 + s_edge[:, 1], 6 - t[:, 2], -s_edge[:, 3]], 1)
        ev = np.stack([-s_edge[:, 0], t[:, 1], 6 + s_edge[:, 2], 6 - t[:, 3]], 1)
        hs = _homographies(quads)
        w = hs[:, None, 2, 0, None] * eu + hs[:, None, 2, 1, None] * ev + hs[:, None, 2, 2, None]
        x = (
            hs[:, None, 0, 0, None] * eu + hs[:, None, 0, 1, None] * ev + hs[:, None, 0, 2, None]
        ) / w
        y = (
            hs[:, None, 1, 0, None] * eu + hs[:, None, 1, 1, None] * ev + hs[:, None, 1, 2, None]
        ) / w
        good &= (valid.sum(axis=2) >= 4).all(axis=1)
        lines = _fit_lines(x, y, valid.astype(np.float64))
        # Corner i is where side i-1 meets side i.
        new = _meet(lines[:, _PREV], lines)
        ok = np.isfinite(new).all(axis=(1, 2))
        side = np.linalg.norm(quads - quads[:, _NEXT], axis=2).mean(axis=1)
        moved = np.abs(np.nan_to_num(new) - quads).max(axis=(1, 2))
        good &= ok & (moved <= side * 0.25)
        quads = np.where(good[:, None, None], np.nan_to_num(new), quads).astype(np.float32)
    return quads, good


def _fit_lines(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], w: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Weighted total-least-squares lines through points (..., k): (..., 4) as (nx, ny, c).

    A line is the set of points with nx * x + ny * y = c, (nx, ny) a unit normal. One round of
    outlier removal: points more than 0.35 of the mean residual scale away are dropped.
    """
    for _ in range(2):
        sw = np.maximum(w.sum(axis=-1), 1e-9)
        mx = (w * x).sum(axis=-1) / sw
        my = (w * y).sum(axis=-1) / sw
        dx, dy = x - mx[..., None], y - my[..., None]
        sxx = (w * dx * dx).sum(axis=-1)
        syy = (w * dy * dy).sum(axis=-1)
        sxy = (w * dx * dy).sum(axis=-1)
        theta = 0.5 * np.arctan2(2 * sxy, sxx - syy)  # direction of the line
        nx, ny = -np.sin(theta), np.cos(theta)
        c = nx * mx + ny * my
        res = np.abs(nx[..., None] * x + ny[..., None] * y - c[..., None])
        scale = (w * res).sum(axis=-1) / sw
        w = w * (res <= np.maximum(2.5 * scale, 0.15)[..., None])
    return np.stack([nx, ny, c], axis=-1)


def _meet(l1: npt.NDArray[np.float64], l2: npt.NDArray[np.float64]) -> _F32:
    """Intersections of lines (..., 3) as (nx, ny, c); NaN where they are near parallel."""
    det = l1[..., 0] * l2[..., 1] - l1[..., 1] * l2[..., 0]
    safe = np.where(np.abs(det) < 1e-6, np.nan, det)
    x = (l1[..., 2] * l2[..., 1] - l1[..., 1] * l2[..., 2]) / safe
    y = (l1[..., 0] * l2[..., 2] - l1[..., 2] * l2[..., 0]) / safe
    return np.stack([x, y], axis=-1).astype(np.float32)


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
        min_score: float = 0.93,
        min_ratio: float = 1.8,
        min_contrast: float = 25.0,
        max_tilt_deg: float = 40.0,
        threshold_window: int = 7,
        threshold_constant: float = 7.0,
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
        self._reader = _Reader(
            deck,
            min_score=min_score,
            min_ratio=min_ratio,
            max_bit_errors=max_bit_errors,
            min_contrast=min_contrast,
        )

    def _aruco(
        self, *, min_perimeter_rate: float, windows: tuple[int, int]
    ) -> cv2.aruco.ArucoDetector:
        p = cv2.aruco.DetectorParameters()
        p.minMarkerPerimeterRate = min_perimeter_rate
        p.adaptiveThreshWinSizeMin = windows[0]
        p.adaptiveThreshWinSizeMax = windows[1]
        p.adaptiveThreshWinSizeStep = 10
        p.adaptiveThreshConstant = self.threshold_constant
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
        gray_u8 = _to_gray(frame)
        gray = gray_u8.astype(np.float32)
        hgt, wid = gray_u8.shape
        w = self.threshold_window
        main = self._aruco(
            min_perimeter_rate=4 * self.min_marker_px / max(hgt, wid), windows=(w, w)
        )
        corners, _ids, rejected = main.detectMarkers(gray_u8)
        quads = [np.asarray(c, np.float32).reshape(4, 2) for c in [*corners, *rejected]]
        dets, plausible = self._read(gray, quads)
        reads = [d for d in dets if d is not None]

        regions = [(float(x), float(y), float(s)) for x, y, s in (hints or [])]
        if self.small_crops:
            small = [i for i in plausible if dets[i] is None and _side(quads[i]) < 26.0]
            for i in small[: self.small_crops]:
                cx, cy = quads[i].mean(axis=0)
                regions.append((float(cx), float(cy), _side(quads[i])))
        closer: list[_F32] = []
        # ArUco detectors are made per call (it is cheap): nothing mutable is shared between
        # threads that use one Detector.
        crop_aruco = self._aruco(min_perimeter_rate=0.15, windows=(7, 17))
        for x, y, s in _unique_regions(regions, reads)[: self.max_crops]:
            closer.extend(self._look_closer(crop_aruco, gray_u8, x, y, s))
        if closer:
            reads.extend(d for d in self._read(gray, closer)[0] if d is not None)
        return _merge(reads)

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

    def _read(self, gray: _F32, quads: Sequence[_F32]) -> tuple[list[Detection | None], list[int]]:
        out: list[Detection | None] = []
        reads, plausible = self._reader.read(gray, quads)
        for r in reads:
            det = None
            if r is not None:
                ordered = r.corners[_ROLL[r.rotation]]  # printed A-up order
                answer = answer_from_corners(ordered, self.max_tilt_deg)
                if answer is not None:
                    det = Detection(r.card, answer, ordered)
            out.append(det)
        return out, plausible

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


_NEXT = np.array([1, 2, 3, 0])
# _ROLL[k] reorders a candidate's corners into printed A-up order when its patch shows the
# card turned k quarter turns: corner m of the card is corner (m - k) % 4 of the candidate.
_ROLL = [np.array([(m - k) % 4 for m in range(4)]) for k in range(4)]
_PREV = np.array([3, 0, 1, 2])


def _side(q: _F32) -> float:
    d = q - q[_NEXT]
    return float(np.sqrt(d[:, 0] ** 2 + d[:, 1] ** 2).mean())


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


# --- encoded images -----------------------------------------------------------------------------


def decode_image(
    data: bytes | bytearray | memoryview,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image:
    """Decode a JPEG, PNG or WebP image to grey uint8, refusing what is too big before decoding.

    Raises ``ImageError`` for empty, oversized (bytes, or header width x height), unknown or
    corrupt input.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ImageError(f"image must be bytes, got {type(data).__name__}")
    buf = bytes(data)
    if not buf:
        raise ImageError("image is empty")
    if len(buf) > max_bytes:
        raise ImageError(f"image is {len(buf)} bytes; the limit is {max_bytes}")
    width, height = image_size(buf)
    if width <= 0 or height <= 0:
        raise ImageError(f"image header gives an empty size {width}x{height}")
    if width * height > max_pixels:
        raise ImageError(
            f"image is {width}x{height} = {width * height} pixels; the limit is {max_pixels}"
        )
    img = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None or img.size == 0:
        raise ImageError("image could not be decoded: corrupt or truncated")
    out: Image = img
    return out


def image_size(buf: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG, PNG or WebP header, without decoding the pixels.

    Raises ``ImageError`` for other formats and for headers that cannot be parsed.
    """
    try:
        if buf.startswith(b"\x89PNG\r\n\x1a\n"):
            if buf[12:16] != b"IHDR":
                raise ImageError("PNG without an IHDR header")
            w, h = struct.unpack(">II", buf[16:24])
            return int(w), int(h)
        if buf.startswith(b"\xff\xd8"):
            return _jpeg_size(buf)
        if buf[:4] == b"RIFF" and buf[8:12] == b"WEBP":
            return _webp_size(buf)
    except struct.error:
        raise ImageError("image header is truncated") from None
    raise ImageError("not a JPEG, PNG or WebP image")


# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(buf: bytes) -> tuple[int, int]:
    i = 2
    while i + 4 <= len(buf):
        if buf[i] != 0xFF:
            raise ImageError("JPEG header is corrupt")
        marker = buf[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", buf[i + 2 : i + 4])
        if marker in _SOF:
            h, w = struct.unpack(">HH", buf[i + 5 : i + 9])
            return int(w), int(h)
        if marker == 0xDA or length < 2:  # image data before any frame header
            break
        i += 2 + length
    raise ImageError("JPEG header has no frame size: corrupt or truncated")


def _webp_size(buf: bytes) -> tuple[int, int]:
    chunk = buf[12:16]
    if chunk == b"VP8 ":
        if buf[23:26] != b"\x9d\x01\x2a":
            raise ImageError("WebP (VP8) header is corrupt")
        w, h = struct.unpack("<HH", buf[26:30])
        return int(w & 0x3FFF), int(h & 0x3FFF)
    if chunk == b"VP8L":
        if buf[20] != 0x2F:
            raise ImageError("WebP (VP8L) header is corrupt")
        (bits,) = struct.unpack("<I", buf[21:25])
        return int((bits & 0x3FFF) + 1), int(((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        w = int.from_bytes(buf[24:27], "little") + 1
        h = int.from_bytes(buf[27:30], "little") + 1
        return w, h
    raise ImageError("WebP header is corrupt")
