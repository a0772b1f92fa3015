// Where each card is now, not where it was: the overlay's boxes keep up with a sweep.
//
// A frame's answer arrives 50-150 ms after the camera took it (encode, send, decode), and while
// the teacher sweeps the room the picture has moved on: boxes drawn where the frame saw the cards
// trail behind them. So each box is moved on by its card's velocity between the two newest frames
// that read it (smoothed, so that a card's sway does not throw it about), or, for a card read once,
// by the sweep's (the median of the cards that have one), for as long as the answer has been on
// screen, never more than MAX_AHEAD_MS. A card of the newest answer is drawn in full however slow
// the next answer is; one the newest answer did not read fades out over FADE_MS instead of hanging
// where it was. A still photo does not move: `boxes` with `still` draws the last answer as it is.

/** Never predict further than this past the frame that read the card (ms). */
export const MAX_AHEAD_MS = 400;
/** A card not read for this long is not drawn (ms); it fades over the last third. */
export const FADE_MS = 700;
/** Two readings further apart than this say nothing about a velocity (ms). */
const MAX_GAP_MS = 1000;
/** A faster box is a misreading or a jump, not a sweep (px/ms: a 1080p frame's width in 0.7 s). */
const MAX_SPEED = 2.5;
/** How much of a new velocity reading replaces the card's previous one. */
const SMOOTHING = 0.6;

function centre(corners) {
  let x = 0;
  let y = 0;
  for (const [cx, cy] of corners) {
    x += cx;
    y += cy;
  }
  return [x / corners.length, y / corners.length];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The cards of the newest answers, and how each moves. */
export class Motion {
  constructor() {
    this.tracks = new Map(); // card number -> { card, at, velocity: [vx, vy] px/ms | null }
    this.sweep = null; // { velocity, at }: how the cards moved together in the newest frame
    this.latest = -Infinity; // when the newest answer's frame was taken
  }

  /** Take one answer's `cards` (scan.frame's), read in a frame the camera took at `at` (ms). */
  update(cards, at) {
    const moving = [];
    for (const card of cards) {
      const before = this.tracks.get(card.card);
      let velocity = null;
      if (before && at > before.at && at - before.at <= MAX_GAP_MS) {
        const [x0, y0] = centre(before.card.corners);
        const [x1, y1] = centre(card.corners);
        let v = [(x1 - x0) / (at - before.at), (y1 - y0) / (at - before.at)];
        if (Math.hypot(v[0], v[1]) > MAX_SPEED) v = [0, 0]; // a jump: do not extrapolate it
        const old = before.velocity;
        velocity = old ? v.map((x, i) => SMOOTHING * x + (1 - SMOOTHING) * old[i]) : v;
        moving.push(velocity);
      }
      this.tracks.set(card.card, { card, at, velocity });
    }
    this.latest = Math.max(this.latest, at);
    if (moving.length) {
      this.sweep = { velocity: [median(moving.map((v) => v[0])), median(moving.map((v) => v[1]))], at };
    }
    for (const [number, track] of this.tracks) {
      if (at - track.at > FADE_MS) this.tracks.delete(number);
    }
  }

  /** Forget every card (a new photo, another session). */
  clear() {
    this.tracks.clear();
    this.sweep = null;
    this.latest = -Infinity;
  }

  /**
   * The boxes to draw at `now` (ms): each card with its `corners` moved on to where it should be
   * now, and an `alpha`: 1 for the cards of the newest answer, fading to 0 for those it did not
   * read. With `still`, as last read.
   */
  boxes(now, { still = false } = {}) {
    const out = [];
    const sweep = this.sweep && now - this.sweep.at <= MAX_GAP_MS ? this.sweep.velocity : [0, 0];
    for (const { card, at, velocity } of this.tracks.values()) {
      if (still) {
        out.push({ ...card, alpha: 1 });
        continue;
      }
      const age = Math.max(0, now - at);
      const unread = at < this.latest; // the newest answer did not read it
      if (unread && age > FADE_MS) continue;
      const [vx, vy] = velocity || sweep;
      const ahead = Math.min(age, MAX_AHEAD_MS);
      const alpha = unread ? Math.min(1, (FADE_MS - age) / (FADE_MS / 3)) : 1;
      const corners = card.corners.map(([x, y]) => [x + vx * ahead, y + vy * ahead]);
      out.push({ ...card, corners, alpha });
    }
    return out;
  }
}
