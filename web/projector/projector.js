// The projector: a read-only live view for the class. Question, choices, "answered 23/28", a
// grid that fills in, the chart and the correct answer only after reveal. It never shows flags or
// who was wrong: the projector token's snapshot does not carry them, and events that would are
// ignored here.

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
const following = !params.get("session"); // no session in the link: follow the newest one

let sessionId = params.get("session") ? Number(params.get("session")) : null;
let state = null; // the projector snapshot, kept current by events
let live = null;

function render() {
  if (!state) return;
  const { session, question } = state;
  dom.className.textContent = session.class_name;
  if (session.status !== "running") {
    showWaiting(following ? "This session has ended. Waiting for the next one…" : "This session has ended.");
    return;
  }
  if (!question) {
    showWaiting("Get your cards ready…");
    return;
  }
  dom.waiting.hidden = true;
  dom.question.hidden = false;
  dom.progress.hidden = false;
  dom.number.textContent = `Question ${question.number}`;
  dom.status.hidden = false;
  dom.status.textContent = STATUS_TEXT[question.status];
  dom.status.dataset.status = question.status;
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
      if (following) followNext();
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

async function followNext() {
  // poll for the newest running session; keep showing the last state meanwhile
  for (;;) {
    try {
      const { session } = await api("/current-session");
      if (session !== null && session !== sessionId) {
        state = null;
        watch(session);
        return;
      }
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        showWaiting("This projector link is not valid any more. Open the one the console shows.");
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

if (sessionId !== null) watch(sessionId);
else followNext();
