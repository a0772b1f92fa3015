// The questions tab: the library (prompt, 2-4 choices, the correct one or a poll, skill tags)
// and the sets a session asks in order.

import { api, el, letters } from "../shared/client.js";
import { attempt, toast } from "./ui.js";

const $ = (id) => document.getElementById(id);
const dom = {
  skillFilter: $("skill-filter"),
  list: $("question-list"),
  form: $("question-form"),
  formTitle: $("question-form-title"),
  prompt: $("q-prompt"),
  choices: $("q-choices"),
  addChoice: $("q-add-choice"),
  poll: $("q-poll"),
  skills: $("q-skills"),
  cancel: $("q-cancel"),
  sets: $("set-list"),
  setForm: $("set-form"),
  setFormTitle: $("set-form-title"),
  setName: $("set-name"),
  setPicked: $("set-picked"),
  setChoices: $("set-choices"),
  setCancel: $("set-cancel"),
};

let questions = [];
let sets = [];
let editing = null; // the question being edited, or null for a new one
let editingSet = null;
let picked = []; // question ids of the set being edited, in order

/** Called when the tab opens. */
export async function show() {
  const [qs, ss] = await Promise.all([attempt(api("/questions")), attempt(api("/sets"))]);
  if (!qs || !ss) return;
  questions = qs;
  sets = ss;
  renderFilter();
  renderQuestions();
  renderSets();
  renderSetPicker();
  if (!dom.choices.children.length) resetForm();
}

function renderFilter() {
  const skills = [...new Set(questions.flatMap((q) => q.skills))].sort();
  const chosen = dom.skillFilter.value;
  dom.skillFilter.replaceChildren(el("option", { value: "", text: "all" }),
    ...skills.map((s) => el("option", { value: s, text: s, selected: s === chosen })));
}

function renderQuestions() {
  const skill = dom.skillFilter.value;
  const shown = questions.filter((q) => !skill || q.skills.includes(skill));
  dom.list.replaceChildren(...shown.map((q) => el("li", { class: "question" },
    el("p", { class: "prompt", text: q.prompt }),
    el("ol", { class: "choices-inline" }, letters(q.choices.length).map((letter, i) =>
      el("li", { class: q.correct === letter ? "correct" : "" }, el("b", { text: `${letter} ` }), q.choices[i]))),
    el("p", { class: "meta" },
      q.correct ? "" : el("span", { class: "tag poll", text: "poll" }),
      q.skills.map((s) => el("span", { class: "tag", text: s })),
      el("button", { class: "small", text: "Edit", onclick: () => edit(q) }),
      el("button", { class: "small danger", text: "Delete", onclick: () => remove(q) })))));
}

function choiceRow(text = "", letter = "A", correct = false) {
  return el("div", { class: "row choice-row" },
    el("label", {}, el("input", { type: "radio", name: "q-correct", value: letter, checked: correct }),
      ` ${letter}`),
    el("input", { class: "choice-text", value: text, placeholder: `Choice ${letter}`, required: true, maxlength: 500 }),
    el("button", { type: "button", class: "small", text: "×", "aria-label": "remove choice",
      onclick: (event) => removeChoice(event.target.closest(".choice-row")) }));
}

function relabel() {
  // keep letters A-D in order after adding or removing a choice
  [...dom.choices.children].forEach((row, i) => {
    const letter = "ABCD"[i];
    row.querySelector("input[type=radio]").value = letter;
    row.querySelector("label").lastChild.textContent = ` ${letter}`;
    row.querySelector(".choice-text").placeholder = `Choice ${letter}`;
  });
  dom.addChoice.disabled = dom.choices.children.length >= 4;
}

function removeChoice(row) {
  if (dom.choices.children.length <= 2) {
    toast("A question has at least two choices.", true);
    return;
  }
  row.remove();
  relabel();
}

function resetForm() {
  editing = null;
  dom.form.reset();
  dom.formTitle.textContent = "New question";
  dom.choices.replaceChildren(choiceRow("", "A", true), choiceRow("", "B"), choiceRow("", "C"));
  relabel();
}

