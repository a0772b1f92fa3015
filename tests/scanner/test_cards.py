"""Printable cards: the PDF's cards decode, once each, with the answer on top, in every rotation."""

from __future__ import annotations

import io
import math
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from scanner import ANSWERS, Deck, Detector, write_cards_pdf
from scanner.cards import UNICODE_FONTS

DPI = 100
HAS_UNICODE_FONT = any(p.is_file() for p in UNICODE_FONTS)


@pytest.fixture(scope="module")
def deck() -> Deck:
    return Deck()


@pytest.fixture(scope="module")
def detector(deck: Deck) -> Detector:
    return Detector(deck)


def pdf_bytes(deck: Deck, **kwargs: object) -> tuple[bytes, int]:
    buf = io.BytesIO()
    pages = write_cards_pdf(buf, deck, **kwargs)  # type: ignore[arg-type]
    return buf.getvalue(), pages


def rasters(data: bytes, dpi: int = DPI) -> list[np.ndarray]:
    """Every page as uint8 grayscale, white paper."""
    doc = pdfium.PdfDocument(data)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_numpy().copy() for page in doc]
    finally:
        doc.close()


def reads(detector: Detector, pages: list[np.ndarray], turns: int = 0) -> list[tuple[int, str]]:
    """(card, answer) for every detection on every page, each page turned ``turns`` quarter
    turns anticlockwise (as ``render_card`` turns a card to put B, C or D on top)."""
    out = []
    for page in pages:
        frame = np.ascontiguousarray(np.rot90(page, turns))
        out += [(d.card, d.answer) for d in detector.detect(frame)]
    return out


@pytest.mark.parametrize(
    ("per_page", "paper", "numbers"),
    [
        (4, "letter", range(1, 65)),
        (4, "a4", [3, 1, 64, 30, 31]),
        (2, "letter", range(20, 26)),
        (2, "a4", [8, 9, 10]),
        (1, "letter", [1, 42, 64]),
        (1, "a4", [5, 48]),
    ],
)
def test_every_card_decodes_once_with_a_on_top(
    deck: Deck, detector: Detector, per_page: int, paper: str, numbers: range | list[int]
) -> None:
    """Each printed card is read exactly once, as answer A, from the page as printed."""
    data, pages = pdf_bytes(deck, numbers=numbers, per_page=per_page, paper=paper)
    assert pages == math.ceil(len(numbers) / per_page)
    images = rasters(data)
    assert len(images) == pages
    got = reads(detector, images)
    assert Counter(got) == Counter((n, "A") for n in numbers)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_turned_page_reads_the_answer_on_top(deck: Deck, detector: Detector, turns: int) -> None:
    """A page turned like render_card turns a card (B: a quarter turn anticlockwise) reads
    as that answer for every card on it."""
    numbers = [2, 17, 33, 64]
    data, _ = pdf_bytes(deck, numbers=numbers, per_page=4, paper="a4")
    assert sorted(reads(detector, rasters(data), turns)) == [(n, ANSWERS[turns]) for n in numbers]
    # The same convention as render_card: render_card(n, ANSWERS[turns]) is read the same way.
    for n in numbers:
        card = deck.render_card(n, ANSWERS[turns], size_px=300)
        assert [(d.card, d.answer) for d in detector.detect(card)] == [(n, ANSWERS[turns])]


