"""Store calls off the event loop: a worker pool around the sync store, or an async driver?

The same small read (one class by id, the shape of ``GET /api/classes/{id}``) issued by C
concurrent coroutines for a fixed number of calls, four ways:

- ``on loop``: the sync store called on the event loop (how it was): the baseline;
- ``pool``: the sync store through ``live.store.calls.StoreCalls`` (8 worker threads);
- ``async psycopg``: SQLAlchemy's asyncio engine on psycopg 3's async connection
  (PostgreSQL only: SQLite's async drivers run sqlite3 on a thread per connection, which is the
  pool again with another dependency);

printing calls per second, per-call p50/p99, and the event loop's worst lag (a 5 ms timer's
largest delay) while they run: the lag is what every other socket of the process feels.

    python -m bench.storecalls [--calls 2000] [--concurrency 1 16] [--pg postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from live.store import Store
from live.store.calls import StoreCalls
from live.store.tables import classes

Call = Callable[[int], Awaitable[object]]


async def _measure(call: Call, ids: list[int], calls: int, concurrency: int) -> tuple[float, ...]:
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - t - 0.005)

    per_call: list[float] = []
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            t = time.perf_counter()
            await call(ids[left % len(ids)])
            per_call.append(time.perf_counter() - t)

    tick = asyncio.ensure_future(ticker())
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    stop.set()
    await tick
    ordered = sorted(per_call)
    return (
        calls / elapsed,
        statistics.median(ordered) * 1000,
        ordered[int(0.99 * (len(ordered) - 1))] * 1000,
        max(lags, default=0.0) * 1000,
    )


def _seed(store: Store) -> list[int]:
    return [store.create_class(f"Class {i}", now=1.0)["id"] for i in range(50)]


async def _run(db: str, label: str, calls: int, concurrencies: list[int]) -> list[tuple]:
    store = Store(db)
    ids = _seed(store)
    pool = StoreCalls(store, threads=8)
    ways: list[tuple[str, Call]] = [
        ("on loop (before)", lambda i: _now(store.report_class(i))),
        ("pool, 8 threads", lambda i: pool.report_class(i)),
    ]
    engine = None
    if label == "PostgreSQL":
        engine = create_async_engine(store.url, pool_size=8, max_overflow=0)

        async def async_read(i: int) -> object:
            assert engine is not None
            async with engine.connect() as conn:
                result = await conn.execute(
                    select(classes.c.id, classes.c.name).where(classes.c.id == i)
                )
                return result.mappings().first()

        ways.append(("async psycopg", async_read))
    rows = []
    for concurrency in concurrencies:
        for name, call in ways:
            await _measure(call, ids, min(200, calls), concurrency)  # warm up
            rows.append((label, name, concurrency, *await _measure(call, ids, calls, concurrency)))
    pool.close()
    if engine is not None:
        await engine.dispose()
    store.close()
    return rows


async def _now(value: object) -> object:
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += asyncio.run(
            _run(str(Path(tmp) / "bench.sqlite3"), "SQLite", args.calls, args.concurrency)
        )
    name = f"cardcheck_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        rows += asyncio.run(_run(f"{args.pg}/{name}", "PostgreSQL", args.calls, args.concurrency))
    finally:
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    print(
        f"\nOne small read ({args.calls} calls per row); the loop's lag is what other sockets feel\n"
    )
    head = ("store", "way", "concurrent", "calls/s", "p50 ms", "p99 ms", "worst loop lag ms")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, way, c, rate, p50, p99, lag in rows:
        print(f"| {label} | {way} | {c} | {rate:,.0f} | {p50:.2f} | {p99:.2f} | {lag:.1f} |")


if __name__ == "__main__":
    main()
