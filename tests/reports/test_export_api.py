"""Export, report and import endpoints in process: downloads, errors, roles, all-or-nothing."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from starlette.testclient import TestClient

from live.http.app import create_app
from live.reports.export import FORMATS
from live.settings import Settings
from tests.conftest import TEACHER
from tests.support.errors import assert_error
from tests.support.export_support import build


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the module (starting one costs more than every test here together)."""
    settings = Settings.load(
        {"data_dir": tmp_path_factory.mktemp("export-api"), "token": TEACHER},
        env={"CARDCHECK_TIME_ZONE": "Asia/Kolkata"},  # the school's zone: UTC+05:30
    )
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {TEACHER}"
        yield c


@pytest.fixture(scope="module")
def ids(client: TestClient) -> dict[str, Any]:
    return build(client.app.state.store)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def projector_token(client: TestClient) -> str:
    return str(client.app.state.tokens.projector)  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_session_export_downloads_each_format(
    client: TestClient, ids: dict[str, Any], fmt: str
) -> None:
    r = client.get(f"/api/sessions/{ids['session']}/export", params={"format": fmt, "tz": "UTC"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(FORMATS[fmt].media_type.split(";")[0])
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="cardcheck-7b-session-')
    assert disposition.endswith(f'.{FORMATS[fmt].extension}"')
    assert r.headers["cache-control"] == "no-store"
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames[0] == "Scores"
        wb.close()
    elif fmt == "oneroster":
        assert "results.csv" in zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    elif fmt == "json":
        assert len(r.json()["responses"]) == 21
    else:
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert len(rows) > 2


def test_the_default_format_is_the_scoresheet(client: TestClient, ids: dict[str, Any]) -> None:
    r = client.get(f"/api/sessions/{ids['session']}/export")
    assert r.status_code == 200 and r.text.lstrip("\ufeff").startswith("Card,First name")


@pytest.mark.parametrize("fmt", ["pdf", "CSVX", "", "../etc"])
def test_a_bad_format_is_400_with_the_one_error_shape(
    client: TestClient, ids: dict[str, Any], fmt: str
) -> None:
    r = client.get(f"/api/sessions/{ids['session']}/export", params={"format": fmt})
    assert_error(r, 400, "bad_format")


@pytest.mark.parametrize(
    "path",
    [
        "/api/sessions/{session}/export?format=csv",
        "/api/classes/{class}/export?format=json",
        "/api/sets/{set}/export?format=xlsx",
        "/api/sessions/{session}/report",
    ],
)
def test_the_projector_token_cannot_export(
    client: TestClient, ids: dict[str, Any], projector_token: str, path: str
) -> None:
    url = path.format(**ids)
    r = client.get(url, headers={"Authorization": f"Bearer {projector_token}"})
    assert_error(r, 403, "forbidden")
    assert_error(client.get(url, headers={"Authorization": "Bearer nope"}), 401)


def test_class_export_is_that_class_only_and_filters_by_date(
    client: TestClient, ids: dict[str, Any]
) -> None:
    url = f"/api/classes/{ids['class']}/export"
    doc = client.get(url, params={"format": "json", "from": "2024-09-02", "to": "2024-09-02"})
    assert doc.status_code == 200
    body = doc.json()
    assert [s["id"] for s in body["sessions"]] == [ids["session"]]
    assert "Stranger" not in doc.text
    assert body["filters"] == {"class": ids["class"], "from": "2024-09-02", "to": "2024-09-02"}
    later = client.get(url, params={"format": "json", "from": "2024-09-03"}).json()
    assert later["sessions"] == [] and later["responses"] == []
    r = client.get(url, params={"format": "xlsx", "from": "2024-09-01", "to": "2024-09-30"})
    assert 'filename="cardcheck-7b-2024-09-01-2024-09-30.xlsx"' in r.headers["content-disposition"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"from": "02/09/2024"}, 400),
        ({"to": "2024-13-01"}, 400),
        ({"to": "2024-9-1"}, 400),
        ({"tz": "Mars/Olympus"}, 400),
    ],
)
def test_bad_dates_and_zones_are_400(
    client: TestClient, ids: dict[str, Any], query: dict[str, str], status: int
) -> None:
    assert_error(client.get(f"/api/classes/{ids['class']}/export", params=query), status)


