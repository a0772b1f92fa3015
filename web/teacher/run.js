// The session tab: every session running (class, start, question), switching between them,
// starting one for any class while others run, ending any; then the one opened: ask / close /
// reveal / next, the live per-group picture, manual answers, pairing a phone, which session the
// class's projector shows, a scanner reading another class's cards, a session interrupted by a
// server stop (resume or end), and the rule engine's flags when the server has them.
// Nothing here follows "the newest session": the session shown is the one the teacher opened
// (kept in the address, #session/ID), or the only one running.

import { announcer, api, apiUrl, el, inkOn, letters, nextQuestion, watchSession } from "../shared/client.js";
import { apiPaths, attempt, focusKey, keepFocus, toast, trapFocus, when } from "./ui.js";
import * as checkins from "./checkins.js";

const $ = (id) => document.getElementById(id);
const dom = {
  link: $("link"),
  startForm: $("start-form"),
  startClass: $("start-class"),
  startSet: $("start-set"),
  running: $("running"),
  runningNone: $("running-none"),
  pickHint: $("pick-hint"),
  run: $("run"),
  runClass: $("run-class"),
  runStatus: $("run-status"),
  runScanners: $("run-scanners"),
  runLive: $("run-live"),
  live: $("btn-live"),
  interrupted: $("run-interrupted"),
  interruptedText: $("run-interrupted-text"),
  resume: $("btn-resume"),
  endInterrupted: $("btn-end-interrupted"),
  wrongClass: $("run-wrong-class"),
  runQuestion: $("run-question"),
  next: $("btn-next"),
  close: $("btn-close"),
  reopen: $("btn-reopen"),
  reveal: $("btn-reveal"),
  askPick: $("ask-pick"),
  ask: $("btn-ask"),
  end: $("btn-end"),
  showNames: $("show-names"),
  projectorLink: $("projector-link"),
  scanLink: $("scan-link"),
  pairQr: $("pair-qr"),
  pairHint: $("pair-hint"),
  flagsPanel: $("flags-panel"),
  liveGroups: $("live-groups"),
  manual: $("manual"),
  manualName: $("manual-name"),
  manualLetters: $("manual-letters"),
  manualLate: $("manual-late"),
  announce: $("run-announce"),
};

const STATUS_TEXT = { open: "answering", closed: "closed", revealed: "revealed" };
const RUNNING_POLL_MS = 5000; // the list of running sessions, while the tab is open
let sessionId = null;
let state = null;
let live = null;
let library = new Map(); // question id -> question
let links = { class_projector_url: "#", scan_url: "#" }; // from the state endpoint
let running = []; // GET /sessions/running
let poller = null;
let manualFor = null; // the student whose answer the manual dialog enters
// the answered count, read out politely: when it changes, at most every few seconds
const sayCount = announcer(dom.announce, 4000);

/** Called when the tab opens: list the sessions running; show the one opened, if any. */
export async function show() {
  if (poller === null) poller = setInterval(pollRunning, RUNNING_POLL_MS);
  await Promise.all([refreshRunning(), loadStartForm()]);
  const alive = (id) => running.some((s) => s.id === id);
  if (sessionId !== null && alive(sessionId)) return;
  const wanted = hashSession();
  if (wanted !== null && alive(wanted)) watch(wanted);
  else if (running.length === 1) watch(running[0].id); // the only one: nothing to choose from
  else showNone();
}

/** Keep the session opened in the address (#session/ID), while the session tab is shown. */
function remember(id) {
  if (location.hash.startsWith("#session") || location.hash === "") {
    history.replaceState(null, "", id === null ? "#session" : `#session/${id}`);
  }
}

function hashSession() {
  const match = /^#session\/([0-9]{1,15})$/.exec(location.hash);
  return match ? Number(match[1]) : null;
}

function pollRunning() {
  if (document.getElementById("session").hidden) return;
  refreshRunning();
}

async function refreshRunning() {
  const rows = await attempt(api("/sessions/running"));
  if (rows === null) return;
  running = rows;
  renderRunning();
}

