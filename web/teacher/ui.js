// What the console's panels share: a toast for results and errors, and which optional API
// features this server has (read from its OpenAPI document, so a panel appears only when its
// endpoints exist).

import { api } from "../shared/client.js";

const toastBox = document.getElementById("toast");
let toastTimer = null;

/** Show a short message; `bad` for an error. */
export function toast(text, bad = false) {
  toastBox.textContent = text;
  toastBox.classList.toggle("bad", bad);
  toastBox.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toastBox.hidden = true), bad ? 6000 : 2500);
}

/** Run an API call; show its error as a toast and resolve to null instead of rejecting. */
export async function attempt(promise) {
  try {
    return await promise;
  } catch (err) {
    toast(err.message, true);
    return null;
  }
}

let paths = null;

/** The API paths this server declares (e.g. "/api/sessions/{session_id}/export"). */
export async function apiPaths() {
  if (paths === null) {
    try {
      const doc = await api("/openapi.json");
      paths = new Set(Object.keys(doc.paths || {}));
    } catch (err) {
      paths = new Set();
    }
  }
  return paths;
}

/** Format a Unix time as a short local date and time. */
export function when(seconds) {
  if (!seconds) return "";
  return new Date(seconds * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}
