// Flags and check-ins on the console: which group to check in with, why and what to try; then
// the check-in itself (started, then ended with a note, the goal agreed and the next step).

import { api, el } from "../shared/client.js";
import { attempt, toast } from "./ui.js";

const $ = (id) => document.getElementById(id);
const dom = {
  flags: $("flags"),
  open: $("checkins-open"),
  pick: $("checkin-group"),
  start: $("checkin-start"),
};

let sessionId = null;
let groups = new Map();
let students = new Map();
let openCheckins = []; // check-ins of this session not ended yet

// Most urgent first; "info" is good news (a group ready to extend), shown last and in green.
const SEVERITY = { high: ["Now", 0], medium: ["Soon", 1], low: ["When you can", 2], info: ["Going well", 3] };
const rank = (flag) => (SEVERITY[flag.severity] || ["", 4])[1];

/** Show the flags of `state` (open ones only) and this session's open check-ins. */
export async function render(state, session) {
  if (session !== sessionId) {
    sessionId = session;
    const rows = await attempt(api(`/sessions/${session}/checkins`));
    openCheckins = (rows || []).filter((c) => c.ended_at === null);
  }
  groups = new Map(state.groups.map((g) => [g.id, g]));
  students = new Map((state.students || []).map((s) => [s.id, s]));
  const flags = (state.flags || []).filter((f) => f.resolved_at == null)
    .sort((a, b) => rank(a) - rank(b) || a.id - b.id);
  dom.flags.replaceChildren(...(flags.length ? flags.map(flagItem)
    : [el("li", { class: "muted", text: "No group needs a check-in right now." })]));
  const picked = dom.pick.value;
  dom.pick.replaceChildren(...state.groups.map((g) => el("option", { value: g.id, text: g.name })));
  if (picked) dom.pick.value = picked;
  renderOpen();
}

function flagItem(flag) {
  const group = groups.get(flag.group_id);
  const student = flag.student_id != null ? students.get(flag.student_id) : null;
  const move = flag.evidence && flag.evidence.move;
  const who = [student && student.name, group ? group.name : !student && "Class"].filter(Boolean).join(" · ");
  return el("li", { class: `flag ${flag.severity || ""}`, style: { borderLeftColor: group ? group.colour : "#8c959f" } },
    el("div", { class: "flag-head" },
      el("span", { class: "severity", text: (SEVERITY[flag.severity] || [flag.severity])[0] }),
      el("strong", { text: who }),
      group && el("button", { class: "small primary", text: "Check in now", onclick: () => startCheckin(group.id) }),
      el("button", { class: "small", text: "Dismiss", onclick: () => dismiss(flag) })),
    el("p", { text: flag.message }),
    move && !flag.message.includes(move) && el("p", { class: "move small", text: `Try: ${move}` }));
}

function renderOpen() {
  dom.open.replaceChildren(...openCheckins.map((c) => {
    const group = groups.get(c.group_id);
    const note = el("textarea", { rows: 2, placeholder: "What you saw and talked about", maxlength: 2000 });
    const goal = el("input", { placeholder: "Goal agreed (becomes the group's goal)", maxlength: 500, value: group ? group.goal || "" : "" });
    const next = el("input", { placeholder: "Next step", maxlength: 500 });
    return el("form", { class: "checkin", style: { borderLeftColor: group ? group.colour : "#8c959f" },
      onsubmit: (event) => {
        event.preventDefault();
        endCheckin(c, { note: note.value, goal: goal.value, next_step: next.value });
      } },
    el("strong", { text: `Checking in with ${group ? group.name : "a group"}` }), note, goal, next,
    el("button", { class: "primary", text: "End check-in" }));
  }));
}

async function startCheckin(groupId) {
  const done = await attempt(api(`/sessions/${sessionId}/checkins`, { method: "POST", body: { group_id: groupId } }));
  if (!done) return;
  openCheckins.push(done);
  renderOpen();
}

async function endCheckin(checkin, body) {
  const done = await attempt(api(`/sessions/${sessionId}/checkins/${checkin.id}/end`, { method: "POST", body }));
  if (!done) return;
  openCheckins = openCheckins.filter((c) => c.id !== checkin.id);
  toast("Check-in saved.");
  renderOpen();
}

async function dismiss(flag) {
  await attempt(api(`/sessions/${sessionId}/flags/${flag.id}/dismiss`, { method: "POST" }));
}

dom.start.addEventListener("click", () => {
  if (dom.pick.value) startCheckin(Number(dom.pick.value));
});
