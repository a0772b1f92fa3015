// The session tab: start a session, ask / close / reveal / next, the live per-group picture,
// manual answers, pairing a phone, and the rule engine's flags when the server has them.

import { api, apiUrl, el, letters, nextQuestion, watchSession } from "../shared/client.js";
import { apiPaths, attempt, toast } from "./ui.js";
import * as checkins from "./checkins.js";

const $ = (id) => document.getElementById(id);
const dom = {
  link: $("link"),
  start: $("start"),
  startForm: $("start-form"),
  startClass: $("start-class"),
  startSet: $("start-set"),
  running: $("running"),
  run: $("run"),
  runClass: $("run-class"),
  runStatus: $("run-status"),
  runScanners: $("run-scanners"),
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
};

const STATUS_TEXT = { open: "answering", closed: "closed", revealed: "revealed" };
let sessionId = null;
let state = null;
let live = null;
let library = new Map(); // question id -> question
let links = { projector_url: "#", scan_url: "#" }; // from the state endpoint

/** Called when the tab opens: watch the running session, or offer to start one. */
export async function show() {
  const sessions = await attempt(api("/sessions"));
  if (sessions === null) return;
  const running = sessions.filter((s) => s.status === "running");
  if (sessionId !== null && running.some((s) => s.id === sessionId)) return;
  if (running.length) watch(running[0].id);
  else showStart(running);
}

async function showStart(running = []) {
  stopWatching();
  dom.run.hidden = true;
  dom.start.hidden = false;
  const [classes, sets] = await Promise.all([attempt(api("/classes")), attempt(api("/sets"))]);
  if (!classes || !sets) return;
  dom.startClass.replaceChildren(...classes.map((c) =>
    el("option", { value: c.id, text: `${c.name} (${c.students})` })));
  dom.startSet.replaceChildren(el("option", { value: "", text: "no set (pick questions as you go)" }),
    ...sets.map((s) => el("option", { value: s.id, text: `${s.name} (${s.questions.length})` })));
  dom.running.replaceChildren(...running.map((s) => el("li", {},
    el("button", { text: `Back to ${s.class_name} (running)`, onclick: () => watch(s.id) }))));
}

async function startSession(event) {
  event.preventDefault();
  const body = { class_id: Number(dom.startClass.value) };
  if (dom.startSet.value) body.set_id = Number(dom.startSet.value);
  const created = await attempt(api("/sessions", { method: "POST", body }));
  if (created) watch(created.session.id);
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
  dom.start.hidden = true;
  dom.run.hidden = false;
  dom.liveGroups.replaceChildren();
  const [questions, first] = await Promise.all([attempt(api("/questions")), attempt(api(`/sessions/${id}`))]);
  library = new Map((questions || []).map((q) => [q.id, q]));
  if (first) links = { projector_url: first.projector_url, scan_url: first.scan_url };
  live = watchSession(id, onState, { onStatus });
  showPairing(id);
}

async function showPairing(id) {
  dom.pairQr.src = apiUrl("/pair.svg", { session: id });
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

function onState(fresh) {
  state = fresh;
  if (state.session.status !== "running") {
    toast("The session has ended.");
    showStart();
    return;
  }
  renderHeader();
  renderQuestion();
  renderControls();
  renderGroups();
  renderFlags();
}

function renderHeader() {
  dom.runClass.textContent = state.session.class_name;
  const q = state.question;
  dom.runStatus.textContent = q ? `Q${q.number} ${STATUS_TEXT[q.status]}` : "no question yet";
  dom.runStatus.dataset.status = q ? q.status : "";
  dom.runScanners.textContent = state.scanners ? `${state.scanners} scanner(s) connected` : "";
  dom.showNames.checked = state.session.show_names;
  dom.projectorLink.href = links.projector_url;
  dom.scanLink.href = links.scan_url;
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
      el("span", { class: "text", text: q.choices[i] }),
      el("span", { class: "bar" }, el("span", { style: { width: `${(100 * (counts[letter] || 0)) / most}%` } })),
      el("span", { class: "n", text: String(counts[letter] || 0) })))),
    el("p", { class: "answered" }, el("strong", { text: `${q.answered}/${q.total}` }), " answered",
      q.correct ? ` · ${state.students.filter((s) => s.correct).length} right` : " · a poll"));
}

function renderControls() {
  const q = state.question;
  const next = nextQuestion(state);
  dom.next.disabled = next === null;
  dom.next.textContent = next === null ? "Set finished" : q ? "Ask next" : "Ask first question";
  dom.close.disabled = !q || q.status !== "open";
  dom.reopen.disabled = !q || q.status !== "closed";
  dom.reveal.disabled = !q || q.status === "revealed";
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
  dom.liveGroups.replaceChildren(...blocks);
}

function groupBlock(name, colour, goal, members) {
  const answered = members.filter((s) => s.answer !== null);
  const right = members.filter((s) => s.correct === true).length;
  const q = state.question;
  const summary = q ? `${answered.length}/${members.length} answered${q.correct ? `, ${right} right` : ""}` : "";
  return el("article", { class: "group", style: { borderColor: colour } },
    el("header", { style: { background: colour } },
      el("strong", { text: name }), el("span", { class: "summary", text: summary })),
    goal && el("p", { class: "goal", text: goal }),
    el("ul", { class: "chips" }, members.map((s) => studentChip(s))));
}

function studentChip(s) {
  const mark = s.correct === true ? "right" : s.correct === false ? "wrong" : s.answer ? "given" : "none";
  return el("li", {},
    el("button", { class: `chip ${mark}`, title: s.source === "manual" ? "entered by hand" : "",
      onclick: () => openManual(s) },
      el("span", { class: "name", text: s.name }),
      el("span", { class: "answer", text: s.answer || "–" })));
}

function openManual(student) {
  const q = state.question;
  if (!q || q.status === "revealed") {
    toast(q ? "The answer was revealed; this question takes no more answers." : "Ask a question first.", true);
    return;
  }
  dom.manualName.textContent = `${student.name} (card ${student.card ?? "none"})`;
  dom.manualLetters.replaceChildren(...letters(q.choices.length).map((letter, i) => el("button", {
    type: "button", class: student.answer === letter ? "primary" : "", text: `${letter}: ${q.choices[i]}`,
    onclick: async () => {
      dom.manual.close();
      const done = await attempt(api(`/sessions/${sessionId}/responses/${student.id}`,
        { method: "PUT", body: { answer: letter } }));
      if (done) toast(`${student.name}: ${letter}`);
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

dom.startForm.addEventListener("submit", startSession);
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
  if (confirm("End this session? Its answers are kept for the reports.")) command("end");
});
dom.showNames.addEventListener("change", () => attempt(api(`/sessions/${sessionId}`,
  { method: "PATCH", body: { show_names: dom.showNames.checked } })));
