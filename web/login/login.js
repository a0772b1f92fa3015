// The login page: POST /api/login sets the sign-in cookie, then back to the page that sent us.

const form = document.getElementById("login-form");
const username = document.getElementById("login-username");
const password = document.getElementById("login-password");
const submit = document.getElementById("login-submit");
const errorBox = document.getElementById("login-error");
const note = document.getElementById("login-note");

const query = new URLSearchParams(location.search);

/** Where to go once signed in: a path on this server, the console by default. */
function nextPage() {
  const next = query.get("next") || "/teacher/";
  return next.startsWith("/") && !next.startsWith("//") && !next.includes("\\") ? next : "/teacher/";
}

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  errorBox.hidden = true;
  submit.disabled = true;
  try {
    const response = await fetch("/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: username.value.trim(), password: password.value }),
    });
    if (response.ok) {
      location.replace(nextPage());
      return;
    }
    const data = await response.json().catch(() => null);
    const message = (data && data.error && data.error.message) || `sign-in failed (${response.status})`;
    showError(message);
    password.select();
  } catch (err) {
    showError("The server cannot be reached.");
  } finally {
    submit.disabled = false;
  }
}

if (query.get("error") === "link") {
  note.textContent = "That link is not valid on this server (a new token?): sign in instead.";
  note.hidden = false;
}
form.addEventListener("submit", signIn);
username.focus();
