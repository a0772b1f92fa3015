// A class's teachers, on the classes tab: its owner and co-teachers; the owner (or an admin)
// adds and removes co-teachers and hands the class over. Shown on a server with accounts only.

import { api, el } from "../shared/client.js";
import { attempt, toast } from "./ui.js";

const $ = (id) => document.getElementById(id);
const dom = {
  panel: $("teachers-panel"),
  list: $("teacher-list"),
  coForm: $("coteacher-form"),
  coUsername: $("coteacher-username"),
  handForm: $("handover-form"),
  handUsername: $("handover-username"),
};

let classId = null;
let onHandedOver = () => {};

/** Show class `id`'s teachers; `handedOver` runs when the caller gives the class away. */
export async function showTeachers(id, handedOver) {
  classId = id;
  onHandedOver = handedOver;
  const me = await attempt(api("/me"));
  if (!me || !me.accounts) {
    dom.panel.hidden = true;
    return;
  }
  const people = await attempt(api(`/classes/${id}/teachers`));
  if (people === null || classId !== id) return;
  const mine = me.user && people.some((p) => p.user_id === me.user.id && p.role === "owner");
  const manage = me.admin || mine;
  dom.panel.hidden = false;
  dom.coForm.hidden = !manage;
  dom.handForm.hidden = !manage;
  dom.list.replaceChildren(...people.map((p) => el("li", {},
    el("span", { text: `${p.display_name} (${p.username}) ` }),
    el("span", { class: "muted small", text: p.role === "owner" ? "owner " : "co-teacher " }),
    manage && p.role === "coteacher" && el("button", {
      type: "button", class: "small", text: "Remove", "aria-label": `Remove ${p.username} from this class`,
      onclick: () => removeTeacher(p),
    }))));
}

async function addTeacher(event) {
  event.preventDefault();
  const body = { username: dom.coUsername.value.trim() };
  if (await attempt(api(`/classes/${classId}/teachers`, { method: "POST", body }))) {
    dom.coForm.reset();
    await showTeachers(classId, onHandedOver);
  }
}

async function removeTeacher(person) {
  if (await attempt(api(`/classes/${classId}/teachers/${person.user_id}`, { method: "DELETE" }))) {
    await showTeachers(classId, onHandedOver);
  }
}

async function handOver(event) {
  event.preventDefault();
  const username = dom.handUsername.value.trim();
  if (!confirm(`Hand this class to ${username}? They become its owner.`)) return;
  if (await attempt(api(`/classes/${classId}/owner`, { method: "PUT", body: { username } }))) {
    dom.handForm.reset();
    toast(`The class is ${username}'s now.`);
    onHandedOver();
  }
}

dom.coForm.addEventListener("submit", addTeacher);
dom.handForm.addEventListener("submit", handOver);
