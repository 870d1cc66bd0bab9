// "我的工单": the candidate's tickets with their messages, and a follow-up form on each.

import { api } from "../api.js";
import { el, formatTime } from "./dom.js";
import { renderFaq } from "./faq.js";

export class TicketList {
  // box: the [data-support-tickets] container; messagesUrl has "/0/" where the ticket id goes.
  constructor({ box, messagesUrl, strings, lang }) {
    this.box = box;
    this.messagesUrl = messagesUrl;
    this.S = strings;
    this.lang = lang;
    this.tickets = new Map();
  }

  get(id) {
    return this.tickets.get(id);
  }

  renderAll(list) {
    this.box.replaceChildren();
    this.tickets.clear();
    if (!list.length) {
      this.box.append(el("p", "support-tickets__empty support-panel__hint", this.S.none));
      return;
    }
    for (const ticket of list) this.upsert(ticket, false);
  }

  // New tickets go on top; a known one is redrawn in place.
  upsert(ticket, isNew) {
    this.tickets.set(ticket.id, ticket);
    let card = this.box.querySelector(`[data-ticket-id="${ticket.id}"]`);
    if (!card) {
      card = this.buildCard(ticket);
      if (isNew) this.box.prepend(card);
      else this.box.append(card);
    }
    this.renderCard(card, ticket);
    this.box.querySelector(".support-tickets__empty")?.remove();
  }

  buildCard(ticket) {
    const card = el("article", "support-ticket");
    card.dataset.ticketId = ticket.id;
    const head = el("header", "support-ticket__head");
    head.append(el("span", "support-ticket__category"), el("span", "support-ticket__status"));
    card.append(head, el("ol", "support-ticket__messages"), this.buildReplyForm(ticket));
    return card;
  }

  buildReplyForm(ticket) {
    const reply = el("form", "support-ticket__reply");
    const label = el("label", "support-panel__label", this.S.follow_up);
    const fieldId = `support-follow-up-${ticket.id}`;
    label.htmlFor = fieldId;
    const area = el("textarea", "support-panel__input");
    area.id = fieldId;
    area.rows = 2;
    area.maxLength = 2000;
    area.name = "text";
    const error = el("p", "support-panel__error");
    const send = el("button", "support-panel__button support-panel__button--small", this.S.send);
    send.type = "submit";
    reply.append(label, area, error, send);
    reply.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendFollowUp(ticket.id, { area, error, send });
    });
    return reply;
  }

  async sendFollowUp(ticketId, { area, error, send }) {
    const text = area.value.trim();
    if (!text) return;
    send.disabled = true;
    error.textContent = "";
    try {
      const data = await api("POST", this.messagesUrl.replace("/0/", `/${ticketId}/`), { text });
      area.value = "";
      this.upsert(data.ticket, false);
    } catch (failure) {
      error.textContent = failure.network ? this.S.network_error : failure.detail || this.S.error;
    } finally {
      send.disabled = false;
    }
  }

  renderCard(card, ticket) {
    card.querySelector(".support-ticket__category").textContent = `#${ticket.id} ${ticket.category_label}`;
    const status = card.querySelector(".support-ticket__status");
    status.textContent = ticket.status_label;
    status.dataset.status = ticket.status;
    this.renderMessages(card.querySelector(".support-ticket__messages"), ticket);
  }

  renderMessages(list, ticket) {
    const S = this.S;
    list.replaceChildren();
    const first = el("li", "support-message support-message--candidate");
    first.append(el("span", "support-message__author", S.you),
      el("time", "support-message__time", formatTime(ticket.created_at, this.lang)));
    first.append(el("p", "support-message__text", ticket.text));
    if (ticket.has_screenshot) first.append(el("p", "support-panel__hint", S.screenshot_attached));
    list.append(first);
    for (const message of ticket.messages) {
      const item = el("li", `support-message support-message--${message.author}`);
      const author = message.author === "candidate" ? S.you : message.author_label;
      item.append(el("span", "support-message__author", author),
        el("time", "support-message__time", formatTime(message.at, this.lang)));
      item.append(el("p", "support-message__text", message.text));
      if (message.faq && message.faq.length) {
        const faq = el("div", "support-faq support-faq--inline");
        renderFaq(faq, message.faq);
        item.append(faq);
      }
      list.append(item);
    }
  }
}
