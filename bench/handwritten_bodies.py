"""The hand-written body parser cardcheck used before ``live.http.bodies`` (pydantic models),
kept unchanged as the baseline of ``bench/bodies.py``. Not used by the service.

Request bodies: declared once, parsed strictly, described for OpenAPI.

A ``Body`` is a set of named ``Field``s. ``Body.parse`` takes decoded JSON and returns a plain
dict or raises ``BadRequest`` with a message that names the field; ``Body.schema`` gives the
JSON Schema the OpenAPI document shows. No field is ever trusted unchecked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from live.errors import BadRequest

__all__ = ["Body", "Bool", "Choice", "Field", "Int", "IntList", "Str", "StrList"]

_MISSING = object()


@dataclass(frozen=True)
class Field:
    """One field; ``required`` fields must be present unless parsing a partial update."""

    required: bool = True
    nullable: bool = False
    description: str = ""

    def check(self, name: str, value: Any) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def _schema(self, s: dict[str, Any]) -> dict[str, Any]:
        if self.nullable:
            s = {"anyOf": [s, {"type": "null"}]}
        if self.description:
            s["description"] = self.description
        return s


@dataclass(frozen=True)
class Str(Field):
    min_len: int = 1
    max_len: int = 200

    def check(self, name: str, value: Any) -> Any:
        if not isinstance(value, str):
            raise BadRequest(f"{name} must be a string")
        value = value.strip()
        if not self.min_len <= len(value) <= self.max_len:
            raise BadRequest(f"{name} must be {self.min_len} to {self.max_len} characters")
        return value

    def schema(self) -> dict[str, Any]:
        return self._schema(
            {"type": "string", "minLength": self.min_len, "maxLength": self.max_len}
        )


@dataclass(frozen=True)
class Int(Field):
    minimum: int = 1
    maximum: int = 2**53

    def check(self, name: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"{name} must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise BadRequest(f"{name} must be between {self.minimum} and {self.maximum}")
        return value

    def schema(self) -> dict[str, Any]:
        return self._schema({"type": "integer", "minimum": self.minimum, "maximum": self.maximum})


@dataclass(frozen=True)
class Bool(Field):
    def check(self, name: str, value: Any) -> Any:
        if not isinstance(value, bool):
            raise BadRequest(f"{name} must be true or false")
        return value

    def schema(self) -> dict[str, Any]:
        return self._schema({"type": "boolean"})


@dataclass(frozen=True)
class Choice(Field):
    options: tuple[str, ...] = ()

    def check(self, name: str, value: Any) -> Any:
        if value not in self.options:
            raise BadRequest(f"{name} must be one of {', '.join(self.options)}")
        return value

    def schema(self) -> dict[str, Any]:
        return self._schema({"type": "string", "enum": list(self.options)})


@dataclass(frozen=True)
class StrList(Field):
    min_items: int = 0
    max_items: int = 50
    item_max_len: int = 200

    def check(self, name: str, value: Any) -> Any:
        if not isinstance(value, list):
            raise BadRequest(f"{name} must be a list of strings")
        if not self.min_items <= len(value) <= self.max_items:
            raise BadRequest(f"{name} must have {self.min_items} to {self.max_items} items")
        item = Str(max_len=self.item_max_len)
        return [item.check(f"{name}[{i}]", v) for i, v in enumerate(value)]

    def schema(self) -> dict[str, Any]:
        return self._schema(
            {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": self.item_max_len},
                "minItems": self.min_items,
                "maxItems": self.max_items,
            }
        )


@dataclass(frozen=True)
class IntList(Field):
    max_items: int = 500

    def check(self, name: str, value: Any) -> Any:
        if not isinstance(value, list) or len(value) > self.max_items:
            raise BadRequest(f"{name} must be a list of at most {self.max_items} ids")
        return [Int().check(f"{name}[{i}]", v) for i, v in enumerate(value)]

    def schema(self) -> dict[str, Any]:
        return self._schema(
            {
                "type": "array",
                "items": {"type": "integer", "minimum": 1},
                "maxItems": self.max_items,
            }
        )


class Body:
    """A JSON object body made of named fields; unknown keys are refused."""

    def __init__(self, **fields: Field) -> None:
        self.fields = fields

    def parse(self, raw: Any, *, partial: bool = False) -> dict[str, Any]:
        """Check ``raw`` (decoded JSON); ``partial`` makes every field optional (PATCH)."""
        if not isinstance(raw, dict):
            raise BadRequest("the body must be a JSON object")
        unknown = sorted(set(raw) - set(self.fields))
        if unknown:
            raise BadRequest(f"unknown field {unknown[0]!r}; expected {', '.join(self.fields)}")
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            value = raw.get(name, _MISSING)
            if value is _MISSING:
                if spec.required and not partial:
                    raise BadRequest(f"{name} is required")
                continue
            if value is None:
                if not spec.nullable:
                    raise BadRequest(f"{name} may not be null")
                out[name] = None
                continue
            out[name] = spec.check(name, value)
        if partial and not out:
            raise BadRequest(f"nothing to change; send one of {', '.join(self.fields)}")
        return out

    def schema(self, *, partial: bool = False) -> dict[str, Any]:
        required: Sequence[str] = (
            [] if partial else [n for n, f in self.fields.items() if f.required]
        )
        s: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {n: f.schema() for n, f in self.fields.items()},
        }
        if required:
            s["required"] = list(required)
        return s
