// The teacher console: four tabs (session, classes, questions, history), one module each.

import { api, ApiError, token } from "../shared/client.js";
import * as classes from "./classes.js";
import * as history from "./history.js";
import * as questions from "./questions.js";
import * as run from "./run.js";

const tabs = document.getElementById("tabs");
const fatal = document.getElementById("fatal");
const demoNote = document.getElementById("demo-note");
const PANELS = { session: run, classes, questions, history };

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
  if (!token) {
    stop("This link has no token. Open the teacher link that `cardcheck serve` printed.");
    return;
  }
  try {
    const me = await api("/me");
    if (me.role !== "teacher") {
      stop("This is the projector's token. Open the teacher link that `cardcheck serve` printed.");
      return;
    }
    demoNote.hidden = !me.demo;
  } catch (err) {
    const invalid = err instanceof ApiError && err.status === 401;
    stop(invalid ? "This token is not valid on this server. Open the teacher link that `cardcheck serve` printed."
      : `The server cannot be reached: ${err.message}`);
    return;
  }
  window.addEventListener("hashchange", showTab);
  showTab();
}

function stop(text) {
  fatal.textContent = text;
  fatal.hidden = false;
}

start();
