// The scanner: the phone's rear camera (or a laptop's), frames as JPEG over /ws/scan with never
// more than one in flight, and an overlay of what the server read: a box on each card, the
// student's first name and answer, green once confirmed, red for a card not in this class.
// The link names its session (?session=): the page never guesses one. The header names the
// class and the question; when most cards read are not the class's, the page says so.

import { announcer, api, connect, firstName, nextQuestion, params, token, useToken, watchSession } from "../shared/client.js";
import { FramePicker, THUMB_WIDTH, measure } from "./frames.js";
import { Motion } from "./motion.js";

const $ = (id) => document.getElementById(id);
const dom = {
  video: $("video"),
  still: $("still"),
  overlay: $("overlay"),
  count: $("count"),
  countLabel: $("count-label"),
  className: $("class-name"),
  question: $("question"),
  wrongClass: $("wrong-class"),
  wrongClassTitle: $("wrong-class-title"),
  wrongClassText: $("wrong-class-text"),
  link: $("link"),
  message: $("message"),
  messageTitle: $("message-title"),
  messageText: $("message-text"),
  messageAction: $("message-action"),
  missingBox: $("missing-box"),
  missingCount: $("missing-count"),
  missing: $("missing"),
  photo: $("photo"),
  close: $("close"),
  reveal: $("reveal"),
  next: $("next"),
  advice: $("advice"),
  torch: $("torch"),
};

const MAX_SIDE = 1920; // frames larger than 1080p are scaled down before encoding
const JPEG_QUALITY = 0.8;
const REPLY_TIMEOUT_MS = 4000; // a frame never answered stops blocking the next one after this
// A photo is sent again, like a camera held still, until its cards are confirmed: the server
// records an answer only once several frames agree (scanner.Tracker's confirm_frames).
const PHOTO_SENDS = 5;
// card states in scan.frame (live.pipeline.CARD_STATES): new, confirmed, changed, unassigned
// "22 of 28 answered", read out politely when it changes, at most every few seconds: never per frame
const sayCount = announcer(document.getElementById("announce"), 3000);
const CONFIRMED = "confirmed";
const FOREIGN = "unassigned"; // no student of this class holds the card

const sessionId = /^[0-9]{1,15}$/.test(params.get("session") || "") ? Number(params.get("session")) : null;
let state = null; // the teacher's snapshot of the session
let live = null;
let scan = null;
let scanStopped = false; // the scanner socket was refused (interrupted session): reopen on resume
let inFlight = false;
let sentAt = 0;
let sent = { width: 0, height: 0 }; // the size of the frame the last answer is about
const motion = new Motion(); // the cards of the newest answers, moved on to where they are now
let drawn = false; // whether the overlay holds boxes (an empty one need not be cleared again)
let ended = false;
let scannerOnly = false; // paired by a code: frames only, the teacher commands on the console
let source = "video"; // "video" or "still": what the overlay is drawn over
let photo = null; // the photo shown as the still, and how many more times to send it
let photoSends = 0;
let photoInFlight = false;
let wakeLock = null;
const grab = document.createElement("canvas");
// The sharpest camera frame since the last send (frames.js), copied at full size, and the small
// grey copy each frame is measured on.
const picker = new FramePicker();
const kept = document.createElement("canvas");
const thumb = document.createElement("canvas");
const thumbContext = thumb.getContext("2d", { willReadFrequently: true });
const MEASURE_EVERY_MS = 40;
let measuredAt = 0;
let frameAt = 0; // when the frame the last answer is about was taken
let cameraTrack = null;
let torchOn = false;
// Cards seen but not read (scan.frame's unreadable), outlined until the next answer (at most
// UNREADABLE_MS: they are not moved with the sweep like the read ones).
let unreadable = { quads: [], at: 0 };
const UNREADABLE_MS = 700;
const UNREADABLE_LABEL = "can't read: hold it flat, uncovered";
const ADVICE = {
  slow: "Slow down: the frames are smeared",
  dark: "Too dark: turn on the lights or the torch",
};

