"""One card read off one frame: a value, like pyzbar's ``Decoded``; and a frame's ``Sighting``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Corners", "Detection", "Sighting"]

Corners = npt.NDArray[np.float32]
"""Four image points, shape (4, 2), float32."""


@dataclass(frozen=True, eq=False, slots=True)
class Detection:
    """A card seen in a frame.

    ``card`` is the printed card number, ``answer`` the letter on top ("A".."D"), ``corners`` the
    marker's corners in image pixels (x, y), float32 of shape (4, 2), in the order top-left,
    top-right, bottom-right, bottom-left of the marker as printed with A up (so for a card held
    with C on top, the first corner is at the bottom right in the image).

    Equal when card, answer and corners are equal; hashable; ``corners`` is read-only.
    """

    card: int
    answer: str
    corners: Corners

    def __post_init__(self) -> None:
        pts = np.array(self.corners, dtype=np.float32).reshape(4, 2)
        pts.setflags(write=False)
        object.__setattr__(self, "corners", pts)
        object.__setattr__(self, "card", int(self.card))

    @property
    def center(self) -> tuple[float, float]:
        """Mean of the four corners, (x, y) in pixels."""
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = self.corners.tolist()
        return (x0 + x1 + x2 + x3) / 4, (y0 + y1 + y2 + y3) / 4

    @property
    def side_px(self) -> float:
        """Mean length of the marker's four sides, in pixels."""
        pts = self.corners.tolist()
        return sum(math.dist(pts[i], pts[(i + 1) % 4]) for i in range(4)) / 4

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: ``{"card": 7, "answer": "B", "corners": [[x, y], ...]}``."""
        return {
            "card": self.card,
            "answer": self.answer,
            "corners": [[round(float(x), 2), round(float(y), 2)] for x, y in self.corners],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Detection:
        """Inverse of ``to_dict``."""
        return cls(int(data["card"]), str(data["answer"]), np.asarray(data["corners"], np.float32))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Detection):
            return NotImplemented
        return (
            self.card == other.card
            and self.answer == other.answer
            and bool(np.array_equal(self.corners, other.corners))
        )

    def __hash__(self) -> int:
        return hash((self.card, self.answer, self.corners.tobytes()))

    def __repr__(self) -> str:
        x, y = self.center
        return (
            f"Detection(card={self.card}, answer={self.answer!r}, "
            f"center=({x:.1f}, {y:.1f}), side_px={self.side_px:.1f})"
        )


@dataclass(frozen=True)
class Sighting:
    """What one frame shows: the cards read, and where cards were seen but not read.

    ``unreadable`` holds the marker corners (float32 (4, 2), image pixels) of things that look
    like a card (a clear square outline around a marker-like pattern, not small) that gave no
    read: a card covered by a hand, turned nearly diagonal (its answer is unclear), bent, or
    smeared. The scanner page outlines them so that the student can fix the card.
    """

    cards: list[Detection] = field(default_factory=list)
    unreadable: list[Corners] = field(default_factory=list)
