// The one client module every page shares: the token from the page's link, the HTTP API, and a
// WebSocket that reconnects by itself and resumes from the last seq it saw. A page opened with no
// token (after the login page or the owner link) is signed in by its cookie, which the browser
// sends by itself on this server's own requests.

const query = new URLSearchParams(location.search);

/** The page's query parameters (token, session). */
export const params = query;

/** The token the page was opened with ('' when none), or the one it traded a code for. */
export let token = query.get("token") || "";

/** Use `value` as the page's token from now on (the scanner page, after pairing). */
export function useToken(value) {
  token = value;
}

/** The login page, coming back to this page once signed in. */
export function signInPage() {
  return `/login/?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`;
}

/** An error the API answered with: {"error": {"code", "message"}}. */
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/**
 * Call the HTTP API with the page's token. `body` is sent as JSON unless `contentType` is given
 * (then as is). Resolves to the parsed JSON (null for 204); rejects with ApiError.
 */
export async function api(path, { method = "GET", body, contentType } = {}) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = contentType || "application/json";
    payload = contentType ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${path}`, { method, headers, body: payload });
  } catch (err) {
    throw new ApiError(0, "offline", "the server cannot be reached", null);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (err) {
    throw new ApiError(response.status, "bad_response", `unexpected answer (${response.status})`, null);
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "http_error",
      error.message || `request failed (${response.status})`, data);
  }
  return data;
}

/** An API URL with the token in its query, for links and images (exports, PDFs, QR codes). */
export function apiUrl(path, extra = {}) {
  const url = new URL(`/api${path}`, location.origin);
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  if (token) url.searchParams.set("token", token);
  return url.pathname + url.search;
}

// Close codes the server uses for "do not come back with this link" (bad token, no session).
// 4409: the session ended; 4423: it was interrupted (the page reopens once it is resumed).
// 4429 (fell behind) and the rest are retried.
const FATAL_CLOSE = new Set([1008, 4400, 4401, 4403, 4404, 4409, 4423]);

/**
 * Open a WebSocket on `path` (e.g. "/ws/live?session=3") with the page's token and keep it open.
 *
 * `onMessage(message)` gets every parsed text message. When messages carry a `seq`, a reconnect
 * asks for what was missed with `since`; a gap in seq reconnects the same way, so the server sends
 * the missing events or a fresh snapshot. `onStatus(state, detail)` hears "connecting", "open",
 * "retrying" (with the delay in ms) and "stopped" (with the reason).
 *
 * Returns {send(data) -> bool, close(), get open}.
 */
export function connect(path, onMessage, { onStatus = () => {}, resume = true } = {}) {
  let socket = null;
  let lastSeq = null;
  let delay = 500;
  let timer = null;
  let stopped = false;

  function url() {
    const u = new URL(path, location.href);
    u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (token) u.searchParams.set("token", token);
    if (resume && lastSeq !== null) u.searchParams.set("since", String(lastSeq));
    else u.searchParams.delete("since");
    return u.href;
  }

  function open() {
    timer = null;
    onStatus("connecting");
    socket = new WebSocket(url());
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => {
      delay = 500;
      onStatus("open");
    });
    socket.addEventListener("message", (event) => receive(event.data));
    socket.addEventListener("close", (event) => closed(event));
  }

  function receive(data) {
    if (typeof data !== "string") return;
    const message = JSON.parse(data);
    if (message.type === "snapshot") {
      lastSeq = message.seq;
    } else if (typeof message.seq === "number" && lastSeq !== null) {
      if (message.seq <= lastSeq) return; // already seen (the snapshot or a replay covered it)
      if (message.seq !== lastSeq + 1) {
        socket.close(4000, "gap"); // reconnect with since=lastSeq; the server fills the gap
        return;
      }
      lastSeq = message.seq;
    }
    try {
      onMessage(message);
    } catch (err) {
      console.error("cannot handle", message, err);
      onStatus("error", err.message);
    }
  }

  function closed(event) {
    socket = null;
    if (stopped) return;
    if (FATAL_CLOSE.has(event.code)) {
      stopped = true;
      onStatus("stopped", event.reason || `closed (${event.code})`);
      return;
    }
    onStatus("retrying", delay);
    timer = setTimeout(open, delay);
    delay = Math.min(delay * 2, 5000);
  }

  open();
  return {
    send(data) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(data);
      return true;
    },
    close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (socket) socket.close(1000, "bye");
    },
    get open() {
      return socket !== null && socket.readyState === WebSocket.OPEN;
    },
    /** Drop what was seen and reconnect for a fresh snapshot. */
    reset() {
      lastSeq = null;
      if (socket) socket.close(4000, "reset");
    },
  };
}

/**
 * Follow a session as the teacher sees it: the snapshot from /ws/live, kept current by events.
 * Answers are applied in place (no round trip); other events fetch the state again over HTTP,
 * at most one request at a time. `onState(state, message)` runs after every change;
 * `onStatus` is connect()'s. Returns the connection.
 */
export function watchSession(sessionId, onState, { onStatus } = {}) {
  let state = null;
  let fetching = false;
  let again = false;

  async function refetch(message) {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      do {
        again = false;
        const fresh = await api(`/sessions/${sessionId}`);
        if (!state || fresh.seq >= state.seq) {
          state = fresh;
          onState(state, message);
        } else {
          // answers that came in while it was fetched are newer than it: fetch again, or the
          // change that called for it (a question asked during a scan) would never show
          again = true;
        }
      } while (again);
    } catch (err) {
      // the live connection reconnects and brings a fresh snapshot
    } finally {
      fetching = false;
    }
  }

  function onMessage(message) {
    switch (message.type) {
      case "snapshot":
        state = message.data;
        break;
      case "response.recorded":
        applyResponse(state, message.data);
        state.seq = message.seq;
        break;
      case "session.started":
      case "question.asked":
      case "question.closed":
      case "question.revealed":
      case "session.ended":
      case "session.interrupted":
      case "session.resumed":
      case "display.changed":
      case "scanner.connected": // the state lists the scanners connected, and what each reads
      case "scanner.disconnected":
      case "scanner.mismatched":
      case "scanner.matched":
      case "flag.raised":
      case "flag.updated":
      case "flag.resolved":
      case "checkin.started":
      case "checkin.ended":
        refetch(message);
        return;
      case "error":
        onStatus && onStatus("error", message.message);
        return;
      default:
        throw new Error(`unknown message type ${message.type}`);
    }
    onState(state, message);
  }

  return connect(`/ws/live?session=${sessionId}`, onMessage, { onStatus });
}

function applyResponse(state, data) {
  const question = state.question;
  const student = state.students.find((s) => s.id === data.student);
  if (!question || !student || question.asked_id !== data.asked_id) return;
  if (student.answer === null) question.answered += 1;
  if (question.counts) {
    if (student.answer !== null) question.counts[student.answer] -= 1;
    question.counts[data.answer] = (question.counts[data.answer] || 0) + 1;
  }
  const asked = (state.asked || []).find((a) => a.asked_id === data.asked_id);
  if (asked) {
    if (student.answer === null) asked.answered += 1;
    if (student.correct) asked.right -= 1;
    if (data.correct) asked.right += 1;
  }
  student.answer = data.answer;
  student.correct = data.correct;
  student.source = data.source;
}

/** The next question of the session's set that has not been asked yet, or null. */
export function nextQuestion(state) {
  const order = (state.question_set && state.question_set.questions) || [];
  const asked = new Set((state.asked || []).map((a) => a.question_id));
  const next = order.find((id) => !asked.has(id));
  return next === undefined ? null : next;
}

/** Create an element: el("li", {class: "x", text: "hi"}, child...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "style" && typeof value === "object") Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The first word of a name: what the projector and the scanner overlay show. */
export function firstName(name) {
  return (name || "").trim().split(/\s+/)[0] || "";
}

/** The answer letters a question with `n` choices takes. */
export function letters(n) {
  return "ABCD".slice(0, n).split("");
}

/**
 * A polite live region that is not flooded: `say(text)` puts `text` in `region` when it differs
 * from what was said last, at most once every `gapMs` (a newer text waits for the gap, and only
 * the newest is said).
 */
export function announcer(region, gapMs) {
  let said = "";
  let saidAt = -Infinity;
  let waiting = null;
  let timer = null;
  function flush() {
    timer = null;
    if (waiting === null || waiting === said) return;
    said = waiting;
    saidAt = performance.now();
    region.textContent = said;
    waiting = null;
  }
  return function say(text) {
    waiting = text;
    if (timer !== null) return;
    const wait = saidAt + gapMs - performance.now();
    if (wait <= 0) flush();
    else timer = setTimeout(flush, wait);
  };
}

/** Black or white, whichever reads better on the background colour `hex` ("#rrggbb"). */
export function inkOn(hex) {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex || "");
  if (!match) return "#fff";
  const channel = (i) => {
    const c = parseInt(match[1].slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  return (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) ? "#fff" : "#000";
}
