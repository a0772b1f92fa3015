"""Query parameters: each declared once, with what it takes, how it is read and its JSON Schema.

An endpoint names its parameters (``query={"class_id": Id("only this class")}``); the app reads
every declared parameter before the handler runs, so a handler sees values (an ``int``, a
``bool``, a ``date``) or ``None`` for a parameter not given, and a malformed one never reaches
it: the caller gets a ``BadRequest`` that names the parameter. The OpenAPI document shows the
same declaration, so what the schema allows is what the parser accepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from live.errors import BadRequest
from live.ids import MAX_ID, MAX_INT, parse_int
from live.text import NAME_PATTERN, check_name

__all__ = [
    "Choice",
    "Day",
    "Flag",
    "Id",
    "Int",
    "Param",
    "Text",
    "Zone",
    "read_query",
    "time_zones",
]


@dataclass(frozen=True)
class Param:
    """One query parameter. ``parse`` turns its text into a value or raises ``BadRequest``."""

    description: str
    required: bool = False
    code: str | None = None  # the error code of a refusal, when not the usual "invalid"

    def parse(self, name: str, raw: str) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Param):
    """A whole number within bounds (ASCII digits only: see ``live.ids``)."""

    minimum: int = 0
    maximum: int = MAX_INT

    def parse(self, name: str, raw: str) -> int:
        return parse_int(raw, name, minimum=self.minimum, maximum=self.maximum)

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True)
class Id(Int):
    """An id: 1 to ``MAX_ID``."""

    minimum: int = 1
    maximum: int = MAX_ID


@dataclass(frozen=True)
class Flag(Param):
    """``1`` (on) or ``0`` (off, as when absent)."""

    def parse(self, name: str, raw: str) -> bool:
        if raw not in ("0", "1"):
            raise BadRequest(f"{name} must be 1 or 0, not {_shown(raw)}")
        return raw == "1"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": ["0", "1"]}


@dataclass(frozen=True)
class Choice(Param):
    """One of a fixed list of words."""

    options: tuple[str, ...] = ()

    def parse(self, name: str, raw: str) -> str:
        if raw not in self.options:
            raise BadRequest(f"{name} must be one of {', '.join(self.options)}, not {_shown(raw)}")
        return raw

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.options)}


@dataclass(frozen=True)
class Text(Param):
    """Free text up to ``max_len`` characters. ``name=True`` holds it to the rule of a name
    (``live.text``: no control characters, not blank) and strips it; ``pattern`` is a regular
    expression it must contain a match of (JSON Schema's sense), with ``hint`` saying what."""

    max_len: int = 200
    name: bool = False
    pattern: str | None = None
    hint: str = ""

    def parse(self, name: str, raw: str) -> str:
        if len(raw) > self.max_len:
            raise BadRequest(f"{name} must be at most {self.max_len} characters")
        if self.pattern is not None and re.search(self.pattern, raw) is None:
            raise BadRequest(f"{name} {self.hint or 'does not have the expected form'}")
        if self.name:
            return check_name(raw, name)
        return raw

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "maxLength": self.max_len}
        if self.name:
            out |= {"minLength": 1, "pattern": NAME_PATTERN}
        elif self.pattern is not None:
            out["pattern"] = self.pattern
        return out


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Day(Param):
    """A calendar day, ``YYYY-MM-DD``."""

    def parse(self, name: str, raw: str) -> date:
        try:
            if _DAY.fullmatch(raw) is None:
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            raise BadRequest(f"{name} must be a date like 2024-09-02, not {_shown(raw)}") from None

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA zone names this machine knows, sorted."""
    return tuple(sorted(available_timezones()))


@dataclass(frozen=True)
class Zone(Param):
    """An IANA time zone name such as ``Europe/Berlin`` (the OpenAPI document lists them)."""

    def parse(self, name: str, raw: str) -> str:
        if raw not in time_zones():
            raise BadRequest(
                f"unknown time zone {_shown(raw)} for {name}; use a name like Europe/Berlin"
            )
        return raw

    def schema(self) -> dict[str, Any]:
        return {"$ref": "#/components/schemas/TimeZone"}


def read_query(declared: Mapping[str, Param], query: Mapping[str, str]) -> dict[str, Any]:
    """Every declared parameter's value (``None`` when absent), or ``BadRequest``.

    An empty value is a value like any other (``?class_id=`` is not a number). Undeclared
    parameters (``token``) are left alone.
    """
    out: dict[str, Any] = {}
    for name, param in declared.items():
        raw = query.get(name)
        if raw is None:
            if param.required:
                raise BadRequest(f"{name} is required: {param.description}")
            out[name] = None
        else:
            try:
                out[name] = param.parse(name, raw)
            except BadRequest as exc:
                if param.code is not None:
                    exc.code = param.code
                raise
    return out


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "...")
