/**
 * Candidate-side proctoring capture: camera snapshots, camera problems, loud sound.
 * Plain ES module, no build step, no inline script needed.
 *
 *   startProctoring, captureScratchPaper and takePhoto are exported by this module:
 *
 * startProctoring(options) -> Promise<Proctoring>
 *   Opens the computer camera (and the microphone, only to measure loudness: no audio is
 *   ever uploaded), takes a snapshot every `snapshotIntervalSeconds` and uploads it in the
 *   background to /api/v1/candidate/attempt/photo/ (kind "snapshot", a unique capture_id
 *   per capture, captured_at in ISO 8601). Uploads wait in the page's outbox (outbox.js:
 *   IndexedDB, or memory when IndexedDB is unavailable) while offline or while the server is
 *   busy; the server stores a capture_id once, so a retried upload is harmless. Every request
 *   goes through api.js (CSRF from the cookie). Nothing here ever blocks the page: every call
 *   is asynchronous and failures are reported, not thrown.
 *   Camera problems and sustained loud sound are posted to /api/v1/candidate/attempt/events/:
 *     camera_missing  no camera, or the browser cannot use one       {error}
 *     camera_denied   the candidate refused the permission           {error}
 *     camera_black    mean brightness of a downscaled frame under     {brightness}
 *                     `blackThreshold` for `blackChecks` checks in a row
 *     camera_lost     the camera track ended mid-exam (unplugged...)  {label}
 *     loud_sound      RMS level above `loudDb` dBFS for `loudSeconds` {level_db, seconds}
 *   options:
 *     snapshotIntervalSeconds  the session's snapshot_interval_seconds (default 30)
 *     outbox                   an EventOutbox (events.js) to post the events through; the
 *                              exam page passes its own. Without one, a private outbox.
 *     onEvent(kind, details)   called for every reported event, and for
 *                              "camera_restored", "upload_stopped" {code} (the server
 *                              refuses further uploads: collected, superseded...)
 *     video                    optional <video> element to show the live preview in
 *     audio                    measure loudness (default true)
 *     blackThreshold 20, blackChecks 2, checkSeconds 5, loudDb -25, loudSeconds 3,
 *     photoUrl, eventsUrl      endpoints (defaults above)
 *   (a csrfToken option is still accepted and ignored: api.js reads the cookie itself)
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
 * takePhoto({kind, video, photoUrl}) -> Promise<server answer>
 *   One capture uploaded at once (the login photo page): uses `video` if it is playing,
 *   else opens the camera for the moment. Rejects with an ApiError ({code, detail}) on refusal.
 * brightnessOf(source), rmsToDb(samples): the measurements, exported for tests.
 */

import { api } from "../api.js";
import { EventOutbox, LEGACY_PROCTORING_KEY } from "../events.js";
import { IndexedDbStore, Outbox } from "../outbox.js";

const PHOTO_URL = "/api/v1/candidate/attempt/photo/";
const EVENTS_URL = "/api/v1/candidate/attempt/events/";
const DB_NAME = "exam-proctoring";
const STORE = "uploads";
const MAX_QUEUED_UPLOADS = 200;
const UPLOAD_TIMEOUT_MS = 60000;

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

function uploadForm(item) {
  const form = new FormData();
  form.append("photo", item.blob, `${item.kind}.jpg`);
  form.append("kind", item.kind);
  form.append("capture_id", item.capture_id);
  form.append("captured_at", item.captured_at);
  return form;
}

function postCapture(item, photoUrl) {
  return api("POST", photoUrl, uploadForm(item), { timeoutMs: UPLOAD_TIMEOUT_MS });
}

// Keep the newest snapshots when a long outage fills the queue; other kinds stay.
function oldestSnapshots(items, excess) {
  return items.filter((i) => i.kind === "snapshot").slice(0, excess);
}

// The retry queue of captures (outbox.js): IndexedDB when it works, memory otherwise.
function uploadOutbox({ photoUrl, onStop }) {
  return new Outbox({
    store: new IndexedDbStore({
      dbName: DB_NAME, storeName: STORE, keyPath: "capture_id", orderBy: "captured_at",
      max: MAX_QUEUED_UPLOADS, trim: oldestSnapshots,
    }),
    path: photoUrl,
    body: ([item]) => uploadForm(item),
    timeoutMs: UPLOAD_TIMEOUT_MS,
    onStop,
  });
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
    this.uploads = uploadOutbox({
      photoUrl: this.options.photoUrl,
      onStop: (code) => {
        safeCall(this.options.onEvent, "upload_stopped", { code });
        this.stop();
      },
    });
    // The exam page passes its own outbox: one queue of events per page, one answer to read.
    this.ownsEvents = !this.options.outbox;
    this.events = this.options.outbox || new EventOutbox(null, {
      key: LEGACY_PROCTORING_KEY, path: this.options.eventsUrl,
    });
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
    await this.uploads.enqueue(item);
    return item.capture_id;
  }

  async captureScratchPaper() {
    if (!this.stream) throw { code: "camera_missing", detail: "" };
    const blob = await frameToBlob(this.video);
    if (!blob) throw { code: "camera_missing", detail: "" };
    const item = {
      capture_id: newCaptureId(), kind: "scratch_paper", captured_at: new Date().toISOString(), blob,
    };
    try {
      return await postCapture(item, this.options.photoUrl);
    } catch (error) {
      if (!error.network) throw error;
      await this.uploads.enqueue(item); // keep it: the step is on the record once it reaches the server
      throw { code: "offline", detail: "" };
    }
  }

  flush() {
    return Promise.all([this.uploads.flush(), this.events.flush()]);
  }

  pending() {
    return this.uploads.pending();
  }

  stop() {
    this.stopped = true;
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
    this.uploads.stop();
    if (this.ownsEvents) this.events.stop();
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

export async function takePhoto({ kind = "login_photo", video = null, photoUrl = PHOTO_URL } = {}) {
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
    return await postCapture(item, photoUrl);
  } finally {
    if (opened) opened.getTracks().forEach((t) => t.stop());
  }
}
