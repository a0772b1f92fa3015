"""The school's student IDs through the API: a roster with them round-trips to the Canvas and
OneRoster files, whose headers are those their formats name; the console edits them."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from starlette.testclient import TestClient

ROSTER = (
    "Last Name,First Name,Student ID,Email\n"
    "Lovelace,Ada,S-1001,ada@school.example\n"
    "Ng,Ben,S-1002,\n"
    "Ruiz,Cara,,\n"
)
# Canvas's gradebook export names these columns, in this order, before the assignments
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# the OneRoster 1.2 CSV binding's lineItems.csv and results.csv, in order (written out here
# rather than imported, so a change to the export's header lists is caught)
ONEROSTER_LINE_ITEMS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "description",
    "assignDate",
    "dueDate",
    "classSourcedId",
    "categorySourcedId",
    "academicSessionSourcedId",
    "resultValueMin",
    "resultValueMax",
    "schoolSourcedId",
]
ONEROSTER_RESULTS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "lineItemSourcedId",
    "studentSourcedId",
    "scoreStatus",
    "score",
    "scoreDate",
    "comment",
    "textScore",
    "classSourcedId",
    "inProgress",
    "incomplete",
    "late",
    "missing",
]


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_roster_with_school_ids_round_trips_to_canvas_and_oneroster(client: TestClient) -> None:
    cid = client.post("/api/classes", json={"name": "7B"}).json()["id"]
    done = client.post(f"/api/classes/{cid}/roster", content=ROSTER.encode())
    assert done.status_code == 200, done.text
    students = {s["name"]: s for s in client.get(f"/api/classes/{cid}/students").json()}
    assert students["Ada Lovelace"]["school_id"] == "S-1001"
    assert students["Ada Lovelace"]["email"] == "ada@school.example"
    assert students["Cara Ruiz"]["school_id"] is None
    q = client.post("/api/questions", json={"prompt": "?", "choices": ["a", "b"], "correct": "A"})
    qset = client.post("/api/sets", json={"name": "S", "questions": [q.json()["id"]]}).json()
    sid = client.post("/api/sessions", json={"class_id": cid, "set_id": qset["id"]}).json()
    sid = sid["session"]["id"] if "session" in sid else sid["id"]
    client.post(f"/api/sessions/{sid}/ask", json={"question_id": q.json()["id"]})
    for name, answer in (("Ada Lovelace", "A"), ("Ben Ng", "B")):
        client.put(f"/api/sessions/{sid}/responses/{students[name]['id']}", json={"answer": answer})
    client.post(f"/api/sessions/{sid}/end")

    canvas = _rows(client.get(f"/api/sessions/{sid}/export?format=canvas&tz=UTC").content)
    assert canvas[0][:5] == CANVAS_HEADER and canvas[1][0] == "Points Possible"
    by_sis = {r[2]: r for r in canvas[2:]}
    assert by_sis["S-1001"][0] == "Lovelace, Ada" and by_sis["S-1001"][5] == "1"
    assert by_sis["S-1002"][5] == "0"
    assert by_sis[""][0] == "Ruiz, Cara" and by_sis[""][5] == "0"  # asked, not answered

    got = client.get(f"/api/sessions/{sid}/export?format=oneroster&tz=UTC").content
    with zipfile.ZipFile(io.BytesIO(got)) as z:
        items = _rows(z.read("lineItems.csv"))
        results = _rows(z.read("results.csv"))
    assert items[0] == ONEROSTER_LINE_ITEMS and results[0] == ONEROSTER_RESULTS
    got_results = {r[4]: dict(zip(results[0], r, strict=True)) for r in results[1:]}
    cara = f"cardcheck-student-{students['Cara Ruiz']['id']}"
    assert set(got_results) == {"S-1001", "S-1002", cara}
    assert got_results["S-1001"]["score"] == "1.0" and got_results[cara]["missing"] == "true"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", got_results["S-1001"]["scoreDate"])
    line = dict(zip(items[0], items[1], strict=True))
    assert line["resultValueMax"] == "1.0" and line["sourcedId"] == results[1][3]
    for field in ("assignDate", "dueDate"):  # the binding's date-times: UTC, milliseconds
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z", line[field])

    long = _rows(client.get(f"/api/sessions/{sid}/export?format=long&tz=UTC").content)
    assert "Student ID" in long[0] and "cardcheck student no." in long[0]
    ids = {r[long[0].index("Student ID")] for r in long[1:]}
    assert ids == {"S-1001", "S-1002"}


def test_the_console_edits_a_students_id_and_email(client: TestClient) -> None:
    cid = client.post("/api/classes", json={"name": "7B"}).json()["id"]
    ada = client.post(f"/api/classes/{cid}/students", json={"name": "Ada", "school_id": " S1 "})
    assert ada.status_code == 201 and ada.json()["school_id"] == "S1"
    ben = client.post(f"/api/classes/{cid}/students", json={"name": "Ben"}).json()
    url = f"/api/classes/{cid}/students/{ben['id']}"
    taken = client.patch(url, json={"school_id": "S1"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "school_id_taken"
    bad = client.patch(url, json={"email": "not an email"})
    assert bad.status_code == 400 and "email" in bad.text
    ok = client.patch(url, json={"school_id": "S2", "email": "Ben@School.Example"}).json()
    assert (ok["school_id"], ok["email"]) == ("S2", "Ben@School.Example")
    cleared = client.patch(url, json={"school_id": "", "email": ""}).json()
    assert (cleared["school_id"], cleared["email"]) == (None, None)
