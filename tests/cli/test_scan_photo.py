"""Over real sockets: ``cardcheck scan --file PHOTO`` records the confident reads of one photo.

Regression: a single still was sent once, so its cards never reached the tracker's agreeing
frames: 24 cards read, listed as "new", none recorded. Now a photo is sent like a camera held
still, again until its cards are confirmed (as the scanner page's "Take a photo" does), and the
run ends by listing who was recorded and what was not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner import Deck
from tests.support.ws_servers import api, scan_file, scanned, seed, serve

pytestmark = pytest.mark.slow


def photo(path: Path, cards: dict[int, str]) -> Path:
    """A 1600x900 JPEG of ``cards`` held up on a grey wall."""
    deck = Deck()
    image = np.full((900, 1600, 3), 160, np.uint8)
    for k, (card, answer) in enumerate(cards.items()):
        drawn = cv2.cvtColor(deck.render_card(card, answer, size_px=280), cv2.COLOR_GRAY2BGR)
        x, y = 60 + k * 380, 250 + (k % 2) * 90
        image[y : y + 280, x : x + 280] = drawn
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return path


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("serve") / "db.sqlite3") as base:
        yield base


def end_all(url: str) -> None:
    for s in api(url, "GET", "sessions/running"):
        api(url, "POST", f"sessions/{s['id']}/end")


def test_a_photo_records_its_cards_and_says_who(url: str, tmp_path: Path) -> None:
    shot = photo(tmp_path / "room.jpg", {7: "B", 12: "C", 40: "A"})  # 40: no student's card
    session, _, _ = seed(url)  # cards 7, 12, 21; a question asked
    out = scanned(url, shot, session=session)
    state = api(url, "GET", f"sessions/{session}")
    assert "recorded 2 answer(s) from the photo:" in out, out
    assert "card  7  B  Ada Lovelace" in out and "card 12  C  Alan Turing" in out, out
    assert "held by no student of this class: card 40" in out, out
    assert {s["card"]: s["answer"] for s in state["students"]} == {7: "B", 12: "C", 21: None}
    assert {s["source"] for s in state["students"] if s["answer"]} == {"scan"}
    sent = int(out.split("done: ")[1].split(" frames sent")[0])
    assert 3 <= sent <= 5, out  # as often as the tracker needs, then no more


def test_a_photo_with_no_open_question_says_nothing_was_recorded(url: str, tmp_path: Path) -> None:
    shot = photo(tmp_path / "room.jpg", {7: "B"})
    session, _, _ = seed(url)
    api(url, "POST", f"sessions/{session}/close")
    out = scanned(url, shot, session=session)
    state = api(url, "GET", f"sessions/{session}")
    assert "nothing recorded: the question is closed" in out, out
    assert state["question"]["answered"] == 0


def test_scan_never_guesses_the_session(url: str, tmp_path: Path) -> None:
    shot = photo(tmp_path / "room.jpg", {7: "B"})
    end_all(url)
    nothing = scan_file(url, shot)
    assert nothing.returncode == 2
    assert "No session is running: start one on the teacher console." in nothing.stderr
    session, _, _ = seed(url)
    named = scan_file(url, shot)
    assert named.returncode == 2 and "--session" in named.stderr
    assert f"--session {session}  7B (started " in named.stderr
    assert "Q1 open)" in named.stderr
