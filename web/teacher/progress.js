// The progress tab: skill progressions, where each student of a class stands on one (with the
// evidence), placing a student from an observation or a conference, groups by step with the
// next step as their goal, acknowledging a goal reached, the questions on each step, the
// small-group time of the term, and the printable conferring records. Teacher only.

import { api, apiUrl, el } from "../shared/client.js";
import { attempt, toast } from "./ui.js";

const $ = (id) => document.getElementById(id);
const dom = {
  cls: $("pg-class"),
  progression: $("pg-progression"),
  examples: $("pg-examples"),
  importFile: $("pg-import"),
  exports: $("pg-exports"),
  steps: $("pg-steps"),
  standing: $("pg-standing"),
  records: $("pg-records"),
  size: $("pg-size"),
  suggest: $("pg-suggest"),
  accept: $("pg-accept"),
  suggestions: $("pg-suggestions"),
  groups: $("pg-groups"),
  questions: $("pg-questions"),
  term: $("pg-term"),
  time: $("pg-time"),
};

const KINDS = [["confirmed", "confirmed"], ["observed", "observed in class"], ["conference", "conference"]];
let progression = null;
let suggestion = null;

/** Called when the tab opens. */
export async function show() {
  const [classes, progressions] = await Promise.all([
    attempt(api("/classes")), attempt(api("/progressions"))]);
  if (!classes || !progressions) return;
  fill(dom.cls, classes.map((c) => [c.id, c.name]), "no class yet");
  fill(dom.progression, progressions.map((p) => [p.id, p.name]), "no progression yet");
  await render();
}

function fill(select, options, none) {
  const chosen = select.value;
  select.replaceChildren(...(options.length ? options.map(([value, text]) => el("option", { value, text }))
    : [el("option", { value: "", text: none })]));
  if (options.some(([value]) => String(value) === chosen)) select.value = chosen;
}

async function render() {
  const cid = dom.cls.value;
  const pid = dom.progression.value;
  progression = pid ? await attempt(api(`/progressions/${pid}`)) : null;
  renderProgression();
  suggestion = null;
  dom.suggestions.replaceChildren();
  dom.accept.hidden = true;
  if (!cid) return;
  dom.records.href = apiUrl(`/classes/${cid}/records`);
  await Promise.all([renderTime(cid), progression && renderStanding(cid), progression && renderGroups(cid),
    progression && renderQuestions()]);
}

function stepName(position) {
  if (position === null || position === undefined) return "not placed yet";
  if (position === 0) return "not yet on step 1";
  return `step ${position}: ${progression.steps[position - 1].name}`;
}

function renderProgression() {
  fillEditor();
  if (!progression) {
    dom.steps.replaceChildren();
    dom.exports.replaceChildren();
    return;
  }
  dom.steps.replaceChildren(...progression.steps.map((s) => el("li", {},
    el("strong", { text: s.name }), s.description ? ` — ${s.description}` : "")));
  dom.exports.replaceChildren("Export ",
    el("a", { href: apiUrl(`/progressions/${progression.id}/export`, { format: "toml" }), text: "TOML" }), " ",
    el("a", { href: apiUrl(`/progressions/${progression.id}/export`, { format: "csv" }), text: "CSV" }));
}

async function renderStanding(cid) {
  const data = await attempt(api(`/classes/${cid}/progressions/${progression.id}/standing`));
  if (!data) return;
  dom.standing.replaceChildren(...data.students.map((s) => {
    const now = s.current;
    const place = el("select", { "aria-label": `step to place ${s.name} on` },
      el("option", { value: "", text: "not yet on step 1" }),
      progression.steps.map((step) => el("option", { value: step.id, text: `step ${step.position}`,
        selected: step.id === now.step_id })));
    const kind = el("select", { "aria-label": `on what ${s.name}'s placement rests` },
      KINDS.map(([value, text]) => el("option", { value, text, selected: value === (now.step === s.estimate.step ? "confirmed" : "observed") })));
    const note = el("input", { placeholder: "note", maxlength: 2000, "aria-label": `note on ${s.name}` });
    const save = el("button", { type: "button", class: "small", text: "Place",
      onclick: () => placeStudent(cid, s, place.value, kind.value, note.value) });
    return el("tr", { "data-student": s.id },
      el("td", { text: s.name }),
      el("td", { class: now.provisional ? "provisional" : "" },
        now.step === null ? `not placed yet: ask about step ${now.ask}`
          : `${stepName(now.step)}${now.provisional ? " (at least)" : ""}`,
        el("div", { class: "muted small", text: now.source === "answers" ? "from answers" : `from the teacher: ${now.source}` })),
      el("td", { class: "small", text: now.evidence_text }),
      el("td", {}, place, " ", kind, " ", note, " ", save),
      el("td", {}, el("a", { href: apiUrl(`/classes/${cid}/students/${s.id}/record`), target: "_blank",
        rel: "noopener", text: "Record" })));
  }));
}

