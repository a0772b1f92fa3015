"""The detector: every card at every answer, bad input, synthetic classrooms, golden photos."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner import ANSWERS, Deck, Detection, Detector, ImageError, annotate
from scanner.deck import CARD_LAYOUT
from scanner.synth import classroom_frame, clutter_frame

GOLDEN = Path(__file__).parent / "golden"
DECK = Deck()
DETECTOR = Detector(DECK)


def _on_canvas(card: np.ndarray, *, grey: int = 140, pad: int = 40) -> np.ndarray:
    """A card pasted in the middle of a plain grey canvas, as BGR."""
    size = card.shape[0]
    canvas = np.full((size + 2 * pad, size + 2 * pad), grey, np.uint8)
    canvas[pad : pad + size, pad : pad + size] = card
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)


def _marker_corners(size: int, pad: int) -> np.ndarray:
    """Where the A-up marker's corners of a card of ``size`` px pasted at ``pad`` are."""
    lo = CARD_LAYOUT.margin * size - 0.5 + pad
    hi = (CARD_LAYOUT.margin + CARD_LAYOUT.marker) * size - 0.5 + pad
    return np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]], np.float32)


# --- every card, every answer ---------------------------------------------------------------


@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize("size", [24, 44, 150])
def test_every_card_reads_at_every_answer(answer: str, size: int) -> None:
    """Each of the 64 cards, rendered with ``answer`` on top, reads back as exactly that."""
    for number in DECK.numbers:
        frame = _on_canvas(DECK.render_card(number, answer=answer, size_px=size))
        dets = DETECTOR.detect(frame)
        assert [(d.card, d.answer) for d in dets] == [(number, answer)], (number, answer, size)


@pytest.mark.parametrize("size", [300, 700])
def test_regression_large_sharp_cards_read(size: int) -> None:
    """A card held close to the camera (a big, sharp marker) reads: the reader once had no
    template sharp enough and missed half the deck above about 250 px."""
    for number in DECK.numbers:
        answer = ANSWERS[number % 4]
        frame = _on_canvas(DECK.render_card(number, answer=answer, size_px=size))
        assert [(d.card, d.answer) for d in DETECTOR.detect(frame)] == [(number, answer)], number


@pytest.mark.parametrize("k", range(4))
def test_corners_are_in_printed_order_whatever_is_on_top(k: int) -> None:
    size, pad = 200, 40
    frame = _on_canvas(DECK.render_card(5, answer=ANSWERS[k], size_px=size), pad=pad)
    (det,) = DETECTOR.detect(frame)
    a_up = _marker_corners(size, pad)
    # Turning the card by np.rot90 k times moves an A-up point (x, y) to (y, n - 1 - x).
    expected = a_up.copy()
    n = size + 2 * pad
    for _ in range(k):
        expected = np.stack([expected[:, 1], n - 1 - expected[:, 0]], axis=1)
    assert det.corners.dtype == np.float32 and det.corners.shape == (4, 2)
    assert np.abs(det.corners - expected).max() < 0.6
    assert det.side_px == pytest.approx(CARD_LAYOUT.marker * size, abs=1.0)
    assert det.center == pytest.approx((n / 2 - 0.5, n / 2 - 0.5), abs=0.6)


def test_grey_and_bgr_frames_read_the_same() -> None:
    frame = _on_canvas(DECK.render_card(33, "D", 120))
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert DETECTOR.detect(grey) == DETECTOR.detect(frame)


def test_a_card_on_white_paper_reads() -> None:
    frame = _on_canvas(DECK.render_card(64, "C", 90), grey=255)
    assert [(d.card, d.answer) for d in DETECTOR.detect(frame)] == [(64, "C")]


def test_a_card_turned_near_45_degrees_has_no_clear_answer() -> None:
    card = _on_canvas(DECK.render_card(9, "A", 160), grey=150, pad=80)
    centre = (card.shape[1] / 2, card.shape[0] / 2)
    turn = cv2.getRotationMatrix2D(centre, 44.0, 1.0)
    frame = cv2.warpAffine(card, turn, card.shape[1::-1], borderValue=(150, 150, 150))
    assert DETECTOR.detect(frame) == []
    turn = cv2.getRotationMatrix2D(centre, 20.0, 1.0)
    frame = cv2.warpAffine(card, turn, card.shape[1::-1], borderValue=(150, 150, 150))
    assert [(d.card, d.answer) for d in DETECTOR.detect(frame)] == [(9, "A")]


