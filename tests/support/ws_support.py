"""Shared by the live WebSocket tests: camera frames of rendered cards, a seeded class, readers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from scanner import Deck

TEACHER = "teacher-token-for-tests"
STUDENTS = [("Ada Lovelace", 7), ("Alan Turing", 12), ("Grace Hopper", 21)]
UNASSIGNED_CARD = 30

_DECK = Deck()


def frame(
    cards: dict[int, str],
    *,
    size: tuple[int, int] = (960, 540),
    card_px: int = 200,
    ext: str = ".png",
) -> bytes:
    """An encoded camera frame: each card held up with its answer on top, on a grey wall."""
    width, height = size
    img = np.full((height, width, 3), 170, np.uint8)
    x = 40
    for number, answer in cards.items():
        card = _DECK.render_card(number, answer=answer, size_px=card_px)
        h, w = card.shape[:2]
        y = (height - h) // 2
        img[y : y + h, x : x + w] = cv2.cvtColor(card, cv2.COLOR_GRAY2BGR)
        x += w + 40
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


@dataclass
class Seeded:
    class_id: int
    session_id: int
    questions: list[int]
    students: dict[int, int]  # card -> student id
    projector: str


def seed(client: Any, *, questions: int = 2) -> Seeded:
    """A class with three students on cards 7, 12, 21, questions with B correct, a session."""
    h = {"Authorization": f"Bearer {TEACHER}"}

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = client.post(f"/api/{path}", json=body, headers=h)
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    cls = post("classes", {"name": "7B"})
    students = {
        card: post(f"classes/{cls['id']}/students", {"name": name, "card": card})["id"]
        for name, card in STUDENTS
    }
    qs = [
        post("questions", {"prompt": f"Q{i}", "choices": ["a", "b", "c", "d"], "correct": "B"})[
            "id"
        ]
        for i in range(questions)
    ]
    session = post("sessions", {"class_id": cls["id"]})
    projector = client.app.state.tokens.projector
    return Seeded(cls["id"], session["id"], qs, students, projector)


def command(client: Any, session_id: int, name: str, body: dict[str, Any] | None = None) -> Any:
    r = client.post(
        f"/api/sessions/{session_id}/{name}",
        json=body or {},
        headers={"Authorization": f"Bearer {TEACHER}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def receive(ws: Any) -> dict[str, Any]:
    return dict(json.loads(ws.receive_text()))


def read_until(
    ws: Any, want: Callable[[dict[str, Any]], bool], limit: int = 50
) -> list[dict[str, Any]]:
    """Messages up to and including the first one ``want`` accepts (at most ``limit``)."""
    seen = []
    for _ in range(limit):
        message = receive(ws)
        seen.append(message)
        if want(message):
            return seen
    raise AssertionError(f"not found in {limit} messages: {[m['type'] for m in seen]}")


def scan_until(
    ws: Any, data: bytes, want: Callable[[dict[str, Any]], bool], limit: int = 12
) -> dict[str, Any]:
    """Send ``data`` one frame at a time until a ``scan.frame`` answer satisfies ``want``."""
    for _ in range(limit):
        ws.send_bytes(data)
        answer = receive(ws)
        assert answer["type"] == "scan.frame", answer
        if want(answer):
            return answer
    raise AssertionError(f"no frame satisfied the condition in {limit} frames")
