/**
 * The phone monitor page (鹰眼监控), /proctoring/phone/ . Runs by itself; exports nothing.
 *
 * Configuration comes from data attributes of #phone-monitor (no inline script):
 *   data-heartbeat-url, data-snapshot-url   the phone API (identified by the phone's cookie)
 *   data-heartbeat-seconds (10), data-snapshot-seconds (30)
 *   data-csrf-token                         sent as X-CSRFToken
 *   data-msg-ok|offline|denied|missing|stopped|camera|wakelock   the texts shown in #phone-status
 * It opens the rear camera (facingMode "environment"), shows it in #phone-video, sends a
 * heartbeat every heartbeat-seconds and a snapshot (kind phone_snapshot) every
 * snapshot-seconds, keeps unsent snapshots in memory (the newest 20) while offline, asks
 * the screen to stay on (Wake Lock API, where available; says so when refused), and stops for
 * good when the server says the exam is over or another phone took over.
 * Each picture is checked here as on the server (proctoring/image_checks.py): black, uniform,
 * or the same as the previous one (frozen). A bad picture, or a camera track that ended, is
 * told at once ("摄像头画面异常……") and reported with the heartbeat ({"problem": reason});
 * the server decides from the images themselves anyway, so this page cannot fake a camera.
 * Coming back (online, visible again) sends a heartbeat and a fresh snapshot at once.
 */

const root = document.getElementById("phone-monitor");
const video = document.getElementById("phone-video");
const statusLine = document.getElementById("phone-status");
const wakeNote = document.getElementById("phone-wakelock");
const MAX_QUEUED = 20;
const PHONE_STOP_CODES = new Set(["attempt_not_open", "phone_replaced", "phone_not_paired"]);

const config = root ? {
  heartbeatUrl: root.dataset.heartbeatUrl,
  snapshotUrl: root.dataset.snapshotUrl,
  heartbeatSeconds: Number(root.dataset.heartbeatSeconds) || 10,
  snapshotSeconds: Number(root.dataset.snapshotSeconds) || 30,
  csrfToken: root.dataset.csrfToken || "",
} : null;

// The same limits as proctoring/image_checks.py (a 64x48 grayscale thumbnail, 0..255).
const THUMB_W = 64;
const THUMB_H = 48;
const BLACK_MEAN = 16;
const UNIFORM_STDDEV = 4;
const FROZEN_TOLERANCE = 0.5;

let stream = null;
let previousThumb = null;
let problem = "";
let stopped = false;
let wakeLock = null;
const timers = [];
const queue = [];

function say(message, level = "info") {
  if (!statusLine) return;
  statusLine.textContent = message;
  statusLine.dataset.level = level;
}

function msg(name) {
  return root.dataset[`msg${name.charAt(0).toUpperCase()}${name.slice(1)}`] || "";
}

function newId() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function stop(detail, level = "error") {
  stopped = true;
  timers.forEach((t) => clearInterval(t));
  if (stream) stream.getTracks().forEach((t) => t.stop());
  if (wakeLock) wakeLock.release().catch(() => {});
  say(msg("stopped") + (detail || ""), level);
}

async function post(url, body, contentType = "") {
  const headers = { "X-CSRFToken": config.csrfToken };
  if (contentType) headers["Content-Type"] = contentType;
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers,
    body,
  });
  if (response.ok) return { ok: true };
  let error = { code: "error", detail: response.statusText };
  try {
    error = await response.json();
  } catch (err) {
    // keep the status text
  }
  // The exam's end is the normal way to stop, not an error.
  if (PHONE_STOP_CODES.has(error.code)) stop(error.detail || "", error.code === "attempt_not_open" ? "info" : "error");
  return { ok: false, retry: response.status >= 500 || response.status === 429, error };
}

function cameraLive() {
  return Boolean(stream && stream.getVideoTracks().some((t) => t.readyState === "live"));
}

function setProblem(reason) {
  problem = reason;
  if (reason) say(msg("camera"), "error");
  else if (!stopped) say(msg("ok"), "ok");
}

async function heartbeat() {
  if (stopped) return;
  if (stream && !cameraLive() && !problem) setProblem("stopped");
  try {
    const body = problem ? JSON.stringify({ problem }) : null;
    const result = await post(config.heartbeatUrl, body, body ? "application/json" : "");
    if (result.ok && stream && !problem) say(msg("ok"), "ok");
  } catch (err) {
    say(msg("offline"), "warn");
  }
}

