"""``cardcheck cards`` and ``cardcheck decode`` end to end: print, rasterise, photograph, read."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from live.cli import main
from live.store import Store

GOLDEN = Path(__file__).parent.parent / "scanner" / "golden"


def test_decode_prints_every_card_of_the_golden_photos(capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads((GOLDEN / "expected.json").read_text())
    photos = sorted(expected)
    assert main(["decode", *(str(GOLDEN / p) for p in photos), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    for result, photo in zip(results, photos, strict=True):
        got = sorted((c["card"], c["answer"]) for c in result["cards"])
        assert got == sorted((c["card"], c["answer"]) for c in expected[photo]), photo


def test_decode_annotates_and_reports_unreadable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    out = tmp_path / "seen.png"
    photo = GOLDEN / "classroom_near.jpg"
    assert main(["decode", str(photo), str(bad), "--annotate", str(out)]) == 1
    captured = capsys.readouterr()
    assert "broken.jpg:" in captured.err and "card(s)" in captured.out
    drawn = cv2.imread(str(tmp_path / "seen-classroom_near.png"))
    assert drawn is not None and drawn.ndim == 3


def test_cards_with_names_print_and_read_back(tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite3")
    store = Store(db)
    cid = store.create_class("7B", now=0)["id"]
    for name in ("Ada Lovelace", "Zoë Ångström", "Ben Ng"):
        store.add_student(cid, name, now=0)
    store.close()
    pdf = tmp_path / "cards.pdf"
    assert main(["cards", "--out", str(pdf), "--class", "7B", "--per-page", "4", "--db", db]) == 0
    page = pdfium.PdfDocument(str(pdf))[0]
    image = np.asarray(page.render(scale=100 / 72).to_pil().convert("L"))
    from scanner import Deck, Detector

    dets = Detector(Deck()).detect(np.ascontiguousarray(image))
    assert sorted((d.card, d.answer) for d in dets) == [(1, "A"), (2, "A"), (3, "A")]


def test_cards_for_an_unknown_class(tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite3")
    assert main(["cards", "--out", str(tmp_path / "x.pdf"), "--class", "nope", "--db", db]) == 2
