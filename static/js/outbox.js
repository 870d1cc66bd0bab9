// The one outbox for what a candidate page posts in the background: proctoring events (JSON,
// kept in localStorage) and camera captures (multipart, kept in IndexedDB). Items stay stored
// until the server has them, are sent oldest first through api(), and survive a reload.
//
// After each answer:
//   accepted                        removed, onResult(answer, batch)
//   a stop code (collected, ...)    the outbox stops for good, onStop(code, detail)
//   no answer, 5xx, 408/429,        kept; tried again after a backoff (2 s doubling to 30 s,
//   a stale CSRF cookie             with jitter), at once when the browser comes back online;
//                                   a Retry-After from the server (429 throttled, 503) is honoured:
//                                   nothing is sent before it has passed, even when back online
//   any other refusal               removed (not an image, too large...): retrying cannot help
// While the browser says it is offline nothing is sent; the "online" event resumes at once.

import { api } from "./api.js";
import { isStopCode } from "./stopcodes.js";

const BACKOFF_START_MS = 2000;
const BACKOFF_CAP_MS = 30000;

export class Outbox {
  // store: a LocalListStore or an IndexedDbStore. body(batch) -> the request body for `path`.
  constructor({ store, path, body, batchSize = 1, timeoutMs = undefined, onResult = () => {}, onStop = () => {} }) {
    this.store = store;
    this.path = path;
    this.body = body;
    this.batchSize = batchSize;
    this.timeoutMs = timeoutMs;
    this.onResult = onResult;
    this.onStop = onStop;
    this.stopped = false;
    this.failures = 0;
    this.timer = null;
    this.running = null;
    this.wanted = false;
    this.notBefore = 0; // Date.now() ms before which the server asked us not to send
    this.handleOnline = () => {
      this.failures = 0;
      this.flush(0);
    };
    window.addEventListener("online", this.handleOnline);
  }

  // Store an item and try to send it now. Resolves once it is stored.
  async enqueue(item) {
    if (this.stopped) return;
    await this.store.add(item);
    this.flush(0);
  }

  // Send what is queued, now or after `delay` ms. Resolves when this round of sending ends.
  flush(delay = 0) {
    if (this.stopped) return Promise.resolve();
    clearTimeout(this.timer);
    this.timer = null;
    delay = Math.max(delay, this.notBefore - Date.now());
    if (delay > 0) {
      this.timer = setTimeout(() => this.flush(0), delay);
      return Promise.resolve();
    }
    this.wanted = true;
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  pending() {
    return this.store.size();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.handleOnline);
  }

  // One round at a time; a flush() asked for during a round (a new item) runs another.
  async loop() {
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      await this.sendAll();
    }
  }

  async sendAll() {
    for (;;) {
      if (this.stopped) return;
      const batch = (await this.store.all()).slice(0, this.batchSize);
      if (!batch.length) return;
      if (navigator.onLine === false || !(await this.send(batch))) {
        this.retryLater();
        return;
      }
    }
  }

  // false: keep the batch and try again later.
  async send(batch) {
    try {
      const result = await api("POST", this.path, this.body(batch), { timeoutMs: this.timeoutMs });
      await this.store.remove(batch);
      this.failures = 0;
      this.onResult(result, batch);
    } catch (error) {
      if (isStopCode(error.code)) {
        this.stop();
        this.onStop(error.code, error.detail);
      } else if (error.transient || error.code === "csrf_failed") {
        if (error.retryAfter > 0) this.notBefore = Date.now() + error.retryAfter * 1000;
        return false;
      } else {
        await this.store.remove(batch);
        console.warn("queued post refused and dropped", this.path, error.code, error.detail);
      }
    }
    return true;
  }

  retryLater() {
    if (this.stopped || this.wanted) return;
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** this.failures);
    this.failures += 1;
    // flush() waits at least until notBefore (the server's Retry-After).
    this.flush(base * (0.5 + Math.random() * 0.5));
  }
}

