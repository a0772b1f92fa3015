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

/**
 * Re-render `container` with `render()` and keep keyboard focus where it was: on the new element
 * with the same `data-key` as the one focused before (the live views re-render on every answer).
 */
export function keepFocus(container, render) {
  const active = document.activeElement;
  const key = active && active !== document.body && container.contains(active) ? active.dataset.key : undefined;
  render();
  if (key !== undefined) focusKey(container, key);
}

/** Focus the element of `container` with this `data-key`; false when there is none. */
export function focusKey(container, key) {
  const target = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (target) target.focus();
  return Boolean(target);
}

/**
 * Keep Tab and Shift+Tab inside `dialog` while it is open (a modal dialog makes the page behind
 * it inert, but Tab past its last control would still leave it for the browser's own controls).
 */
export function trapFocus(dialog) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const stops = [...dialog.querySelectorAll("button, [href], input, select, textarea, [tabindex]")]
      .filter((node) => !node.disabled && node.tabIndex >= 0 && node.getClientRects().length > 0);
    if (!stops.length) return;
    const first = stops[0];
    const last = stops[stops.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
}
