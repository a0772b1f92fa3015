"""cardcheck's computer vision: the card deck, printable cards, the detector and the tracker.

Imports numpy and OpenCV only; never anything from ``live``. The names in ``__all__`` are the
public surface the service relies on.
"""

from scanner.cards import write_cards_pdf
from scanner.deck import ANSWERS, Deck
from scanner.detection import Detection, Sighting
from scanner.detector import Detector, ImageError, annotate, decode_image, image_size
from scanner.tracker import Confirmation, TrackedCard, Tracker, TrackUpdate

__all__ = [
    "ANSWERS",
    "Confirmation",
    "Deck",
    "Detection",
    "Detector",
    "ImageError",
    "Sighting",
    "TrackUpdate",
    "TrackedCard",
    "Tracker",
    "annotate",
    "decode_image",
    "image_size",
    "write_cards_pdf",
]
