"""Per-frame detections in, confirmed answers out: the tracker between the detector and a session.

A single frame is weak evidence: a card seen at a steep angle, half covered or blurred can decode to
the wrong side, and two students can hold up the same number. The tracker therefore keeps, for
every card, its trusted sightings of the last ``window_s`` seconds and confirms an answer only on
agreement. Time is passed in (``now``, seconds on any monotonic clock); nothing here reads a clock.

The evidence rule, for a card whose confirmed answer is ``C`` (or none yet) and a candidate
answer ``X != C``::

    evidence  = trusted sightings in the window, and, when C exists, only those after
                the last sight of C
    confirm X when  count(X in evidence) >= confirm_frames
               and  count(X in evidence) >= majority * len(evidence)

Consequences, each tested in ``tests/test_tracker.py``:

* sightings need not be consecutive: a card missed in some frames of a sweep is still confirmed
  once it has been seen often enough inside the window;
* one frame never flips an answer (``confirm_frames >= 2``), and a flicker (A A B A A) confirms
  the majority, never the outlier;
* a change of mind needs the full evidence again, counted after the old answer was last seen,
  so a card read as A now and then cannot drift to B on accumulated noise (that is the
  hysteresis: keeping an answer costs nothing, changing it costs ``confirm_frames`` clean frames);
* a card number detected twice in one frame is not trusted in that frame: neither sighting counts
  and neither is shown;
* an answer is confirmed only on a frame that reads it, never on a frame that reads another
  answer while older noise happens to leave the window.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from scanner.detection import Corners, Detection

__all__ = ["Confirmation", "TrackUpdate", "TrackedCard", "Tracker"]

TrackState = Literal["new", "confirmed", "changed"]


@dataclass(frozen=True)
class TrackedCard:
    """A card seen in this frame, as the scanner's overlay draws it.

    ``answer`` is the answer read in this frame. ``state`` is ``"new"`` while the card has no
    confirmed answer, ``"confirmed"`` when this frame's answer is the confirmed one, and
    ``"changed"`` when it differs from the confirmed answer and the change is not confirmed yet.
    """

    card: int
    answer: str
    corners: Corners
    state: TrackState


@dataclass(frozen=True)
class Confirmation:
    """An answer that became confirmed on this update; ``previous`` is None the first time."""

    card: int
    answer: str
    previous: str | None


@dataclass(frozen=True)
class TrackUpdate:
    """What one frame changed: the cards to draw and the answers newly confirmed."""

    cards: tuple[TrackedCard, ...]
    confirmations: tuple[Confirmation, ...]


@dataclass
class _Track:
    """One card's memory: its recent trusted sightings and where it was last seen."""

    sightings: deque[tuple[float, str]] = field(default_factory=deque)
    last_seen: float = float("-inf")
    center: tuple[float, float] = (0.0, 0.0)
    side_px: float = 0.0