async function placeStudent(cid, student, stepId, kind, note) {
  const body = { progression_id: progression.id, step_id: stepId ? Number(stepId) : null, kind, note };
  const done = await attempt(api(`/classes/${cid}/students/${student.id}/placements`, { method: "POST", body }));
  if (!done) return;
  toast(`${student.name} placed`);
  await renderStanding(cid);
}

async function suggest() {
  const cid = dom.cls.value;
  if (!cid || !progression) return;
  const size = Number(dom.size.value) || 4;
  suggestion = await attempt(api(`/classes/${cid}/progressions/${progression.id}/grouping?size=${size}`));
  if (!suggestion) return;
  dom.suggestions.replaceChildren(...suggestion.groups.map((g) => el("li", { class: "pg-suggestion" },
    el("strong", { text: g.name }), ` — ${g.reason}. Goal: `,
    g.goal ? `step ${g.goal.position}: ${g.goal.name}` : "extend beyond the progression",
    el("div", { class: "small", text: g.students.map((s) => s.name).join(", ") }))),
  ...suggestion.unplaced.map((u) => el("li", { class: "muted small", text: `${u.name}: ${u.reason}` })));
  dom.accept.hidden = !suggestion.groups.length;
}

async function accept() {
  const cid = dom.cls.value;
  if (!suggestion) return;
  const body = { groups: suggestion.groups.map((g) => ({ name: g.name, students: g.students.map((s) => s.id),
    goal_step_id: g.goal ? g.goal.step_id : null })) };
  const done = await attempt(api(`/classes/${cid}/progressions/${progression.id}/grouping/accept`, { method: "POST", body }));
  if (!done) return;
  toast(`${body.groups.length} group(s) saved, each with the next step as its goal`);
  dom.accept.hidden = true;
  await renderGroups(cid);
}

async function renderGroups(cid) {
  const groups = await attempt(api(`/classes/${cid}/groups/goal-steps`));
  if (!groups) return;
  dom.groups.replaceChildren(...groups.map((g) => {
    const goal = g.goal_step;
    const reached = goal && goal.achieved_at;
    return el("li", { class: "pg-group", "data-group": g.id },
      el("strong", { text: g.name }), ` — goal: ${g.goal || "none yet"}`,
      reached ? " (reached)" : "",
      goal && !reached && el("button", { type: "button", class: "small", text: "Goal reached: acknowledge",
        onclick: () => acknowledge(cid, g) }));
  }));
}

async function acknowledge(cid, group) {
  const done = await attempt(api(`/classes/${cid}/groups/${group.id}/goal-step/acknowledge`, { method: "POST" }));
  if (!done) return;
  const next = done.suggested;
  if (next && window.confirm(`Acknowledged. Make step ${next.position} (${next.name}) ${group.name}'s new goal?`)) {
    await attempt(api(`/classes/${cid}/groups/${group.id}/goal-step`, { method: "PUT", body: { step_id: next.id } }));
  }
  toast(`${group.name}: goal reached and acknowledged`);
  await renderGroups(cid);
}

