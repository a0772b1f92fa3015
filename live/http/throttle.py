"""Sign-in attempts slowed after failures, per account and per address. Pure: ``now`` is an
argument, nothing is read from the clock.

The first ``free`` failures of a key cost nothing; after them each attempt must wait twice as
long as the one before (1 s, 2 s, 4 s ... up to ``longest``), so a guesser gets a few hundred
tries a day per account and per address while a teacher who mistypes is not held up. A success
clears the account's count and the address's. Keys idle for ``forget_after`` seconds are
forgotten, and at most ``max_keys`` are kept (the oldest go first), so the table cannot grow
without bound. One table per process: several workers each keep their own, which multiplies
the attempts by the number of workers, a small factor on a doubling delay.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["Throttle"]


@dataclass
class _Failures:
    count: int
    last: float


class Throttle:
    """Failures per key (``"user:ada"``, ``"addr:10.0.0.7"``) and the wait they impose."""

    def __init__(
        self,
        *,
        free: int = 5,
        longest: float = 300.0,
        forget_after: float = 3600.0,
        max_keys: int = 10_000,
    ) -> None:
        self.free = free
        self.longest = longest
        self.forget_after = forget_after
        self.max_keys = max_keys
        self._keys: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, keys: list[str], *, now: float) -> float:
        """Seconds before an attempt on any of ``keys`` is heard (0: at once)."""
        longest = 0.0
        for key in keys:
            f = self._keys.get(key)
            if f is None or now - f.last >= self.forget_after:
                continue
            if f.count >= self.free:
                delay = min(self.longest, 2.0 ** (f.count - self.free))
                longest = max(longest, f.last + delay - now)
        return max(0.0, longest)

    def retry_after(self, keys: list[str], *, now: float) -> int:
        """``wait`` in whole seconds, rounded up (for ``Retry-After``)."""
        return math.ceil(self.wait(keys, now=now))

    def failed(self, keys: list[str], *, now: float) -> None:
        for key in keys:
            f = self._keys.pop(key, None)
            if f is None or now - f.last >= self.forget_after:
                f = _Failures(0, now)
            f.count, f.last = f.count + 1, now
            self._keys[key] = f  # the most recent last
        while len(self._keys) > self.max_keys:
            self._keys.popitem(last=False)

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self._keys.pop(key, None)
