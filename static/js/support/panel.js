// The candidate's support panel (技术支持): FAQ self-help, a ticket form, the candidate's tickets.
//
// It is a <dialog> inside the page opened with showModal(): on the exam page it never leaves
// full screen and never blurs the window (a modal dialog goes into the top layer above the
// full-screen element). Focus moves into the dialog, which fires focusin/focusout on elements
// but not window "blur" or "visibilitychange"; the exam page's lock-screen code counts only
// those (and "fullscreenchange"), so asking for help is never a screen leave. The page is told
// through window CustomEvents "support:open" and "support:close".
//
// Esc closes the dialog. A headed browser in full screen may also leave full screen on Esc;
// the exam page can keep Esc for the page with navigator.keyboard.lock(["Escape"]) while in
// full screen. The "关闭" button always closes the panel without that risk.
//
// While the page is in full screen, the screenshot field is hidden: choosing a file opens the
// system's file dialog, which would blur the window and count as a leave. A page can also turn
// it off with <body data-support-screenshot="off">.
//
// All text from the server is put in with textContent: a "<script>" in a ticket stays text.

const configElement = document.getElementById("support-panel-config");
const dialog = document.getElementById("support-panel");

if (configElement && dialog) {
  const config = JSON.parse(configElement.textContent);
  const S = config.strings;
  const lang = document.documentElement.lang || "zh-Hans";
  const $ = (selector) => dialog.querySelector(selector);
  const form = $("[data-support-form]");
  const query = $("#support-faq-query");
  const faqResults = $("[data-support-faq-results]");
  const faqState = $("[data-support-faq-state]");
  const suggest = $("[data-support-suggest]");
  const suggestResults = $("[data-support-suggest-results]");
  const ticketsBox = $("[data-support-tickets]");
  const liveStatus = $("[data-support-live]");
  const screenshotBox = $("[data-support-screenshot]");
  const screenshotOff = $("[data-support-screenshot-off]");
  const tickets = new Map();
  let opener = null;
  let socket = null;
  let socketWanted = Boolean(config.has_tickets);
  let retryDelay = 1000;
  let loadedMine = false;

  // --- helpers -------------------------------------------------------------------------

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };

  const debounce = (fn, ms) => {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  };

  const formatTime = (iso) => {
    if (!iso) return "";
    try {
      return new Date(iso).toLocaleString(lang, { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
    } catch {
      return iso;
    }
  };

  const cookie = (name) => {
    const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  };

  async function csrfToken() {
    let token = cookie("csrftoken");
    if (!token) {
      const response = await fetch(config.urls.csrf, { credentials: "same-origin" });
      token = (await response.json()).csrftoken || cookie("csrftoken");
    }
    return token;
  }

  async function postJson(url, body) {
    const headers = { "X-CSRFToken": await csrfToken() };
    let payload = body;
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(url, { method: "POST", headers, body: payload, credentials: "same-origin" });
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = {};
    }
    return { ok: response.ok, status: response.status, data };
  }

  const dispatch = (name) => window.dispatchEvent(new CustomEvent(name, { detail: { panel: dialog } }));

  const clientDetails = () => ({
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
  });

  // --- open / close, focus trap ---------------------------------------------------------

  const screenshotAllowed = () =>
    !document.fullscreenElement && document.body.dataset.supportScreenshot !== "off";

  function openPanel(trigger) {
    if (dialog.open) return;
    opener = trigger || document.activeElement;
    const allowed = screenshotAllowed();
    screenshotBox.hidden = !allowed;
    screenshotOff.hidden = allowed;
    dialog.showModal();
    dispatch("support:open");
    clearBadge();
    query.focus();
    if (!faqResults.childElementCount) searchFaq("", faqResults, faqState);
    if (!loadedMine) loadMine();
  }

  function closePanel() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener("close", () => {
    dispatch("support:close");
    if (opener && typeof opener.focus === "function") opener.focus({ preventScroll: true });
  });

  // Esc fires "cancel" on a modal dialog and closes it (the default); "close" above reports it.

  dialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-support-close]")) closePanel();
  });

  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const focusable = [...dialog.querySelectorAll(
      'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])',
    )].filter((node) => node.offsetParent !== null || node === document.activeElement);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("#support-link, [data-support-open]");
    if (!trigger) return;
    event.preventDefault();
    openPanel(trigger);
  });

  // --- FAQ ------------------------------------------------------------------------------

  const searches = new Map();

  function renderFaq(container, results) {
    container.replaceChildren();
    for (const entry of results) {
      const item = el("details", "support-faq__item");
      item.append(el("summary", "support-faq__question", entry.question));
      const answer = el("p", "support-faq__answer", entry.answer);
      item.append(answer);
      container.append(item);
    }
  }

  async function searchFaq(text, container, stateNode) {
    const previous = searches.get(container);
    if (previous) previous.abort();
    const controller = new AbortController();
    searches.set(container, controller);
    const params = new URLSearchParams({ q: text });
    if (config.batch) params.set("batch", config.batch);
    if (stateNode) stateNode.textContent = S.searching;
    try {
      const response = await fetch(`${config.urls.faq}?${params}`, {
        signal: controller.signal,
        credentials: "same-origin",
      });
      const data = await response.json();
      const results = data.results || [];
      renderFaq(container, results);
      if (stateNode) stateNode.textContent = text.trim() && !results.length ? S.no_match : "";
      return results;
    } catch (error) {
      if (error.name !== "AbortError" && stateNode) stateNode.textContent = S.network_error;
      return [];
    }
  }

  query.addEventListener("input", debounce(() => searchFaq(query.value, faqResults, faqState), 250));

  const textArea = form.elements.text;
  textArea.addEventListener(
    "input",
    debounce(async () => {
      const text = textArea.value.trim();
      if (text.length < 2) {
        suggest.hidden = true;
        return;
      }
      const results = await searchFaq(text, suggestResults, null);
      suggest.hidden = !results.length || textArea.value.trim() !== text; // typed on, or sent
    }, 350),
  );

  // --- the ticket form ------------------------------------------------------------------

  function showErrors(errors, detail) {
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

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    const text = textArea.value.trim();
    if (!text) {
      showErrors({ text: S.error_empty });
      textArea.focus();
      return;
    }
    const body = new FormData();
    body.set("category", form.elements.category.value);
    body.set("text", text);
    body.set("client", JSON.stringify(clientDetails()));
    if (config.batch) body.set("batch", config.batch);
    if (form.elements.contact) body.set("contact", form.elements.contact.value);
    if (form.elements.id_number) body.set("id_number", form.elements.id_number.value);
    const file = form.elements.screenshot && !screenshotBox.hidden ? form.elements.screenshot.files[0] : null;
    if (file) {
      if (file.size > config.max_bytes) {
        showErrors({ screenshot: S.too_large });
        return;
      }
      body.set("screenshot", file);
    }
    showErrors({});
    button.disabled = true;
    button.textContent = S.sending;
    try {
      const { ok, data } = await postJson(config.urls.tickets, body);
      if (!ok) {
        const errors = data.errors || (data.code === "upload_too_large" || data.code === "not_an_image"
          ? { screenshot: data.detail } : null);
        showErrors(errors, data.detail || S.error);
        return;
      }
      form.reset();
      suggest.hidden = true;
      liveStatus.textContent = S.submitted;
      upsertTicket(data.ticket, true);
      socketWanted = true;
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "refresh" }));
      else connect();
    } catch {
      showErrors(null, S.network_error);
    } finally {
      button.disabled = false;
      button.textContent = S.submit;
    }
  });

  // --- my tickets -----------------------------------------------------------------------

  function renderMessages(list, ticket) {
    list.replaceChildren();
    const first = el("li", "support-message support-message--candidate");
    first.append(el("span", "support-message__author", S.you), el("time", "support-message__time", formatTime(ticket.created_at)));
    first.append(el("p", "support-message__text", ticket.text));
    if (ticket.has_screenshot) first.append(el("p", "support-panel__hint", S.screenshot_attached));
    list.append(first);
    for (const message of ticket.messages) {
      const item = el("li", `support-message support-message--${message.author}`);
      const author = message.author === "candidate" ? S.you : message.author_label;
      item.append(el("span", "support-message__author", author), el("time", "support-message__time", formatTime(message.at)));
      item.append(el("p", "support-message__text", message.text));
      if (message.faq && message.faq.length) {
        const faq = el("div", "support-faq support-faq--inline");
        renderFaq(faq, message.faq);
        item.append(faq);
      }
      list.append(item);
    }
  }

  function buildTicket(ticket) {
    const card = el("article", "support-ticket");
    card.dataset.ticketId = ticket.id;
    const head = el("header", "support-ticket__head");
    head.append(el("span", "support-ticket__category"), el("span", "support-ticket__status"));
    const list = el("ol", "support-ticket__messages");
    const reply = el("form", "support-ticket__reply");
    const label = el("label", "support-panel__label", S.follow_up);
    const fieldId = `support-follow-up-${ticket.id}`;
    label.htmlFor = fieldId;
    const area = el("textarea", "support-panel__input");
    area.id = fieldId;
    area.rows = 2;
    area.maxLength = 2000;
    area.name = "text";
    const error = el("p", "support-panel__error");
    const send = el("button", "support-panel__button support-panel__button--small", S.send);
    send.type = "submit";
    reply.append(label, area, error, send);
    reply.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = area.value.trim();
      if (!text) return;
      send.disabled = true;
      error.textContent = "";
      try {
        const url = config.urls.messages.replace("/0/", `/${ticket.id}/`);
        const { ok, data } = await postJson(url, { text });
        if (!ok) {
          error.textContent = data.detail || S.error;
          return;
        }
        area.value = "";
        upsertTicket(data.ticket, false);
      } catch {
        error.textContent = S.network_error;
      } finally {
        send.disabled = false;
      }
    });
    card.append(head, list, reply);
    return card;
  }

  function renderTicket(card, ticket) {
    card.querySelector(".support-ticket__category").textContent = `#${ticket.id} ${ticket.category_label}`;
    const status = card.querySelector(".support-ticket__status");
    status.textContent = ticket.status_label;
    status.dataset.status = ticket.status;
    renderMessages(card.querySelector(".support-ticket__messages"), ticket);
  }

  function upsertTicket(ticket, isNew) {
    const before = tickets.get(ticket.id);
    tickets.set(ticket.id, ticket);
    let card = ticketsBox.querySelector(`[data-ticket-id="${ticket.id}"]`);
    if (!card) {
      card = buildTicket(ticket);
      if (isNew) ticketsBox.prepend(card);
      else ticketsBox.append(card);
    }
    renderTicket(card, ticket);
    const empty = ticketsBox.querySelector(".support-tickets__empty");
    if (empty) empty.remove();
    return before;
  }

  function renderAll(list) {
    ticketsBox.replaceChildren();
    tickets.clear();
    if (!list.length) {
      ticketsBox.append(el("p", "support-tickets__empty support-panel__hint", S.none));
      return;
    }
    for (const ticket of list) upsertTicket(ticket, false);
  }

  async function loadMine() {
    try {
      const response = await fetch(config.urls.mine, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      loadedMine = true;
      renderAll(data.tickets || []);
      if ((data.tickets || []).length) {
        socketWanted = true;
        connect();
      }
    } catch {
      /* the list loads again next time the panel opens */
    }
  }

  // --- live replies ---------------------------------------------------------------------

  function setBadge() {
    const link = document.getElementById("support-link");
    if (!link || link.querySelector(".support-badge")) return;
    link.append(el("span", "support-badge", S.new_reply));
  }

  function clearBadge() {
    const badge = document.querySelector("#support-link .support-badge");
    if (badge) badge.remove();
  }

  function onTicket(event) {
    const ticket = event.ticket;
    const before = tickets.get(ticket.id);
    upsertTicket(ticket, !before);
    const lastMessage = ticket.messages[ticket.messages.length - 1];
    const fromStaff = lastMessage && lastMessage.author !== "candidate";
    const isNewMessage = !before || before.messages.length < ticket.messages.length;
    if (fromStaff && isNewMessage) {
      liveStatus.textContent = S.reply_arrived;
      if (!dialog.open) setBadge();
    }
  }

  function connect() {
    if (!socketWanted || (socket && socket.readyState <= WebSocket.OPEN)) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${config.urls.socket}`);
    socket.addEventListener("open", () => {
      retryDelay = 1000;
      if (liveStatus.textContent === S.live_off) liveStatus.textContent = "";
    });
    socket.addEventListener("message", (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type === "tickets") {
        loadedMine = true;
        renderAll(data.tickets || []);
      } else if (data.type === "ticket" && data.ticket) {
        onTicket(data);
      }
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (event.code === 4401) {
        socketWanted = false;
        return;
      }
      if (dialog.open) liveStatus.textContent = S.live_off;
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  if (socketWanted) connect();
  if (location.hash === "#support" && !document.fullscreenElement) openPanel(null);
  dialog.dataset.ready = "true";
}
