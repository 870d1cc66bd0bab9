/**
 * The phone monitor page (鹰眼监控), /proctoring/phone/ . Runs by itself; exports nothing.
 *
 * Configuration comes from data attributes of #phone-monitor (no inline script):
 *   data-heartbeat-url, data-snapshot-url   the phone API (identified by the phone's cookie)
 *   data-heartbeat-seconds (10), data-snapshot-seconds (30)
 *   data-csrf-token                         sent as X-CSRFToken
 *   data-msg-ok|offline|denied|missing|stopped   the texts shown in #phone-status
 * It opens the rear camera (facingMode "environment"), shows it in #phone-video, sends a
 * heartbeat every heartbeat-seconds and a snapshot (kind phone_snapshot) every
 * snapshot-seconds (heartbeats only while the camera is live), keeps unsent snapshots in memory (the newest 20) while offline, asks
 * the screen to stay on (Wake Lock API, where available), and stops for good when the
 * server says the exam is over or another phone took over.
 */

const root = document.getElementById("phone-monitor");
const video = document.getElementById("phone-video");
const statusLine = document.getElementById("phone-status");
const MAX_QUEUED = 20;
const PHONE_STOP_CODES = new Set(["attempt_not_open", "phone_replaced", "phone_not_paired"]);

const config = root ? {
  heartbeatUrl: root.dataset.heartbeatUrl,
  snapshotUrl: root.dataset.snapshotUrl,
  heartbeatSeconds: Number(root.dataset.heartbeatSeconds) || 10,
  snapshotSeconds: Number(root.dataset.snapshotSeconds) || 30,
  csrfToken: root.dataset.csrfToken || "",
} : null;

let stream = null;
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

function stop(detail) {
  stopped = true;
  timers.forEach((t) => clearInterval(t));
  if (stream) stream.getTracks().forEach((t) => t.stop());
  if (wakeLock) wakeLock.release().catch(() => {});
  say(msg("stopped") + (detail || ""), "error");
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": config.csrfToken },
    body,
  });
  if (response.ok) return { ok: true };
  let error = { code: "error", detail: response.statusText };
  try {
    error = await response.json();
  } catch (err) {
    // keep the status text
  }
  if (PHONE_STOP_CODES.has(error.code)) stop(error.detail || "");
  return { ok: false, retry: response.status >= 500 || response.status === 429, error };
}

function cameraLive() {
  return Boolean(stream && stream.getVideoTracks().some((t) => t.readyState === "live"));
}

async function heartbeat() {
  // No camera, no heartbeat: the computer's page then shows the phone as lost.
  if (stopped || !cameraLive()) return;
  try {
    const result = await post(config.heartbeatUrl, null);
    if (result.ok && stream) say(msg("ok"), "ok");
  } catch (err) {
    say(msg("offline"), "warn");
  }
}

function grab() {
  if (!video.videoWidth) return Promise.resolve(null);
  const scale = Math.min(1, 800 / video.videoWidth);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.7));
}

async function snapshot() {
  if (stopped || !stream) return;
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
}

async function keepAwake() {
  if (!("wakeLock" in navigator) || stopped) return;
  try {
    wakeLock = await navigator.wakeLock.request("screen");
  } catch (err) {
    wakeLock = null;
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
  try {
    await video.play();
  } catch (err) {
    // muted inline video may still start on its own
  }
  say(msg("ok"), "ok");
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
    }
  });
  window.addEventListener("online", () => heartbeat());
  timers.push(setInterval(heartbeat, config.heartbeatSeconds * 1000));
  timers.push(setInterval(snapshot, config.snapshotSeconds * 1000));
}
