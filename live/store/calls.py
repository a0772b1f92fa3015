"""Store calls off the event loop: a bounded pool of worker threads and a bounded wait.

The store is synchronous (SQLAlchemy Core on sqlite3 or psycopg); the service is one asyncio
event loop per process. A store call made on the loop stops every socket of the process while
the database makes it wait (another process holding SQLite's write lock, a PostgreSQL row lock,
a slow disk), so every call from the service runs here instead:

- ``await calls.run(store.method, *args)`` runs it on one of ``threads`` worker threads;
- ``await calls.method(*args)`` is the same, spelled like the store's own method;
- waiting for a free worker is bounded by ``wait_s``, and the database's own waits are bounded
  by the store's ``busy_timeout`` (SQLite) or ``lock_timeout`` (PostgreSQL); either ends in
  ``Unavailable`` (503 with ``Retry-After``) with nothing changed, never in a 500.

``threads=0`` runs calls on the loop, as before this module existed: for measuring the
difference (``bench/lockprobe.py``) and nothing else.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from live.errors import Unavailable
from live.store import Store

__all__ = ["StoreCalls"]

P = ParamSpec("P")
T = TypeVar("T")


class StoreCalls:
    """Runs the calls of ``store`` on a bounded pool of threads; see the module docstring."""

    def __init__(self, store: Store, *, threads: int = 8, wait_s: float = 5.0) -> None:
        self.store = store
        self.threads = threads
        self.wait_s = wait_s
        self._pool = (
            ThreadPoolExecutor(threads, thread_name_prefix="cardcheck-store") if threads else None
        )
        self._slots = asyncio.Semaphore(max(threads, 1))

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` on a worker thread; ``Unavailable`` when no worker is free
        within ``wait_s``. Exceptions of ``fn`` are raised here as they are."""
        if self._pool is None:
            return fn(*args, **kwargs)
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait_s)
        except TimeoutError:
            raise Unavailable(
                f"the database is busy: no worker was free within {self.wait_s:g} s"
            ) from None
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
        finally:
            self._slots.release()

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self.store, name)
        if not callable(method):
            raise AttributeError(f"{name} is not a method of the store")

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self.run(method, *args, **kwargs)

        call.__name__ = name
        return call

    def close(self) -> None:
        """Wait for the calls under way, then stop the threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