def test_a_range_from_after_to_selects_nothing(client: TestClient, ids: dict[str, Any]) -> None:
    query = {"format": "json", "from": "2024-09-03", "to": "2024-09-02"}
    r = client.get(f"/api/classes/{ids['class']}/export", params=query)
    assert r.status_code == 200 and r.json()["sessions"] == []


def test_unknown_ids_are_404(client: TestClient, ids: dict[str, Any]) -> None:
    assert_error(client.get("/api/sessions/999/export"), 404, "not_found")
    assert_error(client.get("/api/classes/999/export"), 404, "not_found")
    assert_error(client.get("/api/sets/999/export"), 404, "not_found")
    assert_error(client.get("/api/sessions/999/report"), 404, "not_found")


def test_set_export_covers_every_session_of_the_set(
    client: TestClient, ids: dict[str, Any]
) -> None:
    body = client.get(f"/api/sets/{ids['set']}/export", params={"format": "json"}).json()
    assert body["scope"] == "set" and len(body["sessions"]) == 2


def test_the_report_is_self_contained_printable_html(
    client: TestClient, ids: dict[str, Any]
) -> None:
    r = client.get(f"/api/sessions/{ids['session']}/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"].startswith("inline;")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.text.count("<svg") == 3 and "@media print" in r.text
    assert "&lt;" not in r.text.split("<body>")[0]
    assert "Zoë &quot;Zee&quot; O&#x27;Brien, Jr." in r.text
    dl = client.get(f"/api/sessions/{ids['session']}/report", params={"download": "1"})
    assert dl.headers["content-disposition"].startswith("attachment;")


def test_openapi_lists_the_export_endpoints(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    op = paths["/api/sessions/{session_id}/export"]["get"]
    assert any(p["name"] == "format" for p in op["parameters"])
    assert "/api/classes/{class_id}/export" in paths and "/api/sets/import" in paths
    assert (
        "text/html"
        in paths["/api/sessions/{session_id}/report"]["get"]["responses"]["200"]["content"]
    )


# -- imports ---------------------------------------------------------------------------------

GOOD_SET = (
    "prompt,choice a,choice b,choice c,choice d,correct,skills\r\n"
    '"What is 1/2 + 1/4?",3/4,2/6,1/8,,A,fractions; addition\r\n'
    "How sure are you?,Very,A bit,,,,confidence\r\n"
)


def _counts(client: TestClient) -> tuple[int, int]:
    return len(client.get("/api/sets").json()), len(client.get("/api/questions").json())


def test_a_question_set_csv_imports_into_a_new_set(client: TestClient) -> None:
    r = client.post(
        "/api/sets/import?name=Week%201",
        content=GOOD_SET.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["created"] == 2 and body["rejected"] == [] and body["set"]["name"] == "Week 1"
    q1, q2 = (client.get(f"/api/questions/{q}").json() for q in body["set"]["questions"])
    assert q1["choices"] == ["3/4", "2/6", "1/8"] and q1["correct"] == "A"
    assert q1["skills"] == ["fractions", "addition"]
    assert q2["correct"] is None and q2["choices"] == ["Very", "A bit"]


def test_one_bad_row_rejects_the_whole_set_with_reasons(client: TestClient) -> None:
    before = _counts(client)
    bad = GOOD_SET + (
        ",no prompt,x,,,A,\r\n"
        "Only one choice?,yes,,,,A,\r\n"
        "Gap,a,,c,,A,\r\n"
        "Key out of range,a,b,,,D,\r\n"
        "Key garbage,a,b,,,AB,\r\n"
    )
    r = client.post("/api/sets/import", content=bad.encode())
    assert r.status_code == 422
    body = r.json()
    assert body["error"]["code"] == "rows_rejected"
    assert [x["line"] for x in body["rejected"]] == [4, 5, 6, 7, 8]
    reasons = [x["reason"] for x in body["rejected"]]
    assert reasons[0] == "no prompt" and "needs 2 to 4" in reasons[1]
    assert "choice B is empty" in reasons[2] and "not one of A, B" in reasons[3]
    assert _counts(client) == before  # nothing half-imported
    partial = client.post("/api/sets/import?partial=1", content=bad.encode())
    assert partial.status_code == 201 and partial.json()["created"] == 2
    assert len(partial.json()["rejected"]) == 5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"name,card\r\nAda,1\r\n", "no prompt column"),
        (b"prompt,correct\r\nx,A\r\n", "no choice columns"),
        (b"\xff\xfe\x00", "UTF-8"),
    ],
)
def test_unusable_set_files_are_400(client: TestClient, body: bytes, message: str) -> None:
    r = client.post("/api/sets/import", content=body)
    assert_error(r, 400)
    assert message in r.json()["error"]["message"]