async function renderQuestions() {
  const questions = await attempt(api("/questions"));
  if (!questions) return;
  const mine = new Set(progression.steps.map((s) => s.id));
  dom.questions.replaceChildren(...questions.map((q) => {
    const pick = el("select", { "aria-label": `step that "${q.prompt}" measures` },
      el("option", { value: "", text: "no step" }),
      progression.steps.map((s) => el("option", { value: s.id, text: `step ${s.position}`, selected: s.id === q.step_id })));
    if (q.step_id && !mine.has(q.step_id)) {
      pick.append(el("option", { value: q.step_id, text: "a step of another progression", selected: true }));
    }
    pick.addEventListener("change", async () => {
      const done = await attempt(api(`/questions/${q.id}`, { method: "PATCH",
        body: { step_id: pick.value ? Number(pick.value) : null } }));
      if (done) toast("Saved");
    });
    return el("li", { class: "row" }, pick, el("span", { text: q.prompt }));
  }));
}

async function renderTime(cid) {
  const time = await attempt(api(`/classes/${cid}/small-group-time`));
  if (!time) return;
  dom.term.textContent = `(${time.term})`;
  const row = (name, t, cls) => el("tr", { class: cls }, el("td", { text: name }),
    el("td", { class: "num", text: String(t.checkins) }), el("td", { class: "num", text: String(t.minutes) }));
  dom.time.replaceChildren(...time.groups.filter((g) => !g.archived).map((g) => row(`group ${g.name}`, g, "group")),
    ...time.students.map((s) => row(s.name, s, "")));
}

async function addExamples() {
  const added = await attempt(api("/progressions/examples", { method: "POST" }));
  if (!added) return;
  toast(added.length ? `Added ${added.map((p) => p.name).join(" and ")}` : "The examples are there already");
  await show();
}

async function importFile() {
  const file = dom.importFile.files[0];
  if (!file) return;
  const csv = file.name.toLowerCase().endsWith(".csv");
  const text = await file.text();
  const made = await attempt(api(`/progressions/import?format=${csv ? "csv" : "toml"}`,
    { method: "POST", body: text, contentType: csv ? "text/csv" : "text/plain" }));
  dom.importFile.value = "";
  if (!made) return;
  toast(`Imported ${made.name}`);
  await show();
  dom.progression.value = made.id;
  await render();
}

dom.cls.addEventListener("change", render);
dom.progression.addEventListener("change", render);
dom.examples.addEventListener("click", addExamples);
dom.importFile.addEventListener("change", importFile);
dom.suggest.addEventListener("click", suggest);
dom.accept.addEventListener("click", accept);

// -- writing and editing a progression ---------------------------------------------------

const editor = {
  name: $("pg-name"),
  subject: $("pg-subject"),
  lines: $("pg-lines"),
  saveNew: $("pg-new"),
  save: $("pg-save"),
};

function fillEditor() {
  editor.name.value = progression ? progression.name : "";
  editor.subject.value = progression ? progression.subject : "";
  editor.lines.value = progression ? progression.steps.map(stepLine).join("\n") : "";
  editor.save.disabled = !progression;
}

/** A step as one line of the editor: "name | description | prompt; prompt". */
function stepLine(step) {
  const parts = [step.name, step.description, step.prompts.join("; ")];
  while (parts.length > 1 && !parts[parts.length - 1]) parts.pop();
  return parts.join(" | ").replace(/\| {2}\|/g, "| |");
}

/** The editor's lines as steps: "name | description | prompt; prompt", first step first. */
function readLines() {
  return editor.lines.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [name, description = "", prompts = ""] = line.split("|").map((part) => part.trim());
    return { name, description, prompts: prompts.split(";").map((p) => p.trim()).filter(Boolean) };
  });
}

async function saveNew() {
  const body = { name: editor.name.value.trim(), subject: editor.subject.value.trim(), steps: readLines() };
  const made = await attempt(api("/progressions", { method: "POST", body }));
  if (!made) return;
  toast(`Saved ${made.name}`);
  await show();
  dom.progression.value = made.id;
  await render();
}

async function saveChanges() {
  if (!progression) return;
  // each line keeps the step at its place, so the questions and goals on it follow
  const steps = readLines().map((s, i) => (progression.steps[i] ? { ...s, id: progression.steps[i].id } : s));
  const body = { name: editor.name.value.trim(), subject: editor.subject.value.trim(), steps };
  const saved = await attempt(api(`/progressions/${progression.id}`, { method: "PATCH", body }));
  if (!saved) return;
  toast(`Saved ${saved.name}`);
  await show();
}

editor.saveNew.addEventListener("click", saveNew);
editor.save.addEventListener("click", saveChanges);
