// FAQ self-help: search as the candidate types, in the search box and under the ticket text.

import { api } from "../api.js";
import { el } from "./dom.js";

export function renderFaq(container, results) {
  container.replaceChildren();
  for (const entry of results) {
    const item = el("details", "support-faq__item");
    item.append(el("summary", "support-faq__question", entry.question));
    item.append(el("p", "support-faq__answer", entry.answer));
    container.append(item);
  }
}

// search(text, container, stateNode) -> Promise<results>; a newer search into the same
// container cancels the older one. stateNode (optional) says "searching", "no match"...
export function faqSearch({ url, batch, strings }) {
  const inFlight = new Map();
  return async function search(text, container, stateNode) {
    inFlight.get(container)?.abort();
    const controller = new AbortController();
    inFlight.set(container, controller);
    const params = new URLSearchParams({ q: text });
    if (batch) params.set("batch", batch);
    if (stateNode) stateNode.textContent = strings.searching;
    let results = [];
    try {
      const data = await api("GET", `${url}?${params}`, undefined, { signal: controller.signal });
      results = (data && data.results) || [];
    } catch (error) {
      if (error.code === "aborted") return [];
      if (error.network) {
        if (stateNode) stateNode.textContent = strings.network_error;
        return [];
      }
      // a refused search shows as no match
    }
    renderFaq(container, results);
    if (stateNode) stateNode.textContent = text.trim() && !results.length ? strings.no_match : "";
    return results;
  };
}
