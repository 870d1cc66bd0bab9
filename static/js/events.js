// Proctoring events the page reports (screen leaves, network lost/restored). Kept in localStorage
// until the server has them, so a leave made while offline is still counted when the network returns.

import { api } from "./api.js";
import { isStopCode } from "./stopcodes.js";

const BACKOFF_START_MS = 2000;
const BACKOFF_CAP_MS = 30000;
const MAX_QUEUED = 50;

export class EventOutbox {
  constructor(attemptId, { onResult = () => {}, onStop = () => {} } = {}) {
    this.key = `exam.events.v1.${attemptId}`;
    this.onResult = onResult;
    this.onStop = onStop;
    this.queue = this.load();
    this.sending = false;
    this.stopped = false;
    this.failures = 0;
    this.timer = null;
    this.handleOnline = () => this.flush(0);
    window.addEventListener("online", this.handleOnline);
  }

  load() {
    try {
      const parsed = JSON.parse(window.localStorage.getItem(this.key) || "[]");
      return Array.isArray(parsed) ? parsed : [];
    } catch {
      return [];
    }
  }

  save() {
    try {
      if (this.queue.length) {
        window.localStorage.setItem(this.key, JSON.stringify(this.queue));
      } else {
        window.localStorage.removeItem(this.key);
      }
    } catch {
      // memory only
    }
  }

  add(kind, details = {}) {
    if (this.stopped) return;
    this.queue.push({ kind, client_time: new Date().toISOString(), details });
    this.queue = this.queue.slice(-MAX_QUEUED);
    this.save();
    this.flush(0);
  }

  flush(delay = 0) {
    if (this.stopped || !this.queue.length) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(), delay);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.handleOnline);
  }

  async send() {
    if (this.sending || this.stopped || !this.queue.length) return;
    this.sending = true;
    const batch = this.queue.slice();
    try {
      const result = await api("POST", "attempt/events/", { events: batch });
      this.queue = this.queue.slice(batch.length);
      this.save();
      this.failures = 0;
      this.onResult(result);
    } catch (error) {
      if (isStopCode(error.code)) {
        this.stop();
        this.onStop(error.code, error.detail);
      } else if (error.transient || error.code === "csrf_failed") {
        const base = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** this.failures);
        this.failures += 1;
        this.sending = false;
        this.flush(base * (0.5 + Math.random() * 0.5));
        return;
      } else {
        this.queue = this.queue.slice(batch.length); // refused as invalid: retrying cannot help
        this.save();
      }
    } finally {
      this.sending = false;
    }
    if (this.queue.length) this.flush(0);
  }
}
