"""The reader: candidate quadrilaterals in, verified card reads out, all candidates at once.

For each candidate: a cheap first look drops quadrilaterals without a dark border in a lighter
ring; the four sides are re-fitted to the marker's outer edge with sub-pixel precision (where
the profile across the edge crosses half-way between black and white, then a robust line fit);
the marker with a strip of its quiet zone is sampled on an 18 x 18 grid and compared, by
normalised correlation, with every card in every rotation at five amounts of blur (the
sharpest for cards held close, whose edges are crisp at the scale of a cell). A read is kept
only if the best card is a clear winner and passes hard checks: a black border, a white quiet
zone, enough contrast, and a hard-decision read of the 16 bits close to the card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from scanner.deck import MARKER_CELLS, Deck

__all__ = ["NEAR_MISS_SCORE", "NEXT", "PREV", "Read", "Reader", "side_of"]

_F32 = npt.NDArray[np.float32]

NEXT = np.array([1, 2, 3, 0])
PREV = np.array([3, 0, 1, 2])


def side_of(q: _F32) -> float:
    """The mean side length of a quadrilateral (4, 2), in pixels."""
    d = q - q[NEXT]
    return float(np.sqrt(d[:, 0] ** 2 + d[:, 1] ** 2).mean())


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
class Read:
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


class Reader:
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

    def read(
        self, gray: _F32, quads: Sequence[_F32]
    ) -> tuple[list[Read | None], list[int], list[_F32]]:
        """One read (or ``None``) per candidate quadrilateral, in order; the indices of the
        candidates that looked like a marker at first sight; and the refitted corners of those
        that look like a card (a clear square outline, a marker-like pattern: correlation
        >= ``NEAR_MISS_SCORE``, enough contrast) but could not be read."""
        out: list[Read | None] = [None] * len(quads)
        keep = _plausible(gray, quads, self.min_contrast * 0.5)
        if not keep:
            return out, keep, []
        new, good = _refine(gray, np.stack([quads[i] for i in keep]))
        refined = [(i, new[k]) for k, i in enumerate(keep) if bool(good[k])]
        if not refined:
            return out, keep, []
        rquads = [q for _, q in refined]
        light = _light(gray, rquads)
        obs = _sample_area(gray, rquads, self.gu, self.gv, 0.15)
        ok = np.asarray(np.isfinite(obs).all(axis=1), dtype=bool)
        obs = np.where(ok[:, None], light.normalise(obs, self.gu, self.gv), 0.0).astype(np.float32)
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
        # Under about 2.7 px a cell, a 5x5 or 6x6 marker or a QR code blurs into something a
        # 4x4 card could be: a marker that small must match much better than its runner-up.
        tiny = np.array([side_of(q) < _TINY_PX for q in rquads], bool)
        need_score = np.where(tiny, max(self.min_score, 0.96), self.min_score)
        need_ratio = np.where(tiny, max(self.min_ratio, 3.0), self.min_ratio)
        passed = ok & (norms >= 1e-3) & (score >= need_score) & (ratio >= need_ratio)
        verified, card_like = self._verify(gray, rquads, best, light)
        passed &= verified
        for j in np.flatnonzero(passed).tolist():
            i, q = refined[j]
            b = int(best[j])
            out[i] = Read(self.deck.numbers[b // 4], b % 4, float(score[j]), float(margin[j]), q)
        near = ok & ~passed & (score >= NEAR_MISS_SCORE) & card_like
        return out, keep, [refined[j][1] for j in np.flatnonzero(near).tolist()]

    def _verify(
        self,
        gray: _F32,
        quads: Sequence[_F32],
        code_index: npt.NDArray[np.intp],
        light: _Light,
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Hard checks: black border, white quiet zone, enough contrast, few wrong bits.

        The samples are first corrected for the light across the card (``_light``): 0 where
        the border's black is, 1 where the quiet zone's white is. Returns which candidates
        pass, and which look like a card all the same: contrast, a black border and a white
        quiet zone, and at most ``_CARD_LIKE_BITS`` bits away from the card (covered or smeared).
        """
        n_cells = MARKER_CELLS * MARKER_CELLS
        raw = _sample_area(gray, quads, _VERIFY_U, _VERIFY_V, 0.2)
        ok = np.isfinite(raw).all(axis=1)
        samples = np.nan_to_num(light.normalise(np.nan_to_num(raw), _VERIFY_U, _VERIFY_V))
        cells, quiet = samples[:, :n_cells], samples[:, n_cells:]
        border = cells[:, _BORDER_MASK]
        ok &= light.contrast >= self.min_contrast
        ok &= np.count_nonzero(border > 0.5, axis=1) <= 1
        ok &= np.count_nonzero(quiet < 0.5, axis=1) <= 3
        card_like = ok.copy()
        black = np.zeros(len(quads), np.float32)
        white = np.ones(len(quads), np.float32)
        code = self.codes[code_index].reshape(len(quads), -1).astype(bool)
        bits = cells[:, _INNER_MASK]
        # The inner cells blur towards their neighbours: threshold them between the black and
        # white levels seen among the inner cells themselves.
        with np.errstate(all="ignore"):
            hi = np.nanmedian(np.where(code, bits, np.nan), axis=1)
            lo = np.nanmedian(np.where(code, np.nan, bits), axis=1)
        hi = np.where(np.isfinite(hi), hi, white)
        lo = np.where(np.isfinite(lo), lo, black)
        ok &= (hi - lo) * light.contrast >= self.min_contrast * 0.5
        threshold = ((lo + hi) / 2)[:, None]
        wrong = (bits > threshold) != code
        card_like &= np.count_nonzero(wrong, axis=1) <= _CARD_LIKE_BITS
        ok &= np.count_nonzero(wrong, axis=1) <= self.max_bit_errors
        # A bit may disagree with the card only where it is unsure (a blurred cell between
        # its neighbours' levels), never as a clean cell of the other colour: a printed
        # marker one bit away from a card (an AprilTag 16h5 tag is) is not that card.
        unsure = np.abs(bits - threshold) <= _UNSURE * np.maximum(hi - lo, 1e-3)[:, None]
        ok &= ~(wrong & ~unsure).any(axis=1)
        return ok, card_like


