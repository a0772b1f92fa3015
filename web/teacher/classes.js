// The classes tab: classes, the roster and its cards, CSV or XLSX import, groups with learning
// goals (drag students between groups or pick one in the roster), printing the cards, and
// archiving or deleting a class.

import { api, apiUrl, ApiError, el } from "../shared/client.js";
import { showTeachers } from "./people.js";
import { attempt, toast } from "./ui.js";

const $ = (id) => document.getElementById(id);
const dom = {
  list: $("class-list"),
  showArchived: $("show-archived"),
  classForm: $("class-form"),
  className: $("class-name"),
  detail: $("class-detail"),
  title: $("class-title"),
  archive: $("class-archive"),
  remove: $("class-delete"),
  roster: $("roster"),
  studentForm: $("student-form"),
  studentName: $("student-name"),
  studentCard: $("student-card"),
  studentSchoolId: $("student-school-id"),
  rosterFile: $("roster-file"),
  rosterText: $("roster-text"),
  rosterImport: $("roster-import"),
  rosterRejected: $("roster-rejected"),
  groups: $("groups"),
  groupForm: $("group-form"),
  groupName: $("group-name"),
  groupColour: $("group-colour"),
  groupGoal: $("group-goal"),
  cardsForm: $("cards-form"),
  cardsPerPage: $("cards-per-page"),
  cardsPaper: $("cards-paper"),
  cardsNames: $("cards-names"),
  cardsLink: $("cards-link"),
};

let classes = [];
let current = null; // the selected class
let students = [];
let groups = [];
let rosterFile = null; // an XLSX chosen for import: sent as it is, not as text

const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** Called when the tab opens. */
export async function show() {
  await loadClasses();
}

async function loadClasses() {
  const rows = await attempt(api(`/classes${dom.showArchived.checked ? "?archived=1" : ""}`));
  if (rows === null) return;
  classes = rows;
  const keep = current && classes.find((c) => c.id === current.id);
  renderClassList();
  if (keep) select(keep.id);
  else if (classes.length) select(classes[0].id);
  else dom.detail.hidden = true;
}

function renderClassList() {
  dom.list.replaceChildren(...classes.map((c) => el("li", {},
    el("button", { class: current && current.id === c.id ? "active" : "", onclick: () => select(c.id) },
      el("span", { text: c.name }),
      el("span", { class: "muted small", text: c.archived ? " archived" : ` ${c.students}` })))));
}

async function select(id) {
  const [cls, roster, grouping] = await Promise.all([
    attempt(api(`/classes/${id}`)),
    attempt(api(`/classes/${id}/students?archived=1`)),
    attempt(api(`/classes/${id}/groups`)),
  ]);
  if (!cls || !roster || !grouping) return;
  current = cls;
  students = roster;
  groups = grouping;
  renderClassList();
  dom.detail.hidden = false;
  dom.title.value = cls.name;
  dom.archive.textContent = cls.archived ? "Restore class" : "Archive class";
  renderRoster();
  renderGroups();
  renderCardsLink();
  showTeachers(id, reload);
}

// after a change, the class list too: its student counts change with the roster
const reload = () => loadClasses();

// --- roster -----------------------------------------------------------------------------------

function renderRoster() {
  const active = students.filter((s) => s.active);
  const archived = students.filter((s) => !s.active);
  dom.roster.replaceChildren(...[...active, ...archived].map(studentRow));
}

function studentRow(s) {
  const name = el("input", { value: s.name, "aria-label": "name", maxlength: 200, disabled: !s.active });
  name.addEventListener("change", () => patchStudent(s, { name: name.value }));
  const card = el("input", { type: "number", min: 1, max: 64, value: s.card ?? "", "aria-label": "card",
    class: "card", disabled: !s.active });
  card.addEventListener("change", () => patchStudent(s, { card: Number(card.value) }));
  // the school's identifiers, which every export carries (an empty field clears one)
  const schoolId = el("input", { value: s.school_id ?? "", "aria-label": "student ID (the school's)",
    maxlength: 64, class: "school-id", disabled: !s.active });
  schoolId.addEventListener("change", () => patchStudent(s, { school_id: schoolId.value.trim() }));
  const email = el("input", { type: "email", value: s.email ?? "", "aria-label": "email",
    maxlength: 254, class: "email", disabled: !s.active });
  email.addEventListener("change", () => patchStudent(s, { email: email.value.trim() }));
  const group = el("select", { "aria-label": "group", disabled: !s.active },
    el("option", { value: "", text: "–" }),
    groups.map((g) => el("option", { value: g.id, text: g.name, selected: g.id === s.group_id })));
  group.addEventListener("change", () => moveStudent(s.id, group.value ? Number(group.value) : null));
  const toggle = el("button", { class: "small", text: s.active ? "Archive" : "Restore",
    onclick: () => patchStudent(s, { active: !s.active }) });
  return el("tr", { class: s.active ? "" : "archived" },
    el("td", {}, name), el("td", {}, card), el("td", {}, schoolId), el("td", {}, email),
    el("td", {}, group), el("td", {}, toggle));
}

