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
//
// The parts: faq.js (search), ticketform.js (the new ticket), tickets.js (my tickets and
// follow-ups), replies.js (live replies); every request goes through ../api.js.

import { api } from "../api.js";
import { debounce, el } from "./dom.js";
import { faqSearch } from "./faq.js";
import { LiveReplies } from "./replies.js";
import { wireTicketForm } from "./ticketform.js";
import { TicketList } from "./tickets.js";

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

const configElement = document.getElementById("support-panel-config");
const dialog = document.getElementById("support-panel");

class SupportPanel {
  constructor(config) {
    const $ = (selector) => dialog.querySelector(selector);
    this.config = config;
    this.S = config.strings;
    this.parts = {
      form: $("[data-support-form]"),
      query: $("#support-faq-query"),
      faqResults: $("[data-support-faq-results]"),
      faqState: $("[data-support-faq-state]"),
      suggest: $("[data-support-suggest]"),
      suggestResults: $("[data-support-suggest-results]"),
      liveStatus: $("[data-support-live]"),
      screenshotBox: $("[data-support-screenshot]"),
      screenshotOff: $("[data-support-screenshot-off]"),
    };
    this.search = faqSearch({ url: config.urls.faq, batch: config.batch, strings: this.S });
    this.tickets = new TicketList({
      box: $("[data-support-tickets]"),
      messagesUrl: config.urls.messages,
      strings: this.S,
      lang: document.documentElement.lang || "zh-Hans",
    });
    this.live = new LiveReplies({
      path: config.urls.socket,
      onList: (list) => this.showMine(list),
      onTicket: (ticket) => this.onTicketChanged(ticket),
      onLost: () => this.setLiveStatus(dialog.open ? this.S.live_off : null),
      onBack: () => this.setLiveStatus(this.parts.liveStatus.textContent === this.S.live_off ? "" : null),
    });
    this.loadedMine = false;
    this.opener = null;
  }

  start() {
    const { parts, S } = this;
    wireDialog((trigger) => this.open(trigger));
    dialog.addEventListener("close", () => this.closed());
    parts.query.addEventListener("input",
      debounce(() => this.search(parts.query.value, parts.faqResults, parts.faqState), 250));
    wireTicketForm({
      ...parts,
      config: this.config,
      strings: S,
      search: this.search,
      onCreated: (ticket) => {
        parts.liveStatus.textContent = S.submitted;
        this.tickets.upsert(ticket, true);
        this.live.refresh();
      },
    });
    if (this.config.has_tickets) this.live.want();
    if (location.hash === "#support" && !document.fullscreenElement) this.open(null);
    dialog.dataset.ready = "true";
  }

  open(trigger) {
    if (dialog.open) return;
    const { parts } = this;
    this.opener = trigger || document.activeElement;
    const allowed = screenshotAllowed();
    parts.screenshotBox.hidden = !allowed;
    parts.screenshotOff.hidden = allowed;
    dialog.showModal();
    dispatch("support:open");
    clearBadge();
    parts.query.focus();
    if (!parts.faqResults.childElementCount) this.search("", parts.faqResults, parts.faqState);
    if (!this.loadedMine) this.loadMine();
  }

  closed() {
    dispatch("support:close");
    const opener = this.opener;
    if (opener && typeof opener.focus === "function") opener.focus({ preventScroll: true });
  }

  setLiveStatus(text) {
    if (text !== null) this.parts.liveStatus.textContent = text;
  }

  async loadMine() {
    let list;
    try {
      const data = await api("GET", this.config.urls.mine);
      list = (data && data.tickets) || [];
    } catch {
      return; // the list loads again next time the panel opens
    }
    this.showMine(list);
    if (list.length) this.live.want();
  }

  showMine(list) {
    this.loadedMine = true;
    this.tickets.renderAll(list);
  }

  // A ticket changed on the server: redraw it; a new staff message is announced (and badged
  // on the support link while the panel is closed).
  onTicketChanged(ticket) {
    const before = this.tickets.get(ticket.id);
    this.tickets.upsert(ticket, !before);
    const lastMessage = ticket.messages[ticket.messages.length - 1];
    const fromStaff = lastMessage && lastMessage.author !== "candidate";
    const isNewMessage = !before || before.messages.length < ticket.messages.length;
    if (fromStaff && isNewMessage) {
      this.parts.liveStatus.textContent = this.S.reply_arrived;
      if (!dialog.open) setBadge(this.S.new_reply);
    }
  }
}

// --- the dialog: open from any trigger, close button, Esc (the browser's default), focus trap ---

function wireDialog(openPanel) {
  // Esc fires "cancel" on a modal dialog and closes it (the default); "close" reports it.
  dialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-support-close]") && dialog.open) dialog.close();
  });
  dialog.addEventListener("keydown", trapTab);
  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("#support-link, [data-support-open]");
    if (!trigger) return;
    event.preventDefault();
    openPanel(trigger);
  });
}

function trapTab(event) {
  if (event.key !== "Tab") return;
  const focusable = [...dialog.querySelectorAll(FOCUSABLE)]
    .filter((node) => node.offsetParent !== null || node === document.activeElement);
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
}

function screenshotAllowed() {
  return !document.fullscreenElement && document.body.dataset.supportScreenshot !== "off";
}

function dispatch(name) {
  window.dispatchEvent(new CustomEvent(name, { detail: { panel: dialog } }));
}

function setBadge(text) {
  const link = document.getElementById("support-link");
  if (!link || link.querySelector(".support-badge")) return;
  link.append(el("span", "support-badge", text));
}

function clearBadge() {
  document.querySelector("#support-link .support-badge")?.remove();
}

// Last: the class above must be defined before it is used.
if (configElement && dialog) new SupportPanel(JSON.parse(configElement.textContent)).start();
