// The history tab: past and running sessions with their scores, the report and the exports,
// of every class or of the one picked.

import { api, apiUrl, el } from "../shared/client.js";
import { apiPaths, attempt, when } from "./ui.js";

const rows = document.getElementById("history-rows");
const classPick = document.getElementById("history-class");

// [format, link text]: "csv" is the scoresheet (a row per student), "long" a row per response
const EXPORTS = [
  ["csv", "Scoresheet CSV"], ["long", "Responses CSV"], ["xlsx", "Excel"], ["json", "JSON"],
  ["canvas", "Canvas"], ["oneroster", "OneRoster"],
];

/** Called when the tab opens. */
export async function show() {
  const picked = classPick.value;
  const query = picked ? `?class_id=${picked}` : "";
  const [sessions, paths, classes] = await Promise.all([
    attempt(api(`/sessions${query}`)), apiPaths(), attempt(api("/classes?archived=1"))]);
  if (sessions === null) return;
  if (classes) {
    classPick.replaceChildren(el("option", { value: "", text: "all classes" }),
      ...classes.map((c) => el("option", { value: c.id, text: c.archived ? `${c.name} (archived)` : c.name })));
    classPick.value = classes.some((c) => String(c.id) === picked) ? picked : "";
  }
  const canExport = paths.has("/api/sessions/{session_id}/export");
  const canReport = paths.has("/api/sessions/{session_id}/report");
  rows.replaceChildren(...(sessions.length ? sessions.map((s) => el("tr", {},
    el("td", { text: when(s.started_at) }),
    el("td", { text: s.class_name }),
    el("td", { text: s.status }),
    el("td", { class: "num", text: String(s.asked) }),
    el("td", { class: "num", text: s.score === null ? "–" : `${s.score}%`,
      title: s.score === null ? "no scored question asked"
        : `${s.correct} right of ${s.scored_asked} asked, ${s.answered} answered` },
      s.score !== null && el("small", { class: "muted", text: ` ${s.correct}/${s.scored_asked} (${s.answered} answered)` })),
    el("td", { class: "links" },
      canReport && el("a", { href: apiUrl(`/sessions/${s.id}/report`), target: "_blank", rel: "noopener", text: "Report" }),
      canExport && EXPORTS.map(([format, label]) =>
        el("a", { href: apiUrl(`/sessions/${s.id}/export`, { format }), text: label })))))
    : [el("tr", {}, el("td", { colspan: 6, class: "muted", text: "No sessions yet." }))]));
}

classPick.addEventListener("change", show);
