"""The endpoints the pages need: pairing a phone, printable cards, a class's live session."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

from live.demo.camera import Answer, plan_question, render_room, seats_for
from live.http.pairing import phone_base_url, qr_svg, qr_terminal, scanner_url
from live.settings import Settings, desktop_browser


def test_pair_svg_is_a_qr_code_of_the_scanner_link(client: TestClient, seeded: dict[str, Any]):
    sid = seeded["session"]["id"]
    r = client.get(f"/api/pair.svg?session={sid}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.content.startswith(b"<svg")
    info = client.get(f"/api/pair?session={sid}").json()
    assert f"/scan/?session={sid}&pair=" in info["url"] and "token" not in info["url"]
    assert info["reachable_from_phone"] is False  # the test server listens on 127.0.0.1


def test_pairing_needs_the_teacher_token(client: TestClient, projector_token: str):
    r = client.get("/api/pair.svg", headers={"Authorization": f"Bearer {projector_token}"})
    assert r.status_code == 403
    assert r.json()["error"]["code"]


@pytest.mark.parametrize(
    ("query", "status"), [("", 400), ("session=", 400), ("session=x", 400), ("session=999", 404)]
)
@pytest.mark.parametrize("path", ["/api/pair", "/api/pair.svg"])
def test_pairing_names_an_existing_session(client: TestClient, path: str, query: str, status: int):
    """A QR code never stands for "whatever session runs": without one it is a 400."""
    r = client.get(f"{path}?{query}")
    assert r.status_code == status
    assert r.json()["error"]["code"] in ("invalid", "not_found")


def test_the_newest_running_session_is_not_an_endpoint_any_more(client: TestClient):
    r = client.get("/api/current-session")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_a_class_projector_shows_the_session_started_last_until_the_teacher_moves_it(
    client: TestClient, seeded: dict[str, Any], projector_token: str
):
    cid, first = seeded["class"]["id"], seeded["session"]["id"]
    as_projector = {"Authorization": f"Bearer {projector_token}"}
    live = client.get(f"/api/classes/{cid}/live", headers=as_projector).json()
    assert live["session"] == first and live["status"] == "running"
    assert live["class_name"] == "7B"
    assert live["projector_url"].endswith(f"/projector/?class={cid}&token={projector_token}")
    second = client.post("/api/sessions", json={"class_id": cid}).json()["id"]
    assert client.get(f"/api/classes/{cid}/live").json()["session"] == second
    # the teacher puts the first one back on the projector; the second keeps running
    r = client.put(f"/api/classes/{cid}/live", json={"session_id": first})
    assert r.status_code == 200 and r.json()["session"] == first
    assert client.get(f"/api/sessions/{first}").json()["session"]["live"] is True
    assert client.get(f"/api/sessions/{second}").json()["session"]["live"] is False
    client.post(f"/api/sessions/{first}/end")  # ended: the projector says so, and waits
    assert client.get(f"/api/classes/{cid}/live").json()["status"] == "ended"
    r = client.put(f"/api/classes/{cid}/live", json={"session_id": None})
    assert r.json()["session"] is None and r.json()["status"] is None


def test_a_class_live_session_is_one_of_its_own_running_sessions(
    client: TestClient, seeded: dict[str, Any], projector_token: str
):
    cid, sid = seeded["class"]["id"], seeded["session"]["id"]
    other = client.post("/api/classes", json={"name": "8C"}).json()["id"]
    r = client.put(f"/api/classes/{other}/live", json={"session_id": sid})  # not this class's
    assert r.status_code == 409 and r.json()["error"]["code"] == "unknown_id"
    r = client.put("/api/classes/999/live", json={"session_id": sid})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.put(f"/api/classes/{cid}/live", json={"session_id": "7"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    r = client.put(f"/api/classes/{cid}/live", json={})
    assert r.status_code == 400
    client.post(f"/api/sessions/{sid}/end")
    r = client.put(f"/api/classes/{cid}/live", json={"session_id": sid})
    assert r.status_code == 409 and r.json()["error"]["code"] == "session_ended"
    r = client.put(
        f"/api/classes/{cid}/live",
        json={"session_id": None},
        headers={"Authorization": f"Bearer {projector_token}"},
    )
    assert r.status_code == 403
    assert client.get("/api/classes/999/live").status_code == 404


def test_cards_pdf_for_a_class(client: TestClient, seeded: dict[str, Any]):
    cid = seeded["class"]["id"]
    r = client.get(f"/api/classes/{cid}/cards.pdf?per_page=4&paper=a4&names=1")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")


@pytest.mark.parametrize("query", ["per_page=3", "paper=legal", "names=yes"])
def test_cards_pdf_rejects_bad_options(client: TestClient, seeded: dict[str, Any], query: str):
    r = client.get(f"/api/classes/{seeded['class']['id']}/cards.pdf?{query}")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid"


def test_cards_pdf_of_an_empty_class_is_a_clear_error(client: TestClient):
    cid = client.post("/api/classes", json={"name": "Empty"}).json()["id"]
    r = client.get(f"/api/classes/{cid}/cards.pdf")
    assert r.status_code == 409
    assert "no students" in r.json()["error"]["message"]


def test_phone_link_names_the_lan_address_when_serving_everywhere():
    local = Settings.load({"host": "127.0.0.1", "port": 8000}, env={})
    assert phone_base_url(local) == "http://127.0.0.1:8000"
    public = Settings.load({"host": "0.0.0.0", "public_url": "https://class.example/"}, env={})
    assert scanner_url(public, "t k", 3) == "https://class.example/scan/?session=3&token=t%20k"
    everywhere = Settings.load({"host": "0.0.0.0", "port": 8443, "https": True}, env={})
    assert phone_base_url(everywhere).startswith("https://")


def test_qr_codes_round_trip_through_the_text():
    assert qr_svg("https://x/scan/?token=a").startswith(b"<svg")
    drawn = qr_terminal("https://x/scan/?token=a")
    assert len(drawn.splitlines()) > 10


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"CI": "1", "DISPLAY": ":0"}, False), ({"DISPLAY": ":0"}, True)],
)
def test_browser_opens_only_on_a_desktop(env: dict[str, str], expected: bool):
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("the DISPLAY rule is Linux's")
    assert desktop_browser(env) is expected


# -- the demo camera's pure parts ------------------------------------------------------------

STUDENTS = [{"id": i, "card": i, "name": f"S{i}"} for i in range(1, 29)]
GROUPS = [{"name": "Blue", "students": list(range(1, 7))}, {"name": "Red", "students": [7, 8]}]
ADD = {"prompt": "What is 1/2 + 1/3?", "choices": ["5/6", "2/5", "1/5", "2/6"], "correct": "A"}


def test_demo_plan_blue_shares_the_misconception():
    rng = np.random.default_rng(3)
    plans = [plan_question(rng, ADD, STUDENTS, GROUPS, pace=20) for _ in range(20)]
    blue = [a.answer for plan in plans for a in plan if a.card <= 6]
    rest = [a.answer for plan in plans for a in plan if a.card > 6]
    assert blue.count("B") / len(blue) > 0.6  # 2/5: adding tops and bottoms
    assert rest.count("A") / len(rest) > 0.6
    for plan in plans:
        assert 26 <= len(plan) <= 28
        assert all(0 <= a.at <= 20 for a in plan)


def test_demo_answer_changes_at_its_time():
    a = Answer(card=3, answer="B", at=2.0, change_to="A", change_at=5.0)
    assert [a.shown(t) for t in (1.0, 2.0, 4.9, 5.0)] == [None, "B", "B", "A"]


def test_demo_frames_are_decoded_by_the_real_detector():
    from scanner import Deck, Detector

    deck = Deck()
    seats = seats_for(list(range(1, 29)), np.random.default_rng(1))
    shown = {c: "ABCD"[c % 4] for c in range(1, 29)}
    frame = render_room(deck, seats, shown, 0.0)
    assert frame.shape == (720, 1280, 3)
    found = Detector(deck).detect(frame)
    assert len(found) >= 12
    assert all(shown[d.card] == d.answer for d in found)


def test_cards_print_two_to_a_page_unless_asked(client: TestClient, seeded: dict[str, Any]):
    """Regression: the print form defaulted to one per page; the README recommends two."""
    import pypdfium2 as pdfium

    cid = seeded["class"]["id"]  # three students
    pages = {
        query: len(pdfium.PdfDocument(client.get(f"/api/classes/{cid}/cards.pdf{query}").content))
        for query in ("", "?per_page=1")
    }
    assert pages == {"": 2, "?per_page=1": 3}


def test_me_says_whether_this_is_the_demo(client: TestClient, projector_token: str):
    me = client.get("/api/me").json()
    assert (me["role"], me["demo"], me["admin"], me["via"]) == (
        "teacher",
        False,
        True,
        "owner token",
    )
    r = client.get("/api/me", headers={"Authorization": f"Bearer {projector_token}"})
    assert {k: r.json()[k] for k in ("role", "demo", "admin")} == {
        "role": "projector",
        "demo": False,
        "admin": False,
    }


def test_sessions_running_lists_every_class_s_with_its_question(
    client: TestClient, seeded: dict[str, Any]
):
    sid, q = seeded["session"]["id"], seeded["questions"][0]["id"]
    client.post(f"/api/sessions/{sid}/ask", json={"question_id": q})
    other = client.post("/api/classes", json={"name": "Period 3"}).json()["id"]
    second = client.post("/api/sessions", json={"class_id": other}).json()["id"]
    rows = client.get("/api/sessions/running").json()
    assert [(r["id"], r["class_name"], r["status"], r["live"]) for r in rows] == [
        (sid, "7B", "running", True),
        (second, "Period 3", "running", True),
    ]
    assert rows[0]["question"] == {"number": 1, "prompt": "1/2 + 1/3?", "status": "open"}
    client.post(f"/api/sessions/{sid}/end")
    assert [r["id"] for r in client.get("/api/sessions/running").json()] == [second]
