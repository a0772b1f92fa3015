"""The browser tests' closing line: how many page states axe checked (tests/browser/accessibility.py)."""

from __future__ import annotations

from typing import Any

from accessibility import CHECKED, TAGS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CHECKED:
        terminalreporter.write_line(f"axe: {len(CHECKED)} page states checked ({', '.join(TAGS)})")
