"""/ws/scan in process: frames in, scan.frame answers out, confirmed reads recorded once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from live.http.app import create_app
from live.realtime.sockets import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_SESSION_ENDED,
    CLOSE_UNAUTHORIZED,
)
from live.settings import Settings
from live.store import Store
from tests.support.ws_support import (
    TEACHER,
    UNASSIGNED_CARD,
    Seeded,
    command,
    frame,
    read_until,
    receive,
    scan_until,
    seed,
)

MAX_FRAME = 400_000


@pytest.fixture
def env(tmp_path: Any, database: str) -> Iterator[tuple[TestClient, Seeded]]:
    store = Store(database)
    settings = Settings(token=TEACHER, data_dir=tmp_path, max_frame_bytes=MAX_FRAME)
    try:
        with TestClient(create_app(settings, store=store)) as client:
            yield client, seed(client)
    finally:
        store.close()


def scan_url(s: Seeded, token: str = TEACHER) -> str:
    return f"/ws/scan?session={s.session_id}&token={token}&name=test-cam"


def confirmed(card: int) -> Any:
    return lambda m: any(c["card"] == card and c["state"] == "confirmed" for c in m["cards"])


def test_a_confirmed_read_becomes_the_students_response(env: Any) -> None:
    """Card 7 held with B up, seen over a few frames, is recorded once as Ada's answer."""
    client, s = env
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    with client.websocket_connect(f"/ws/live?session={s.session_id}&token={TEACHER}") as live:
        assert receive(live)["type"] == "snapshot"
        with client.websocket_connect(scan_url(s)) as scan:
            answer = scan_until(scan, frame({7: "B"}), confirmed(7))
            card = answer["cards"][0]
            assert card["student"] == {"id": s.students[7], "name": "Ada Lovelace"}
            assert answer["question"] == "open"
            assert len(card["corners"]) == 4
            scan_until(scan, frame({7: "B"}), lambda m: True)  # seen again: nothing new
        seen = read_until(live, lambda m: m["type"] == "scanner.disconnected")
    types = [m["type"] for m in seen]
    assert types[0] == "scanner.connected"
    recorded = [m for m in seen if m["type"] == "response.recorded"]
    assert [(r["data"]["student"], r["data"]["answer"]) for r in recorded] == [(s.students[7], "B")]
    assert recorded[0]["data"]["source"] == "scan" and recorded[0]["data"]["correct"] is True
    seqs = [m["seq"] for m in seen]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_a_card_no_student_holds_is_unassigned_and_not_recorded(env: Any) -> None:
    client, s = env
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    with client.websocket_connect(scan_url(s)) as scan:
        answer = scan_until(scan, frame({UNASSIGNED_CARD: "C"}), lambda m: m["cards"] != [])
        assert answer["cards"][0]["state"] == "unassigned"
        assert answer["cards"][0]["student"] is None
        for _ in range(4):
            scan_until(scan, frame({UNASSIGNED_CARD: "C"}), lambda m: True)
    state = client.get(
        f"/api/sessions/{s.session_id}", headers={"Authorization": f"Bearer {TEACHER}"}
    )
    assert state.json()["question"]["answered"] == 0


def test_a_scanner_reading_another_class_s_cards_is_told_and_so_is_the_console(
    env: Any,
) -> None:
    """Regression (a real class scanned into the demo class): when most cards read belong to
    no student of the session's class, the scan.frame says so plainly, and the session's log
    (so the console) too; the class's own cards clear it."""
    client, s = env
    h = {"Authorization": f"Bearer {TEACHER}"}
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    strangers = frame({40: "A", 41: "B", 42: "C"}, size=(1000, 400), card_px=180)
    with client.websocket_connect(f"/ws/live?session={s.session_id}&token={TEACHER}") as live:
        receive(live)
        with client.websocket_connect(scan_url(s)) as scan:
            answer = scan_until(scan, strangers, lambda m: m["wrong_class"] is not None)
            assert answer["wrong_class"] == {
                "foreign": 3,
                "seen": 3,
                "class_name": "7B",
                "message": "these cards are not 7B's: 3 of the 3 cards read belong to no"
                " student of 7B",
            }
            state = client.get(f"/api/sessions/{s.session_id}", headers=h).json()
            assert state["scanners"] == [
                {"name": "test-cam", "wrong_class": {"foreign": 3, "seen": 3}}
            ]
            assert state["question"]["answered"] == 0
            own = frame({7: "B", 12: "B", 21: "B"}, size=(1000, 400), card_px=180)
            cleared = scan_until(scan, own, lambda m: m["wrong_class"] is None)
            assert len(cleared["cards"]) == 3
            state = client.get(f"/api/sessions/{s.session_id}", headers=h).json()
            assert state["scanners"] == [{"name": "test-cam", "wrong_class": None}]
        seen = read_until(live, lambda m: m["type"] == "scanner.disconnected")
    warnings = [(m["type"], m["data"]) for m in seen if m["type"].startswith("scanner.m")]
    assert warnings == [
        ("scanner.mismatched", {"scanner": "test-cam", "foreign": 3, "seen": 3}),
        ("scanner.matched", {"scanner": "test-cam"}),
    ]
    after = client.get(f"/api/sessions/{s.session_id}", headers=h).json()
    assert after["scanners"] == []


