"""The card deck: which marker each card number carries, and how a printed card looks.

Card identity lives here (numbers, marker bits, rotation -> answer); the detector reads it and
``scanner.cards`` draws the printable PDF from the same bits and the same layout.

The choice of markers
---------------------
A card is one 4x4 ArUco marker (a black border one cell wide around 4x4 data cells). The
standard deck has 64 cards, numbered 1..64 (Plickers' large classes stop at 63). Card ``n`` carries
the ``n``-th of the ids 0..65 of OpenCV's ``DICT_4X4_100`` once ids 42 and 48 are left out: those
two are the only ids in 0..65 whose own rotations come within 4 bits of each other.

Measured on the kept 64 (``tests/test_deck.py`` recomputes both numbers):

* ``MIN_CARD_DISTANCE = 4``: every two cards, in every pair of rotations, differ in at least
  4 of the 16 data bits. A misread card number needs 4 flipped bits; with at most one corrected
  bit, it needs 3 bits to go wrong.
* ``MIN_ANSWER_DISTANCE = 6``: every card differs from each of its own rotations in at least
  6 bits, so reading the wrong answer off the right card needs 6 flipped bits.

Bigger grids (5x5, 6x6) buy distance at the cost of range: what decides how far away a card still
reads is the size of one marker cell on paper, and a 4x4 marker has the biggest cells.

The rotation convention
-----------------------
The letters A, B, C, D sit at the top, right, bottom and left edges of the card as printed with
A up. "B on top" means the student turned the A-up card a quarter turn anticlockwise. The bits of
a card (``Deck.bits``) are always those read with A up; a marker seen rotated ``k`` quarter turns
anticlockwise (``np.rot90(bits, k)``) means answer ``ANSWERS[k]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "ANSWERS",
    "CARD_LAYOUT",
    "MARKER_CELLS",
    "MIN_ANSWER_DISTANCE",
    "MIN_CARD_DISTANCE",
    "CardLayout",
    "Deck",
    "GrayImage",
]

GrayImage = npt.NDArray[np.uint8]
"""A single-channel 8-bit image, rows x columns."""

ANSWERS: Final = ("A", "B", "C", "D")
"""The answers, in the order of the card edges going clockwise from the top with A up."""

MARKER_CELLS: Final = 6
"""Cells across the whole marker: 4 data cells and the black border cell on each side."""

MIN_CARD_DISTANCE: Final = 4
"""Fewest data bits that tell two cards apart, over every pair of rotations."""

MIN_ANSWER_DISTANCE: Final = 6
"""Fewest data bits that tell a card from any of its own rotations (another answer)."""

_DICTIONARY_NAME: Final = cv2.aruco.DICT_4X4_100
_LEFT_OUT_IDS: Final = frozenset({42, 48})
_DECK_SIZE: Final = 64


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Where things sit on a printed card, as fractions of the card's side.

    The card is a white square. The marker is centred; around it a white quiet zone of at least
    ``quiet_zone``; outside that, in the margin, each answer letter is centred on its edge,
    ``letter_height`` tall with its centre ``letter_inset`` in from the edge, upright when its edge
    is on top. The card number sits in the corner left of A (top left with A up), the same
    height as the letters.
    """

    marker: float = 0.68
    quiet_zone: float = 0.075
    letter_height: float = 0.05
    letter_inset: float = 0.045
    number_height: float = 0.05

    @property
    def margin(self) -> float:
        """White border between the marker and the card's edge."""
        return (1.0 - self.marker) / 2.0

    @property
    def cell(self) -> float:
        """Side of one marker cell."""
        return self.marker / MARKER_CELLS


CARD_LAYOUT: Final = CardLayout()
"""The one layout every card, rendered or printed, follows."""


def _rotations(bits: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.uint8]]:
    return [np.rot90(bits, k) for k in range(4)]