function thumbnail(canvas) {
  const small = document.createElement("canvas");
  small.width = THUMB_W;
  small.height = THUMB_H;
  const ctx = small.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(canvas, 0, 0, THUMB_W, THUMB_H);
  const rgba = ctx.getImageData(0, 0, THUMB_W, THUMB_H).data;
  const gray = new Float32Array(THUMB_W * THUMB_H);
  for (let i = 0; i < gray.length; i += 1) {
    gray[i] = 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2];
  }
  return gray;
}

function imageProblem(gray, previous) {
  let sum = 0;
  for (const v of gray) sum += v;
  const mean = sum / gray.length;
  if (mean < BLACK_MEAN) return "black";
  let sq = 0;
  for (const v of gray) sq += (v - mean) ** 2;
  if (Math.sqrt(sq / gray.length) < UNIFORM_STDDEV) return "uniform";
  if (previous && previous.length === gray.length) {
    let diff = 0;
    for (let i = 0; i < gray.length; i += 1) diff += Math.abs(gray[i] - previous[i]);
    if (diff / gray.length <= FROZEN_TOLERANCE) return "frozen";
  }
  return "";
}

function grab() {
  if (!video.videoWidth) return Promise.resolve(null);
  const scale = Math.min(1, 800 / video.videoWidth);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  // Judge the picture here too: the candidate is told at once, before the server says so.
  const gray = thumbnail(canvas);
  const found = cameraLive() ? imageProblem(gray, previousThumb) : "stopped";
  previousThumb = gray;
  if (found !== problem) setProblem(found);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.7));
}

async function snapshot() {
  if (stopped || !stream) return;
  if (!cameraLive()) {
    // A stopped track has no pictures: say so at once and tell the server with the heartbeat.
    if (problem !== "stopped") setProblem("stopped");
    heartbeat();
  }
  const blob = await grab();
  if (blob) {
    queue.push({ blob, capture_id: newId(), captured_at: new Date().toISOString() });
    if (queue.length > MAX_QUEUED) queue.splice(0, queue.length - MAX_QUEUED);
  }
  while (queue.length && !stopped) {
    const item = queue[0];
    const form = new FormData();
    form.append("photo", item.blob, "phone.jpg");
    form.append("capture_id", item.capture_id);
    form.append("captured_at", item.captured_at);
    let result;
    try {
      result = await post(config.snapshotUrl, form);
    } catch (err) {
      say(msg("offline"), "warn");
      return;
    }
    if (!result.ok && result.retry) return;
    queue.shift(); // stored, or refused for good
  }
  if (problem) heartbeat();
}

async function keepAwake() {
  if (stopped) return;
  if (!("wakeLock" in navigator)) {
    if (wakeNote) wakeNote.textContent = msg("wakelock");
    return;
  }
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    if (wakeNote) wakeNote.textContent = "";
  } catch (err) {
    wakeLock = null;
    // Refused (battery saver, an older browser): the candidate must keep the screen on.
    if (wakeNote) wakeNote.textContent = msg("wakelock");
  }
}

async function openCamera() {
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
    say(msg("missing"), "error");
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
  } catch (err) {
    const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
    say(msg(denied ? "denied" : "missing"), "error");
    return;
  }
  video.srcObject = stream;
  stream.getVideoTracks().forEach((track) => {
    track.addEventListener("ended", () => {
      if (stopped) return;
      setProblem("stopped");
      heartbeat();
    });
  });
  try {
    await video.play();
  } catch (err) {
    // muted inline video may still start on its own
  }
  say(msg("ok"), "ok");
  // Full-exam recording: the phone's camera as the second stream (recording.js), when the
  // session records video.
  import("../recording.js").then((m) => m.startPhoneRecording(stream)).catch(() => {});
}

if (config && video) {
  openCamera().then(() => {
    heartbeat();
    setTimeout(snapshot, 2000);
  });
  keepAwake();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      keepAwake();
      heartbeat();
      snapshot();
    }
  });
  window.addEventListener("online", () => {
    heartbeat();
    snapshot();
  });
  timers.push(setInterval(heartbeat, config.heartbeatSeconds * 1000));
  timers.push(setInterval(snapshot, config.snapshotSeconds * 1000));
}