class Tracker:
    """Turns per-frame detections into confirmed answers, with time passed in.

    ``confirm_frames``: agreeing sightings needed to confirm an answer (at least 2, so that one
    frame never decides). ``majority``: the share of the evidence the answer must hold, in
    (0.5, 1]. ``window_s``: how long a sighting counts as evidence. ``forget_after_s``: a card not
    seen for this long is no longer "recently seen" and drops out of ``hints``; its track is
    discarded once its evidence has expired too. Confirmed answers are kept until ``reset``.
    Raises ``ValueError`` for parameters out of range.

    One tracker follows one camera: ``now`` must not go backwards between calls.
    """

    def __init__(
        self,
        *,
        confirm_frames: int = 3,
        majority: float = 0.7,
        window_s: float = 3.0,
        forget_after_s: float = 1.5,
    ) -> None:
        if confirm_frames < 2:
            raise ValueError(f"confirm_frames must be at least 2, not {confirm_frames}")
        if not 0.5 < majority <= 1.0:
            raise ValueError(f"majority must be in (0.5, 1], not {majority}")
        if not window_s > 0:
            raise ValueError(f"window_s must be positive, not {window_s}")
        if not forget_after_s > 0:
            raise ValueError(f"forget_after_s must be positive, not {forget_after_s}")
        self.confirm_frames = confirm_frames
        self.majority = majority
        self.window_s = window_s
        self.forget_after_s = forget_after_s
        self._tracks: dict[int, _Track] = {}
        self._confirmed: dict[int, str] = {}
        self._now = float("-inf")
        self._flow = (0.0, 0.0)  # px/s, the camera's motion as of the last frame with a card

    def update(self, detections: Sequence[Detection], now: float) -> TrackUpdate:
        """Add one frame's detections, taken at time ``now`` (seconds).

        Returns the cards to draw for this frame (trusted detections only, in the order given)
        and the answers that became confirmed with this frame, by card number.
        Raises ``ValueError`` when ``now`` is earlier than the previous update's.
        """
        self._advance(now)
        per_card = Counter(d.card for d in detections)
        trusted = [d for d in detections if per_card[d.card] == 1]

        confirmations: list[Confirmation] = []
        moves: list[tuple[float, float]] = []
        for det in trusted:
            track = self._tracks.setdefault(det.card, _Track())
            dt = now - track.last_seen
            if 0 < dt <= self.forget_after_s:
                (x0, y0), (x1, y1) = track.center, det.center
                moves.append(((x1 - x0) / dt, (y1 - y0) / dt))
            track.sightings.append((now, det.answer))
            track.last_seen = now
            track.center = det.center
            track.side_px = det.side_px
            answer = self._decide(det.card, track)
            # only a frame that reads the answer confirms it: when old noise expires from the
            # window, a frame reading something else must not confirm the majority behind it
            if answer is not None and answer == det.answer:
                confirmations.append(Confirmation(det.card, answer, self._confirmed.get(det.card)))
                self._confirmed[det.card] = answer

        if moves:  # the camera's motion: cards move together in a pan, the median resists outliers
            xs, ys = sorted(m[0] for m in moves), sorted(m[1] for m in moves)
            self._flow = (xs[len(xs) // 2], ys[len(ys) // 2])
        elif trusted:
            self._flow = (0.0, 0.0)
        cards = tuple(
            TrackedCard(d.card, d.answer, d.corners, self._state(d.card, d.answer)) for d in trusted
        )
        confirmations.sort(key=lambda c: c.card)
        return TrackUpdate(cards, tuple(confirmations))

    def hints(self, now: float) -> list[tuple[float, float, float]]:
        """Where cards seen in the last ``forget_after_s`` seconds should be now: ``(x, y,
        side_px)``, newest first, for the detector to look there first.

        The centre and marker side of each card's latest trusted sighting, moved on by the
        camera's motion since then: the median velocity of the cards seen in two frames, as of
        the last frame that read any card (a pan moves every card the same way; a steady
        camera moves none). Does not change the tracker.
        """
        recent = [t for t in self._tracks.values() if now - t.last_seen <= self.forget_after_s]
        recent.sort(key=lambda t: t.last_seen, reverse=True)
        vx, vy = self._flow
        return [
            (
                t.center[0] + vx * (now - t.last_seen),
                t.center[1] + vy * (now - t.last_seen),
                t.side_px,
            )
            for t in recent
        ]

    def confirmed(self) -> dict[int, str]:
        """Card number -> confirmed answer, for every card confirmed since the last reset."""
        return dict(self._confirmed)

    def reset(self) -> None:
        """Forget confirmed answers and all evidence (a new question); positions stay as hints."""
        self._confirmed.clear()
        for track in self._tracks.values():
            track.sightings.clear()

    def _advance(self, now: float) -> None:
        """Move the clock to ``now``: expire old evidence, drop cards that are long gone."""
        if now < self._now:
            raise ValueError(f"time went backwards: {now} < {self._now}")
        self._now = now
        horizon = now - self.window_s
        for card in list(self._tracks):
            track = self._tracks[card]
            while track.sightings and track.sightings[0][0] < horizon:
                track.sightings.popleft()
            if not track.sightings and now - track.last_seen > self.forget_after_s:
                del self._tracks[card]

    def _decide(self, card: int, track: _Track) -> str | None:
        """The answer to confirm now for ``card``, or None when the evidence is not there."""
        current = self._confirmed.get(card)
        evidence = [answer for _, answer in track.sightings]
        if current is not None and current in evidence:
            last_old = len(evidence) - 1 - evidence[::-1].index(current)
            evidence = evidence[last_old + 1 :]
        if not evidence:
            return None
        answer, count = Counter(evidence).most_common(1)[0]
        if count >= self.confirm_frames and count >= self.majority * len(evidence):
            return answer
        return None

    def _state(self, card: int, answer: str) -> TrackState:
        current = self._confirmed.get(card)
        if current is None:
            return "new"
        return "confirmed" if answer == current else "changed"
