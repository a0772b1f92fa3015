"""Printable cards: a vector PDF of the deck, drawn from the same bits and layout as the detector's.

Each card is a square, as large as its slot on the page allows, laid out like
``Deck.render_card`` (``scanner.deck.CARD_LAYOUT``): the marker centred in its white quiet zone,
the letters A, B, C, D at the top, right, bottom and left edges (each upright when its edge is on
top), the card number in the top-left corner and, optionally, the student's name in small print
along the top edge, right of the A. The marker is filled rectangles (runs of black cells merged,
one path, so no hairline seams appear between cells when the PDF is rasterised), never an image.
Dashed grey lines show where to cut, with crop marks in the page margin.

Fonts: letters and numbers use the PDF core font Helvetica (nothing to embed or download).
Names may be any Unicode: they are set in DejaVu Sans when its TTF is on the system
(Debian's ``fonts-dejavu-core``, ``/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf``) and embedded
(subset); characters it lacks, or every character outside latin-1 when it is absent, are
transliterated (accents dropped, NFKD) or printed as "?".
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np
import numpy.typing as npt
from fpdf import FPDF
from fpdf.enums import PathPaintRule
from fpdf.fonts import TTFFont

from scanner.deck import ANSWERS, CARD_LAYOUT, MARKER_CELLS, Deck

__all__ = ["write_cards_pdf"]

PAPERS: Final = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}
"""Paper sizes in millimetres, portrait (width, height)."""

GRIDS: Final = {1: (1, 1), 2: (1, 2), 4: (2, 2)}
"""Cards per page -> (columns, rows)."""

PAGE_MARGIN_MM: Final = 10.0
"""Kept clear on every side: most printers cannot print the outer 4-6 mm."""

UNICODE_FONTS: Final = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)
"""Where to look for a Unicode TTF for names, in order."""

_CAP_HELVETICA: Final = 0.718  # cap height / font size
_CAP_DEJAVU: Final = 0.729
_PT_PER_MM: Final = 72.0 / 25.4
_NAME_HEIGHT: Final = 0.03  # cap height of names, fraction of the card side
_NAME_MIN_HEIGHT: Final = 0.018
_NAME_WIDTH: Final = 0.38  # room right of the A, fraction of the card side
_GUIDE_GREY: Final = 150


def write_cards_pdf(
    out: str | os.PathLike[str] | BinaryIO,
    deck: Deck,
    *,
    numbers: Iterable[int] | None = None,
    per_page: int = 1,
    paper: str = "letter",
    names: Mapping[int, str] | None = None,
) -> int:
    """Write printable cards as a PDF to ``out`` (a path, or a binary file open for writing).

    ``numbers``: the cards to print, in order (default: the whole deck; repeats print again).
    ``per_page``: 1, 2 or 4 cards per page. ``paper``: ``"letter"`` or ``"a4"`` (any case).
    ``names``: card number -> student name, printed small on that card.
    Returns the number of pages written.

    Raises ``ValueError`` for another ``per_page`` or ``paper``, for no cards, for a card
    number (in ``numbers`` or ``names``) that is not in the deck, or for a name that is not a
    string; nothing is written then.
    """
    if isinstance(per_page, bool) or not isinstance(per_page, int) or per_page not in GRIDS:
        raise ValueError(f"per_page must be 1, 2 or 4, not {per_page!r}")
    if not isinstance(paper, str) or paper.lower() not in PAPERS:
        raise ValueError(f"paper must be 'letter' or 'a4', not {paper!r}")
    cards = [_card_number(deck, n) for n in (deck.numbers if numbers is None else numbers)]
    names = {_card_number(deck, n): name for n, name in (names or {}).items()}
    if not all(isinstance(name, str) for name in names.values()):
        raise ValueError("names must be strings")
    if not cards:
        raise ValueError("no cards to print")

    page_w, page_h = PAPERS[paper.lower()]
    pdf = FPDF(unit="mm", format=(page_w, page_h))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title("cardcheck cards")
    pdf.set_creator("cardcheck")
    name_font = _name_font(pdf) if any(names.values()) else None

    cols, rows = GRIDS[per_page]
    side = min((page_w - 2 * PAGE_MARGIN_MM) / cols, (page_h - 2 * PAGE_MARGIN_MM) / rows)
    x0 = (page_w - cols * side) / 2
    y0 = (page_h - rows * side) / 2
    pages = 0
    for start in range(0, len(cards), per_page):
        pdf.add_page()
        pages += 1
        slots = []
        for i, number in enumerate(cards[start : start + per_page]):
            x, y = x0 + (i % cols) * side, y0 + (i // cols) * side
            _card(pdf, deck, number, x, y, side, names.get(number), name_font)
            slots.append((x, y))
        _cut_guides(pdf, slots, side)

    data = bytes(pdf.output())
    if isinstance(out, str | os.PathLike):
        Path(out).write_bytes(data)
    else:
        out.write(data)
    return pages


def _card_number(deck: Deck, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) not in deck:
        raise ValueError(f"no card {n!r} in the deck (cards are 1..{len(deck)})")
    return int(n)


def _card(
    pdf: FPDF,
    deck: Deck,
    number: int,
    x: float,
    y: float,
    side: float,
    name: str | None,
    name_font: str | None,
) -> None:
    """One card, A up, its top-left corner at (x, y), ``side`` mm square."""
    lay = CARD_LAYOUT
    cells = np.zeros((MARKER_CELLS, MARKER_CELLS), np.uint8)
    cells[1:-1, 1:-1] = deck.bits(number)
    m = x + lay.margin * side, y + lay.margin * side
    cell = lay.cell * side
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        path.style.paint_rule = PathPaintRule.FILL_NONZERO
        for r, c, h, w in _black_rectangles(cells):
            path.rectangle(m[0] + c * cell, m[1] + r * cell, w * cell, h * cell)

    pdf.set_text_color(0)
    cx, cy = x + side / 2, y + side / 2
    for k, letter in enumerate(ANSWERS):
        # Each letter drawn at the top, then turned k quarter turns clockwise about the card's
        # centre: B lands on the right edge, its top pointing right, upright when B is on top.
        with pdf.rotation(-90 * k, cx, cy):
            _centred_text(pdf, letter, cx, y + lay.letter_inset * side, lay.letter_height * side)
    corner = lay.margin * side / 2
    _centred_text(pdf, str(number), x + corner, y + corner, lay.number_height * side)
    if name:
        _name(pdf, name, name_font, x, y, side)


def _cut_guides(pdf: FPDF, slots: list[tuple[float, float]], side: float) -> None:
    """Dashed lines along every card's edges (shared edges once), crop marks outside them."""
    edges: set[tuple[float, float, float, float]] = set()
    for x, y in slots:
        edges |= {(x, y, x + side, y), (x, y + side, x + side, y + side)}
        edges |= {(x, y, x, y + side), (x + side, y, x + side, y + side)}
    pdf.set_draw_color(_GUIDE_GREY)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2.0, gap=1.5)
    for x1, y1, x2, y2 in sorted(edges):
        pdf.line(x1, y1, x2, y2)
    pdf.set_dash_pattern()
    left, top = min(x for x, _ in slots), min(y for _, y in slots)
    right, bottom = max(x for x, _ in slots) + side, max(y for _, y in slots) + side
    near, far = 1.5, 6.0  # mm off the cards: inside the page margin, clear of the card
    for x in sorted({e[0] for e in edges if e[0] == e[2]}):
        pdf.line(x, top - far, x, top - near)
        pdf.line(x, bottom + near, x, bottom + far)
    for y in sorted({e[1] for e in edges if e[1] == e[3]}):
        pdf.line(left - far, y, left - near, y)
        pdf.line(right + near, y, right + far, y)


