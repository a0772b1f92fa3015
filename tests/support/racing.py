"""Several processes doing one thing at the same moment: a spawn-safe worker and its runner."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["race"]


def _worker(barrier: Any, job: Callable[[Any], Any], args: Sequence[Any], out: Any) -> None:
    results = []
    for arg in args:
        barrier.wait(timeout=120)
        try:
            results.append(("ok", job(arg)))
        except Exception as e:  # the test reports what each process met
            results.append(("error", f"{type(e).__name__}: {e}"[:300]))
    out.put(results)


def race(processes: int, job: Callable[[Any], Any], args: Sequence[Any]) -> list[list[Any]]:
    """Run ``job(arg)`` in ``processes`` new processes for each ``arg`` in turn, all of them
    released at once for each; per process, the list of ``("ok", result)`` or
    ``("error", text)``. ``job`` must be a module-level function (processes are spawned)."""
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(barrier, job, list(args), out)) for _ in range(processes)
    ]
    for w in workers:
        w.start()
    results = [out.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    return results
