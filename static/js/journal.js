// Loss-proof autosave. Every change is a journal entry {question, value, seq} in localStorage,
// kept until the server acks its seq. The sender posts the unacked entries in seq order, one
// batch at a time; the server keeps, per question, the value with the highest seq, so replays
// and resends after a crash, a reload or another computer change nothing.

import { isStopCode } from "./stopcodes.js";

const BATCH_MAX = 200;
const BACKOFF_START_MS = 1000;
const BACKOFF_CAP_MS = 15000;

function storageOrNull() {
  try {
    const probe = "exam.probe";
    window.localStorage.setItem(probe, "1");
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    return null;
  }
}

export class Journal {
  constructor(attemptId) {
    this.key = `exam.journal.v1.${attemptId}`;
    this.storage = storageOrNull();
    this.persistent = this.storage !== null;
    this.entries = [];
    this.lastSeq = 0;
    // The page's clock offset to the server (ms) when an entry is made, or null: an emergency
    // backup (backup.js) proves with it that the entry was made before the deadline.
    this.clockOffset = () => null;
    this.load();
  }

  load() {
    if (!this.storage) return;
    try {
      const parsed = JSON.parse(this.storage.getItem(this.key) || "[]");
      this.entries = Array.isArray(parsed)
        ? parsed.filter((e) => e && Number.isInteger(e.question) && Number.isInteger(e.seq) && "value" in e)
        : [];
    } catch {
      this.entries = [];
    }
    this.lastSeq = Math.max(this.lastSeq, this.maxSeq);
  }

  save() {
    if (!this.storage) return;
    try {
      if (this.entries.length) {
        this.storage.setItem(this.key, JSON.stringify(this.entries));
      } else {
        this.storage.removeItem(this.key);
      }
    } catch {
      this.persistent = false; // quota: keep going in memory, the page says so
    }
  }

  get maxSeq() {
    return this.entries.reduce((max, e) => Math.max(max, e.seq), 0);
  }

  get size() {
    return this.entries.length;
  }

  // After loading the attempt: new entries continue above both the server's and the journal's seq.
  seed(serverLastSeq) {
    this.lastSeq = Math.max(this.lastSeq, serverLastSeq || 0, this.maxSeq);
  }

  // Drop entries the server already holds something newer (or the same) for.
  pruneAgainst(serverAnswers) {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => {
      const held = serverAnswers[e.question];
      return !held || held.seq < e.seq;
    });
    if (this.entries.length !== before) this.save();
  }

  // A new change. An older unsent entry for the same question is replaced (the server would keep
  // only the newer one anyway); entries in flight stay so their ack matches what was sent.
  // t: the computer's time of the change; o: the clock offset then (server = t + o).
  record(question, value, inFlight = new Set()) {
    this.lastSeq = Math.max(this.lastSeq, this.maxSeq) + 1;
    const entry = { question, value, seq: this.lastSeq, t: Date.now() };
    const offset = this.clockOffset();
    if (Number.isFinite(offset)) entry.o = offset;
    this.entries = this.entries.filter((e) => e.question !== question || inFlight.has(e.seq));
    this.entries.push(entry);
    this.save();
    return entry;
  }

  ack(ackedSeq) {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.seq > ackedSeq);
    if (this.entries.length !== before) this.save();
  }

  drop(seq) {
    this.entries = this.entries.filter((e) => e.seq !== seq);
    this.save();
  }

  pending() {
    return [...this.entries].sort((a, b) => a.seq - b.seq);
  }
}

export class Sender {
  // post(entries, currentQuestion) -> Promise<{acked_seq}>; throws ApiError.
  constructor({ journal, post, currentQuestion = () => null, touchEntry = () => null, onChange = () => {},
    onStop = () => {} }) {
    this.journal = journal;
    this.post = post;
    this.currentQuestion = currentQuestion;
    this.touchEntry = touchEntry;
    this.onChange = onChange;
    this.onStop = onStop;
    this.sending = false;
    this.stopped = false;
    this.offline = false;
    this.failures = 0;
    this.single = false; // after an invalid_answer: find the bad entry one at a time
    this.timer = null;
    this.touchTimer = null;
    this.touchWanted = false;
    this.inFlight = new Set();
    this.waiters = [];
    this.handleOnline = () => this.kick(0, { resetBackoff: true });
    window.addEventListener("online", this.handleOnline);
  }

