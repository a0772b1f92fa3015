"""Benchmark: the cost of checking a request body, three ways, on the hot paths.

Run from the repository root: ``.venv/bin/python -m bench.bodies [--rounds N]``.

Each row turns the raw bytes of a request body into the checked dict a handler gets:
``handwritten`` is the parser cardcheck had before (``json.loads`` then field-by-field checks,
kept in ``bench/handwritten_bodies.py``), ``pydantic`` is ``live.http.bodies.parse`` as the
service runs it (pydantic v2's Rust core parses and checks in one pass), ``msgspec`` is the
same rules declared as ``msgspec.Struct`` types. The bodies: a manual answer
(``PUT /api/sessions/{id}/responses/{sid}``, the busiest write during a lesson), a new student
(``POST /api/classes/{id}/students``), and a refused one (a student without a name). Times are
the median of ``--rounds`` rounds of 20,000 calls, in microseconds per body.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import timeit
from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec

from bench import handwritten_bodies as old
from live.errors import BadRequest
from live.http import bodies
from live.text import NAME_PATTERN

OLD_ANSWER = old.Body(answer=old.Choice(options=("A", "B", "C", "D")))
OLD_STUDENT = old.Body(
    name=old.Str(max_len=200),
    card=old.Int(required=False, nullable=True, maximum=64),
    active=old.Bool(required=False),
)


class MsgAnswer(msgspec.Struct, forbid_unknown_fields=True):
    answer: Literal["A", "B", "C", "D"]


class MsgStudent(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NAME_PATTERN)]
    card: Annotated[int, msgspec.Meta(ge=1, le=64)] | None = None
    active: bool = True


def handwritten(body: old.Body) -> Callable[[bytes], dict[str, Any]]:
    def parse(raw: bytes) -> dict[str, Any]:
        return body.parse(json.loads(raw))

    return parse


def with_pydantic(model: type[bodies.Body]) -> Callable[[bytes], dict[str, Any]]:
    return lambda raw: bodies.parse(model, raw)


def with_msgspec(struct: type[msgspec.Struct]) -> Callable[[bytes], dict[str, Any]]:
    decoder = msgspec.json.Decoder(struct)

    def parse(raw: bytes) -> dict[str, Any]:
        value: dict[str, Any] = msgspec.structs.asdict(decoder.decode(raw))
        return value

    return parse


CASES: list[tuple[str, bytes, dict[str, Callable[[bytes], dict[str, Any]]]]] = [
    (
        "PUT .../responses/{sid}",
        b'{"answer": "B"}',
        {
            "handwritten": handwritten(OLD_ANSWER),
            "pydantic": with_pydantic(bodies.Answer),
            "msgspec": with_msgspec(MsgAnswer),
        },
    ),
    (
        "POST .../students",
        b'{"name": "Ada Lovelace", "card": 7}',
        {
            "handwritten": handwritten(OLD_STUDENT),
            "pydantic": with_pydantic(bodies.StudentBody),
            "msgspec": with_msgspec(MsgStudent),
        },
    ),
    (
        "POST .../students, refused",
        b'{"card": 7}',
        {
            "handwritten": handwritten(OLD_STUDENT),
            "pydantic": with_pydantic(bodies.StudentBody),
            "msgspec": with_msgspec(MsgStudent),
        },
    ),
]


def per_call_us(parse: Callable[[bytes], Any], raw: bytes, rounds: int, n: int = 20_000) -> float:
    def call() -> None:
        with contextlib.suppress(BadRequest, msgspec.ValidationError):
            parse(raw)

    times = timeit.repeat(call, number=n, repeat=rounds)
    return statistics.median(times) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    names = ["handwritten", "pydantic", "msgspec"]
    print(f"{'body':<28}" + "".join(f"{n + ' us':>15}" for n in names) + f"{'pydantic x':>12}")
    for label, raw, parsers in CASES:
        times = {name: per_call_us(parsers[name], raw, args.rounds) for name in names}
        print(
            f"{label:<28}"
            + "".join(f"{times[n]:15.2f}" for n in names)
            + f"{times['pydantic'] / times['handwritten']:12.2f}"
        )


if __name__ == "__main__":
    main()
