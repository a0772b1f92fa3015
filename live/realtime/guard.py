"""Is this scanner reading the session's class? A pure judgement over the cards read lately.

A teacher sweeping a room watches the students, not the names in the boxes. When the scanner's
session belongs to another class than the room (the wrong link, a phone left on another class's
session), most cards it reads belong to no student of the session's class, and ``ClassGuard``
says so, so that the scanner page and the console can say it plainly. Each card counts once
over the last ``window_s`` seconds (one sweep), and a verdict needs ``min_cards`` cards, so one
stray card never trips it; it stands until the cards read say otherwise.

What it cannot see: card numbers are shared between classes (one printed set, cards 1-30, serves
every class), so the cards of a class whose roster uses the same numbers look like this class's.
The guard catches cards outside the session's roster; the scanner's header names the class.
No I/O, no clock: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["ClassGuard", "Verdict"]


@dataclass(frozen=True)
class Verdict:
    """``wrong`` when most of the ``seen`` cards read lately are ``foreign`` (held by no student
    of the session's class)."""

    wrong: bool
    foreign: int
    seen: int


@dataclass
class ClassGuard:
    """The cards one scanner read in the last ``window_s`` seconds, and the verdict on them."""

    window_s: float = 6.0
    min_cards: int = 3
    wrong: bool = False
    _seen: dict[int, tuple[float, bool]] = field(default_factory=dict)  # card -> (at, foreign)

    def observe(self, cards: Iterable[tuple[int, bool]], now: float) -> tuple[Verdict, bool]:
        """Take one frame's ``(card, foreign)`` reads at ``now``; the verdict, and whether it
        changed with this frame."""
        for card, foreign in cards:
            self._seen[card] = (now, foreign)
        horizon = now - self.window_s
        self._seen = {c: v for c, v in self._seen.items() if v[0] >= horizon}
        seen = len(self._seen)
        n_foreign = sum(1 for _, f in self._seen.values() if f)
        before = self.wrong
        if seen >= self.min_cards:
            self.wrong = 2 * n_foreign > seen
        return Verdict(self.wrong, n_foreign, seen), self.wrong != before