function edit(q) {
  editing = q;
  dom.formTitle.textContent = "Edit question";
  dom.prompt.value = q.prompt;
  dom.choices.replaceChildren(...q.choices.map((c, i) => choiceRow(c, "ABCD"[i], q.correct === "ABCD"[i])));
  dom.poll.checked = q.correct === null;
  dom.skills.value = q.skills.join(", ");
  relabel();
  dom.form.scrollIntoView({ behavior: "smooth" });
}

async function save(event) {
  event.preventDefault();
  const checked = dom.form.querySelector("input[name=q-correct]:checked");
  const body = {
    prompt: dom.prompt.value.trim(),
    choices: [...dom.choices.querySelectorAll(".choice-text")].map((i) => i.value.trim()),
    correct: checked && checked.value ? checked.value : null,
    skills: dom.skills.value.split(",").map((s) => s.trim()).filter(Boolean),
  };
  const done = await attempt(editing ? api(`/questions/${editing.id}`, { method: "PATCH", body })
    : api("/questions", { method: "POST", body }));
  if (!done) return;
  toast("Question saved.");
  resetForm();
  await show();
}

async function remove(q) {
  if (!confirm(`Delete "${q.prompt}"? (A question that was asked is archived instead.)`)) return;
  await attempt(api(`/questions/${q.id}`, { method: "DELETE" }));
  await show();
}

// --- sets -------------------------------------------------------------------------------------

function renderSets() {
  const prompts = new Map(questions.map((q) => [q.id, q.prompt]));
  dom.sets.replaceChildren(...sets.map((s) => el("li", { class: "set" },
    el("strong", { text: s.name }), el("span", { class: "muted small", text: ` ${s.questions.length} questions` }),
    el("ol", { class: "small" }, s.questions.map((id) => el("li", { text: prompts.get(id) || `question ${id}` }))),
    el("button", { class: "small", text: "Edit", onclick: () => editSet(s) }),
    el("button", { class: "small danger", text: "Delete", onclick: () => removeSet(s) }))));
}

function renderSetPicker() {
  const prompts = new Map(questions.map((q) => [q.id, q.prompt]));
  dom.setPicked.replaceChildren(...picked.map((id) => el("li", { text: prompts.get(id) || `question ${id}` })));
  dom.setChoices.replaceChildren(...questions.map((q) => {
    const box = el("input", { type: "checkbox", checked: picked.includes(q.id) });
    box.addEventListener("change", () => {
      picked = box.checked ? [...picked, q.id] : picked.filter((id) => id !== q.id);
      renderSetPicker();
    });
    return el("li", {}, el("label", {}, box, ` ${q.prompt}`));
  }));
}

function editSet(s) {
  editingSet = s;
  dom.setFormTitle.textContent = `Edit ${s.name}`;
  dom.setName.value = s.name;
  picked = [...s.questions];
  renderSetPicker();
}

function resetSet() {
  editingSet = null;
  dom.setForm.reset();
  dom.setFormTitle.textContent = "New set";
  picked = [];
  renderSetPicker();
}

async function saveSet(event) {
  event.preventDefault();
  if (!picked.length) {
    toast("Tick at least one question.", true);
    return;
  }
  const body = { name: dom.setName.value.trim(), questions: picked };
  const done = await attempt(editingSet ? api(`/sets/${editingSet.id}`, { method: "PATCH", body })
    : api("/sets", { method: "POST", body }));
  if (!done) return;
  toast("Set saved.");
  resetSet();
  await show();
}

async function removeSet(s) {
  if (!confirm(`Delete the set ${s.name}? Its questions stay in the library.`)) return;
  await attempt(api(`/sets/${s.id}`, { method: "DELETE" }));
  await show();
}

dom.skillFilter.addEventListener("change", renderQuestions);
dom.form.addEventListener("submit", save);
dom.addChoice.addEventListener("click", () => {
  if (dom.choices.children.length < 4) dom.choices.append(choiceRow("", "ABCD"[dom.choices.children.length]));
  relabel();
});
dom.cancel.addEventListener("click", resetForm);
dom.setForm.addEventListener("submit", saveSet);
dom.setCancel.addEventListener("click", resetSet);

// The form is ready before the library loads, so nothing typed early is wiped by a late reset.
resetForm();