def test_the_projector_never_hears_of_a_scanner_s_wrong_class(env: Any) -> None:
    client, s = env
    strangers = frame({40: "A", 41: "B", 42: "C"}, size=(1000, 400), card_px=180)
    with client.websocket_connect(
        f"/ws/live?session={s.session_id}&token={s.projector}"
    ) as projector:
        receive(projector)
        with client.websocket_connect(scan_url(s)) as scan:
            scan_until(scan, strangers, lambda m: m["wrong_class"] is not None)
        seen = read_until(projector, lambda m: m["type"] == "scanner.disconnected")
    assert [m["type"] for m in seen] == [
        "scanner.connected",
        "event.withheld",
        "scanner.disconnected",
    ]
    assert "scanners" not in client.get(f"/api/sessions/{s.session_id}?token={s.projector}").json()


def test_nothing_is_recorded_without_an_open_question_and_reopen_starts_over(env: Any) -> None:
    client, s = env
    h = {"Authorization": f"Bearer {TEACHER}"}
    with client.websocket_connect(scan_url(s)) as scan:
        answer = scan_until(scan, frame({12: "A"}), confirmed(12))
        assert answer["question"] is None  # none asked yet
        command(client, s.session_id, "ask", {"question_id": s.questions[0]})
        command(client, s.session_id, "close")
        answer = scan_until(scan, frame({12: "A"}), confirmed(12))
        assert answer["question"] == "closed"
        assert (
            client.get(f"/api/sessions/{s.session_id}", headers=h).json()["question"]["answered"]
            == 0
        )
        command(client, s.session_id, "reopen")
        # re-opening resets the tracker: the card is new again, then confirmed and recorded
        first = scan_until(scan, frame({12: "A"}), lambda m: True)
        assert first["cards"][0]["state"] == "new"
        scan_until(scan, frame({12: "A"}), confirmed(12))
    state = client.get(f"/api/sessions/{s.session_id}", headers=h).json()
    [alan] = [st for st in state["students"] if st["card"] == 12]
    assert (alan["answer"], alan["source"]) == ("A", "scan")


def test_a_changed_answer_updates_the_response_and_a_new_question_resets(env: Any) -> None:
    client, s = env
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    with client.websocket_connect(f"/ws/live?session={s.session_id}&token={TEACHER}") as live:
        receive(live)
        with client.websocket_connect(scan_url(s)) as scan:
            scan_until(scan, frame({21: "A"}), confirmed(21))
            changing = scan_until(scan, frame({21: "D"}), lambda m: True)
            assert changing["cards"][0]["state"] == "changed"
            scan_until(scan, frame({21: "D"}), confirmed(21))
            command(client, s.session_id, "ask", {"question_id": s.questions[1]})
            again = scan_until(scan, frame({21: "D"}), lambda m: True)
            assert again["cards"][0]["state"] == "new"
            scan_until(scan, frame({21: "D"}), confirmed(21))
        seen = read_until(live, lambda m: m["type"] == "scanner.disconnected")
    recorded = [m["data"] for m in seen if m["type"] == "response.recorded"]
    assert [(r["answer"], r["changed_from"]) for r in recorded] == [
        ("A", None),
        ("D", "A"),
        ("D", None),
    ]
    assert recorded[1]["asked_id"] == recorded[0]["asked_id"] != recorded[2]["asked_id"]


def test_bad_frames_get_an_error_and_the_connection_survives(env: Any) -> None:
    client, s = env
    with client.websocket_connect(scan_url(s)) as scan:
        scan.send_text("hello")
        assert receive(scan)["code"] == "binary_expected"
        scan.send_bytes(b"this is not an image at all")
        assert receive(scan)["code"] == "bad_image"
        scan.send_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)  # a PNG signature, then garbage
        assert receive(scan)["code"] == "bad_image"
        scan.send_bytes(b"\xff" * (MAX_FRAME + 1))
        error = receive(scan)
        assert (error["type"], error["code"]) == ("error", "too_large")
        scan.send_bytes(frame({7: "A"}, ext=".jpg"))
        assert receive(scan)["type"] == "scan.frame"