def test_hints_give_the_same_single_read() -> None:
    frame = _on_canvas(DECK.render_card(21, "B", 60))
    (det,) = DETECTOR.detect(frame)
    hinted = DETECTOR.detect(frame, hints=[(*det.center, det.side_px), (5.0, 5.0, 20.0)])
    assert [(d.card, d.answer) for d in hinted] == [(21, "B")]


# --- bad input ------------------------------------------------------------------------------


def test_a_frame_with_no_card_gives_an_empty_list() -> None:
    assert DETECTOR.detect(np.full((480, 640, 3), 128, np.uint8)) == []
    assert DETECTOR.detect(np.zeros((4, 4), np.uint8)) == []


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((0, 0, 3), np.uint8),
        np.zeros((0, 10), np.uint8),
        np.zeros((100, 100, 3), np.float32),
        np.zeros((100, 100), np.uint16),
        np.zeros((100, 100, 4), np.uint8),
        np.zeros((100, 100, 2), np.uint8),
        np.zeros(100, np.uint8),
        np.zeros((2, 10, 10, 3), np.uint8),
    ],
    ids=["empty-bgr", "empty-grey", "float", "uint16", "bgra", "2-channel", "1-d", "4-d"],
)
def test_frames_that_are_not_uint8_images_are_refused(frame: np.ndarray) -> None:
    with pytest.raises(ValueError):
        DETECTOR.detect(frame)


def test_a_list_is_not_a_frame() -> None:
    with pytest.raises(ValueError):
        DETECTOR.detect([[0, 1], [2, 3]])  # type: ignore[arg-type]


def _encoded(ext: str, img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp"])
def test_detect_bytes_reads_jpeg_png_and_webp(ext: str) -> None:
    frame = _on_canvas(DECK.render_card(42, "C", 120))
    dets = DETECTOR.detect_bytes(_encoded(ext, frame))
    assert [(d.card, d.answer) for d in dets] == [(42, "C")]


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    crc = zlib.crc32(b"IHDR" + ihdr)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", crc)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"\xff\xd8\xff\xe0" + b"\x00" * 40,  # a JPEG that stops in its header
        _png_header(64, 64),  # a PNG header with no pixels
    ],
    ids=["empty", "garbage", "truncated-jpeg", "png-without-pixels"],
)
def test_corrupt_or_empty_bytes_raise_image_error(data: bytes) -> None:
    with pytest.raises(ImageError):
        DETECTOR.detect_bytes(data)


def test_image_error_is_a_value_error_with_a_message() -> None:
    with pytest.raises(ValueError, match="not a JPEG, PNG or WebP"):
        DETECTOR.detect_bytes(b"GIF89a....")


def test_too_many_bytes_are_refused_before_decoding() -> None:
    data = _encoded(".png", np.zeros((64, 64), np.uint8))
    with pytest.raises(ImageError, match="bytes"):
        DETECTOR.detect_bytes(data, max_bytes=len(data) - 1)
    assert DETECTOR.detect_bytes(data, max_bytes=len(data)) == []


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp"])
def test_too_many_pixels_are_refused_from_the_header(ext: str) -> None:
    data = _encoded(ext, np.zeros((300, 400, 3), np.uint8))
    with pytest.raises(ImageError, match="pixels"):
        DETECTOR.detect_bytes(data, max_pixels=300 * 400 - 1)
    assert DETECTOR.detect_bytes(data, max_pixels=300 * 400) == []


def test_a_decompression_bomb_is_refused_without_decoding() -> None:
    # A tiny file whose header claims 100000 x 100000 pixels.
    bomb = _png_header(100_000, 100_000) + b"\x00" * 64
    with pytest.raises(ImageError, match="pixels"):
        DETECTOR.detect_bytes(bomb)


