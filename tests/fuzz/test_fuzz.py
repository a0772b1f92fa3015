"""The API against its own OpenAPI document: schemathesis on a real server, every check on.

A 5xx, a response outside the documented statuses or content types, a schema-valid request
refused, a schema-invalid one accepted, a 405 without ``Allow``, a created resource that cannot
be found: each fails this test with schemathesis's report (and the curl line to reproduce it).
"""

from __future__ import annotations

import pytest

from tests.fuzz.run import run

pytestmark = pytest.mark.slow


def test_schemathesis_finds_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    status = run(minutes=None)
    report = capsys.readouterr().out
    assert status == 0, report
    assert " passed" in report and "failed" not in report.split("SUMMARY")[-1]