// --- messages ---------------------------------------------------------------------------------

let cameraIssue = null; // [title, text] while the camera cannot be used: it outlasts other messages

function showMessage(title, text, action = null) {
  dom.messageTitle.dataset.kind = cameraIssue && title === cameraIssue[0] ? "camera" : "";
  dom.messageTitle.textContent = title;
  dom.messageText.textContent = text;
  dom.messageAction.hidden = !action;
  if (action) {
    dom.messageAction.textContent = action.text;
    dom.messageAction.href = action.href;
  }
  dom.message.hidden = false;
}

function hideMessage() {
  dom.message.hidden = true;
}

// --- the session --------------------------------------------------------------------------------

function onState(fresh) {
  state = fresh;
  const status = state.session.status;
  dom.className.textContent = state.session.class_name;
  document.title = `cardcheck · scanner · ${state.session.class_name}`;
  renderCount();
  renderMissing();
  renderControls();
  if (status === "ended") sessionEnded();
  else if (status === "interrupted") {
    showMessage("This session was interrupted",
      `The server stopped while ${state.session.class_name}'s session ran. Resume it on the teacher ` +
      "console (or end it there); this page goes on scanning by itself once it is resumed.");
  } else {
    hideMessageIfSession();
    if (scanStopped) openScan(); // resumed
  }
}

function hideMessageIfSession() {
  if (cameraIssue) showMessage(...cameraIssue); // a session message gives way to the camera's
  else if (!dom.message.hidden) hideMessage();
}

function renderCount() {
  const q = state.question;
  if (!q) {
    dom.count.textContent = "–";
    dom.countLabel.textContent = "no question yet";
    dom.question.textContent = "";
    sayCount("No question yet");
    return;
  }
  dom.count.textContent = String(q.answered);
  dom.countLabel.textContent = `of ${q.total}`;
  sayCount(`${q.answered} of ${q.total} answered`);
  const status = state.session.status === "interrupted" ? "paused"
    : { open: "open", closed: "closed", revealed: "revealed" }[q.status];
  dom.question.textContent = `Q${q.number} (${status}) · ${q.prompt}`;
}

function renderMissing() {
  const q = state.question;
  const waiting = state.students.filter((s) => !q || s.answer === null);
  dom.missingCount.textContent = String(waiting.length);
  dom.missing.replaceChildren(...waiting.map((s) => {
    const li = document.createElement("li");
    li.textContent = s.name;
    const card = document.createElement("span");
    card.className = "card";
    card.textContent = s.card != null ? `#${s.card}` : "no card";
    li.append(card);
    return li;
  }));
}

function renderControls() {
  const q = state.question;
  const paused = state.session.status !== "running"; // interrupted: resumed on the console first
  dom.close.disabled = paused || !q || q.status !== "open";
  dom.reveal.disabled = paused || !q || q.status === "revealed";
  dom.next.disabled = paused || nextQuestion(state) === null;
  dom.next.textContent = q ? "Next question" : "Ask first question";
}

async function command(path, body) {
  try {
    await api(`/sessions/${sessionId}/${path}`, { method: "POST", body });
  } catch (err) {
    flash(err.message);
  }
}

function flash(text) {
  dom.link.textContent = text;
  setTimeout(() => {
    if (dom.link.textContent === text) dom.link.textContent = "";
  }, 4000);
}

function sessionEnded() {
  if (ended) return;
  ended = true;
  if (scan) scan.close();
  scan = null;
  if (live) live.close();
  live = null;
  showWrongClass(null);
  showMessage("The session has ended",
    `${state.session.class_name}'s answers are saved. Scan for another session from its link on ` +
    "the teacher console (its QR code, or \"Open scanner here\").");
  offerNextSession(state.session.class_id);
}

