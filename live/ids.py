"""Ids and whole numbers written as text: the one parser for paths, query strings and sockets.

Text is a number here only if it is 1 to 16 ASCII digits (``str.isdigit`` also accepts "²" and
other digits ``int`` refuses, and ``int`` itself accepts "1_000", " 7" and "٣"), optionally with a
zero fraction ("7.0", which JSON Schema counts as the integer 7, and which clients that hold
numbers as floats send), and the value must lie within the bounds the caller names. Ids run from 1 to ``MAX_ID``, the largest integer
an ``INTEGER`` column holds in both stores (PostgreSQL's is 32 bits): a larger one can name
nothing, and handed to PostgreSQL it is an error rather than a miss. A refusal is a ``BadRequest``
that names the parameter and says what it takes.
"""

from __future__ import annotations

import re

from live.errors import BadRequest

__all__ = ["DIGITS", "MAX_ID", "MAX_INT", "parse_id", "parse_int"]

MAX_ID = 2**31 - 1
"""The largest id: 2,147,483,647, the top of an SQL ``INTEGER`` on PostgreSQL and SQLite alike."""
MAX_INT = 2**31 - 1
"""The largest whole number any parameter takes (seq numbers, sizes, counts), for the same reason."""

DIGITS = r"[0-9]{1,16}(?:\.0{1,16})?"
"""A whole number as text, as a regular expression (the path routes use it too)."""
_DIGITS = re.compile(DIGITS)
# 16 digits is more than any bound needs: longer text is refused before it becomes a number


def parse_int(raw: str, name: str, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """``raw`` as an int within ``minimum``..``maximum``; ``BadRequest`` naming ``name``."""
    if _DIGITS.fullmatch(raw) is None:
        shown = raw if len(raw) <= 24 else raw[:24] + "..."
        raise BadRequest(
            f"{name} must be a whole number from {minimum} to {maximum}, not {shown!r}"
        )
    value = int(raw.partition(".")[0])
    if not minimum <= value <= maximum:
        raise BadRequest(f"{name} must be a whole number from {minimum} to {maximum}, not {value}")
    return value


def parse_id(raw: str, name: str) -> int:
    """``raw`` as an id (1 to ``MAX_ID``); ``BadRequest`` naming ``name``."""
    return parse_int(raw, name, minimum=1, maximum=MAX_ID)
