"""Benchmark: how fast, and at what cost in memory, a hostile roster workbook is refused.

Run from the repository root: ``.venv/bin/python -m bench.archives``.

The workbook is a real XLSX (written by XlsxWriter, cells pointing into the shared strings as
spreadsheet programs write them) whose one student's name unpacks to ``--mb`` megabytes (300 by
default: about 300 KB packed). ``before`` reads it as cardcheck did before its
archives were checked (openpyxl's ``load_workbook``, read-only, as ``xlsx_rows`` called it);
``now`` is ``live.reports.imports.read_roster``, which checks the zip's central directory
first. Each runs in a fresh process; the columns are the wall time until the answer and how
much the process grew (peak resident memory over what it had before). A good roster of 60
students goes through both too, to show the check costs nothing on real files.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import xlsxwriter

_CHILD = r"""
import io, json, resource, sys, time
from openpyxl import load_workbook
from live.reports.imports import read_roster
raw = open(sys.argv[2], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    if sys.argv[1] == "before":
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        rows = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        outcome = f"read {rows} rows"
    else:
        sheet = read_roster(raw)
        outcome = f"{len(sheet.rows)} students, {len(sheet.rejected)} rows rejected"
except Exception as exc:
    outcome = "refused: " + str(exc)[:90]
seconds = time.perf_counter() - start
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"seconds": seconds, "grown_mb": grown, "outcome": outcome}))
"""


def workbook(rows: list[list[str]]) -> bytes:
    """An XLSX as spreadsheet programs write it: cells point into the shared strings."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    wb.close()
    return buf.getvalue()


def bomb(megabytes: int) -> bytes:
    """A roster whose second shared string (the one student's name) unpacks to ``megabytes``
    MB."""
    good = workbook([["name"], ["x"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename != "xl/sharedStrings.xml":
                dst.writestr(item, src.read(item.filename), zipfile.ZIP_DEFLATED)
        entry = zipfile.ZipInfo("xl/sharedStrings.xml")
        entry.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(entry, "w") as f:
            f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
            f.write(b' count="2" uniqueCount="2"><si><t>name</t></si><si><t>')
            chunk = b"A" * 2**20
            for _ in range(megabytes):
                f.write(chunk)
            f.write(b"</t></si></sst>")
    return out.getvalue()


def measure(how: str, data: bytes) -> dict[str, object]:
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as f:
        f.write(data)
        f.flush()
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, how, f.name],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=300, help="what the bomb's string unpacks to")
    args = parser.parse_args()
    files = [
        (f"bomb ({args.mb} MB string)", bomb(args.mb)),
        ("roster of 60", workbook([["name"], *[[f"Student {i}"] for i in range(60)]])),
    ]
    print(f"{'file':<24} {'packed KB':>9}  {'reader':<7} {'ms':>9} {'grew MB':>8}  outcome")
    for label, data in files:
        for how in ("before", "now"):
            r = measure(how, data)
            print(
                f"{label:<24} {len(data) / 1024:9.0f}  {how:<7} {float(str(r['seconds'])) * 1000:9.1f}"
                f" {float(str(r['grown_mb'])):8.0f}  {r['outcome']}"
            )


if __name__ == "__main__":
    main()