async function patchStudent(s, body) {
  const done = await attempt(api(`/classes/${current.id}/students/${s.id}`, { method: "PATCH", body }));
  if (done) toast("Saved.");
  await reload();
}

async function addStudent(event) {
  event.preventDefault();
  const body = { name: dom.studentName.value.trim() };
  if (dom.studentCard.value) body.card = Number(dom.studentCard.value);
  if (dom.studentSchoolId.value.trim()) body.school_id = dom.studentSchoolId.value.trim();
  const done = await attempt(api(`/classes/${current.id}/students`, { method: "POST", body }));
  if (!done) return;
  toast(`${done.name} has card ${done.card}.`);
  dom.studentForm.reset();
  dom.studentName.focus();
  await reload();
}

async function importRoster(partial = false) {
  const text = dom.rosterText.value;
  if (!rosterFile && !text.trim()) {
    toast("Paste a CSV or choose a file first.", true);
    return;
  }
  dom.rosterRejected.replaceChildren();
  const upload = rosterFile ? { body: rosterFile, contentType: XLSX_TYPE } : { body: text, contentType: "text/csv" };
  try {
    const done = await api(`/classes/${current.id}/roster${partial ? "?partial=1" : ""}`,
      { method: "POST", ...upload });
    toast(`Imported ${done.created} student(s)${done.rejected.length ? `; ${done.rejected.length} row(s) skipped` : ""}.`);
    forgetRosterFile();
    showRejected(done.rejected, false);
    await reload();
  } catch (err) {
    if (err instanceof ApiError && err.body && err.body.rejected) {
      toast(err.message, true);
      showRejected(err.body.rejected, true);
    } else {
      toast(err.message, true);
    }
  }
}

function showRejected(rejected, offerPartial) {
  const items = rejected.map((r) => el("li", { text: `line ${r.line}: ${r.reason}` }));
  if (offerPartial) {
    items.push(el("li", {}, el("button", { type: "button", text: "Import the good rows",
      onclick: () => importRoster(true) })));
  }
  dom.rosterRejected.replaceChildren(...items);
}

async function chooseRosterFile() {
  const file = dom.rosterFile.files[0];
  if (!file) return;
  if (/\.xlsx$/i.test(file.name) || file.type === XLSX_TYPE) {
    rosterFile = file;
    dom.rosterText.value = "";
    dom.rosterText.placeholder = `${file.name}: an Excel workbook, imported from its first sheet`;
    dom.rosterText.disabled = true;
  } else {
    forgetRosterFile();
    dom.rosterText.value = await file.text();
  }
}

function forgetRosterFile() {
  rosterFile = null;
  dom.rosterFile.value = "";
  dom.rosterText.value = "";
  dom.rosterText.disabled = false;
  dom.rosterText.placeholder = "name,card,group,student id,email\nAda Lovelace,1,Blue,S1001,ada@school.example";
}

// --- groups -----------------------------------------------------------------------------------

function renderGroups() {
  const byId = new Map(students.filter((s) => s.active).map((s) => [s.id, s]));
  const grouped = new Set(groups.flatMap((g) => g.students));
  const loose = [...byId.values()].filter((s) => !grouped.has(s.id));
  dom.groups.replaceChildren(
    ...groups.map((g) => groupColumn(g, g.students.map((id) => byId.get(id)).filter(Boolean))),
    groupColumn(null, loose));
}

