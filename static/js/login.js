// Login: the ID number with the password from the entry step; a finished attempt goes to its result.

import { api, ensureCsrf } from "./api.js";
import {
  STORE_LOGIN_NOTICE, STORE_PASSWORD, STORE_SESSION, clearMessage, format, link, loadStrings, showMessage,
  tabStore,
} from "./strings.js";

const strings = loadStrings();
const form = document.getElementById("login-form");
const input = document.getElementById("id-number");
const errorBox = document.getElementById("login-error");
const statusBox = document.getElementById("login-status");
const sessionName = document.getElementById("login-session-name");
const lockWarning = document.getElementById("lock-warning");
const button = form.querySelector("button[type=submit]");
const ticketField = document.getElementById("admission-ticket-field");
const ticketInput = document.getElementById("admission-ticket");
const urls = form.dataset;

const password = tabStore.get(STORE_PASSWORD);
const session = tabStore.get(STORE_SESSION);

if (!password) {
  // Opened directly or in a new tab: the password step comes first.
  window.location.replace(urls.entry);
} else {
  ensureCsrf();
  if (session && sessionName) {
    sessionName.textContent = session.name;
    sessionName.closest("[hidden]")?.removeAttribute("hidden");
  }
  if (session && session.lock_screen) {
    showMessage(lockWarning, strings.lock_warning);
  }
  if (session && session.needs_admission_ticket) showTicketField();
}

// The batch asks for the admission ticket number (准考证号) as a third login field.
function showTicketField() {
  ticketField.hidden = false;
  ticketInput.required = true;
}

// Letters are uppercased as typed ("字母需大写"), keeping the caret where it was.
input.addEventListener("input", () => {
  const upper = input.value.toUpperCase();
  if (upper !== input.value) {
    const { selectionStart, selectionEnd } = input;
    input.value = upper;
    input.setSelectionRange(selectionStart, selectionEnd);
  }
});

// The server serves logins a few at a time at the start of an exam (503 login_busy with
// Retry-After): wait that long plus a random jitter, so refused pages do not return together,
// then try again; the candidate is told they are in a queue.
const BUSY_CODE = "login_busy";
const MAX_BUSY_RETRIES = 40;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function loginWithQueue(body) {
  for (let tries = 0; ; tries += 1) {
    try {
      return await api("POST", "login/", body);
    } catch (error) {
      if (error.status !== 503 || error.code !== BUSY_CODE || tries >= MAX_BUSY_RETRIES) throw error;
      const base = Math.max(1, error.retryAfter || 2);
      const wait = base * 1000 + Math.random() * base * 1000;
      showMessage(statusBox, format(strings.queued, { seconds: Math.ceil(wait / 1000) }));
      await sleep(wait);
      showMessage(statusBox, strings.checking);
    }
  }
}

const SESSION_CODES = new Set(["unknown_password", "session_expired", "exam_day_gate", "not_open_yet"]);

function fail(lines) {
  showMessage(errorBox, ...lines);
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessage(errorBox);
  input.removeAttribute("aria-invalid");
  const idNumber = input.value.replace(/\s+/g, "").toUpperCase();
  if (!idNumber) {
    fail([strings.empty]);
    return;
  }
  const body = { password, id_number: idNumber };
  if (!ticketField.hidden) {
    const ticket = ticketInput.value.replace(/\s+/g, "").toUpperCase();
    if (!ticket) {
      showMessage(errorBox, strings.empty_ticket);
      ticketInput.setAttribute("aria-invalid", "true");
      ticketInput.focus();
      return;
    }
    body.admission_ticket = ticket;
  }
  button.disabled = true;
  showMessage(statusBox, strings.checking);
  try {
    const data = await loginWithQueue(body);
    const attempt = data.attempt;
    tabStore.set(STORE_SESSION, attempt.session);
    // The exam page says so when this re-login counted a leave or replaced a live page.
    tabStore.set(STORE_LOGIN_NOTICE, data.login || null);
    if (attempt.state === "submitted") {
      window.location.assign(urls.done);
    } else if (attempt.state === "collected") {
      window.location.assign(urls.collected);
    } else {
      window.location.assign(urls.photo);
    }
  } catch (error) {
    clearMessage(statusBox);
    button.disabled = false;
    if (error.network) {
      fail([strings.network_error]);
    } else if (error.code === "admission_ticket_required") {
      showTicketField();
      showMessage(errorBox, error.detail, strings["next.admission_ticket_required"]);
      ticketInput.focus();
    } else if (SESSION_CODES.has(error.code)) {
      fail([error.detail, strings["next.session"], link(urls.entry, strings.back_to_entry)]);
    } else {
      fail([error.detail || strings.unknown_error, strings[`next.${error.code}`]]);
    }
  }
});