function renderRunning() {
  dom.runningNone.hidden = running.length > 0;
  keepFocus(dom.running, () => dom.running.replaceChildren(...running.map((s) => {
    const q = s.question;
    const asked = q ? `Q${q.number} ${STATUS_TEXT[q.status]}: ${q.prompt}` : "no question yet";
    const paused = s.status === "interrupted";
    return el("li", { class: [s.id === sessionId ? "current" : "", paused ? "interrupted" : ""].join(" ").trim(),
      "data-session": s.id },
    el("span", { class: "what" },
      el("strong", { class: "class", text: s.class_name }),
      el("span", { class: "muted small", text: `started ${when(s.started_at)} · ` }),
      el("span", { class: "asked small", text: asked })),
    paused && el("span", { class: "badge interrupted", text: "interrupted" }),
    s.live && el("span", { class: "badge live", title: "this class's projector link shows this session",
      text: "on the projector" }),
    s.id !== sessionId && el("button", { class: "small", type: "button", text: "Open", "data-key": `open-${s.id}`,
      "aria-label": `Open ${s.class_name}'s session`, onclick: () => watch(s.id) }),
    paused && el("button", { class: "small primary", type: "button", text: "Resume", "data-key": `resume-${s.id}`,
      "aria-label": `Resume ${s.class_name}'s session`, onclick: () => resume(s.id) }),
    el("button", { class: "small danger", type: "button", text: "End", "data-key": `end-${s.id}`,
      "aria-label": `End ${s.class_name}'s session`, onclick: () => endSession(s) }));
  })));
}

async function loadStartForm() {
  const [classes, sets] = await Promise.all([attempt(api("/classes")), attempt(api("/sets"))]);
  if (!classes || !sets) return;
  const picked = [dom.startClass.value, dom.startSet.value];
  dom.startClass.replaceChildren(...classes.map((c) =>
    el("option", { value: c.id, text: `${c.name} (${c.students})` })));
  dom.startSet.replaceChildren(el("option", { value: "", text: "no set (pick questions as you go)" }),
    ...sets.map((s) => el("option", { value: s.id, text: `${s.name} (${s.questions.length})` })));
  if (picked[0] && classes.some((c) => String(c.id) === picked[0])) dom.startClass.value = picked[0];
  if (picked[1] && sets.some((s) => String(s.id) === picked[1])) dom.startSet.value = picked[1];
}

function showNone() {
  stopWatching();
  dom.run.hidden = true;
  dom.pickHint.hidden = running.length === 0;
  remember(null);
  renderRunning();
}

async function startSession(event) {
  event.preventDefault();
  const body = { class_id: Number(dom.startClass.value) };
  if (dom.startSet.value) body.set_id = Number(dom.startSet.value);
  const created = await attempt(api("/sessions", { method: "POST", body }));
  if (!created) return;
  const id = created.id;
  await refreshRunning();
  watch(id);
}

async function endSession(s) {
  if (!confirm(`End ${s.class_name}'s session? Its answers are kept for the reports.`)) return;
  const shown = s.id === sessionId; // (its end, heard live, may close it before the answer)
  await attempt(api(`/sessions/${s.id}/end`, { method: "POST" }));
  await refreshRunning();
  if (s.id === sessionId) showNone();
  if (shown) dom.startClass.focus(); // the button pressed is gone: go on from the start form
}

async function resume(id) {
  await attempt(api(`/sessions/${id}/resume`, { method: "POST" }));
  await refreshRunning();
  if (id !== sessionId) watch(id);
}

function stopWatching() {
  if (live) live.close();
  live = null;
  sessionId = null;
  state = null;
}

async function watch(id) {
  stopWatching();
  sessionId = id;
  remember(id);
  dom.pickHint.hidden = true;
  dom.run.hidden = false;
  dom.liveGroups.replaceChildren();
  renderRunning();
  const [questions, first] = await Promise.all([attempt(api("/questions")), attempt(api(`/sessions/${id}`))]);
  if (sessionId !== id) return; // another session was opened meanwhile
  library = new Map((questions || []).map((q) => [q.id, q]));
  // the owner's own console gets links with the owner's tokens; an account makes links
  // scoped to the class or the session when they are opened (openScoped)
  if (first) links = { class_projector_url: first.class_projector_url || "#", scan_url: first.scan_url || "#" };
  live = watchSession(id, onState, { onStatus });
  showPairing(id);
}