  state() {
    return {
      pending: this.journal.size,
      sending: this.sending,
      offline: this.offline || !navigator.onLine,
      stopped: this.stopped,
    };
  }

  kick(delay = 0, { resetBackoff = false } = {}) {
    if (this.stopped) return;
    if (resetBackoff) this.failures = 0;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), delay);
  }

  // The current question changed: tell the server later, piggybacked on a replay of a held answer.
  touchSoon(delay = 3000) {
    if (this.stopped) return;
    this.touchWanted = true;
    clearTimeout(this.touchTimer);
    this.touchTimer = setTimeout(() => this.kick(0), delay);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.touchTimer);
    window.removeEventListener("online", this.handleOnline);
    this.settle();
    this.onChange(this.state());
  }

  async run() {
    if (this.sending || this.stopped) return;
    let batch = this.journal.pending().slice(0, this.single ? 1 : BATCH_MAX);
    const touching = batch.length === 0 && this.touchWanted;
    if (touching) {
      const entry = this.touchEntry();
      batch = entry ? [entry] : [];
      this.touchWanted = false;
    }
    if (batch.length === 0) {
      this.settle();
      return;
    }
    this.sending = true;
    this.inFlight = new Set(batch.map((e) => e.seq));
    this.onChange(this.state());
    let retryIn = null;
    try {
      const result = await this.post(batch, this.currentQuestion());
      this.journal.ack(Number(result && result.acked_seq) || 0);
      this.failures = 0;
      this.offline = false;
      if (this.single && batch.length === 1) this.single = this.journal.size > 0;
    } catch (error) {
      retryIn = this.handleError(error, batch, touching);
    } finally {
      this.sending = false;
      this.inFlight = new Set();
    }
    this.onChange(this.state());
    if (this.stopped) return;
    if (retryIn !== null) {
      this.kick(retryIn);
    } else if (this.journal.size > 0 || this.touchWanted) {
      this.kick(0);
    } else {
      this.settle();
    }
  }

  handleError(error, batch, touching) {
    if (error.code === "collected" && error.body && error.body.kept > 0 && !touching) {
      // After the deadline's grace: the server kept these as evidence for the organizers.
      this.journal.ack(Math.max(...batch.map((e) => e.seq)));
      if (this.journal.size > 0) return 0;
    }
    if (isStopCode(error.code)) {
      this.stopped = true;
      this.onStop(error.code, error.detail);
      this.settle();
      return null;
    }
    const badEntry = error.code === "invalid_answer" || error.code === "invalid";
    if (badEntry && !touching) {
      if (batch.length > 1) {
        this.single = true; // resend one by one to find the entry the server cannot take
      } else {
        this.journal.drop(batch[0].seq);
        console.warn("answer refused and dropped", error.detail, batch[0]);
      }
      return 0;
    }
    if (badEntry) return null;
    // Network errors, 5xx/503, throttling, a stale CSRF cookie, not_started: back off and retry.
    this.offline = Boolean(error.network);
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** this.failures);
    this.failures += 1;
    return base * (0.5 + Math.random() * 0.5);
  }

  settle() {
    if (this.journal.size === 0 && !this.sending) {
      const waiters = this.waiters;
      this.waiters = [];
      waiters.forEach((w) => w.resolve(true));
    } else if (this.stopped) {
      const waiters = this.waiters;
      this.waiters = [];
      waiters.forEach((w) => w.resolve(false));
    }
  }

  // Resolves true once every entry is acked, false when stopped or after timeoutMs.
  flush(timeoutMs) {
    if (this.stopped) return Promise.resolve(false);
    if (this.journal.size === 0 && !this.sending) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { resolve: (ok) => { clearTimeout(waiter.timer); resolve(ok); } };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
      if (!this.sending) this.kick(0, { resetBackoff: true });
    });
  }
}