async function offerNextSession(classId) {
  // a new session of the same class is offered, never joined by itself: the teacher taps it
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    try {
      const next = await api(`/classes/${classId}/live`);
      if (next.session !== null && next.session !== sessionId && next.status === "running") {
        if (scannerOnly) {
          // this phone's credential is for the session that ended: a new one pairs again
          showMessage("The session has ended",
            `${next.class_name} has a new session running: scan its QR code on the teacher console.`);
          return;
        }
        const href = `/scan/?session=${next.session}&token=${encodeURIComponent(token)}`;
        showMessage("The session has ended",
          `${next.class_name} has a new session running.`,
          { text: `Scan for ${next.class_name}'s new session`, href });
        return;
      }
    } catch (err) {
      // offline for now: try again
    }
  }
}

// --- frames out, answers in ---------------------------------------------------------------------

function pump() {
  requestAnimationFrame(pump);
  drawOverlay();
  measureFrame();
  if (inFlight && performance.now() - sentAt > REPLY_TIMEOUT_MS) inFlight = false;
  if (inFlight || !scan || !scan.open) return;
  if (source === "still") {
    if (photo && photoSends > 0) {
      photoSends -= 1;
      photoInFlight = true;
      sendImage(photo, photo.width, photo.height);
    }
    return;
  }
  const { videoWidth: w, videoHeight: h } = dom.video;
  if (!w || !h || dom.video.readyState < 2) return;
  const best = picker.take();
  showAdvice(picker.advice());
  if (best) {
    frameAt = best.at;
    sendImage(best.frame, best.frame.width, best.frame.height);
  } else {
    frameAt = performance.now();
    sendImage(dom.video, w, h);
  }
}

// Measure the camera's frame on a small grey copy; keep a full-size copy if it is the sharpest
// since the last send. Runs while a frame is at the server, so the next one sent is the best.
function measureFrame() {
  const now = performance.now();
  if (source !== "video" || now - measuredAt < MEASURE_EVERY_MS) return;
  const { videoWidth: w, videoHeight: h } = dom.video;
  if (!w || !h || dom.video.readyState < 2) return;
  measuredAt = now;
  thumb.width = THUMB_WIDTH;
  thumb.height = Math.max(1, Math.round((h * THUMB_WIDTH) / w));
  thumbContext.drawImage(dom.video, 0, 0, thumb.width, thumb.height);
  const m = measure(thumbContext.getImageData(0, 0, thumb.width, thumb.height).data, thumb.width, thumb.height);
  if (!picker.wants(m)) return;
  const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
  kept.width = Math.round(w * scale);
  kept.height = Math.round(h * scale);
  kept.getContext("2d").drawImage(dom.video, 0, 0, kept.width, kept.height);
  picker.keep(kept, m, now);
}

function showAdvice(kind) {
  const text = kind ? ADVICE[kind] : "";
  if (dom.advice.textContent !== text) dom.advice.textContent = text;
  dom.advice.hidden = !kind;
  dom.advice.dataset.kind = kind || "";
}

function sendImage(image, w, h) {
  const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
  grab.width = Math.round(w * scale);
  grab.height = Math.round(h * scale);
  grab.getContext("2d").drawImage(image, 0, 0, grab.width, grab.height);
  const size = { width: grab.width, height: grab.height };
  inFlight = true;
  sentAt = performance.now();
  grab.toBlob((blob) => {
    if (blob && scan && scan.send(blob)) sent = size;
    else inFlight = false;
  }, "image/jpeg", JPEG_QUALITY);
}

function onScanMessage(message) {
  switch (message.type) {
    case "scan.frame":
      inFlight = false;
      if (photoInFlight && message.cards.every((c) => c.state === CONFIRMED || c.state === FOREIGN)) {
        photoSends = 0; // the photo's cards are confirmed (or none was read): stop sending it
      }
      photoInFlight = false;
      motion.update(message.cards, source === "video" ? frameAt : sentAt);
      unreadable = { quads: Array.isArray(message.unreadable) ? message.unreadable : [], at: performance.now() };
      notRecordedHint(message.question !== "open" && message.cards.length > 0);
      showWrongClass(message.wrong_class);
      break;
    case "error":
      inFlight = false;
      photoInFlight = false;
      flash(message.message);
      break;
    default:
      throw new Error(`unknown message type ${message.type}`);
  }
}

