// Which frame to send, and what to tell the teacher about the frames: pure, no DOM.
//
// While one frame is at the server the camera shows several more; rather than send whichever is
// newest when the answer comes back, the page measures each on a small grey copy and keeps the
// sharpest: a teacher sweeping the room moves in fits and starts, and the frame taken in a pause
// reads many more cards than one smeared by the pan. The same measures say when every frame is
// smeared ("slow down") or too dark to read.
//
// Sharpness is the mean squared difference between neighbouring pixels of the small copy (a cheap
// gradient energy, as autofocus uses), divided by the copy's own contrast, so a dim frame is not
// "blurred" for being dim. Smear lowers it; so does defocus.

export const THUMB_WIDTH = 160; // px of the small grey copy measured
export const DARK_MEAN = 40; // mean grey (0-255) under which a frame is too dark
export const DARK_BRIGHT = 70; // ... or whose brightest 5 % stay under this (no white paper lit)
export const SMEARED_RATIO = 0.5; // sharpness under this share of the steady frames' is smeared
export const ADVICE_FRAMES = 4; // frames in a row before advice shows (no flicker)
const HISTORY = 60; // measured frames remembered for the steady reference

// Measures a frame from its small copy's RGBA pixels (ImageData.data): {sharpness, mean, bright}.
export function measure(rgba, width, height) {
  const n = width * height;
  const grey = new Float32Array(n);
  const hist = new Uint32Array(256);
  let sum = 0;
  let sumSq = 0;
  for (let i = 0, p = 0; i < n; i += 1, p += 4) {
    const y = 0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2];
    grey[i] = y;
    sum += y;
    sumSq += y * y;
    hist[Math.min(255, Math.round(y))] += 1;
  }
  const mean = sum / n;
  const variance = Math.max(sumSq / n - mean * mean, 1);
  let energy = 0;
  let count = 0;
  for (let r = 0; r < height - 1; r += 1) {
    const row = r * width;
    for (let c = 0; c < width - 1; c += 1) {
      const i = row + c;
      const dx = grey[i + 1] - grey[i];
      const dy = grey[i + width] - grey[i];
      energy += dx * dx + dy * dy;
      count += 1;
    }
  }
  let seen = 0;
  let bright = 255;
  for (let v = 255; v >= 0; v -= 1) {
    seen += hist[v];
    if (seen >= n * 0.05) {
      bright = v;
      break;
    }
  }
  return { sharpness: count ? energy / count / variance : 0, mean, bright };
}

export function tooDark(m) {
  return m.mean < DARK_MEAN || m.bright < DARK_BRIGHT;
}

// Keeps the sharpest frame offered since the last take, and the recent measures for advice.
export class FramePicker {
  constructor() {
    this.best = null; // {frame, m, at}
    this.history = []; // sharpness of recent frames
    this.sentSmeared = 0; // frames sent in a row that were smeared
    this.sentDark = 0; // ... too dark
  }

  // Whether a frame measuring `m` beats the one kept: the caller then copies it and calls keep.
  wants(m) {
    this.history.push(m.sharpness);
    if (this.history.length > HISTORY) this.history.shift();
    return !this.best || m.sharpness > this.best.m.sharpness;
  }

  keep(frame, m, at) {
    this.best = { frame, m, at };
  }

  // The kept frame to send now, {frame, m, at} (the sharpest offered), or null; the advice
  // is updated from it.
  take() {
    const best = this.best;
    this.best = null;
    if (!best) return null;
    this.sentSmeared = this.smeared(best.m) ? this.sentSmeared + 1 : 0;
    this.sentDark = tooDark(best.m) ? this.sentDark + 1 : 0;
    return best;
  }

  // The sharpness of the steadiest recent frames: the 90th percentile of the history.
  steady() {
    if (this.history.length < 10) return null;
    const sorted = [...this.history].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length * 0.9)];
  }

  smeared(m) {
    const ref = this.steady();
    return ref !== null && m.sharpness < ref * SMEARED_RATIO;
  }

  // "dark", "slow" or null: what to tell the teacher about the frames being sent.
  advice() {
    if (this.sentDark >= ADVICE_FRAMES) return "dark";
    if (this.sentSmeared >= ADVICE_FRAMES) return "slow";
    return null;
  }
}
