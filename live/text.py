"""What text a person may give a name, a prompt or a note: the rule every way in applies.

A *name* (class, student, group, set, a choice, a skill) is one line: no control characters
(C0, DEL, C1) and at least one character that is not white space. A *text* (a prompt, a note,
a goal) may also hold tabs and line breaks. Neither may hold a lone surrogate (it is not a
character and cannot be stored as UTF-8); the JSON parser already refuses one in a body, and
``check_name`` refuses one in anything else (an imported file, a query string).

The patterns are written out character by character rather than with ``\\s`` or ``\\S``, whose
meaning differs between Python's ``re``, the Rust regex engine that validates bodies and
JSON Schema's ECMA-262 dialect: the OpenAPI document carries these same patterns, so the server
and every client that reads the schema agree on each string. Their white space is exactly
Python's ``str.isspace``, so ``str.strip`` removes just what they count as blank.
"""

from __future__ import annotations

import re

from live.errors import BadRequest

__all__ = [
    "NAME_PATTERN",
    "OPTIONAL_EMAIL_PATTERN",
    "OPTIONAL_NAME_PATTERN",
    "OPTIONAL_TEXT_PATTERN",
    "TEXT_PATTERN",
    "check_name",
    "email_problem",
    "name_problem",
    "text_problem",
]

_CONTROL = r"\x00-\x1f\x7f-\x9f"
_TEXT_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # tab, line feed and return allowed
# str.isspace beyond the control ranges above: space, no-break space and the Unicode spaces
_SPACE = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

NAME_PATTERN = rf"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
"""One line, no control characters, not blank."""
OPTIONAL_NAME_PATTERN = rf"^[^{_CONTROL}]*$"
"""One line, no control characters; may be empty."""
TEXT_PATTERN = rf"^[^{_TEXT_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_TEXT_CONTROL}]*$"
"""Lines of text (tabs and line breaks allowed), no other control characters, not blank."""
OPTIONAL_TEXT_PATTERN = rf"^[^{_TEXT_CONTROL}]*$"
"""Lines of text that may be empty or blank."""

# an email address as a roster holds one: something, an @, a domain with a dot; no spaces or
# control characters. Deliberately loose (the school's systems own the address); the same
# pattern is the request bodies' JSON Schema, so the schema and the server agree.
_ADDRESS = r"[^@\x00-\x20\x7f-\x9f]+"
OPTIONAL_EMAIL_PATTERN = rf"^({_ADDRESS}@{_ADDRESS}\.{_ADDRESS})?$"
"""An email address (local part, @, a domain with a dot), or empty."""

_NAME = re.compile(NAME_PATTERN)
_EMAIL = re.compile(OPTIONAL_EMAIL_PATTERN)
_TEXT = re.compile(TEXT_PATTERN)


def name_problem(text: str) -> str | None:
    """Why ``text`` cannot be a name, or None when it can."""
    return _problem(_NAME, text)


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a prompt (lines of text, not blank), or None when it can."""
    return _problem(_TEXT, text)


def _problem(pattern: re.Pattern[str], text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate, which is not a character"
    if pattern.fullmatch(text) is None:  # fullmatch: re's $ would let a final "\n" through
        if not text.strip():
            return "is blank"
        return "contains a control character"
    return None


def check_name(text: str, field: str) -> str:
    """``text`` with white space stripped from its ends; ``BadRequest`` naming ``field`` if it
    breaks the rule of a name."""
    problem = name_problem(text)
    if problem is not None:
        raise BadRequest(f"{field} {problem}")
    return text.strip()


def email_problem(text: str) -> str | None:
    """Why ``text`` cannot be an email address, or None when it can (empty is no address)."""
    if len(text) > 254:
        return "is longer than 254 characters"
    if not _EMAIL.fullmatch(text):  # fullmatch: "$" alone would let a final newline by
        return "is not an email address (name@school.example)"
    return None