NEAR_MISS_SCORE = 0.8
"""Correlation with the nearest card at which an unread candidate still looks like a card."""
_CARD_LIKE_BITS = 3
_TINY_PX = 16.0  # marker side, px: under 2.7 px a cell
_UNSURE = 0.3  # of the bits' black-to-white span, either side of the threshold
_LEVEL_U = np.concatenate([_BORDER_U, _QUIET_U])
_LEVEL_V = np.concatenate([_BORDER_V, _QUIET_V])
_N_BORDER = len(_BORDER_U)


@dataclass(frozen=True, slots=True)
class _Light:
    """The black and the white of each candidate as planes across it: ``black[i] @ (1, u, v)``
    is the ink's grey level at canonical point (u, v) of candidate ``i``, ``white`` the paper's.

    A card in the shadow of a head or under a glare spot is lit unevenly: one side can be half
    as bright as the other, and a single black and white level for the whole card then puts
    the dark side's white below the bright side's black.
    """

    black: npt.NDArray[np.float64]  # (n, 3)
    white: npt.NDArray[np.float64]  # (n, 3)
    contrast: npt.NDArray[np.float64]  # (n,) white - black at the marker's centre

    def normalise(self, samples: _F32, u: _F32, v: _F32) -> _F32:
        """Samples (n, p) at canonical points (u, v): 0 at the ink's level, 1 at the paper's."""
        basis = np.stack([np.ones_like(u), u, v]).astype(np.float64)  # (3, p)
        b = self.black @ basis
        w = self.white @ basis
        span = np.maximum(w - b, np.maximum(self.contrast[:, None] * 0.25, 1.0))
        out: _F32 = ((samples - b) / span).astype(np.float32)
        return out


def _light(gray: _F32, quads: Sequence[_F32]) -> _Light:
    """Fit the black (border cells) and white (quiet zone) of each quad as planes in (u, v)."""
    s = np.nan_to_num(_sample_area(gray, quads, _LEVEL_U, _LEVEL_V, 0.2)).astype(np.float64)
    black = _robust_plane(s[:, :_N_BORDER], _LEVEL_U[:_N_BORDER], _LEVEL_V[:_N_BORDER])
    white = _robust_plane(s[:, _N_BORDER:], _LEVEL_U[_N_BORDER:], _LEVEL_V[_N_BORDER:])
    centre = np.array([1.0, MARKER_CELLS / 2, MARKER_CELLS / 2])
    return _Light(black, white, white @ centre - black @ centre)


def _robust_plane(values: npt.NDArray[np.float64], u: _F32, v: _F32) -> npt.NDArray[np.float64]:
    """Least-squares planes a + b u + c v through each row of ``values`` (n, p), refitted once
    without the points furthest off (a thumb over the quiet zone, a speck on the border)."""
    basis = np.stack([np.ones_like(u), u, v], axis=1).astype(np.float64)  # (p, 3)
    w = np.ones_like(values)
    coef = np.zeros((len(values), 3))
    for _ in range(2):
        bw = basis[None] * w[..., None]  # (n, p, 3)
        ata = np.einsum("npi,pj->nij", bw, basis) + np.eye(3) * 1e-6
        atb = np.einsum("npi,np->ni", bw, values)
        coef = np.linalg.solve(ata, atb[..., None])[..., 0]
        res = np.abs(values - coef @ basis.T)
        scale = np.median(res, axis=1, keepdims=True)
        w = (res <= np.maximum(2.5 * scale, 2.0)).astype(np.float64)
    return coef


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


def _sample_area(gray: _F32, quads: Sequence[_F32], u: _F32, v: _F32, half: float) -> _F32:
    """Like ``_sample_many``, each sample the mean of four points ``half`` a cell off it
    diagonally: on a big card that averages the sensor noise of a dim room over several
    pixels; on a small one the points are under a pixel apart and it changes little."""
    du = np.array([-half, half, -half, half], np.float32)
    dv = np.array([-half, -half, half, half], np.float32)
    uu = (u[None, :] + du[:, None]).ravel()
    vv = (v[None, :] + dv[:, None]).ravel()
    s = _sample_many(gray, quads, uu, vv).reshape(len(quads), 4, len(u))
    out: _F32 = s.mean(axis=1)
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
        new = _meet(lines[:, PREV], lines)
        ok = np.isfinite(new).all(axis=(1, 2))
        side = np.linalg.norm(quads - quads[:, NEXT], axis=2).mean(axis=1)
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