function showWrongClass(warning) {
  // most cards read lately belong to no student of this session's class (live/realtime/guard.py)
  dom.wrongClass.hidden = !warning;
  if (!warning) return;
  dom.wrongClassTitle.textContent = `These cards are not ${warning.class_name}'s`;
  dom.wrongClassText.textContent = `${warning.foreign} of the ${warning.seen} cards read belong to no ` +
    `student of ${warning.class_name}. Is this the right session? Open the scanner from the session ` +
    "of the class in front of you, on the teacher console.";
}

const NOT_RECORDED = "no open question: cards are read, not recorded";

function notRecordedHint(show) {
  if (show) dom.link.textContent = NOT_RECORDED;
  else if (dom.link.textContent === NOT_RECORDED) dom.link.textContent = "";
}

function studentName(card) {
  const student = card.student;
  if (student && typeof student === "object") return student.name || "";
  if (typeof student === "string") return student;
  const known = state && state.students.find((s) => s.card === card.card);
  return known ? known.name : "";
}

// A box's state is told by its line and its label as well as by its colour: recorded is a solid
// line and a tick, still being read a dashed line (and "?" when the answer changed), a card of
// no student of this class a cross.
// (colours from scan.css, where the contrast test reads them)
const sheet = getComputedStyle(document.body);
const cssToken = (name, fallback) => sheet.getPropertyValue(name).trim() || fallback;
const BOX = {
  confirmed: cssToken("--box-confirmed", "#3fb950"),
  reading: cssToken("--box-reading", "#f0b429"),
  foreign: cssToken("--box-foreign", "#ff4d4f"),
  ink: cssToken("--box-ink", "#000"),
};
const DASH = [10, 7];

function cardStyle(card) {
  if (card.state === FOREIGN) return { colour: BOX.foreign, dash: [], label: `✗ #${card.card} not in this class` };
  const name = firstName(studentName(card)) || `#${card.card}`;
  const label = `${name} · ${card.answer}`;
  if (card.state === CONFIRMED) return { colour: BOX.confirmed, dash: [], label: `✓ ${label}` };
  return { colour: BOX.reading, dash: DASH, label: card.state === "changed" ? `${label}?` : `${label}…` };
}