/**
 * "Open projector view" and "Open scanner here" for a teacher signed in with an account: a
 * projector link of the class, or a pairing link of the session, made when clicked.
 */
async function openScoped(event, kind) {
  const href = kind === "projector" ? links.class_projector_url : links.scan_url;
  if (href !== "#" || !state) return;
  event.preventDefault();
  const opened = window.open("", "_blank"); // now, while the click still counts as one
  const made = kind === "projector"
    ? await attempt(api(`/classes/${state.session.class_id}/links`, { method: "POST" }))
    : await attempt(api(`/pair?session=${state.session.id}`));
  if (made && opened) opened.location = made.url;
  else if (opened) opened.close();
}

let pairingTimer = null;

async function showPairing(id) {
  // a pairing code lasts 10 minutes and pairs one phone: a fresh one every 5
  clearTimeout(pairingTimer);
  pairingTimer = setTimeout(() => {
    if (sessionId === id) showPairing(id);
  }, 5 * 60 * 1000);
  dom.pairQr.src = apiUrl("/pair.svg", { session: id, at: String(Date.now()) });
  const pair = await attempt(api(`/pair?session=${id}`));
  if (!pair) return;
  dom.pairHint.textContent = !pair.reachable_from_phone
    ? "This server listens on this computer only. For a phone, restart with `cardcheck serve --host 0.0.0.0 --https`."
    : !pair.secure ? "Phones give the camera only to https pages: restart with `cardcheck serve --https`."
      : "Point the phone's camera at the code to open the scanner.";
}

function onStatus(status, detail) {
  document.body.classList.toggle("stale", status !== "open");
  dom.link.textContent = { connecting: "connecting…", open: "live", retrying: "reconnecting…",
    stopped: detail, error: detail }[status] ?? "";
  dom.link.dataset.status = status;
}

function onState(fresh, message) {
  if (fresh.session.id !== sessionId) return; // a late answer about a session no longer shown
  state = fresh;
  if (state.session.status === "ended") {
    toast(`${state.session.class_name}'s session has ended.`);
    refreshRunning().then(showNone);
    return;
  }
  renderHeader();
  announceCount();
  renderWarnings();
  renderQuestion();
  renderControls();
  renderGroups();
  renderFlags();
  if (message && message.type !== "response.recorded") refreshRunning(); // its row changed
}

function renderHeader() {
  const name = state.session.class_name;
  dom.runClass.textContent = name;
  const q = state.question;
  const paused = state.session.status === "interrupted";
  dom.runStatus.textContent = paused ? "interrupted" : q ? `Q${q.number} ${STATUS_TEXT[q.status]}` : "no question yet";
  dom.runStatus.dataset.status = paused ? "interrupted" : q ? q.status : "";
  const scanners = state.scanners.length;
  dom.runScanners.textContent = scanners ? `${scanners} scanner${scanners > 1 ? "s" : ""} connected` : "";
  dom.runLive.textContent = state.session.live ? `on ${name}'s projector` : "";
  dom.live.hidden = state.session.live;
  dom.live.textContent = `Show on ${name}'s projector`;
  dom.showNames.checked = state.session.show_names;
  dom.projectorLink.href = links.class_projector_url;
  dom.projectorLink.textContent = `Open ${name}'s projector view`;
  dom.scanLink.href = links.scan_url;
}

function announceCount() {
  const q = state.question;
  if (q) sayCount(`Question ${q.number}: ${q.answered} of ${q.total} answered`);
}

function renderWarnings() {
  const name = state.session.class_name;
  const paused = state.session.status === "interrupted";
  dom.interrupted.hidden = !paused;
  if (paused) {
    dom.interruptedText.textContent = `This session was interrupted when the server stopped ` +
      `(${when(state.session.interrupted_at)}). Its answers are kept; scanners and answers wait ` +
      "until you resume it. Resume it to go on, or end it.";
  }
  const wrong = state.scanners.filter((s) => s.wrong_class);
  dom.wrongClass.hidden = wrong.length === 0;
  dom.wrongClass.replaceChildren(...wrong.map((s) => el("p", {},
    el("strong", { text: `These cards are not ${name}'s. ` }),
    `A scanner (${s.name}) reads cards of no student of ${name}: ${s.wrong_class.foreign} of the ` +
    `${s.wrong_class.seen} it read lately. Check that the phone scans ${name}'s session, not ` +
    "another class's.")));
}

