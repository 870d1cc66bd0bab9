/**
 * Candidate-side proctoring capture: camera snapshots, camera problems, loud sound.
 * Plain ES module, no build step, no inline script needed.
 *
 *   import { startProctoring, captureScratchPaper, takePhoto } from "/static/js/proctoring/capture.js";
 *
 * startProctoring(options) -> Promise<Proctoring>
 *   Opens the computer camera (and the microphone, only to measure loudness: no audio is
 *   ever uploaded), takes a snapshot every `snapshotIntervalSeconds` and uploads it in the
 *   background to /api/v1/candidate/attempt/photo/ (kind "snapshot", a unique capture_id
 *   per capture, captured_at in ISO 8601). Uploads wait in a retry queue (IndexedDB, or
 *   memory when IndexedDB is unavailable) while offline or while the server is busy; the
 *   server stores a capture_id once, so a retried upload is harmless. Nothing here ever
 *   blocks the page: every call is asynchronous and failures are reported, not thrown.
 *   Camera problems and sustained loud sound are posted to /api/v1/candidate/attempt/events/:
 *     camera_missing  no camera, or the browser cannot use one       {error}
 *     camera_denied   the candidate refused the permission           {error}
 *     camera_black    mean brightness of a downscaled frame under     {brightness}
 *                     `blackThreshold` for `blackChecks` checks in a row
 *     camera_lost     the camera track ended mid-exam (unplugged...)  {label}
 *     loud_sound      RMS level above `loudDb` dBFS for `loudSeconds` {level_db, seconds}
 *   options:
 *     snapshotIntervalSeconds  the session's snapshot_interval_seconds (default 30)
 *     csrfToken                the page's CSRF token (required for the uploads)
 *     onEvent(kind, details)   called for every reported event, and for
 *                              "camera_restored", "upload_stopped" {code} (the server
 *                              refuses further uploads: collected, superseded...)
 *     video                    optional <video> element to show the live preview in
 *     audio                    measure loudness (default true)
 *     blackThreshold 20, blackChecks 2, checkSeconds 5, loudDb -25, loudSeconds 3,
 *     photoUrl, eventsUrl      endpoints (defaults above)
 *
 * Proctoring (the resolved object):
 *   stream                     the camera MediaStream (null without a camera)
 *   snapshot(kind)             capture now and queue the upload; resolves to the capture_id
 *   captureScratchPaper()      the A4 step: capture and upload kind "scratch_paper" now;
 *                              resolves to the server's answer, rejects with {code, detail}
 *   report(kind, details)      post one event (a kind the server accepts from pages)
 *   flush()                    try the queued uploads and events now
 *   pending()                  resolves to the number of queued uploads
 *   stop()                     stop timers, camera and microphone
 *
 * captureScratchPaper()        same as above, on the running instance.
 * takePhoto({kind, csrfToken, video, photoUrl}) -> Promise<server answer>
 *   One capture uploaded at once (the login photo page): uses `video` if it is playing,
 *   else opens the camera for the moment. Rejects with {code, detail} on refusal.
 * brightnessOf(source), rmsToDb(samples): the measurements, exported for tests.
 */

import { isStopCode } from "../stopcodes.js";

const PHOTO_URL = "/api/v1/candidate/attempt/photo/";
const EVENTS_URL = "/api/v1/candidate/attempt/events/";
const DB_NAME = "exam-proctoring";
const STORE = "uploads";
const EVENTS_KEY = "exam-proctoring-events";
const MAX_QUEUED_UPLOADS = 200;
const MAX_QUEUED_EVENTS = 500;
const FLUSH_SECONDS = 15;

let current = null;

function newCaptureId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID().replace(/-/g, "");
  }
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function safeCall(fn, ...args) {
  if (typeof fn !== "function") return;
  try {
    fn(...args);
  } catch (err) {
    console.error("proctoring callback failed", err);
  }
}

/** Mean luminance (0-255) of a source drawn onto a small canvas. */
export function brightnessOf(source, width = 32, height = 24) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  let total = 0;
  for (let i = 0; i < data.length; i += 4) {
    total += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
  }
  return total / (data.length / 4);
}

/** RMS level of samples in [-1, 1], in dBFS (0 is full scale; silence is -Infinity). */
export function rmsToDb(samples) {
  let sum = 0;
  for (let i = 0; i < samples.length; i += 1) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

function frameToBlob(video, maxWidth = 640) {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) return Promise.resolve(null);
  const scale = Math.min(1, maxWidth / w);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.75));
}