function drawOverlay() {
  const now = performance.now();
  const boxes = motion.boxes(now, { still: source === "still" });
  const unread = now - unreadable.at < UNREADABLE_MS || source === "still" ? unreadable.quads : [];
  if (!boxes.length && !unread.length && !drawn) return;
  drawn = boxes.length > 0 || unread.length > 0;
  const canvas = dom.overlay;
  const ratio = window.devicePixelRatio || 1;
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  canvas.width = Math.round(vw * ratio);
  canvas.height = Math.round(vh * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, vw, vh);
  if (!sent.width) return;
  // the camera is drawn with object-fit: cover; map frame pixels the same way
  const scale = Math.max(vw / sent.width, vh / sent.height);
  const dx = (vw - sent.width * scale) / 2;
  const dy = (vh - sent.height * scale) / 2;
  const font = Math.max(14, Math.min(22, vw / 28));
  ctx.font = `700 ${font}px system-ui, sans-serif`;
  ctx.lineJoin = "round";
  for (const card of boxes) {
    ctx.globalAlpha = card.alpha;
    const pts = card.corners.map(([x, y]) => [dx + x * scale, dy + y * scale]);
    const { colour, dash, label } = cardStyle(card);
    ctx.lineWidth = 4;
    ctx.setLineDash(dash);
    ctx.strokeStyle = colour;
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.stroke();
    const top = Math.min(...pts.map((p) => p[1]));
    const left = Math.min(...pts.map((p) => p[0]));
    const width = ctx.measureText(label).width + 12;
    const y = Math.max(font + 8, top - 6);
    ctx.fillStyle = colour;
    ctx.fillRect(left - 2, y - font - 4, width, font + 8);
    ctx.fillStyle = BOX.ink;
    ctx.fillText(label, left + 4, y);
  }
  ctx.globalAlpha = 1;
  // cards seen but not read: a dashed outline, so the student can straighten or uncover it
  ctx.setLineDash([8, 6]);
  for (const quad of unread) {
    const pts = quad.map(([x, y]) => [dx + x * scale, dy + y * scale]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#fff";
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.stroke();
    const top = Math.min(...pts.map((p) => p[1]));
    const left = Math.min(...pts.map((p) => p[0]));
    const y = Math.max(font + 8, top - 6);
    ctx.fillStyle = "rgba(255, 255, 255, .9)";
    ctx.fillRect(left - 2, y - font - 4, ctx.measureText(UNREADABLE_LABEL).width + 12, font + 8);
    ctx.fillStyle = "#000";
    ctx.fillText(UNREADABLE_LABEL, left + 4, y);
  }
  ctx.setLineDash([]);
}

// --- the camera -----------------------------------------------------------------------------------

async function startCamera() {
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    cameraProblem("The camera needs a secure page",
      "Browsers only give the camera to https:// pages (or to this computer's own 127.0.0.1).\n" +
      "Start the server with `cardcheck serve --https --host 0.0.0.0` and open the link from the QR code " +
      "on the teacher console. Meanwhile, \"Take a photo\" still works.");
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
    });
    dom.video.srcObject = stream;
    await dom.video.play().catch(() => {});
    source = "video";
    offerTorch(stream);
    keepAwake();
  } catch (err) {
    const reasons = {
      NotAllowedError: ["Camera access was denied",
        "Allow the camera for this page in the browser's site settings, then reload. Meanwhile, \"Take a photo\" still works."],
      NotFoundError: ["No camera was found", "Connect a camera, or use \"Take a photo\"."],
      NotReadableError: ["The camera is busy", "Another app is using the camera. Close it and reload."],
    };
    const [title, text] = reasons[err.name] || ["The camera could not start", `${err.name}: ${err.message}`];
    cameraProblem(title, text);
  }
}

// The torch button shows only where the camera has one (getCapabilities().torch: Chrome on
// Android; Safari has no torch for the web).
function offerTorch(stream) {
  const [track] = stream.getVideoTracks();
  const caps = track && track.getCapabilities ? track.getCapabilities() : {};
  cameraTrack = track || null;
  dom.torch.hidden = !caps.torch;
}

async function toggleTorch() {
  if (!cameraTrack) return;
  try {
    await cameraTrack.applyConstraints({ advanced: [{ torch: !torchOn }] });
    torchOn = !torchOn;
    dom.torch.setAttribute("aria-pressed", String(torchOn));
  } catch (err) {
    flash(`The torch could not be switched: ${err.message}`);
  }
}

function cameraProblem(title, text) {
  cameraIssue = [title, text];
  showMessage(title, text);
}

async function keepAwake() {
  if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    wakeLock.addEventListener("release", () => (wakeLock = null));
  } catch (err) {
    wakeLock = null; // not allowed now (battery saver); scanning goes on
  }
}

async function sendPhoto(file) {
  // draw the photo (turned upright by the browser) so the overlay and the server see the same pixels
  const bitmap = await createImageBitmap(file);
  source = "still";
  dom.video.hidden = true;
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  grab.width = Math.round(bitmap.width * scale);
  grab.height = Math.round(bitmap.height * scale);
  grab.getContext("2d").drawImage(bitmap, 0, 0, grab.width, grab.height);
  dom.still.src = grab.toDataURL("image/jpeg", 0.85);
  dom.still.hidden = false;
  cameraIssue = null; // the teacher went on with a photo: the camera's message has been read
  hideMessage();
  motion.clear();
  photo = bitmap; // pump() sends it once connected and any frame in flight is answered
  photoSends = PHOTO_SENDS;
  if (!scan || !scan.open) flash("not connected yet: the photo is sent once connected");
}