function renderQuestion() {
  const q = state.question;
  if (!q) {
    dom.runQuestion.replaceChildren(el("p", { class: "muted", text: "Ask the first question when the class is ready." }));
    return;
  }
  const counts = q.counts || {};
  const most = Math.max(1, ...Object.values(counts));
  dom.runQuestion.replaceChildren(
    el("p", { class: "prompt", text: q.prompt }),
    el("ol", { class: "tally" }, letters(q.choices.length).map((letter, i) => el("li",
      { class: q.correct === letter ? "correct" : "" },
      el("span", { class: "letter", text: letter }),
      el("span", { class: "text" }, q.choices[i],
        q.correct === letter && el("span", { class: "tick", text: " ✓ correct" })),
      el("span", { class: "bar" }, el("span", { style: { width: `${(100 * (counts[letter] || 0)) / most}%` } })),
      el("span", { class: "n", text: String(counts[letter] || 0) })))),
    el("p", { class: "answered" }, el("strong", { text: `${q.answered}/${q.total}` }), " answered",
      q.correct ? ` · ${state.students.filter((s) => s.correct).length} right` : " · a poll"));
}

function renderControls() {
  const q = state.question;
  const next = nextQuestion(state);
  const paused = state.session.status === "interrupted";
  dom.next.disabled = paused || next === null;
  dom.next.textContent = next === null ? "Set finished" : q ? "Ask next" : "Ask first question";
  dom.close.disabled = paused || !q || q.status !== "open";
  dom.reopen.disabled = paused || !q || q.status === "open";
  dom.reveal.disabled = paused || !q || q.status === "revealed";
  dom.ask.disabled = paused;
  const askedIds = new Set((state.asked || []).map((a) => a.question_id));
  const order = (state.question_set && state.question_set.questions) || [];
  const rest = [...library.keys()].filter((id) => !order.includes(id));
  const options = [...order, ...rest].filter((id) => library.has(id)).map((id) => el("option",
    { value: id, text: `${askedIds.has(id) ? "✓ " : ""}${library.get(id).prompt.slice(0, 60)}` }));
  // the teacher's own pick stands until it is asked; otherwise the picker offers what comes next
  const picked = dom.askPick.dataset.picked ? dom.askPick.value : null;
  dom.askPick.replaceChildren(...options);
  if (picked) dom.askPick.value = picked;
  else if (next !== null) dom.askPick.value = String(next);
}

function renderGroups() {
  const byId = new Map(state.students.map((s) => [s.id, s]));
  const grouped = new Set();
  const blocks = state.groups.map((g) => {
    const members = g.students.map((id) => byId.get(id)).filter(Boolean);
    members.forEach((s) => grouped.add(s.id));
    return groupBlock(g.name, g.colour, g.goal, members);
  });
  const loose = state.students.filter((s) => !grouped.has(s.id));
  if (loose.length) blocks.push(groupBlock("No group", "#8c959f", "", loose));
  keepFocus(dom.liveGroups, () => dom.liveGroups.replaceChildren(...blocks));
}

function groupBlock(name, colour, goal, members) {
  const answered = members.filter((s) => s.answer !== null);
  const right = members.filter((s) => s.correct === true).length;
  const q = state.question;
  const summary = q ? `${answered.length}/${members.length} answered${q.correct ? `, ${right} right` : ""}` : "";
  return el("article", { class: "group", style: { borderColor: colour } },
    el("header", { style: { background: colour, color: inkOn(colour) } },
      el("strong", { text: name }), el("span", { class: "summary", text: summary })),
    goal && el("p", { class: "goal", text: goal }),
    el("ul", { class: "chips" }, members.map((s) => studentChip(s))));
}

// right and wrong are told by a mark and a word as well as by colour
const MARKS = { right: ["✓", "right"], wrong: ["✗", "wrong"], given: ["", "answered"], none: ["", "no answer yet"] };

