// The teacher console: six tabs (session, classes, questions, history, progress, account), one
// module each.

import { api, ApiError, signInPage, token } from "../shared/client.js";
import * as account from "./account.js";
import * as classes from "./classes.js";
import * as history from "./history.js";
import * as progress from "./progress.js";
import * as questions from "./questions.js";
import * as run from "./run.js";

const tabs = document.getElementById("tabs");
const fatal = document.getElementById("fatal");
const demoNote = document.getElementById("demo-note");
const who = document.getElementById("who");
const signOut = document.getElementById("sign-out");
const PANELS = { session: run, classes, questions, history, progress, account };

function showTab() {
  const wanted = location.hash.slice(1).split("/")[0]; // "#session/12": the session tab, session 12
  const name = wanted in PANELS ? wanted : "session";
  for (const key of Object.keys(PANELS)) document.getElementById(key).hidden = key !== name;
  for (const a of tabs.querySelectorAll("a")) {
    a.classList.toggle("active", a.dataset.tab === name);
    if (a.dataset.tab === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  PANELS[name].show();
}

async function start() {
  try {
    const me = await api("/me");
    if (me.role !== "teacher") {
      stop("This is a projector's link. Open the teacher link that `cardcheck serve` printed, or sign in.");
      return;
    }
    demoNote.hidden = !me.demo;
    showAccount(me);
  } catch (err) {
    const invalid = err instanceof ApiError && err.status === 401;
    if (invalid && !token) {
      location.replace(signInPage()); // no token and no sign-in yet: the login page
      return;
    }
    stop(invalid ? "This token is not valid on this server. Open the teacher link that `cardcheck serve` printed, or sign in."
      : `The server cannot be reached: ${err.message}`);
    return;
  }
  window.addEventListener("hashchange", showTab);
  showTab();
}

/** Who is signed in, and a way out, in the header. */
function showAccount(me) {
  if (me.user) who.textContent = me.user.display_name;
  else who.textContent = me.via === "owner link" || me.via === "owner token" ? "owner" : "";
  signOut.hidden = !(me.via === "login" || me.via === "owner link");
}

async function leave() {
  await api("/logout", { method: "POST" }).catch(() => null);
  location.replace("/login/");
}

function stop(text) {
  fatal.textContent = text;
  fatal.hidden = false;
}

signOut.addEventListener("click", leave);
start();
