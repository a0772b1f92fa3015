"""Skill progressions as files: TOML and CSV, read into the body ``POST /api/progressions``
takes, and written back from a stored progression. Pure: text in, dicts out.

TOML::

    name = "Adding fractions"
    subject = "Mathematics"            # optional
    description = "..."                # optional

    [[steps]]                          # in order, the first step first
    name = "Adds fractions with the same denominator"
    description = "..."                # optional
    prompts = ["Show me ...", "..."]   # optional: what the teacher may ask in a conference

CSV: a header row, then one step per row, in order. Columns (header matching ignores case,
spaces, ``_`` and ``-``): ``progression`` (its name: given on the first row, the same or empty
on the others), ``subject``, ``step`` (the step's number: 1, 2, ... as the rows go; optional),
``name``, ``description``, ``prompts`` (one prompt per line of the cell, or split on ``|``).

Readers check the file's shape (``ValueError`` with the line); the values are checked by the
same model as a JSON body, and ``lines`` maps each step to its line for those messages.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import tomli_w

from live.reports.roster import csv_rows

__all__ = [
    "EXAMPLES",
    "ProgressionFile",
    "example_progressions",
    "progression_csv",
    "progression_toml",
    "read_progression",
]

EXAMPLES = ("adding-fractions.toml", "information-texts.toml")
"""The example progressions shipped in ``live/reports/progressions``, written for cardcheck."""

_COLUMNS = {
    "progression": "progression",
    "subject": "subject",
    "step": "step",
    "number": "step",
    "name": "name",
    "stepname": "name",
    "description": "description",
    "prompts": "prompts",
    "prompt": "prompts",
}
_MAX_STEPS = 30


@dataclass(frozen=True)
class ProgressionFile:
    """A progression read from a file: ``body`` in the shape of the JSON body, and the line of
    each step (TOML: the ``[[steps]]`` table's order; CSV: the row)."""

    body: dict[str, Any]
    lines: list[int]


def read_progression(raw: bytes, fmt: str) -> ProgressionFile:
    """Read a progression from ``raw`` in ``fmt`` (``toml`` or ``csv``); ``ValueError`` when
    the file is not of that shape (not UTF-8, not TOML, no name column, ...)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text") from None
    if fmt == "toml":
        return _read_toml(text)
    if fmt == "csv":
        return _read_csv(text)
    raise ValueError(f"unknown format {fmt!r}; use toml or csv")


def _read_toml(text: str) -> ProgressionFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays by recursion
        raise ValueError("the TOML nests too deeply for a progression") from None
    steps = data.get("steps", data.pop("step", None))
    if steps is not None:
        data["steps"] = steps
    lines = list(range(1, len(steps) + 1)) if isinstance(steps, list) else []
    return ProgressionFile(data, lines)


def _key(header: str) -> str:
    return "".join(ch for ch in header.lower() if ch not in " _-")


def _read_csv(text: str) -> ProgressionFile:
    rows = list(csv_rows(text))
    if not rows:
        raise ValueError("the file is empty")
    header = [_COLUMNS.get(_key(h)) for h in rows[0]]
    if "name" not in header:
        raise ValueError("line 1: no name column (the step's name); nothing was imported")
    names: list[str] = []
    subject = ""
    steps: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {k: v.strip() for k, v in zip(header, row, strict=False) if k is not None}
        if not any(cells.values()):
            continue
        if cells.get("progression"):
            names.append(cells["progression"])
        subject = subject or cells.get("subject", "")
        position = cells.get("step", "")
        if position and position != str(len(steps) + 1):
            raise ValueError(
                f"line {number}: step {position!r} out of order; the rows are the steps"
                f" in order, numbered from 1"
            )
        prompts = cells.get("prompts", "").replace("|", "\n").splitlines()
        steps.append(
            {
                "name": cells.get("name", ""),
                "description": cells.get("description", ""),
                "prompts": [p.strip() for p in prompts if p.strip()],
            }
        )
        lines.append(number)
        if len(steps) > _MAX_STEPS:
            raise ValueError(f"line {number}: a progression has at most {_MAX_STEPS} steps")
    if len(set(names)) > 1:
        raise ValueError(
            f"the rows name {len(set(names))} progressions ({', '.join(sorted(set(names)))});"
            " a file holds one"
        )
    body: dict[str, Any] = {"name": names[0] if names else "", "steps": steps}
    if subject:
        body["subject"] = subject
    return ProgressionFile(body, lines)


def progression_toml(progression: dict[str, Any]) -> bytes:
    """A stored progression as TOML that ``read_progression`` reads back."""
    doc: dict[str, Any] = {"name": progression["name"]}
    if progression.get("subject"):
        doc["subject"] = progression["subject"]
    if progression.get("description"):
        doc["description"] = progression["description"]
    doc["steps"] = [
        {
            "name": s["name"],
            **({"description": s["description"]} if s.get("description") else {}),
            **({"prompts": list(s["prompts"])} if s.get("prompts") else {}),
        }
        for s in progression["steps"]
    ]
    return tomli_w.dumps(doc, multiline_strings=True).encode("utf-8")


def progression_csv(progression: dict[str, Any]) -> bytes:
    """A stored progression as CSV (one step per row) that ``read_progression`` reads back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["progression", "subject", "step", "name", "description", "prompts"])
    for s in progression["steps"]:
        first = s["position"] == 1
        writer.writerow(
            [
                progression["name"] if first else "",
                progression.get("subject", "") if first else "",
                s["position"],
                s["name"],
                s.get("description", ""),
                "\n".join(s.get("prompts", [])),
            ]
        )
    return out.getvalue().encode("utf-8")


def example_progressions() -> list[ProgressionFile]:
    """The example progressions, as read from their TOML files."""
    folder = resources.files("live.reports").joinpath("progressions")
    return [read_progression(folder.joinpath(name).read_bytes(), "toml") for name in EXAMPLES]