function studentChip(s) {
  const mark = s.correct === true ? "right" : s.correct === false ? "wrong" : s.answer ? "given" : "none";
  const [symbol, word] = MARKS[mark];
  return el("li", {},
    el("button", { class: `chip ${mark}`, type: "button", "data-key": `student-${s.id}`,
      title: s.late ? "entered by hand after the reveal" : s.source === "manual" ? "entered by hand" : "",
      onclick: () => openManual(s) },
      el("span", { class: "name", text: s.name }),
      el("span", { class: "answer", text: s.answer || "–" }),
      symbol && el("span", { class: "mark", "aria-hidden": "true", text: symbol }),
      el("span", { class: "sr-only", text: `, ${word}${s.late ? ", entered by hand after the reveal"
        : s.source === "manual" ? ", entered by hand" : ""}` })));
}

function openManual(student) {
  const q = state.question;
  if (!q) {
    toast("Ask a question first.", true);
    return;
  }
  manualFor = student.id;
  dom.manualName.textContent = `${student.name} (card ${student.card ?? "none"})`;
  dom.manualLate.hidden = q.status !== "revealed";
  dom.manualLetters.replaceChildren(...letters(q.choices.length).map((letter, i) => el("button", {
    type: "button", class: student.answer === letter ? "primary" : "", text: `${letter}: ${q.choices[i]}`,
    onclick: async () => {
      dom.manual.close();
      const done = await attempt(api(`/sessions/${sessionId}/responses/${student.id}`,
        { method: "PUT", body: { answer: letter } }));
      if (done) toast(`${student.name}: ${letter}${q.status === "revealed" ? " (late)" : ""}`);
    },
  })));
  dom.manual.showModal();
}

async function renderFlags() {
  // the rule engine's panel, when this server has the engine's endpoints
  const paths = await apiPaths();
  dom.flagsPanel.hidden = !paths.has("/api/sessions/{session_id}/checkins");
  if (!dom.flagsPanel.hidden) checkins.render(state, sessionId);
}

async function command(name, body) {
  if (sessionId === null) return;
  await attempt(api(`/sessions/${sessionId}/${name}`, { method: "POST", body }));
}

trapFocus(dom.manual);
// back to the student's chip when the dialog closes (the chip may have been drawn anew meanwhile)
dom.manual.addEventListener("close", () => {
  if (manualFor !== null) focusKey(dom.liveGroups, `student-${manualFor}`);
  manualFor = null;
});
dom.startForm.addEventListener("submit", startSession);
dom.projectorLink.addEventListener("click", (event) => openScoped(event, "projector"));
dom.scanLink.addEventListener("click", (event) => openScoped(event, "scanner"));
dom.next.addEventListener("click", () => {
  const id = state && nextQuestion(state);
  if (id !== null) command("ask", { question_id: id });
});
dom.askPick.addEventListener("change", () => { dom.askPick.dataset.picked = "1"; });
dom.ask.addEventListener("click", () => {
  delete dom.askPick.dataset.picked;
  if (dom.askPick.value) command("ask", { question_id: Number(dom.askPick.value) });
});
dom.close.addEventListener("click", () => command("close"));
dom.reopen.addEventListener("click", () => command("reopen"));
dom.reveal.addEventListener("click", () => command("reveal"));
dom.end.addEventListener("click", () => {
  if (state) endSession(state.session);
});
dom.endInterrupted.addEventListener("click", () => {
  if (state) endSession(state.session);
});
dom.resume.addEventListener("click", () => {
  if (sessionId !== null) resume(sessionId);
});
dom.live.addEventListener("click", async () => {
  if (!state) return;
  const done = await attempt(api(`/classes/${state.session.class_id}/live`,
    { method: "PUT", body: { session_id: state.session.id } }));
  if (done) toast(`${state.session.class_name}'s projector shows this session now.`);
  await refreshRunning();
  if (live) live.reset(); // the session's own state says it is live now
});
dom.showNames.addEventListener("change", () => attempt(api(`/sessions/${sessionId}`,
  { method: "PATCH", body: { show_names: dom.showNames.checked } })));
