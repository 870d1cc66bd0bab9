// The new-ticket form: FAQ suggestions under the text, checks, and the multipart post (with the
// browser's details for the agent, and a screenshot when the page allows one).

import { api, ensureCsrf } from "../api.js";
import { debounce } from "./dom.js";

const POST_TIMEOUT_MS = 60000; // a screenshot on a slow line

function clientDetails() {
  return {
    page: location.pathname,
    language: navigator.language,
    screen: `${screen.width}x${screen.height}`,
    viewport: `${window.innerWidth}x${window.innerHeight}`,
    pixel_ratio: window.devicePixelRatio,
    online: navigator.onLine,
    fullscreen: Boolean(document.fullscreenElement),
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    cookies: navigator.cookieEnabled,
    client_time: new Date().toISOString(),
  };
}

// Field errors next to their fields; anything else (or a bare detail) under the form.
function showErrors(form, errors, detail) {
  for (const node of form.querySelectorAll("[data-support-error]")) node.textContent = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  let named = false;
  for (const [name, reason] of Object.entries(errors || {})) {
    const slot = form.querySelector(`[data-support-error="${name}"]`);
    if (!slot) continue;
    slot.textContent = String(reason);
    const field = form.elements[name];
    if (field && field.setAttribute) field.setAttribute("aria-invalid", "true");
    named = true;
  }
  if (!named && detail) form.querySelector('[data-support-error="form"]').textContent = detail;
}

function refusalErrors(error) {
  const body = error.body || {};
  if (body.errors) return body.errors;
  if (["upload_too_large", "not_an_image", "invalid_image"].includes(error.code)) return { screenshot: error.detail };
  return null;
}

// onCreated(ticket) runs after the server took the ticket.
export function wireTicketForm({ form, suggest, suggestResults, screenshotBox, config, strings: S, search,
  onCreated }) {
  const textArea = form.elements.text;

  textArea.addEventListener("input", debounce(async () => {
    const text = textArea.value.trim();
    if (text.length < 2) {
      suggest.hidden = true;
      return;
    }
    const results = await search(text, suggestResults, null);
    suggest.hidden = !results.length || textArea.value.trim() !== text; // typed on, or sent
  }, 350));

  function formBody(text) {
    const body = new FormData();
    body.set("category", form.elements.category.value);
    body.set("text", text);
    body.set("client", JSON.stringify(clientDetails()));
    if (config.batch) body.set("batch", config.batch);
    if (form.elements.contact) body.set("contact", form.elements.contact.value);
    if (form.elements.id_number) body.set("id_number", form.elements.id_number.value);
    return body;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    const text = textArea.value.trim();
    if (!text) {
      showErrors(form, { text: S.error_empty });
      textArea.focus();
      return;
    }
    const body = formBody(text);
    const file = form.elements.screenshot && !screenshotBox.hidden ? form.elements.screenshot.files[0] : null;
    if (file) {
      if (file.size > config.max_bytes) {
        showErrors(form, { screenshot: S.too_large });
        return;
      }
      body.set("screenshot", file);
    }
    showErrors(form, {});
    button.disabled = true;
    button.textContent = S.sending;
    try {
      await ensureCsrf();
      const data = await api("POST", config.urls.tickets, body, { timeoutMs: POST_TIMEOUT_MS });
      form.reset();
      suggest.hidden = true;
      onCreated(data.ticket);
    } catch (error) {
      if (error.network) showErrors(form, null, S.network_error);
      else showErrors(form, refusalErrors(error), error.detail || S.error);
    } finally {
      button.disabled = false;
      button.textContent = S.submit;
    }
  });
}
