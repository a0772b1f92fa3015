"""Big frames are decoded at the size the detector needs; what comes back is in the frame's own
pixels. Regression: six scanners sending 16-megapixel frames held 860 MB after the burst."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from live.realtime.pipeline import Scan
from scanner import Deck, Detector, decode_image
from scanner.synth import classroom_frame


@pytest.fixture(scope="module")
def frame() -> tuple[bytes, list[Any]]:
    img, truth = classroom_frame(
        np.random.default_rng(11), Deck(), width=2560, height=1440, n_cards=12, min_side=90,
        max_side=200,
    )  # fmt: skip
    ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return jpeg.tobytes(), truth


def _scan(detect_pixels: int | None) -> Scan:
    return Scan(None, Detector(Deck()), 1, max_bytes=10**8, max_pixels=10**8,  # type: ignore[arg-type]
                detect_pixels=detect_pixels)  # fmt: skip


@pytest.mark.parametrize(("budget", "shape"), [(None, (1440, 2560)), (2_000_000, (720, 1280)),
                                               (500_000, (360, 640)), (1, (180, 320))])  # fmt: skip
def test_regression_a_big_frame_is_decoded_at_a_half_quarter_or_eighth_of_its_size(
    frame: tuple[bytes, list[Any]], budget: int | None, shape: tuple[int, int]
) -> None:
    assert decode_image(frame[0], max_decode_pixels=budget).shape == shape


def test_cards_read_from_a_reduced_frame_are_where_they_are_in_the_full_one(
    frame: tuple[bytes, list[Any]],
) -> None:
    full = {d.card: d for d in _scan(None).detect(frame[0])}
    half = {d.card: d for d in _scan(2_000_000).detect(frame[0])}
    assert len(full) == len(frame[1]) and set(half) == set(full)
    for card, d in half.items():
        assert d.answer == full[card].answer
        assert np.abs(d.corners - full[card].corners).max() < 3.0  # pixels of the 2560 frame
    hinted = _scan(2_000_000).detect(frame[0], [(float(x), float(y), 60.0) for x, y in
                                                 (d.corners.mean(axis=0) for d in full.values())])  # fmt: skip
    assert set(d.card for d in hinted) == set(full)