@pytest.mark.parametrize("answer", ANSWERS)
def test_printed_card_looks_like_render_card(deck: Deck, detector: Detector, answer: str) -> None:
    """Cut out of the page and turned, the printed card matches render_card pixel for pixel,
    but for the letters' font: same marker size and place, same margins, same rotation."""
    data, _ = pdf_bytes(deck, numbers=[7], per_page=1, paper="letter")
    (page,) = rasters(data, dpi=50)
    (d,) = detector.detect(page)
    side = d.side_px / deck.layout.marker
    x, y = d.center
    crop = page[
        round(y - side / 2) : round(y + side / 2), round(x - side / 2) : round(x + side / 2)
    ]
    k = ANSWERS.index(answer)
    size = 200
    turned = np.ascontiguousarray(np.rot90(crop, k))
    resized = cv2.resize(turned, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    diffs = {
        other: float(np.abs(resized - deck.render_card(7, other, size)).mean()) for other in ANSWERS
    }
    assert diffs[answer] < 10
    assert all(diffs[answer] * 3 < diffs[o] for o in ANSWERS if o != answer), diffs


def test_vector_not_raster(deck: Deck) -> None:
    """The marker is drawn as vector shapes: the PDF holds no image."""
    data, _ = pdf_bytes(deck, numbers=range(1, 9), per_page=4)
    doc = pdfium.PdfDocument(data)
    try:
        kinds = {obj.type for page in doc for obj in page.get_objects()}
    finally:
        doc.close()
    assert pdfium.raw.FPDF_PAGEOBJ_IMAGE not in kinds
    assert pdfium.raw.FPDF_PAGEOBJ_PATH in kinds
    assert pdfium.raw.FPDF_PAGEOBJ_TEXT in kinds


@pytest.mark.parametrize(("paper", "size_pt"), [("letter", (612, 792)), ("a4", (595, 842))])
def test_paper_size(deck: Deck, paper: str, size_pt: tuple[int, int]) -> None:
    data, _ = pdf_bytes(deck, numbers=[1], paper=paper)
    doc = pdfium.PdfDocument(data)
    try:
        w, h = doc[0].get_size()
    finally:
        doc.close()
    assert (round(w), round(h)) == size_pt


def test_letters_sit_at_their_edges(deck: Deck) -> None:
    """A, B, C, D are printed at the top, right, bottom and left edges of the card (A up)."""
    data, _ = pdf_bytes(deck, numbers=[12], per_page=1)
    doc = pdfium.PdfDocument(data)
    try:
        text = doc[0].get_textpage()
        boxes = {}
        for i in range(text.count_chars()):
            ch = text.get_text_range(i, 1)
            if ch in ANSWERS:
                left, bottom, right, top = text.get_charbox(i)
                boxes[ch] = ((left + right) / 2, (bottom + top) / 2)  # PDF: y grows upwards
        w, h = doc[0].get_size()
    finally:
        doc.close()
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = (boxes[a] for a in ANSWERS)
    assert abs(ax - w / 2) < 2 and abs(cx - w / 2) < 2 and abs(by - h / 2) < 2
    assert abs(dy - h / 2) < 2 and ay > by > cy and bx > ax > dx


@pytest.mark.parametrize(
    "name",
    ["Ada Lovelace", "Zoë Ngô", "Łukasz Żółć", "Ωμέγα Σ", "李小龍", "A very long name " * 8, " "],
)
def test_names_any_unicode(deck: Deck, detector: Detector, name: str) -> None:
    """Names in any script print (transliterated when the font lacks them) and never stop the
    card from decoding."""
    data, _ = pdf_bytes(deck, numbers=[4, 5], per_page=2, names={4: name})
    assert sorted(reads(detector, rasters(data))) == [(4, "A"), (5, "A")]
    doc = pdfium.PdfDocument(data)
    try:
        text = doc[0].get_textpage().get_text_range()
    finally:
        doc.close()
    if HAS_UNICODE_FONT and len(name) < 20 and name.strip() and name != "李小龍":
        assert name.strip() in text


def test_written_to_a_path(deck: Deck, tmp_path: Path) -> None:
    """A path (str or PathLike) is written; the return value is the page count."""
    assert write_cards_pdf(tmp_path / "a.pdf", deck, numbers=range(1, 10), per_page=4) == 3
    assert write_cards_pdf(str(tmp_path / "b.pdf"), deck, numbers=[1], per_page=2) == 1
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF-")


def test_default_is_the_whole_deck_one_per_page(deck: Deck) -> None:
    _, pages = pdf_bytes(deck)
    assert pages == len(deck)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_page": 3},
        {"per_page": 0},
        {"paper": "legal"},
        {"paper": "A4 "},
        {"numbers": [0]},
        {"numbers": [65]},
        {"numbers": [1, "2"]},
        {"numbers": [True]},
        {"numbers": []},
        {"names": {99: "Nobody"}},
        {"names": {1: b"bytes"}},
        {"per_page": True},
    ],
)
def test_bad_arguments(deck: Deck, tmp_path: Path, kwargs: dict[str, object]) -> None:
    """Bad arguments raise ValueError and write nothing."""
    out = tmp_path / "cards.pdf"
    with pytest.raises(ValueError):
        write_cards_pdf(out, deck, **kwargs)  # type: ignore[arg-type]
    assert not out.exists()
