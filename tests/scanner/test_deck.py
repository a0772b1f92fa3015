"""The deck: card numbers, marker bits, their distances, and how a printed card is drawn."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from scanner import ANSWERS, Deck
from scanner.deck import (
    CARD_LAYOUT,
    MARKER_CELLS,
    MIN_ANSWER_DISTANCE,
    MIN_CARD_DISTANCE,
)

DECK = Deck()


def test_answers_are_the_four_letters_in_clockwise_order() -> None:
    assert ANSWERS == ("A", "B", "C", "D")


def test_standard_deck_is_cards_1_to_64() -> None:
    assert len(DECK) == 64
    assert list(DECK.numbers) == list(range(1, 65))
    assert 1 in DECK and 64 in DECK and 0 not in DECK and 65 not in DECK


def test_bits_are_a_4x4_grid_of_zeros_and_ones() -> None:
    for n in DECK.numbers:
        bits = DECK.bits(n)
        assert bits.shape == (4, 4) and bits.dtype == np.uint8
        assert set(np.unique(bits).tolist()) <= {0, 1}


def test_bits_are_a_fresh_copy() -> None:
    DECK.bits(1)[:] = 7
    assert DECK.bits(1).max() == 1


def _rotations(bits: np.ndarray) -> list[np.ndarray]:
    return [np.rot90(bits, k) for k in range(4)]


def test_every_two_cards_differ_in_at_least_min_card_distance_bits_in_every_rotation() -> None:
    distances = [
        min(int(np.count_nonzero(DECK.bits(a) != r)) for r in _rotations(DECK.bits(b)))
        for a, b in itertools.combinations(DECK.numbers, 2)
    ]
    assert min(distances) == MIN_CARD_DISTANCE == 4


def test_a_wrong_answer_needs_min_answer_distance_flipped_bits() -> None:
    distances = [
        min(int(np.count_nonzero(DECK.bits(n) != r)) for r in _rotations(DECK.bits(n))[1:])
        for n in DECK.numbers
    ]
    assert min(distances) == MIN_ANSWER_DISTANCE == 6


def test_distance_method_agrees() -> None:
    assert min(DECK.distance(a, a) for a in DECK.numbers) == MIN_ANSWER_DISTANCE
    assert DECK.distance(3, 3) >= MIN_ANSWER_DISTANCE
    assert DECK.distance(3, 9) == DECK.distance(9, 3) >= MIN_CARD_DISTANCE


def test_cards_are_the_kept_ids_of_dict_4x4_100() -> None:
    full = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_100)
    kept = [i for i in range(66) if i not in (42, 48)]
    for n, aruco_id in zip(DECK.numbers, kept, strict=True):
        assert DECK.aruco_id(n) == aruco_id
        assert DECK.card_for_aruco_id(aruco_id) == n
        assert np.array_equal(DECK.bits(n), full.getMarkerBits(aruco_id).astype(np.uint8))
    assert DECK.card_for_aruco_id(42) is None
    assert DECK.card_for_aruco_id(48) is None


def test_truncated_dictionary_index_i_is_card_i_plus_1() -> None:
    assert DECK.dictionary.bytesList.shape[0] == 64
    for n in DECK.numbers:
        marker = DECK.render_marker(n, cell_px=1)
        bits = (marker[1:-1, 1:-1] > 127).astype(np.uint8)
        ok, idx, rotation = DECK.dictionary.identify(bits, 0.0)
        assert ok and DECK.card_for_index(idx) == n and rotation == 0


@pytest.mark.parametrize("answer", ANSWERS)
def test_identify_reads_every_card_at_every_answer(answer: str) -> None:
    for n in DECK.numbers:
        assert DECK.identify(DECK.seen_bits(n, answer)) == (n, answer, 0)


def test_identify_corrects_one_flipped_bit_only_when_asked() -> None:
    seen = DECK.seen_bits(17, "C")
    seen[2, 1] ^= 1
    assert DECK.identify(seen) is None
    assert DECK.identify(seen, max_errors=1) == (17, "C", 1)


@pytest.mark.parametrize("bad", [0, 65, -1, "7", 7.0])
def test_unknown_cards_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        DECK.bits(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DECK.render_card(bad)  # type: ignore[arg-type]


def test_unknown_answers_and_tiny_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        DECK.render_card(1, answer="E")
    with pytest.raises(ValueError):
        DECK.render_card(1, answer="A", size_px=4)


def test_layout_fits_on_the_card() -> None:
    lay = CARD_LAYOUT
    assert DECK.layout is CARD_LAYOUT
    assert 0.6 <= lay.marker < 1
    assert lay.cell == pytest.approx(lay.marker / MARKER_CELLS)
    # Quiet zone, then the letters, all within the margin.
    assert lay.quiet_zone + lay.letter_inset + lay.letter_height / 2 <= lay.margin + 1e-9
    assert lay.letter_height < lay.cell  # small: a neighbour cannot easily read the answer


@pytest.mark.parametrize("size", [24, 97, 600])
def test_render_card_is_a_grey_square_of_the_asked_size(size: int) -> None:
    img = DECK.render_card(7, answer="B", size_px=size)
    assert img.shape == (size, size) and img.dtype == np.uint8
    assert img.min() < 60 and img.max() > 200


def test_render_card_turns_the_card_so_the_answer_is_on_top() -> None:
    a_up = DECK.render_card(7, "A", 300)
    for k, answer in enumerate(ANSWERS):
        assert np.array_equal(DECK.render_card(7, answer, 300), np.rot90(a_up, k))


def test_printed_card_has_marker_quiet_zone_and_white_corners() -> None:
    size = 600
    img = DECK.render_card(12, "A", size).astype(int)
    lay = CARD_LAYOUT
    m0 = round(lay.margin * size)
    m1 = round((lay.margin + lay.marker) * size)
    cell = lay.cell * size
    # The marker's border is black, its data cells are the card's bits.
    assert img[m0 + 2 : m0 + int(cell) - 2, m0 + 2 : m1 - 2].max() < 40
    for r, c in itertools.product(range(4), range(4)):
        y = int(m0 + (r + 1.5) * cell)
        x = int(m0 + (c + 1.5) * cell)
        assert (img[y, x] > 127) == bool(DECK.bits(12)[r, c])
    # The quiet zone around the marker is white.
    q = round(lay.quiet_zone * size)
    assert img[m0 - q : m0 - 2, m0:m1].min() > 215
    assert img[m1 + 2 : m1 + q, m0:m1].min() > 215
    # Letters are inked, in the margin, centred on each edge.
    inset = round(lay.letter_inset * size)
    half = round(lay.letter_height * size / 2)
    assert img[inset - half : inset + half, size // 2 - half : size // 2 + half].min() < 60