function groupColumn(group, members) {
  const column = el("section", { class: "group-col", style: { borderTopColor: group ? group.colour : "#8c959f" } });
  column.addEventListener("dragover", (event) => {
    event.preventDefault();
    column.classList.add("over");
  });
  column.addEventListener("dragleave", () => column.classList.remove("over"));
  column.addEventListener("drop", (event) => {
    event.preventDefault();
    column.classList.remove("over");
    const id = Number(event.dataTransfer.getData("text/plain"));
    if (id) moveStudent(id, group ? group.id : null);
  });
  if (group) {
    const goal = el("textarea", { rows: 2, class: "goal", placeholder: "Learning goal", maxlength: 500 });
    goal.value = group.goal || "";
    goal.addEventListener("change", () => patchGroup(group.id, { goal: goal.value }));
    const colour = el("input", { type: "color", value: group.colour || "#1f77b4", "aria-label": "colour" });
    colour.addEventListener("change", () => patchGroup(group.id, { colour: colour.value }));
    column.append(el("header", {}, colour, el("strong", { text: group.name }),
      el("button", { class: "small", text: "End group", title: "its history stays",
        onclick: () => endGroup(group) })), goal);
  } else {
    column.append(el("header", {}, el("strong", { text: "No group" })));
  }
  column.append(el("ul", { class: "chips" }, members.map((s) => {
    const chip = el("li", { class: "chip", draggable: "true", text: s.name });
    chip.addEventListener("dragstart", (event) => event.dataTransfer.setData("text/plain", String(s.id)));
    return chip;
  })));
  return column;
}

async function moveStudent(studentId, groupId) {
  const from = groups.find((g) => g.students.includes(studentId));
  if ((from ? from.id : null) === groupId) return;
  if (groupId !== null) {
    // a student is in one group at a time: joining one ends the stay in the other
    const to = groups.find((g) => g.id === groupId);
    await attempt(patchGroup(groupId, { students: [...to.students, studentId] }, false));
  } else if (from) {
    await attempt(patchGroup(from.id, { students: from.students.filter((id) => id !== studentId) }, false));
  }
  await reload();
}

async function patchGroup(id, body, refresh = true) {
  const done = await attempt(api(`/classes/${current.id}/groups/${id}`, { method: "PATCH", body }));
  if (refresh) {
    if (done) toast("Saved.");
    await reload();
  }
  return done;
}

async function endGroup(group) {
  if (!confirm(`End the group ${group.name}? Its members become ungrouped; its history stays.`)) return;
  await attempt(api(`/classes/${current.id}/groups/${group.id}`, { method: "DELETE" }));
  await reload();
}

async function addGroup(event) {
  event.preventDefault();
  const body = { name: dom.groupName.value.trim(), colour: dom.groupColour.value, goal: dom.groupGoal.value };
  const done = await attempt(api(`/classes/${current.id}/groups`, { method: "POST", body }));
  if (!done) return;
  dom.groupForm.reset();
  await reload();
}

// --- cards and the class itself ---------------------------------------------------------------------

function renderCardsLink() {
  dom.cardsLink.href = apiUrl(`/classes/${current.id}/cards.pdf`, {
    per_page: dom.cardsPerPage.value, paper: dom.cardsPaper.value, names: dom.cardsNames.checked ? "1" : "0" });
}

async function addClass(event) {
  event.preventDefault();
  const done = await attempt(api("/classes", { method: "POST", body: { name: dom.className.value.trim() } }));
  if (!done) return;
  dom.classForm.reset();
  current = done;
  await loadClasses();
}

dom.classForm.addEventListener("submit", addClass);
dom.showArchived.addEventListener("change", loadClasses);
dom.title.addEventListener("change", async () => {
  await attempt(api(`/classes/${current.id}`, { method: "PATCH", body: { name: dom.title.value.trim() } }));
  await loadClasses();
});
dom.archive.addEventListener("click", async () => {
  await attempt(api(`/classes/${current.id}`, { method: "PATCH", body: { archived: !current.archived } }));
  await loadClasses();
});
dom.remove.addEventListener("click", async () => {
  const name = current.name;
  if (!confirm(`Delete ${name} for good, with its ${current.students} student(s), their answers and ` +
    "its sessions? This cannot be undone; archive the class instead to keep its history.")) return;
  try {
    await api(`/classes/${current.id}`, { method: "DELETE" });
  } catch (err) {
    toast(err.message, true);
    return;
  }
  toast(`${name} was deleted.`);
  current = null;
  await loadClasses();
});
dom.studentForm.addEventListener("submit", addStudent);
dom.rosterFile.addEventListener("change", chooseRosterFile);
dom.rosterImport.addEventListener("click", () => importRoster(false));
dom.groupForm.addEventListener("submit", addGroup);
dom.cardsForm.addEventListener("change", renderCardsLink);
