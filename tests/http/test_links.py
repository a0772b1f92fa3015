"""Links scoped to one session or class: a projector link, a phone paired by a code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from live.http.app import create_app
from live.settings import Settings

OWNER = "owner-token-for-tests"


@pytest.fixture
def school(tmp_path: Path, database: str) -> Iterator[dict[str, Any]]:
    settings = Settings.load({"data_dir": tmp_path / "d", "token": OWNER, "db": database}, env={})
    with TestClient(create_app(settings)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        store.add_user("head", "a good long password", now=1.0)
        jo = store.add_user("jo", "a good long password", now=1.0)
        teacher = {"Authorization": f"Bearer {store.create_api_token(jo['id'], 't', now=1.0)[1]}"}
        a = client.post("/api/classes", json={"name": "7A"}, headers=teacher).json()["id"]
        b = client.post("/api/classes", json={"name": "7B"}, headers=teacher).json()["id"]
        sa = client.post("/api/sessions", json={"class_id": a}, headers=teacher).json()
        sb = client.post("/api/sessions", json={"class_id": b}, headers=teacher).json()
        yield {"client": client, "teacher": teacher, "a": a, "b": b, "sa": sa, "sb": sb}


def _token(url: str, name: str = "token") -> str:
    return parse_qs(urlsplit(url).query)[name][0]


def test_an_account_s_session_carries_no_installation_token(school: dict[str, Any]) -> None:
    """The owner's tokens never reach a teacher with an account: links are scoped instead."""
    state = school["client"].get(f"/api/sessions/{school['sa']['id']}", headers=school["teacher"])
    text = state.text
    assert OWNER not in text and "projector_url" not in text and "scan_url" not in text


def test_a_projector_link_reads_its_class_s_live_session_only_until_revoked(
    school: dict[str, Any],
) -> None:
    client, teacher, a = school["client"], school["teacher"], school["a"]
    made = client.post(f"/api/classes/{a}/links", headers=teacher)
    assert made.status_code == 201
    link = made.json()
    assert f"/projector/?class={a}&token=" in link["url"]
    projector = {"Authorization": f"Bearer {_token(link['url'])}"}
    assert (
        client.get(f"/api/classes/{a}/live", headers=projector).json()["session"]
        == (school["sa"]["id"])
    )
    assert client.get(f"/api/sessions/{school['sa']['id']}", headers=projector).status_code == 200
    assert client.get(f"/api/sessions/{school['sb']['id']}", headers=projector).status_code == 404
    assert client.get(f"/api/classes/{school['b']}/live", headers=projector).status_code == 404
    assert (
        client.post(f"/api/sessions/{school['sa']['id']}/close", headers=projector).status_code
        == 403
    )
    # a session no longer live for the class is out of its reach too
    newer = client.post("/api/sessions", json={"class_id": a}, headers=teacher).json()["id"]
    assert client.get(f"/api/sessions/{school['sa']['id']}", headers=projector).status_code == 404
    assert client.get(f"/api/sessions/{newer}", headers=projector).status_code == 200
    listed = client.get(f"/api/classes/{a}/links", headers=teacher).json()
    assert [row["id"] for row in listed] == [link["id"]] and "url" not in listed[0]
    r = client.delete(f"/api/classes/{school['b']}/links/{link['id']}", headers=teacher)
    assert r.status_code == 404  # not class B's link
    assert client.delete(f"/api/classes/{a}/links/{link['id']}", headers=teacher).status_code == 200
    assert client.get(f"/api/classes/{a}/live", headers=projector).status_code == 401


def test_a_projector_link_stops_when_its_class_is_archived(school: dict[str, Any]) -> None:
    client, teacher, a = school["client"], school["teacher"], school["a"]
    link = client.post(f"/api/sessions/{school['sa']['id']}/links", headers=teacher).json()
    projector = {"Authorization": f"Bearer {_token(link['url'])}"}
    assert client.get(f"/api/sessions/{school['sa']['id']}", headers=projector).status_code == 200
    client.patch(f"/api/classes/{a}", json={"archived": True}, headers=teacher)
    assert client.get(f"/api/sessions/{school['sa']['id']}", headers=projector).status_code == 401


def test_a_phone_pairs_by_a_code_once_and_sends_frames_to_that_session_only(
    school: dict[str, Any],
) -> None:
    client, teacher, sa, sb = school["client"], school["teacher"], school["sa"], school["sb"]
    pairing = client.get(f"/api/pair?session={sa['id']}", headers=teacher).json()["url"]
    assert OWNER not in pairing and "token=" not in pairing
    code = _token(pairing, "pair")
    r = client.get(f"/api/sessions/{sa['id']}", headers={"Authorization": f"Bearer {code}"})
    assert r.status_code == 401  # a code is traded, never used as a credential
    paired = client.post("/api/pair", json={"code": code})
    assert paired.status_code == 200 and paired.json()["session_id"] == sa["id"]
    assert client.post("/api/pair", json={"code": code}).status_code == 401  # once
    credential = paired.json()["token"]
    scanner = {"Authorization": f"Bearer {credential}"}
    me = client.get("/api/me", headers=scanner).json()
    assert me["link"] == {"kind": "scanner", "class_id": school["a"], "session_id": sa["id"]}
    # it reads its session (as the teacher holding the phone sees it) and sends frames to it
    assert client.get(f"/api/sessions/{sa['id']}", headers=scanner).status_code == 200
    with client.websocket_connect(f"/ws/scan?session={sa['id']}&token={credential}") as ws:
        ws.send_text("not a frame")
        assert ws.receive_json()["code"] == "binary_expected"
    # and nothing else: no command, no other session
    assert client.post(f"/api/sessions/{sa['id']}/close", headers=scanner).status_code == 403
    assert client.get("/api/classes", headers=scanner).status_code == 403
    with client.websocket_connect(f"/ws/scan?session={sb['id']}&token={credential}") as ws:
        assert ws.receive_json()["code"] == "not_found"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4404


def test_the_data_folder_s_projector_token_reads_the_owner_s_classes_only(
    school: dict[str, Any],
) -> None:
    """On a laptop it reads every class; once there are accounts, the owner's classes only
    (class A is jo's, not the owner's)."""
    client = school["client"]
    token = client.app.state.tokens.projector  # type: ignore[attr-defined]
    projector = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/classes/{school['a']}/live", headers=projector).status_code == 404
    owner = {"Authorization": f"Bearer {OWNER}"}
    mine = client.post("/api/classes", json={"name": "Head's class"}, headers=owner).json()["id"]
    assert client.get(f"/api/classes/{mine}/live", headers=projector).status_code == 200
