"""axe-core (bundled by ``axe-playwright-python``: nothing is fetched at run time) on a page as it
is now, against WCAG 2.1 A and AA and axe's best practices.

A test calls ``assert_accessible(page, "what the page shows")`` at each state worth checking: it
fails on any violation not listed in ``ACCEPTED``, and on any serious or critical one whatever the
list says. A new page needs nothing else (docs/accessibility.md).
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

# WCAG 2.0 and 2.1, levels A and AA, and axe's best practices (landmarks, headings, ...)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}

# rule id -> why it is accepted; the README lists the same. Never a serious or critical one.
ACCEPTED: dict[str, str] = {}

_AXE = Axe()
CHECKED: list[str] = []  # the states checked in this run, in order (for the closing summary)


def violations(page: Any, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """axe's violations on ``page`` now; ``exclude``: CSS selectors of parts not to check."""
    context = {"exclude": [[s] for s in exclude]} if exclude else None
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    result = _AXE.run(page, context=context, options=options)
    return list(result.response["violations"])


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Any, state: str, exclude: list[str] | None = None) -> None:
    """No violation on ``page`` that is serious, critical, or not accepted in ``ACCEPTED``."""
    found = violations(page, exclude)
    CHECKED.append(state)
    failing = [v for v in found if v["impact"] in BLOCKING or v["id"] not in ACCEPTED]
    assert not failing, f"{state}: {len(failing)} accessibility violations\n{describe(failing)}"