def _black_rectangles(cells: npt.NDArray[np.uint8]) -> Iterator[tuple[int, int, int, int]]:
    """Cover the 0 (black) cells with rectangles: (row, col, height, width) in cells.

    Runs of black cells in a row, merged downwards with identical runs in the rows below.
    """
    runs: dict[tuple[int, int], tuple[int, int]] = {}  # (col, width) -> (first row, height)
    for r, row in enumerate(cells):
        here: list[tuple[int, int]] = []
        c = 0
        while c < len(row):
            if row[c] == 0:
                end = c
                while end < len(row) and row[end] == 0:
                    end += 1
                here.append((c, end - c))
                c = end
            else:
                c += 1
        for run in list(runs):
            if run not in here:
                first, height = runs.pop(run)
                yield first, run[0], height, run[1]
        for run in here:
            first, height = runs.get(run, (r, 0))
            runs[run] = (first, height + 1)
    for (c, w), (first, height) in runs.items():
        yield first, c, height, w


def _centred_text(pdf: FPDF, text: str, cx: float, cy: float, cap_mm: float) -> None:
    """Helvetica ``text`` with cap height ``cap_mm``, centred on (cx, cy)."""
    pdf.set_font("Helvetica", "B", cap_mm / _CAP_HELVETICA * _PT_PER_MM)
    width = pdf.get_string_width(text)
    pdf.text(cx - width / 2, cy + cap_mm / 2, text)


def _name(pdf: FPDF, name: str, font: str | None, x: float, y: float, side: float) -> None:
    """The student's name, right-aligned on the top edge, shrunk or cut to fit right of the A."""
    lay = CARD_LAYOUT
    family, cap_ratio = (font, _CAP_DEJAVU) if font else ("Helvetica", _CAP_HELVETICA)
    text = _printable(" ".join(name.split()), pdf if font else None)
    room = _NAME_WIDTH * side
    cap = _NAME_HEIGHT * side
    pdf.set_font(family, "", cap / cap_ratio * _PT_PER_MM)
    width = pdf.get_string_width(text)
    if width > room:
        cap = max(_NAME_MIN_HEIGHT * side, cap * room / width)
        pdf.set_font(family, "", cap / cap_ratio * _PT_PER_MM)
        while len(text) > 1 and pdf.get_string_width(text) > room:
            text = text[:-2].rstrip() + "…" if font else text[:-4].rstrip() + "..."
    right = x + side - lay.letter_inset * side
    pdf.text(right - pdf.get_string_width(text), y + lay.letter_inset * side + cap / 2, text)


def _name_font(pdf: FPDF) -> str | None:
    """Register the first Unicode TTF found; its family name, or None (Helvetica, latin-1)."""
    for path in UNICODE_FONTS:
        if path.is_file():
            pdf.add_font("CardName", "", str(path))
            return "CardName"
    return None


def _printable(text: str, pdf: FPDF | None) -> str:
    """``text`` with what the font cannot show transliterated, or replaced by "?".

    With ``pdf`` the current TTF's character map decides; without, latin-1 (the core fonts').
    """
    if pdf is None:

        def has(ch: str) -> bool:
            return ord(ch) < 256 and ch.isprintable()

    else:
        pdf.set_font("CardName")
        font = pdf.current_font
        cmap = font.cmap if isinstance(font, TTFFont) else {}

        def has(ch: str) -> bool:
            return ord(ch) in cmap

    out = []
    for ch in text:
        if has(ch):
            out.append(ch)
            continue
        parts = [p for p in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(p)]
        out.append("".join(parts) if parts and all(has(p) for p in parts) else "?")
    return "".join(out)
