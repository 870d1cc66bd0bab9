// Entry: the 6-digit session password. On success the password waits in sessionStorage for the login.

import { api, ensureCsrf } from "./api.js";
import {
  STORE_PASSWORD, STORE_SESSION, clearMessage, loadStrings, showMessage, tabStore,
} from "./strings.js";

const strings = loadStrings();
const form = document.getElementById("entry-form");
const input = document.getElementById("password");
const errorBox = document.getElementById("entry-error");
const statusBox = document.getElementById("entry-status");
const button = form.querySelector("button[type=submit]");

ensureCsrf();

input.addEventListener("input", () => {
  // Digits only: people paste "283 381" or full-width digits from a notice.
  const normalized = input.value
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48))
    .replace(/\s+/g, "");
  if (normalized !== input.value) input.value = normalized;
});

function fail(lines) {
  showMessage(errorBox, ...lines);
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessage(errorBox);
  input.removeAttribute("aria-invalid");
  const password = input.value.trim();
  if (!/^\d{6}$/.test(password)) {
    fail([strings.format]);
    return;
  }
  button.disabled = true;
  showMessage(statusBox, strings.checking);
  try {
    const data = await api("POST", "entry/", { password });
    tabStore.set(STORE_PASSWORD, password);
    tabStore.set(STORE_SESSION, data.session);
    window.location.assign(form.dataset.next);
  } catch (error) {
    clearMessage(statusBox);
    button.disabled = false;
    if (error.network) {
      fail([strings.network_error]);
    } else {
      fail([error.detail || strings.unknown_error, strings[`next.${error.code}`]]);
    }
  }
});