def test_bad_detector_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Detector(DECK, max_bit_errors=2)
    with pytest.raises(ValueError):
        Detector(DECK, threshold_window=4)
    with pytest.raises(ValueError):
        Detector(DECK, max_tilt_deg=60)


# --- the Detection value ----------------------------------------------------------------------


def test_detection_is_a_json_friendly_hashable_value() -> None:
    corners = np.array([[1, 2], [11, 2], [11, 12], [1, 12]], np.float32)
    d = Detection(7, "B", corners)
    assert d == Detection(7, "B", corners.copy())
    assert hash(d) == hash(Detection(7, "B", corners.copy()))
    assert d != Detection(7, "C", corners)
    data = d.to_dict()
    assert data == {"card": 7, "answer": "B", "corners": [[1, 2], [11, 2], [11, 12], [1, 12]]}
    assert json.loads(json.dumps(data)) == data
    assert Detection.from_dict(data) == d
    assert d.center == (6.0, 7.0) and d.side_px == 10.0
    with pytest.raises(AttributeError):
        d.card = 8  # type: ignore[misc]
    with pytest.raises(ValueError):
        d.corners[0, 0] = 5


def test_annotate_draws_on_a_bgr_copy() -> None:
    frame = _on_canvas(DECK.render_card(3, "A", 120))
    dets = DETECTOR.detect(frame)
    out = annotate(frame, dets)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert not np.array_equal(out, frame)
    assert annotate(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dets).shape == frame.shape
    assert np.array_equal(annotate(frame, []), frame)


# --- synthetic classrooms ---------------------------------------------------------------------


def _matches(det: Detection, corners: np.ndarray) -> bool:
    side = float(np.linalg.norm(corners[0] - corners[2])) / 1.414
    return float(np.linalg.norm(np.asarray(det.center) - corners.mean(axis=0))) < side / 2


def test_synthetic_classrooms_have_no_wrong_reads_and_good_recall() -> None:
    """Seeded small classrooms: nothing read wrong, nothing read that is not there."""
    rng = np.random.default_rng(20240607)
    found = total = found_30 = total_30 = 0
    for _ in range(4):
        frame, truth = classroom_frame(rng, DECK, width=960, height=540, n_cards=16)
        dets = DETECTOR.detect(frame)
        for d in dets:
            near = [t for t in truth if _matches(d, t.corners)]
            assert near, f"phantom read {d}"
            assert (d.card, d.answer) == (near[0].card, near[0].answer)
        for t in truth:
            ok = any(_matches(d, t.corners) for d in dets)
            found += ok
            total += 1
            if t.side_px >= 30:
                found_30 += ok
                total_30 += 1
    assert total >= 50
    assert found / total >= 0.9
    assert found_30 == total_30


def test_cluttered_frames_without_cards_read_nothing() -> None:
    rng = np.random.default_rng(7)
    for _ in range(4):
        assert DETECTOR.detect(clutter_frame(rng, width=960, height=540)) == []


def test_synthetic_frames_are_deterministic() -> None:
    a, ta = classroom_frame(np.random.default_rng(3), DECK, width=320, height=240, n_cards=3)
    b, tb = classroom_frame(np.random.default_rng(3), DECK, width=320, height=240, n_cards=3)
    assert np.array_equal(a, b)
    assert [(t.card, t.answer) for t in ta] == [(t.card, t.answer) for t in tb]


# --- golden photos ----------------------------------------------------------------------------

EXPECTED = json.loads((GOLDEN / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_photos_read_exactly(name: str) -> None:
    """Each committed photo reads as exactly its cards and answers, corners within a pixel."""
    dets = DETECTOR.detect_bytes((GOLDEN / name).read_bytes())
    got = sorted((d.card, d.answer) for d in dets)
    want = sorted((r["card"], r["answer"]) for r in EXPECTED[name])
    assert got == want
    corners = {r["card"]: np.asarray(r["corners"], np.float32) for r in EXPECTED[name]}
    for d in dets:
        assert np.abs(d.corners - corners[d.card]).max() < 1.0


def test_golden_photos_are_small() -> None:
    for name in EXPECTED:
        assert (GOLDEN / name).stat().st_size < 300_000
