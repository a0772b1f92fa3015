// Flags and check-ins on the console: which group to check in with, why and what to try; then
// the check-in itself (started, then ended with a note, the goal agreed and the next step).
// One card per group that needs the teacher, most urgent first: the strongest reason as its
// headline, the other reasons as evidence under it, one suggested move. Notes that a group is
// doing well (action "acknowledge") are not calls: they go to the quiet "Doing well" strip.

import { announcer, api, el } from "../shared/client.js";
import { attempt, keepFocus, toast } from "./ui.js";

const $ = (id) => document.getElementById(id);
const dom = {
  flags: $("flags"),
  doingWell: $("doing-well"),
  notes: $("notes"),
  open: $("checkins-open"),
  pick: $("checkin-group"),
  start: $("checkin-start"),
  announce: $("flags-announce"),
};
const say = announcer(dom.announce, 0); // each new call at once

let sessionId = null;
let groups = new Map();
let students = new Map();
let openCheckins = []; // check-ins of this session not ended yet
let called = null; // who was being called at the last render (null: nothing rendered yet)

// Most urgent first.
const SEVERITY = { high: ["Now", 0], medium: ["Soon", 1], low: ["When you can", 2], info: ["When you can", 3] };
const rank = (flag) => (SEVERITY[flag.severity] || ["", 4])[1];
const byUrgency = (a, b) => rank(a) - rank(b) || a.id - b.id;

/** Show the flags of `state` (open ones only) and this session's open check-ins. */
export async function render(state, session) {
  if (session !== sessionId) {
    sessionId = session;
    called = null;
    const rows = await attempt(api(`/sessions/${session}/checkins`));
    openCheckins = (rows || []).filter((c) => c.ended_at === null);
  }
  groups = new Map(state.groups.map((g) => [g.id, g]));
  students = new Map((state.students || []).map((s) => [s.id, s]));
  const open = (state.flags || []).filter((f) => f.resolved_at == null).sort(byUrgency);
  const calls = new Map(); // group id (or "class") -> its check-in flags, most urgent first
  for (const flag of open.filter((f) => (f.action || "check-in") === "check-in")) {
    const key = flag.group_id ?? "class";
    if (!calls.has(key)) calls.set(key, []);
    calls.get(key).push(flag);
  }
  const cards = [...calls.values()].sort((a, b) => byUrgency(a[0], b[0]));
  keepFocus(dom.flags, () => dom.flags.replaceChildren(...(cards.length ? cards.map(callCard)
    : [el("li", { class: "muted", text: "No group needs a check-in right now." })])));
  announceNew(cards);
  const notes = open.filter((f) => f.action === "acknowledge" && !calls.has(f.group_id ?? "class"));
  dom.doingWell.hidden = !notes.length;
  dom.notes.replaceChildren(...notes.map(noteItem));
  const picked = dom.pick.value;
  dom.pick.replaceChildren(...state.groups.map((g) => el("option", { value: g.id, text: g.name })));
  if (picked) dom.pick.value = picked;
  renderOpen();
}

function announceNew(cards) {
  // a call for a group not called at the last render is read out; the calls standing when the
  // session is opened are not (they are on the screen, and would all be read at once)
  const now = new Set(cards.map((flags) => flags[0].group_id ?? "class"));
  if (called !== null) {
    const fresh = cards.filter((flags) => !called.has(flags[0].group_id ?? "class"));
    if (fresh.length) {
      say(fresh.map((flags) => {
        const group = groups.get(flags[0].group_id);
        return `Check in with ${group ? group.name : "the class"}: ${reason(flags[0])}`;
      }).join(". "));
    }
  }
  called = now;
}

const moveOf = (flag) => (flag.evidence && flag.evidence.move) || "";
const reason = (flag) => {
  const move = moveOf(flag);
  return move && flag.message.endsWith(move) ? flag.message.slice(0, -move.length).trim() : flag.message;
};

