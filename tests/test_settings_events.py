"""Settings from defaults, the environment and flags; events round-trip through one envelope."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from live.events import PAYLOADS, Event, ResponseRecorded, decode, encode
from live.settings import Settings


def test_defaults_serve_one_classroom_on_one_machine() -> None:
    s = Settings.load(env={"XDG_DATA_HOME": "/tmp/xdg"})
    assert (s.host, s.port, s.redis) == ("127.0.0.1", 8000, None)
    assert s.database == "/tmp/xdg/cardcheck/cardcheck.sqlite3"


def test_the_database_is_a_file_or_a_postgresql_url_and_its_password_is_never_printed() -> None:
    url = "postgresql://cardcheck:s3cret@db.school.example/cardcheck"
    s = Settings.load(env={"CARDCHECK_DB": url})
    assert s.database == url
    assert s.database_label == "postgresql://cardcheck:***@db.school.example/cardcheck"
    flag = Settings.load({"db": "~/class.sqlite3"}, env={"CARDCHECK_DB": url})
    assert flag.database == str(Path("~/class.sqlite3").expanduser()) == flag.database_label


def test_environment_then_flags() -> None:
    env = {"CARDCHECK_PORT": "9000", "CARDCHECK_TOKEN": "env", "CARDCHECK_HTTPS": "yes"}
    s = Settings.load({"token": "flag", "port": None}, env=env)
    assert (s.port, s.token, s.https) == (9000, "flag", True)
    assert s.base_url == "https://127.0.0.1:9000"


def test_a_bad_variable_is_named() -> None:
    with pytest.raises(ValueError, match="CARDCHECK_PORT"):
        Settings.load(env={"CARDCHECK_PORT": "eighty"})


def test_the_schools_time_zone_is_a_setting_defaulting_to_the_machines() -> None:
    berlin = Settings.load(env={"CARDCHECK_TIME_ZONE": "Europe/Berlin"})
    assert berlin.zone == ZoneInfo("Europe/Berlin")
    local = Settings.load(env={}).zone
    assert local.utcoffset(datetime.now()) == datetime.now().astimezone().utcoffset()
    with pytest.raises(ValueError, match="CARDCHECK_TIME_ZONE"):
        Settings.load(env={"CARDCHECK_TIME_ZONE": "Mars/Olympus"})


def test_events_round_trip_and_unknown_types_are_refused() -> None:
    event = Event(
        session=3,
        seq=7,
        at=1.5,
        payload=ResponseRecorded(
            asked_id=1,
            student=2,
            card=9,
            answer="C",
            correct=False,
            changed_from="A",
            source="scan",
        ),
    )
    assert decode(encode(event)) == event
    assert encode(event).startswith('{"type":"response.recorded"')
    with pytest.raises(ValueError, match="unknown event type"):
        decode('{"type": "response.deleted", "seq": 1, "session": 1, "at": 0, "data": {}}')
    with pytest.raises(ValueError):
        decode('{"type": "response.recorded", "seq": 1, "session": 1, "at": 0, "data": {}}')
    with pytest.raises(ValueError):
        decode("not json")


def test_wire_names_are_facts_in_the_past_tense() -> None:
    for name in PAYLOADS:
        _, verb = name.split(".")
        assert verb.endswith("ed") or verb == "started", name