def test_a_flood_of_frames_is_dropped_newest_wins(env: Any) -> None:
    """Frames sent faster than they decode are dropped, never queued: the last one is decoded."""
    client, s = env
    sent = 25
    with client.websocket_connect(f"/ws/live?session={s.session_id}&token={TEACHER}") as live:
        receive(live)
        with client.websocket_connect(scan_url(s)) as scan:
            for _ in range(sent):
                scan.send_bytes(frame({7: "C"}))
            last = read_until(scan, lambda m: m["frame"] + m["dropped"] == sent, limit=sent)
            assert all(m["type"] == "scan.frame" for m in last)
        gone = read_until(live, lambda m: m["type"] == "scanner.disconnected")[-1]
    assert gone["data"]["frames"] == sent
    assert gone["data"]["dropped"] == last[-1]["dropped"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("session={sid}", CLOSE_UNAUTHORIZED),
        ("session={sid}&token=wrong", CLOSE_UNAUTHORIZED),
        ("session={sid}&token={projector}", CLOSE_FORBIDDEN),
        ("token={teacher}", CLOSE_BAD_REQUEST),
        ("session=abc&token={teacher}", CLOSE_BAD_REQUEST),
        # regression: "²" passes str.isdigit but not int(): the socket died with 1006
        ("session=%C2%B2&token={teacher}", CLOSE_BAD_REQUEST),
        ("session=99999999999999999999999&token={teacher}", CLOSE_BAD_REQUEST),
        ("session=999&token={teacher}", CLOSE_NOT_FOUND),
    ],
)
def test_refused_handshakes_say_why_and_close_with_a_named_code(
    env: Any, query: str, code: int
) -> None:
    client, s = env
    url = "/ws/scan?" + query.format(sid=s.session_id, projector=s.projector, teacher=TEACHER)
    with client.websocket_connect(url) as ws:
        error = receive(ws)
        assert error["type"] == "error" and error["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == code


def test_an_ended_session_takes_no_scanner_and_ends_a_connected_one(env: Any) -> None:
    client, s = env
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    with client.websocket_connect(scan_url(s)) as scan:
        scan_until(scan, frame({7: "B"}), lambda m: True)
        command(client, s.session_id, "end")
        scan.send_bytes(frame({7: "B"}))
        assert receive(scan)["code"] == "session_ended"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(scan)
        assert closed.value.code == CLOSE_SESSION_ENDED
    with client.websocket_connect(scan_url(s)) as scan:
        assert receive(scan)["code"] == "session_ended"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(scan)
        assert closed.value.code == CLOSE_SESSION_ENDED


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),
        ("http://testserver", True),
        ("https://evil.example", False),
        ("http://testserver.evil.example", False),
        ("null", False),
    ],
)
def test_the_origin_is_checked_on_every_handshake(
    env: Any, origin: str | None, allowed: bool
) -> None:
    client, s = env
    headers = {} if origin is None else {"origin": origin}
    for path in ("/ws/scan", "/ws/live"):
        url = f"{path}?session={s.session_id}&token={TEACHER}"
        if allowed:
            with client.websocket_connect(url, headers=headers) as ws:
                ws.send_bytes(frame({})) if path == "/ws/scan" else None
                assert receive(ws)["type"] in ("scan.frame", "snapshot")
        else:
            with pytest.raises(WebSocketDisconnect), client.websocket_connect(url, headers=headers):
                pass


def test_a_card_seen_but_not_read_is_outlined_for_the_phone(env: Any) -> None:
    """Card 12 turned 45 degrees has no clear answer: scan.frame lists it under ``unreadable``
    (its corners) so the phone can outline it, and nothing is recorded for it."""
    import cv2
    import numpy as np

    from scanner import Deck

    client, s = env
    command(client, s.session_id, "ask", {"question_id": s.questions[0]})
    img = np.full((540, 960), 170, np.uint8)
    deck = Deck()
    img[170:370, 60:260] = deck.render_card(7, "B", 200)
    tilted = np.full((300, 300), 170, np.uint8)
    tilted[50:250, 50:250] = deck.render_card(12, "A", 200)
    rot = cv2.getRotationMatrix2D((150.0, 150.0), 45, 1.0)
    img[120:420, 560:860] = cv2.warpAffine(tilted, rot, (300, 300), borderValue=170)
    ok, buf = cv2.imencode(".png", img)
    assert ok
    with client.websocket_connect(scan_url(s)) as scan:
        answer = scan_until(scan, buf.tobytes(), lambda m: True)
    assert [c["card"] for c in answer["cards"]] == [7]
    assert len(answer["unreadable"]) == 1
    quad = np.array(answer["unreadable"][0])
    assert quad.shape == (4, 2)
    assert np.allclose(quad.mean(axis=0), (710, 270), atol=4)
