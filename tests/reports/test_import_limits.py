"""Imported files that are too big, too deep or hostile: refused with a 4xx that says why,
before they are unpacked or parsed. Named after the bugs they pin down."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
import pytest
from starlette.testclient import TestClient

from live.reports.archive import ArchiveLimits, check_archive
from live.reports.imports import parse_question_set, read_roster
from live.reports.roster import parse_roster
from live.rules.rules import RulesError, load_rules
from tests.support.errors import assert_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _with_entry(xlsx: bytes, name: str, size: int, *, chunk: bytes = b"A" * 65536) -> bytes:
    """``xlsx`` with one more entry of ``size`` bytes that compress to almost nothing."""
    buf = io.BytesIO(xlsx)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z, z.open(name, "w") as f:
        for _ in range(size // len(chunk)):
            f.write(chunk)
    return buf.getvalue()


def _replace(xlsx: bytes, old: bytes, new: bytes) -> bytes:
    """``xlsx`` with ``old`` replaced by ``new`` in every entry."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename).replace(old, new), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _shared_string_bomb(size: int) -> bytes:
    """A roster whose one shared string unzips to ``size`` bytes (the issue's was 300 MB)."""
    good = _workbook([["name"], ["x"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename == "xl/sharedStrings.xml":
                continue
            dst.writestr(item, src.read(item.filename), zipfile.ZIP_DEFLATED)
        entry = zipfile.ZipInfo("xl/sharedStrings.xml")
        entry.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(entry, "w") as f:
            f.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
            )
            for _ in range(size // 65536):
                f.write(b"A" * 65536)
            f.write(b"</t></si></sst>")
    return out.getvalue()


def test_regression_an_xlsx_whose_shared_string_unzips_to_30_mb_is_refused_unopened(
    client: TestClient,
) -> None:
    bomb = _shared_string_bomb(30_000_000)
    assert len(bomb) < 200_000
    cid = client.post("/api/classes", json={"name": "7B"}).json()["id"]
    r = client.post(f"/api/classes/{cid}/roster", content=bomb, headers={"Content-Type": XLSX})
    assert_error(r, 400)
    assert "unpacks to" in r.json()["error"]["message"]
    assert client.get(f"/api/classes/{cid}/students").json() == []


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (ArchiveLimits(max_entries=5), "entries; a workbook may hold 5"),
        (ArchiveLimits(max_unpacked=2_000_000), "unpacks to"),
        (ArchiveLimits(max_packed=1000), "an upload may be 1000"),
    ],
)
def test_archives_are_held_to_every_limit(limits: ArchiveLimits, message: str) -> None:
    data = _with_entry(_workbook([["name"], ["Ada"]]), "xl/media/filler.bin", 3_000_000)
    with pytest.raises(ValueError, match=message):
        check_archive(data, limits)


def test_an_entry_that_unpacks_out_of_proportion_is_a_bomb() -> None:
    data = _with_entry(_workbook([["name"], ["Ada"]]), "xl/media/filler.bin", 3_000_000)
    with pytest.raises(ValueError, match="decompression bomb"):
        check_archive(data)  # 3 MB of one letter packs a thousand times smaller
    check_archive(_workbook([["name"], *[[f"Student {i}"] for i in range(2000)]]))


def test_a_file_that_is_not_a_zip_is_a_clear_400(client: TestClient) -> None:
    cid = client.post("/api/classes", json={"name": "7B"}).json()["id"]
    r = client.post(f"/api/classes/{cid}/roster", content=b"PK\x03\x04 junk", headers={})
    assert_error(r, 400)
    assert "not a readable XLSX" in r.json()["error"]["message"]


def test_regression_a_csv_field_over_128_kb_is_a_400_with_its_line(client: TestClient) -> None:
    huge = "x" * 200_000
    with pytest.raises(ValueError, match="line 3: a field is longer than 131072 characters"):
        parse_roster(f"name\nAda\n{huge}\n")
    with pytest.raises(ValueError, match="line 2: a field is longer"):
        parse_question_set(f"prompt,choice a,choice b\n{huge},a,b\n")
    cid = client.post("/api/classes", json={"name": "7B"}).json()["id"]
    r = client.post(f"/api/classes/{cid}/roster", content=f"name\nAda\n{huge}\n".encode())
    assert_error(r, 400)
    assert r.json()["error"]["message"].startswith("line 3: a field is longer")
    r = client.post("/api/sets/import", content=f"prompt,choice a,choice b\n{huge},a,b\n".encode())
    assert_error(r, 400)
    assert r.json()["error"]["message"].startswith("line 2: a field is longer")


def test_regression_a_nul_name_in_a_roster_is_a_rejected_row_not_a_500(
    client: TestClient,
) -> None:
    sheet = parse_roster("name,group\nAda,\n\x00,\nBen,\x00\n")
    assert sheet.rejected == [
        (3, "name contains a control character"),
        (4, "group name contains a control character"),
    ]
    # XML cannot carry a NUL, but it can carry DEL and the C1 controls
    xlsx = _replace(_workbook([["name"], ["Ada"], ["BadDEL"]]), b"BadDEL", b"Bad\x7f")
    assert read_roster(xlsx).rejected == [(3, "name contains a control character")]
    cid = client.post("/api/classes", json={"name": "7B"}).json()["id"]
    r = client.post(f"/api/classes/{cid}/roster", content=b"name\nAda\n\x00\n")
    assert r.status_code == 422
    assert r.json()["rejected"] == [{"line": 3, "reason": "name contains a control character"}]


def test_a_control_character_in_a_question_set_is_a_rejected_row() -> None:
    sheet = parse_question_set("prompt,choice a,choice b\nok,a,b\nbad\x00,a,b\nfine,a\x07,b\n")
    assert [r.prompt for r in sheet.rows] == ["ok"]
    assert sheet.rejected == [
        (3, "prompt contains a control character"),
        (4, "choice A contains a control character"),
    ]


def test_regression_toml_rules_with_arrays_500_deep_are_a_400_not_a_recursion_error(
    client: TestClient,
) -> None:
    deep = "x = " + "[" * 500 + "]" * 500
    with pytest.raises(RulesError, match="500 deep; at most 32"):
        load_rules(None, deep)
    cid = client.post("/api/classes", json={"name": "7B"}).json()["id"]
    r = client.put(f"/api/classes/{cid}/rules", json={"toml": deep})
    assert_error(r, 400, "invalid_rules")
    brackets_in_strings = 'x = "' + "[" * 500 + '"  # ' + "[" * 500
    with pytest.raises(RulesError, match="unknown table 'x'"):
        load_rules(None, brackets_in_strings)  # counted outside strings and comments only