class Deck:
    """The standard deck of 64 cards, numbered 1..64.

    >>> deck = Deck()
    >>> len(deck), deck.numbers[0], deck.numbers[-1]
    (64, 1, 64)
    """

    layout: Final = CARD_LAYOUT

    def __init__(self) -> None:
        full = cv2.aruco.getPredefinedDictionary(_DICTIONARY_NAME)
        kept = [i for i in range(_DECK_SIZE + len(_LEFT_OUT_IDS)) if i not in _LEFT_OUT_IDS]
        self._aruco_ids: tuple[int, ...] = tuple(kept)
        byte_list = np.ascontiguousarray(np.asarray(full.bytesList)[kept])
        self._dictionary = cv2.aruco.Dictionary(byte_list, 4, 1)
        bits = [np.asarray(full.getMarkerBits(i), dtype=np.uint8) for i in kept]
        self._bits: npt.NDArray[np.uint8] = np.stack(bits)
        self._bits.setflags(write=False)

    # --- identity -------------------------------------------------------------------------

    @property
    def numbers(self) -> range:
        """The printed card numbers, 1..64."""
        return range(1, len(self._aruco_ids) + 1)

    def __len__(self) -> int:
        return len(self._aruco_ids)

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and number in self.numbers

    def __repr__(self) -> str:
        return f"Deck(cards=1..{len(self)})"

    def _check(self, number: int) -> int:
        if not isinstance(number, int | np.integer) or int(number) not in self.numbers:
            raise ValueError(f"no card {number!r} in the deck (cards are 1..{len(self)})")
        return int(number)

    def bits(self, number: int) -> npt.NDArray[np.uint8]:
        """The card's 4x4 data cells as printed with A on top, 1 = white; a fresh array.

        Raises ``ValueError`` for a number not in the deck.
        """
        out: npt.NDArray[np.uint8] = self._bits[self._check(number) - 1].copy()
        return out

    def seen_bits(self, number: int, answer: str) -> npt.NDArray[np.uint8]:
        """The data cells a camera sees, row by row from the top, when ``answer`` is on top."""
        seen: npt.NDArray[np.uint8] = np.rot90(self.bits(number), _answer_index(answer)).copy()
        return seen

    def aruco_id(self, number: int) -> int:
        """The card's id in OpenCV's ``DICT_4X4_100`` (a printing and debugging aid)."""
        return self._aruco_ids[self._check(number) - 1]

    @property
    def dictionary(self) -> cv2.aruco.Dictionary:
        """An ArUco dictionary of just this deck: index ``i`` is card ``i + 1``."""
        return self._dictionary

    def card_for_index(self, index: int) -> int:
        """Card number for an index into ``dictionary``."""
        if not 0 <= index < len(self):
            raise ValueError(f"dictionary index {index} out of range")
        return index + 1

    def card_for_aruco_id(self, aruco_id: int) -> int | None:
        """Card number carrying ``DICT_4X4_100`` id ``aruco_id``, or ``None``."""
        try:
            return self._aruco_ids.index(aruco_id) + 1
        except ValueError:
            return None

    def identify(
        self, bits: npt.NDArray[np.uint8], *, max_errors: int = 0
    ) -> tuple[int, str, int] | None:
        """Which card and answer a 4x4 grid read off an image (1 = white) shows.

        Returns ``(card, answer, errors)`` for the nearest card and rotation if it is within
        ``max_errors`` bits and strictly nearer than every other card and rotation; else ``None``.
        """
        grid = np.asarray(bits, dtype=np.uint8).reshape(4, 4)
        best: list[tuple[int, int, int]] = []
        for k in range(4):
            # A marker turned k quarter turns anticlockwise shows rot90(bits, k); undo it.
            upright = np.rot90(grid, -k)
            dist = np.count_nonzero(self._bits != upright[None], axis=(1, 2))
            for i in np.flatnonzero(dist <= max_errors + 1).tolist():
                best.append((int(dist[i]), i, k))
        best.sort()
        if not best or best[0][0] > max_errors:
            return None
        if len(best) > 1 and best[1][0] == best[0][0]:
            return None
        errors, idx, k = best[0]
        return idx + 1, ANSWERS[k], errors

    def distance(self, a: int, b: int) -> int:
        """Fewest bits between card ``a`` and card ``b`` over every rotation of ``b``.

        For ``a == b`` the identity is left out: it is the distance to another answer.
        """
        ba, bb = self.bits(a), self.bits(b)
        ks = range(1, 4) if a == b else range(4)
        return min(int(np.count_nonzero(ba != np.rot90(bb, k))) for k in ks)

    # --- drawing ------------------------------------------------------------------------------

    def render_card(self, number: int, answer: str = "A", size_px: int = 600) -> GrayImage:
        """The whole printed card as a camera sees it, square, ``size_px`` on a side.

        White card, black-bordered marker in its quiet zone, a small letter at each edge (upright
        when its edge is on top) and the card number, turned so that ``answer``'s edge is on top.
        Small sizes are drawn large and shrunk, so they look like a photo of the card, not a
        pixel-snapped marker. Returns uint8 grayscale (0 black, 255 white).

        Raises ``ValueError`` for an unknown card or answer or a size below 8 px.
        """
        number = self._check(number)
        k = _answer_index(answer)
        if not isinstance(size_px, int | np.integer) or size_px < 8:
            raise ValueError(f"size_px must be an int >= 8, got {size_px!r}")
        size_px = int(size_px)
        scale = max(1, -(-600 // size_px))
        big = self._draw_card_a_up(number, size_px * scale)
        card = np.rot90(big, k)
        if scale > 1:
            card = cv2.resize(card, (size_px, size_px), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(card, dtype=np.uint8)

    def render_marker(self, number: int, cell_px: int = 10) -> GrayImage:
        """The marker alone, border included, A up, ``cell_px`` per cell, no quiet zone."""
        cells = np.zeros((MARKER_CELLS, MARKER_CELLS), np.uint8)
        cells[1:-1, 1:-1] = self.bits(number) * 255
        return np.kron(cells, np.ones((cell_px, cell_px), np.uint8)).astype(np.uint8)

    def _draw_card_a_up(self, number: int, side: int) -> GrayImage:
        lay = self.layout
        img = np.full((side, side), 255, np.uint8)
        # Marker: edges on exact cell boundaries of this (large) canvas.
        m0 = lay.margin * side
        cell = lay.cell * side
        edges = [round(m0 + i * cell) for i in range(MARKER_CELLS + 1)]
        cells = np.zeros((MARKER_CELLS, MARKER_CELLS), np.uint8)
        cells[1:-1, 1:-1] = self.bits(number)
        for r in range(MARKER_CELLS):
            for c in range(MARKER_CELLS):
                if not cells[r, c]:
                    img[edges[r] : edges[r + 1], edges[c] : edges[c + 1]] = 0
        # Letters: draw each one at the top of the card turned so its edge is on top.
        for k, letter in enumerate(ANSWERS):
            turned = np.ascontiguousarray(np.rot90(img, k))
            _put_text(turned, letter, (side / 2, lay.letter_inset * side), lay.letter_height * side)
            img = np.ascontiguousarray(np.rot90(turned, -k))
        corner = lay.margin * side / 2
        _put_text(img, str(number), (corner, corner), lay.number_height * side)
        return img


def _answer_index(answer: str) -> int:
    try:
        return ANSWERS.index(answer)
    except ValueError:
        raise ValueError(f"answer must be one of {ANSWERS}, got {answer!r}") from None


def _put_text(img: GrayImage, text: str, centre: tuple[float, float], height: float) -> None:
    """Draw black ``text`` with its cap height ``height`` px, centred on ``centre``."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (_, h1), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = height / h1
    thickness = max(1, round(height / 7))
    (w, h), _ = cv2.getTextSize(text, font, scale, thickness)
    org = (round(centre[0] - w / 2), round(centre[1] + h / 2))
    cv2.putText(img, text, org, font, scale, 0, thickness, cv2.LINE_AA)