async function openCamera() {
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
    return { stream: null, problem: "camera_missing", error: "unsupported" };
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
      audio: false,
    });
    return { stream, problem: null, error: null };
  } catch (err) {
    const name = (err && err.name) || "Error";
    const denied = name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError";
    return { stream: null, problem: denied ? "camera_denied" : "camera_missing", error: name };
  }
}

async function openMicrophone() {
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") return null;
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      video: false,
    });
  } catch (err) {
    return null;
  }
}

async function playInto(video, stream) {
  video.muted = true;
  video.playsInline = true;
  video.setAttribute("playsinline", "");
  video.srcObject = stream;
  try {
    await video.play();
  } catch (err) {
    // Autoplay of a muted stream is allowed; a refusal here only delays the first frame.
  }
  if (!video.videoWidth) {
    await new Promise((resolve) => {
      const done = () => resolve();
      video.addEventListener("loadeddata", done, { once: true });
      setTimeout(done, 3000);
    });
  }
}

function csrfHeaders(csrfToken) {
  return csrfToken ? { "X-CSRFToken": csrfToken } : {};
}

async function errorOf(response) {
  try {
    const body = await response.json();
    return { code: body.code || "error", detail: body.detail || "", status: response.status };
  } catch (err) {
    return { code: "error", detail: response.statusText, status: response.status };
  }
}

function uploadForm(item) {
  const form = new FormData();
  form.append("photo", item.blob, `${item.kind}.jpg`);
  form.append("kind", item.kind);
  form.append("capture_id", item.capture_id);
  form.append("captured_at", item.captured_at);
  return form;
}

// ---- the retry queue of uploads: IndexedDB when it works, memory otherwise ----------