def test_the_choices_column_form_is_accepted(client: TestClient) -> None:
    text = "question,choices,answer,tags\r\nPick b,a|b|c,b,x|y\r\n"
    r = client.post("/api/sets/import", content=text.encode())
    assert r.status_code == 201, r.text
    q = client.get(f"/api/questions/{r.json()['set']['questions'][0]}").json()
    assert q["choices"] == ["a", "b", "c"] and q["correct"] == "B" and q["skills"] == ["x", "y"]


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_roster_xlsx_imports_like_a_csv(client: TestClient) -> None:
    cid = client.post("/api/classes", json={"name": "9A"}).json()["id"]
    data = _xlsx(
        [
            ["First name", "Last name", "Card", "Group"],
            ["Zoë", "O'Brien, Jr.", 4, "Blue"],
            ["李", "小龍", None, "Red"],
            ["Ana", "Li", 7.0, None],
        ]
    )
    r = client.post(f"/api/classes/{cid}/roster", content=data, headers={"Content-Type": XLSX_TYPE})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3 and r.json()["grouped"] == 2
    students = {s["name"]: s["card"] for s in client.get(f"/api/classes/{cid}/students").json()}
    assert students == {"Zoë O'Brien, Jr.": 4, "李 小龍": 1, "Ana Li": 7}
    # detected by its signature even when sent as text/csv
    again = _xlsx([["name", "card"], ["Bo", 9]])
    r2 = client.post(
        f"/api/classes/{cid}/roster", content=again, headers={"Content-Type": "text/csv"}
    )
    assert r2.status_code == 200 and r2.json()["created"] == 1


def test_a_bad_roster_xlsx_imports_nothing_and_says_why(client: TestClient) -> None:
    cid = client.post("/api/classes", json={"name": "9B"}).json()["id"]
    data = _xlsx([["name", "card"], ["Ada", 3], ["", 4], ["Ben", "seven"], ["Cy", 3]])
    r = client.post(f"/api/classes/{cid}/roster", content=data, headers={"Content-Type": XLSX_TYPE})
    assert r.status_code == 422
    assert r.json()["rejected"] == [
        {"line": 3, "reason": "no name"},
        {"line": 4, "reason": "card 'seven' is not a whole number"},
        {"line": 5, "reason": "card 3 is already used"},
    ]
    assert client.get(f"/api/classes/{cid}/students").json() == []
    broken = client.post(
        f"/api/classes/{cid}/roster",
        content=b"PK\x03\x04garbage",
        headers={"Content-Type": XLSX_TYPE},
    )
    assert_error(broken, 400)
    assert "XLSX" in broken.json()["error"]["message"]


def test_export_json_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parent.parent.parent / "docs" / "export-json.md").read_text()
    sample = json.loads((Path(__file__).parent / "golden_export" / "session-json.json").read_text())
    for key in sample:
        assert f"`{key}`" in doc, key


def test_times_are_in_the_schools_zone_unless_another_is_asked_for(
    client: TestClient, ids: dict[str, Any]
) -> None:
    url = f"/api/sessions/{ids['session']}/export?format=long"
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig"))))
    assert rows[1][rows[0].index("First seen")] == "2024-09-02T15:31:01+05:30"
    rows = list(csv.reader(io.StringIO(client.get(url + "&tz=UTC").content.decode("utf-8-sig"))))
    assert rows[1][rows[0].index("First seen")] == "2024-09-02T10:01:01+00:00"
