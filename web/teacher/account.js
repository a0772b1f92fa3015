// The account tab: who you are, your API tokens (each shown once, when made) and password; for
// admins, the people of the server (add, disable, enable).

import { api, el } from "../shared/client.js";
import { attempt, toast, when } from "./ui.js";

const $ = (id) => document.getElementById(id);
const dom = {
  who: $("account-who"),
  none: $("account-none"),
  tokensPanel: $("tokens-panel"),
  tokenForm: $("token-form"),
  tokenName: $("token-name"),
  tokenMade: $("token-made"),
  tokenValue: $("token-value"),
  tokenRows: $("token-rows"),
  passwordPanel: $("password-panel"),
  passwordForm: $("password-form"),
  passwordCurrent: $("password-current"),
  passwordNew: $("password-new"),
  peoplePanel: $("people-panel"),
  personForm: $("person-form"),
  personUsername: $("person-username"),
  personName: $("person-name"),
  personRole: $("person-role"),
  personPassword: $("person-password"),
  peopleRows: $("people-rows"),
};

let me = null;

/** Called when the tab opens. */
export async function show() {
  me = await attempt(api("/me"));
  if (!me) return;
  const account = me.user !== null;
  dom.who.textContent = account
    ? `${me.user.display_name} (${me.user.username}), ${me.user.role}${me.user.owner ? ", the owner of this server" : ""}`
    : "The owner of this server, signed in by the owner link.";
  dom.none.hidden = account || me.accounts;
  dom.tokensPanel.hidden = !account;
  dom.passwordPanel.hidden = !account || me.via === "owner token";
  dom.peoplePanel.hidden = !(me.admin && me.accounts);
  if (account) await showTokens();
  if (me.admin && me.accounts) await showPeople();
}

async function showTokens() {
  const tokens = await attempt(api("/account/tokens"));
  if (tokens === null) return;
  dom.tokenRows.replaceChildren(...(tokens.length ? tokens.map((t) => el("tr", {},
    el("td", { text: t.name }),
    el("td", { text: when(t.created_at) }),
    el("td", { text: t.revoked_at ? `revoked ${when(t.revoked_at)}` : (when(t.last_used_at) || "never") }),
    el("td", {}, t.revoked_at ? null : el("button", {
      type: "button", class: "small danger", text: "Revoke", "aria-label": `Revoke the token ${t.name}`,
      onclick: () => revokeToken(t),
    }))))
    : [el("tr", {}, el("td", { colspan: 4, class: "muted", text: "No tokens yet." }))]));
}

async function makeToken(event) {
  event.preventDefault();
  const made = await attempt(api("/account/tokens", { method: "POST", body: { name: dom.tokenName.value.trim() } }));
  if (!made) return;
  dom.tokenValue.textContent = made.token;
  dom.tokenMade.hidden = false;
  dom.tokenName.value = "";
  await showTokens();
}

async function revokeToken(t) {
  if (!confirm(`Revoke "${t.name}"? Scripts using it stop working at once.`)) return;
  if (await attempt(api(`/account/tokens/${t.id}`, { method: "DELETE" }))) {
    dom.tokenMade.hidden = true;
    toast(`Revoked "${t.name}".`);
    await showTokens();
  }
}

async function changePassword(event) {
  event.preventDefault();
  const body = { current: dom.passwordCurrent.value, password: dom.passwordNew.value };
  const done = await attempt(api("/account/password", { method: "PUT", body }).then(() => true));
  if (done) {
    dom.passwordForm.reset();
    toast("Password changed; your other browsers are signed out.");
  }
}

async function showPeople() {
  const people = await attempt(api("/users"));
  if (people === null) return;
  dom.peopleRows.replaceChildren(...people.map((u) => el("tr", {},
    el("td", { text: u.username }),
    el("td", { text: u.display_name }),
    el("td", { text: u.owner ? `${u.role} (owner)` : u.role }),
    el("td", { text: u.disabled_at ? "disabled" : "active" }),
    el("td", {}, u.owner ? null : el("button", {
      type: "button", class: "small", text: u.disabled_at ? "Enable" : "Disable",
      "aria-label": `${u.disabled_at ? "Enable" : "Disable"} ${u.username}`,
      onclick: () => setDisabled(u, !u.disabled_at),
    })))));
}

async function setDisabled(user, disabled) {
  if (disabled && !confirm(`Disable ${user.username}? They are signed out and their tokens revoked.`)) return;
  if (await attempt(api(`/users/${user.id}`, { method: "PATCH", body: { disabled } }))) await showPeople();
}

async function addPerson(event) {
  event.preventDefault();
  const body = {
    username: dom.personUsername.value.trim(),
    role: dom.personRole.value,
    password: dom.personPassword.value,
  };
  if (dom.personName.value.trim()) body.display_name = dom.personName.value.trim();
  const made = await attempt(api("/users", { method: "POST", body }));
  if (!made) return;
  dom.personForm.reset();
  toast(`Added ${made.username}: tell them their password, and the address of this server.`);
  await showPeople();
}

dom.tokenForm.addEventListener("submit", makeToken);
dom.passwordForm.addEventListener("submit", changePassword);
dom.personForm.addEventListener("submit", addPerson);