function callCard(flags) {
  const [head, ...rest] = flags;
  const group = groups.get(head.group_id);
  const student = (f) => (f.student_id != null ? students.get(f.student_id) : null);
  const who = group ? group.name : "Class";
  const move = moveOf(head);
  return el("li", { class: `flag ${head.severity || ""}`, style: { borderLeftColor: group ? group.colour : "#8c959f" } },
    el("div", { class: "flag-head" },
      el("span", { class: "severity", text: (SEVERITY[head.severity] || [head.severity])[0] }),
      el("strong", { text: who }),
      group && el("button", { class: "small primary", type: "button", text: "Check in now",
        "data-key": `checkin-${group.id}`, "aria-label": `Check in now with ${who}`,
        onclick: () => startCheckin(group.id) }),
      el("button", { class: "small", type: "button", text: "Dismiss", title: "Dismiss this call (all its reasons)",
        "data-key": `dismiss-${head.group_id ?? "class"}`, "aria-label": `Dismiss the call for ${who}`,
        onclick: () => dismiss(flags) })),
    el("p", { class: "headline", text: withName(reason(head), student(head)) }),
    rest.length > 0 && el("ul", { class: "evidence small" },
      rest.map((f) => el("li", { text: withName(reason(f), student(f)) }))),
    move && el("p", { class: "move small", text: `Try: ${move}` }));
}

// the teacher's own console may name the student a card belongs to (flags carry card numbers)
const withName = (text, student) => (student ? `${student.name}: ${text}` : text);

function noteItem(flag) {
  const group = groups.get(flag.group_id);
  return el("li", { class: "note", style: { borderLeftColor: group ? group.colour : "#8c959f" } },
    el("strong", { text: group ? group.name : "Class" }), " ",
    el("span", { text: moveOf(flag) || flag.message, title: reason(flag) }));
}

// the form of each open check-in, kept across renders: every live event re-renders the panel,
// and a new form would drop what the teacher is typing into it
const forms = new Map();

function renderOpen() {
  for (const id of forms.keys()) {
    if (!openCheckins.some((c) => c.id === id)) forms.delete(id);
  }
  const wanted = openCheckins.map((c) => {
    if (!forms.has(c.id)) forms.set(c.id, checkinForm(c));
    return forms.get(c.id);
  });
  // the same forms: leave them be (taking a form out and back would drop the keyboard focus)
  const shown = [...dom.open.children];
  if (shown.length === wanted.length && shown.every((form, i) => form === wanted[i])) return;
  dom.open.replaceChildren(...wanted);
}

function checkinForm(c) {
  const group = groups.get(c.group_id);
  const note = el("textarea", { rows: 2, placeholder: "What you saw and talked about", maxlength: 2000 });
  const goal = el("input", { placeholder: "Goal agreed (becomes the group's goal)", maxlength: 500, value: group ? group.goal || "" : "" });
  const next = el("input", { placeholder: "Next step", maxlength: 500 });
  return el("form", { class: "checkin", style: { borderLeftColor: group ? group.colour : "#8c959f" },
    onsubmit: (event) => {
      event.preventDefault();
      endCheckin(c, { note: note.value, goal: goal.value, next_step: next.value });
    } },
  el("strong", { text: `Checking in with ${group ? group.name : "a group"}` }),
  // labels, not only placeholders: a placeholder is gone once the box is filled
  el("label", {}, "What you saw", note), el("label", {}, "Goal agreed", goal),
  el("label", {}, "Next step", next),
  el("button", { class: "primary", text: "End check-in" }));
}

async function startCheckin(groupId) {
  const done = await attempt(api(`/sessions/${sessionId}/checkins`, { method: "POST", body: { group_id: groupId } }));
  if (!done) return;
  openCheckins.push(done);
  renderOpen();
  const form = forms.get(done.id);
  if (form) form.querySelector("textarea").focus(); // go on typing the note
}

async function endCheckin(checkin, body) {
  const done = await attempt(api(`/sessions/${sessionId}/checkins/${checkin.id}/end`, { method: "POST", body }));
  if (!done) return;
  openCheckins = openCheckins.filter((c) => c.id !== checkin.id);
  toast("Check-in saved.");
  const hadFocus = dom.open.contains(document.activeElement);
  renderOpen();
  if (hadFocus) dom.start.focus(); // the form pressed is gone
}

async function dismiss(flags) {
  for (const flag of flags) {
    await attempt(api(`/sessions/${sessionId}/flags/${flag.id}/dismiss`, { method: "POST" }));
  }
}

dom.start.addEventListener("click", () => {
  if (dom.pick.value) startCheckin(Number(dom.pick.value));
});
