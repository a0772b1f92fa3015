"""The layout states the architecture: few modules at the top of ``live``, SQL only in the store.

The direction of imports between rooms is checked by import-linter (``lint-imports`` in
``make test``, contracts in ``pyproject.toml``); these tests check what it cannot see.
"""

from __future__ import annotations

import re
from pathlib import Path

LIVE = Path(__file__).resolve().parent.parent / "live"
ROOMS = {"cli", "demo", "http", "realtime", "reports", "rules", "store"}
SQL = re.compile(r"\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|PRAGMA)\b")


def test_live_has_few_modules_at_its_top_and_one_room_per_concern() -> None:
    modules = sorted(p.name for p in LIVE.glob("*.py"))
    rooms = {p.name for p in LIVE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert len(modules) <= 8, modules
    assert rooms == ROOMS


def test_every_room_says_what_it_holds() -> None:
    for room in ROOMS:
        doc = (LIVE / room / "__init__.py").read_text()
        assert doc.startswith('"""') and len(doc) > 80, room


def test_no_sql_outside_the_store() -> None:
    offenders = [
        f"{path.relative_to(LIVE.parent)}:{n}"
        for path in LIVE.rglob("*.py")
        if "store" not in path.relative_to(LIVE).parts[:1]
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if SQL.search(line)
    ]
    assert offenders == []