// --- start ----------------------------------------------------------------------------------------

function onLinkStatus(status, detail) {
  const text = { connecting: "connecting…", open: "", retrying: "reconnecting…", stopped: detail, error: detail };
  dom.link.textContent = text[status] ?? "";
  if (status !== "open") inFlight = photoInFlight = false;
}

function onScanStatus(status, detail) {
  onLinkStatus(status, detail);
  if (status === "stopped") scanStopped = true;
}

function openScan() {
  scanStopped = false;
  if (scan) scan.close();
  scan = connect(`/ws/scan?session=${sessionId}`, onScanMessage, { onStatus: onScanStatus, resume: false });
}

/**
 * A pairing link (`?pair=CODE`, the console's QR code) is traded once for a credential that
 * sends frames to its session only; the address bar then keeps the credential, so a reload
 * stays paired. Such a phone scans, and the teacher asks and reveals on the console.
 */
async function pair() {
  const code = params.get("pair");
  if (!code || token) return true;
  try {
    const paired = await api("/pair", { method: "POST", body: { code } });
    useToken(paired.token);
    const url = new URL(location.href);
    url.searchParams.delete("pair");
    url.searchParams.set("token", paired.token);
    history.replaceState(null, "", url.pathname + url.search);
    return true;
  } catch (err) {
    showMessage("This pairing code is spent", `${err.message}. Scan the QR code on the teacher console again.`);
    dom.link.textContent = "";
    return false;
  }
}

/** Whether this page holds a scanner credential (no teacher commands) rather than a teacher's. */
async function learnRole() {
  try {
    const me = await api("/me");
    scannerOnly = Boolean(me.link);
  } catch (err) {
    scannerOnly = false;
  }
  for (const button of [dom.close, dom.reveal, dom.next]) button.hidden = scannerOnly;
}

/** Connect to the session the link names; false (and why, on screen) when it names none. */
async function start() {
  if (!(await pair())) return false;
  if (!token) {
    showMessage("This link has no token", "Open the scanner link on the teacher console, or scan its QR code.");
    dom.link.textContent = "";
    return false;
  }
  if (sessionId === null) {
    showMessage("This link names no session",
      "A scanner records into one session, so its link names it. Open it from the session on the " +
      "teacher console: \"Open scanner here\", or the QR code that pairs a phone.");
    dom.link.textContent = "";
    return false;
  }
  await learnRole();
  live = watchSession(sessionId, onState, { onStatus: onLinkStatus });
  openScan();
  return true;
}

dom.torch.addEventListener("click", toggleTorch);
dom.close.addEventListener("click", () => command("close"));
dom.reveal.addEventListener("click", () => command("reveal"));
dom.next.addEventListener("click", () => {
  const id = state && nextQuestion(state);
  if (id !== null) command("ask", { question_id: id });
});
dom.photo.addEventListener("change", () => {
  if (dom.photo.files.length) sendPhoto(dom.photo.files[0]);
  dom.photo.value = "";
});
dom.still.addEventListener("click", () => {
  // back to the live camera after a photo
  if (!dom.video.srcObject) return;
  source = "video";
  photoSends = 0;
  dom.still.hidden = true;
  dom.video.hidden = false;
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && source === "video" && !wakeLock) keepAwake();
});
window.addEventListener("resize", drawOverlay);

start().then((started) => {
  if (started) {
    startCamera();
    requestAnimationFrame(pump);
  } else {
    for (const button of [dom.close, dom.reveal, dom.next]) button.disabled = true;
    dom.photo.disabled = true;
  }
});
