"""Sheets of rows in, the bytes of an XLSX workbook out, written with XlsxWriter.

XlsxWriter is made for writing workbooks and is the fastest well-kept writer for Python; its
``constant_memory`` mode streams each row to disk so a year of responses never sits in memory
as cells. Every sheet gets one frozen header row (and optionally frozen leading columns),
column widths, and three cell styles (bold header, green "correct", red "wrong").

Values: ``str``, ``int``/``float`` (NaN and infinities become empty), ``bool`` (an Excel
boolean), a naive ``datetime.datetime`` (an Excel date-time, shown ``yyyy-mm-dd hh:mm:ss``: the
caller converts it to the zone it means), ``None`` (empty cell) or ``Styled(value, style)``,
where style ``percent`` shows a fraction as a whole percent (0.5 as 50%). Strings are always written as text, never as
formulas, links or numbers; characters XML 1.0 cannot carry (C0 controls other than tab,
newline and return) become U+FFFD. Formula-injection neutralisation is the caller's job
(``text=``, see ``live.reports.export``) so that CSV and XLSX agree.
"""

from __future__ import annotations

import datetime
import io
import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import xlsxwriter

__all__ = ["Sheet", "Styled", "write_workbook"]

Style = Literal["header", "correct", "wrong", "percent"]
_CREATED = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STYLES: dict[str, dict[str, Any]] = {
    "header": {"bold": True, "bottom": 1},
    "correct": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "wrong": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "percent": {"num_format": "0%"},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm:ss"},
}


@dataclass(frozen=True, slots=True)
class Styled:
    value: Any
    style: Style


@dataclass
class Sheet:
    """One worksheet: a header row (frozen) and data rows."""

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] | None = None  # None: from the header and the first rows
    freeze_columns: int = 0


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: 1-31 characters, none of []:*?/\\, unique ignoring case."""
    clean = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "Sheet"
    base, i = clean, 2
    while clean.lower() in used:
        suffix = f" ({i})"
        clean = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(clean.lower())
    return clean


def _display_len(value: Any) -> int:
    if isinstance(value, Styled):
        value = value.value
    return 0 if value is None else len(str(value))


def _cell(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(_ILLEGAL.sub("\ufffd", value))
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_rows(
    ws: Any,
    rows: Iterable[Sequence[Any]],
    string: Callable[[str], str],
    convert: Callable[[str], str],
    formats: dict[str, Any],
) -> None:
    """Rows from the second sheet row on, each value by its exact type (the hot loop of a
    year's export: a million cells, so no generic ``write`` dispatch per cell)."""
    write_string, write_number = ws.write_string, ws.write_number
    write_boolean, write = ws.write_boolean, ws.write
    write_datetime, when = ws.write_datetime, formats["datetime"]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if value:  # an empty text is an empty cell
                    write_string(r, c, string(value))
            elif kind is int:
                write_number(r, c, value)
            elif kind is float:
                if math.isfinite(value):
                    write_number(r, c, value)
            elif kind is bool:
                write_boolean(r, c, value)
            elif kind is datetime.datetime:
                write_datetime(r, c, value, when)
            elif kind is Styled:
                v = value.value
                cell = string(v) if isinstance(v, str) else _cell(v, convert)
                write(r, c, cell, formats[value.style])
            elif value is not None:
                write(r, c, _cell(value, convert))


def write_workbook(sheets: Sequence[Sheet], *, text: Callable[[str], str] | None = None) -> bytes:
    """The XLSX bytes of ``sheets`` (at least one); ``text`` is applied to every string,
    e.g. formula-injection neutralisation. ``ValueError`` for no sheets."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    convert = text or (lambda s: s)
    cache: dict[str, str] = {}

    def string(s: str) -> str:
        out = cache.get(s)
        if out is None:
            out = cache[s] = _cell(s, convert)
        return out

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": False,
        },
    )
    # a fixed creation time keeps the writer pure (no clock) and its bytes repeatable
    book.set_properties({"created": _CREATED})
    formats = {name: book.add_format(spec) for name, spec in _STYLES.items()}
    used: set[str] = set()
    for sheet in sheets:
        ws = book.add_worksheet(_sheet_name(sheet.name, used))
        rows = iter(sheet.rows)
        sample: list[Sequence[Any]] = []
        for row in rows:
            sample.append(row)
            if len(sample) >= 200:
                break
        widths = list(sheet.widths or [])
        if not widths:
            ncols = max([len(sheet.header), *(len(r) for r in sample)])
            for i in range(ncols):
                longest = max(
                    [len(sheet.header[i]) if i < len(sheet.header) else 0]
                    + [_display_len(r[i]) for r in sample if i < len(r)]
                )
                widths.append(min(max(longest + 2, 6), 50))
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        ws.freeze_panes(1, sheet.freeze_columns)
        ws.write_row(0, 0, [string(h) for h in sheet.header], formats["header"])
        _write_rows(ws, itertools.chain(sample, rows), string, convert, formats)
    book.close()
    return buf.getvalue()