function openDb() {
  return new Promise((resolve) => {
    if (!("indexedDB" in window)) {
      resolve(null);
      return;
    }
    let request;
    try {
      request = window.indexedDB.open(DB_NAME, 1);
    } catch (err) {
      resolve(null);
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "capture_id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  });
}

function idb(db, mode, work) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

class UploadQueue {
  constructor({ url, csrfToken, onFinal }) {
    this.url = url;
    this.csrfToken = csrfToken;
    this.onFinal = onFinal;
    this.memory = new Map();
    this.dbReady = openDb();
    this.flushing = null;
    this.stopped = false;
  }

  async add(item) {
    const db = await this.dbReady;
    if (db) {
      try {
        await idb(db, "readwrite", (store) => store.put(item));
      } catch (err) {
        this.memory.set(item.capture_id, item);
      }
    } else {
      this.memory.set(item.capture_id, item);
    }
    await this.trim();
  }

  async all() {
    const items = Array.from(this.memory.values());
    const db = await this.dbReady;
    if (db) {
      try {
        items.push(...(await idb(db, "readonly", (store) => store.getAll())));
      } catch (err) {
        // fall back to what memory holds
      }
    }
    return items.sort((a, b) => (a.captured_at < b.captured_at ? -1 : 1));
  }

  async remove(captureId) {
    this.memory.delete(captureId);
    const db = await this.dbReady;
    if (db) {
      try {
        await idb(db, "readwrite", (store) => store.delete(captureId));
      } catch (err) {
        // a leftover is uploaded again later and stored once by the server
      }
    }
  }

  async trim() {
    const items = await this.all();
    // Keep the newest snapshots when a long outage fills the queue; other kinds stay.
    const snapshots = items.filter((i) => i.kind === "snapshot");
    const excess = items.length - MAX_QUEUED_UPLOADS;
    for (let i = 0; i < Math.min(excess, snapshots.length); i += 1) {
      await this.remove(snapshots[i].capture_id);
    }
  }

  async size() {
    return (await this.all()).length;
  }

  flush() {
    if (!this.flushing) {
      this.flushing = this.drain().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  async drain() {
    // Oldest first, including captures queued while this drain runs.
    const sent = new Set();
    for (;;) {
      if (this.stopped || navigator.onLine === false) return;
      const item = (await this.all()).find((i) => !sent.has(i.capture_id));
      if (!item) return;
      const outcome = await this.send(item);
      if (outcome === "retry") return; // offline or server busy: try again later, in order
      await this.remove(item.capture_id);
      sent.add(item.capture_id);
    }
  }

  async send(item) {
    let response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        body: uploadForm(item),
        credentials: "same-origin",
        headers: csrfHeaders(this.csrfToken),
      });
    } catch (err) {
      return "retry";
    }
    if (response.ok) return "done";
    if (response.status >= 500 || response.status === 408 || response.status === 429) return "retry";
    const error = await errorOf(response);
    if (isStopCode(error.code)) {
      this.stopped = true;
      safeCall(this.onFinal, error);
    }
    return "drop"; // refused for good (not an image, too large...): retrying cannot help
  }
}

// ---- events: small, kept in memory and localStorage until the server has them -------

class EventQueue {
  constructor({ url, csrfToken }) {
    this.url = url;
    this.csrfToken = csrfToken;
    this.items = this.load();
    this.sending = null;
  }

  load() {
    try {
      const stored = JSON.parse(window.localStorage.getItem(EVENTS_KEY) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch (err) {
      return [];
    }
  }

  save() {
    try {
      window.localStorage.setItem(EVENTS_KEY, JSON.stringify(this.items));
    } catch (err) {
      // storage full or disabled: memory still holds them
    }
  }

  add(kind, details) {
    this.items.push({ kind, client_time: new Date().toISOString(), details: details || {} });
    if (this.items.length > MAX_QUEUED_EVENTS) this.items.splice(0, this.items.length - MAX_QUEUED_EVENTS);
    this.save();
    return this.flush();
  }

  flush() {
    if (!this.sending) {
      this.sending = this.send().finally(() => {
        this.sending = null;
      });
    }
    return this.sending;
  }

  async send() {
    // Events added while a batch is in flight go in the next round of this loop.
    while (this.items.length && navigator.onLine !== false) {
      const batch = this.items.slice(0, 100);
      let response;
      try {
        response = await fetch(this.url, {
          method: "POST",
          body: JSON.stringify({ events: batch }),
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", ...csrfHeaders(this.csrfToken) },
        });
      } catch (err) {
        return;
      }
      if (response.status >= 500 || response.status === 429) return;
      // Accepted, or refused for good (a finished attempt): either way not sent again.
      this.items.splice(0, batch.length);
      this.save();
    }
  }
}

// ---- the running instance -------------------------------------------------------------

class Proctoring {
  constructor(options) {
    this.options = {
      snapshotIntervalSeconds: 30,
      audio: true,
      blackThreshold: 20,
      blackChecks: 2,
      checkSeconds: 5,
      loudDb: -25,
      loudSeconds: 3,
      photoUrl: PHOTO_URL,
      eventsUrl: EVENTS_URL,
      ...options,
    };
    this.stream = null;
    this.microphone = null;
    this.video = this.options.video || document.createElement("video");
    this.timers = [];
    this.stopped = false;
    this.black = { streak: 0, reported: false };
    this.uploads = new UploadQueue({
      url: this.options.photoUrl,
      csrfToken: this.options.csrfToken,
      onFinal: (error) => {
        safeCall(this.options.onEvent, "upload_stopped", { code: error.code });
        this.stop();
      },
    });
    this.events = new EventQueue({ url: this.options.eventsUrl, csrfToken: this.options.csrfToken });
    this.onOnline = () => this.flush();
  }

  report(kind, details = {}) {
    safeCall(this.options.onEvent, kind, details);
    return this.events.add(kind, details);
  }

  async start() {
    await this.attachCamera(true);
    if (this.options.audio) this.startLoudness();
    const every = Math.max(5, Number(this.options.snapshotIntervalSeconds) || 30) * 1000;
    this.timers.push(setInterval(() => this.snapshot("snapshot"), every));
    this.timers.push(setInterval(() => this.checkBlack(), this.options.checkSeconds * 1000));
    this.timers.push(setInterval(() => this.flush(), FLUSH_SECONDS * 1000));
    window.addEventListener("online", this.onOnline);
    this.flush();
    if (this.stream) setTimeout(() => this.snapshot("snapshot"), 1500);
    return this;
  }

  async attachCamera(first) {
    const { stream, problem, error } = await openCamera();
    if (this.stopped) {
      if (stream) stream.getTracks().forEach((t) => t.stop());
      return false;
    }
    if (!stream) {
      if (first) this.report(problem, { error });
      return false;
    }
    this.stream = stream;
    await playInto(this.video, stream);
    const track = stream.getVideoTracks()[0];
    if (track) {
      track.addEventListener("ended", () => this.cameraLost(track.label || ""));
    }
    if (!first) safeCall(this.options.onEvent, "camera_restored", {});
    return true;
  }

  cameraLost(label) {
    if (this.stopped) return;
    this.stream = null;
    this.report("camera_lost", { label });
    const retry = setInterval(async () => {
      if (this.stopped || this.stream) {
        clearInterval(retry);
        return;
      }
      if (await this.attachCamera(false)) clearInterval(retry);
    }, 10000);
    this.timers.push(retry);
  }

  checkBlack() {
    if (this.stopped || !this.stream || !this.video.videoWidth) return;
    let brightness;
    try {
      brightness = brightnessOf(this.video);
    } catch (err) {
      return;
    }
    if (brightness < this.options.blackThreshold) {
      this.black.streak += 1;
      if (this.black.streak >= this.options.blackChecks && !this.black.reported) {
        this.black.reported = true;
        this.report("camera_black", { brightness: Math.round(brightness * 10) / 10 });
      }
    } else {
      this.black = { streak: 0, reported: false };
    }
  }

  startLoudness() {
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return;
    openMicrophone().then((microphone) => {
      if (!microphone || this.stopped) {
        if (microphone) microphone.getTracks().forEach((t) => t.stop());
        return;
      }
      this.microphone = microphone;
      const context = new AudioContextClass();
      this.audioContext = context;
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(microphone).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      const resume = () => {
        if (context.state === "suspended") context.resume().catch(() => {});
      };
      resume();
      document.addEventListener("click", resume);
      document.addEventListener("keydown", resume);
      const stepMs = 250;
      const maxGapMs = 750; // pauses between words do not end an episode
      let loudMs = 0;
      let quietMs = 0;
      let sumDb = 0;
      let steps = 0;
      let reported = false;
      this.timers.push(setInterval(() => {
        if (context.state !== "running") return;
        analyser.getFloatTimeDomainData(samples);
        const db = rmsToDb(samples);
        if (db >= this.options.loudDb) {
          loudMs += stepMs + quietMs;
          quietMs = 0;
          sumDb += db;
          steps += 1;
          if (!reported && loudMs >= this.options.loudSeconds * 1000) {
            reported = true;
            this.report("loud_sound", {
              level_db: Math.round((sumDb / steps) * 10) / 10,
              seconds: Math.round(loudMs / 100) / 10,
            });
          }
        } else if (loudMs > 0) {
          quietMs += stepMs;
          if (quietMs > maxGapMs) {
            loudMs = 0;
            quietMs = 0;
            sumDb = 0;
            steps = 0;
            reported = false;
          }
        }
      }, stepMs));
    });
  }

  async snapshot(kind = "snapshot") {
    if (this.stopped || !this.stream) return null;
    const blob = await frameToBlob(this.video);
    if (!blob) return null;
    const item = { capture_id: newCaptureId(), kind, captured_at: new Date().toISOString(), blob };
    await this.uploads.add(item);
    this.uploads.flush();
    return item.capture_id;
  }

  async captureScratchPaper() {
    if (!this.stream) throw { code: "camera_missing", detail: "" };
    const blob = await frameToBlob(this.video);
    if (!blob) throw { code: "camera_missing", detail: "" };
    const item = {
      capture_id: newCaptureId(), kind: "scratch_paper", captured_at: new Date().toISOString(), blob,
    };
    let response;
    try {
      response = await fetch(this.options.photoUrl, {
        method: "POST", body: uploadForm(item), credentials: "same-origin",
        headers: csrfHeaders(this.options.csrfToken),
      });
    } catch (err) {
      await this.uploads.add(item); // keep it: the step is on the record once it reaches the server
      throw { code: "offline", detail: "" };
    }
    if (!response.ok) throw await errorOf(response);
    return response.json();
  }

  flush() {
    return Promise.all([this.uploads.flush(), this.events.flush()]);
  }

  pending() {
    return this.uploads.size();
  }

  stop() {
    this.stopped = true;
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
    window.removeEventListener("online", this.onOnline);
    [this.stream, this.microphone].forEach((s) => s && s.getTracks().forEach((t) => t.stop()));
    if (this.audioContext) this.audioContext.close().catch(() => {});
    if (current === this) current = null;
  }
}

export async function startProctoring(options = {}) {
  if (current) current.stop();
  const instance = new Proctoring(options);
  current = instance;
  return instance.start();
}

export function captureScratchPaper() {
  if (!current) return Promise.reject({ code: "not_started", detail: "" });
  return current.captureScratchPaper();
}

export async function takePhoto({ kind = "login_photo", csrfToken, video = null, photoUrl = PHOTO_URL } = {}) {
  let source = video;
  let opened = null;
  if (!source || !source.videoWidth) {
    const camera = await openCamera();
    if (!camera.stream) throw { code: camera.problem, detail: camera.error };
    opened = camera.stream;
    source = document.createElement("video");
    await playInto(source, opened);
  }
  try {
    const blob = await frameToBlob(source);
    if (!blob) throw { code: "camera_black", detail: "" };
    const item = { capture_id: newCaptureId(), kind, captured_at: new Date().toISOString(), blob };
    const response = await fetch(photoUrl, {
      method: "POST", body: uploadForm(item), credentials: "same-origin", headers: csrfHeaders(csrfToken),
    });
    if (!response.ok) throw await errorOf(response);
    return response.json();
  } finally {
    if (opened) opened.getTracks().forEach((t) => t.stop());
  }
}