function newId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// Small JSON items in one localStorage key (memory only when storage is refused). Items get an
// `id` to remove them by; lists written before ids existed are read as they are. `absorb`:
// older keys whose items move into this one (and are removed) when it is opened.
export class LocalListStore {
  constructor(key, { max = 500, absorb = [] } = {}) {
    this.key = key;
    this.max = max;
    this.items = this.read(key);
    let absorbed = false;
    for (const older of absorb) {
      if (older === key) continue;
      const items = this.read(older);
      if (!items.length) continue;
      this.items.push(...items);
      absorbed = true;
      try {
        window.localStorage.removeItem(older);
      } catch {
        // left behind: read again next time, sent once more at worst
      }
    }
    if (absorbed) this.trimAndSave();
  }

  read(key) {
    let items = [];
    try {
      const parsed = JSON.parse(window.localStorage.getItem(key) || "[]");
      items = Array.isArray(parsed) ? parsed.filter((i) => i && typeof i === "object") : [];
    } catch {
      items = [];
    }
    return items.map((i) => (i.id ? i : { ...i, id: newId() }));
  }

  trimAndSave() {
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max);
    try {
      if (this.items.length) window.localStorage.setItem(this.key, JSON.stringify(this.items));
      else window.localStorage.removeItem(this.key);
    } catch {
      // storage full or disabled: memory still holds them
    }
  }

  async add(item) {
    this.items.push({ ...item, id: item.id || newId() });
    this.trimAndSave();
  }

  async all() {
    return this.items.slice();
  }

  async remove(batch) {
    const ids = new Set(batch.map((i) => i.id));
    this.items = this.items.filter((i) => !ids.has(i.id));
    this.trimAndSave();
  }

  async size() {
    return this.items.length;
  }
}

// Items with blobs in an IndexedDB object store (memory when IndexedDB is unavailable), sent
// in `orderBy` order. trim(items) -> the items to drop when the store is over `max`.
export class IndexedDbStore {
  constructor({ dbName, storeName, keyPath, orderBy, max = 200, trim = (items, excess) => items.slice(0, excess) }) {
    this.storeName = storeName;
    this.keyPath = keyPath;
    this.orderBy = orderBy;
    this.max = max;
    this.trim = trim;
    this.memory = new Map();
    this.dbReady = openDb(dbName, storeName, keyPath);
  }

  async tx(mode, work) {
    const db = await this.dbReady;
    if (!db) throw new Error("no IndexedDB");
    return new Promise((resolve, reject) => {
      const tx = db.transaction(this.storeName, mode);
      const request = work(tx.objectStore(this.storeName));
      tx.oncomplete = () => resolve(request && "result" in request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  async add(item) {
    try {
      await this.tx("readwrite", (store) => store.put(item));
    } catch {
      this.memory.set(item[this.keyPath], item);
    }
    const items = await this.all();
    const excess = items.length - this.max;
    if (excess > 0) await this.remove(this.trim(items, excess));
  }

  async all() {
    const items = Array.from(this.memory.values());
    try {
      items.push(...(await this.tx("readonly", (store) => store.getAll())));
    } catch {
      // what memory holds
    }
    const by = this.orderBy;
    return items.sort((a, b) => (a[by] < b[by] ? -1 : a[by] > b[by] ? 1 : 0));
  }

  async remove(batch) {
    for (const item of batch) {
      const key = item[this.keyPath];
      this.memory.delete(key);
      try {
        await this.tx("readwrite", (store) => store.delete(key));
      } catch {
        // a leftover is sent again later; the server stores a capture once
      }
    }
  }

  async size() {
    return (await this.all()).length;
  }
}

function openDb(dbName, storeName, keyPath) {
  return new Promise((resolve) => {
    if (!("indexedDB" in window)) {
      resolve(null);
      return;
    }
    let request;
    try {
      request = window.indexedDB.open(dbName, 1);
    } catch {
      resolve(null);
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore(storeName, { keyPath });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  });
}
