// The projector: a read-only live view for the class. Question, choices, "answered 23/28", a
// grid that fills in, the chart and the correct answer only after reveal. It never shows flags or
// who was wrong: the projector token's snapshot does not carry them, and events that would are
// ignored here.
//
// Its link names what it shows, never "the newest session": ?session=ID shows that session;
// ?class=ID shows the class's live session (the one the teacher started last, or put on the
// projector from the console) and moves on when the teacher starts the class's next session.

import { api, ApiError, connect, el, letters, params } from "../shared/client.js";

const $ = (id) => document.getElementById(id);
const dom = {
  className: $("class-name"),
  number: $("number"),
  status: $("status"),
  link: $("link"),
  waiting: $("waiting"),
  waitingText: $("waiting-text"),
  question: $("question"),
  prompt: $("prompt"),
  choices: $("choices"),
  progress: $("progress"),
  answered: $("answered"),
  total: $("total"),
  meterFill: $("meter-fill"),
  grid: $("grid"),
};

const STATUS_TEXT = { open: "Answering", closed: "Closed", revealed: "Answer" };
const LIVE_POLL_MS = 4000; // how often a class's projector asks which session is live
const idParam = (name) => (/^[0-9]{1,15}$/.test(params.get(name) || "") ? Number(params.get(name)) : null);
const classId = idParam("class"); // follow this class's live session
let sessionId = idParam("session");
let state = null; // the projector snapshot, kept current by events
let live = null;

function render() {
  if (!state) return;
  const { session, question } = state;
  dom.className.textContent = session.class_name;
  if (session.status === "ended") {
    showWaiting(classId !== null ? `Waiting for ${session.class_name}'s next session…` : "This session has ended.");
    return;
  }
  if (!question) {
    showWaiting(session.status === "interrupted" ? "Paused…" : "Get your cards ready…");
    return;
  }
  dom.waiting.hidden = true;
  dom.question.hidden = false;
  dom.progress.hidden = false;
  dom.number.textContent = `Question ${question.number}`;
  dom.status.hidden = false;
  const paused = session.status === "interrupted";
  dom.status.textContent = paused ? "Paused" : STATUS_TEXT[question.status];
  dom.status.dataset.status = paused ? "interrupted" : question.status;
  dom.prompt.textContent = question.prompt;
  renderChoices(question);
  renderProgress(question);
  renderGrid(question);
}

function showWaiting(text) {
  dom.waiting.hidden = false;
  dom.question.hidden = true;
  dom.progress.hidden = true;
  dom.status.hidden = true;
  dom.number.textContent = "";
  dom.waitingText.textContent = text;
}

function renderChoices(question) {
  const counts = question.status === "revealed" ? question.counts || {} : null;
  const most = counts ? Math.max(1, ...Object.values(counts)) : 1;
  dom.choices.classList.toggle("revealed", Boolean(counts));
  dom.choices.replaceChildren(...letters(question.choices.length).map((letter, i) => {
    const right = counts && question.correct === letter;
    const n = counts ? counts[letter] || 0 : 0;
    return el("li", { class: right ? "choice correct" : "choice", "data-letter": letter },
      el("span", { class: "letter", text: letter }),
      el("span", { class: "text", text: question.choices[i] }),
      counts && el("span", { class: "bar", style: { width: `${(60 * n) / most}%` } }),
      counts && el("span", { class: "n", text: String(n) }),
      right && el("span", { class: "tick", "aria-label": "correct answer", text: "✓" }));
  }));
}

function renderProgress(question) {
  dom.answered.textContent = String(question.answered);
  dom.total.textContent = String(question.total);
  const share = question.total ? question.answered / question.total : 0;
  dom.meterFill.style.width = `${Math.round(100 * share)}%`;
}

function renderGrid(question) {
  // one tile per student; the answered ones first, by first name or by card number
  const shown = state.answered.map((a) =>
    el("li", { class: "tile done", text: a.name || (a.card != null ? `#${a.card}` : "✓") }));
  const empty = Math.max(0, question.total - shown.length);
  const rest = Array.from({ length: empty }, () => el("li", { class: "tile" }));
  dom.grid.replaceChildren(...shown, ...rest);
}

function onMessage(message) {
  switch (message.type) {
    case "snapshot":
      state = message.data;
      render();
      break;
    case "response.recorded":
      recordLocally(message.data);
      render();
      break;
    case "question.closed":
      if (state && state.question) state.question.status = "closed";
      render();
      break;
    case "question.asked":
    case "question.revealed":
    case "display.changed":
      break; // the server follows these with a fresh snapshot (prompt, chart, names)
    case "session.started":
      break;
    case "session.ended":
      if (state) state.session.status = "ended";
      render();
      if (classId !== null) checkLive();
      break;
    case "session.interrupted":
    case "session.resumed":
      if (state) state.session.status = message.type === "session.resumed" ? "running" : "interrupted";
      render();
      break;
    case "event.withheld": // something the projector may not see; it only keeps the seq
    case "scanner.connected":
    case "scanner.disconnected":
    case "flag.raised":
    case "flag.updated":
    case "flag.resolved":
    case "checkin.started":
    case "checkin.ended":
      break; // not the projector's business
    case "error":
      dom.link.textContent = message.message;
      break;
    default:
      throw new Error(`unknown message type ${message.type}`);
  }
}

function recordLocally(data) {
  // the projector's form of the event: who answered (card, first name when shown), never what
  const question = state && state.question;
  if (!question || question.asked_id !== data.asked_id || data.changed) return;
  question.answered += 1;
  state.answered.push({ card: data.card ?? null, name: data.name ?? null });
}

function onStatus(status, detail) {
  document.body.classList.toggle("stale", status !== "open");
  const text = {
    connecting: "connecting…",
    open: "",
    retrying: "reconnecting…",
    stopped: `stopped: ${detail}`,
    error: "",
  }[status];
  dom.link.textContent = text ?? "";
}

function watch(id) {
  sessionId = id;
  if (live) live.close();
  live = connect(`/ws/live?session=${id}`, onMessage, { onStatus });
}

async function checkLive() {
  // which session the class's projector shows now; a new one replaces the one shown
  try {
    const now = await api(`/classes/${classId}/live`);
    dom.className.textContent = now.class_name;
    if (now.session === null) {
      if (live) live.close();
      live = null;
      sessionId = null;
      state = null;
      showWaiting(`Waiting for ${now.class_name}'s next session…`);
    } else if (now.session !== sessionId) {
      state = null;
      watch(now.session);
    }
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404)) {
      showWaiting("This projector link is not valid on this server. Open the one the console shows.");
      stopped = true;
    }
  }
}

let stopped = false;

async function followClass() {
  while (!stopped) {
    await checkLive();
    await new Promise((resolve) => setTimeout(resolve, LIVE_POLL_MS));
  }
}

if (classId !== null) followClass();
else if (sessionId !== null) watch(sessionId);
else showWaiting("This projector link names no class and no session. Open the one the teacher console shows.");
