// Login photo: camera preview, green capture button below it, retake/confirm, upload as login_photo.

import { api } from "./api.js";
import { STORE_DEVICE, clearMessage, link, loadStrings, showMessage, tabStore } from "./strings.js";

const strings = loadStrings();
const root = document.getElementById("photo-app");
const video = document.getElementById("camera-preview");
const still = document.getElementById("photo-still");
const canvas = document.getElementById("photo-canvas");
const captureButton = document.getElementById("capture");
const afterCapture = document.getElementById("after-capture");
const retakeButton = document.getElementById("retake");
const useButton = document.getElementById("use-photo");
const retryCameraButton = document.getElementById("retry-camera");
const skipButton = document.getElementById("skip-photo");
const statusBox = document.getElementById("photo-status");
const errorBox = document.getElementById("photo-error");

let stream = null;
let photo = null; // {blob, url, captureId, capturedAt}

function newCaptureId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function reportEvent(kind, details) {
  // Best effort: the evidence trail gains a line; a failure here must not block the candidate.
  api("POST", "attempt/events/", {
    events: [{ kind, client_time: new Date().toISOString(), details }],
  }).catch(() => {});
}

function recordDevice(update) {
  tabStore.set(STORE_DEVICE, { ...(tabStore.get(STORE_DEVICE) || {}), ...update });
}

function cameraProblem(error) {
  const name = (error && error.name) || "";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return { kind: "camera_denied", message: strings.camera_denied };
  }
  if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
    return { kind: "camera_missing", message: strings.camera_busy, reason: "busy" };
  }
  return { kind: "camera_missing", message: strings.camera_missing, reason: "not_found" };
}

function showCameraError(problem, name) {
  showMessage(errorBox, problem.message);
  retryCameraButton.hidden = false;
  if (skipButton) skipButton.hidden = false;
  captureButton.disabled = true;
  clearMessage(statusBox);
  recordDevice({ camera: false });
  reportEvent(problem.kind, { name: name || "", reason: problem.reason || "" });
  retryCameraButton.focus();
}

async function startCamera() {
  clearMessage(errorBox);
  retryCameraButton.hidden = true;
  captureButton.disabled = true;
  showMessage(statusBox, strings.starting);
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
    showCameraError({ kind: "camera_missing", message: strings.camera_unsupported, reason: "unsupported" });
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
      audio: false,
    });
  } catch (error) {
    showCameraError(cameraProblem(error), error && error.name);
    return;
  }
  video.srcObject = stream;
  try {
    await video.play();
  } catch {
    // autoplay of a muted preview is allowed; a refusal still leaves frames to capture
  }
  recordDevice({ camera: true });
  if (skipButton) skipButton.hidden = true;
  captureButton.disabled = false;
  showMessage(statusBox, strings.ready);
}

function stopCamera() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
}

function showPreview(live) {
  video.hidden = !live;
  still.hidden = live;
  captureButton.hidden = !live;
  afterCapture.hidden = live;
}

captureButton.addEventListener("click", () => {
  const width = video.videoWidth || 640;
  const height = video.videoHeight || 480;
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(video, 0, 0, width, height);
  canvas.toBlob(
    (blob) => {
      if (!blob) {
        showMessage(errorBox, strings.unknown_error);
        return;
      }
      if (photo) URL.revokeObjectURL(photo.url);
      photo = { blob, url: URL.createObjectURL(blob), captureId: newCaptureId(), capturedAt: new Date() };
      still.src = photo.url;
      showPreview(false);
      clearMessage(errorBox);
      showMessage(statusBox, strings.captured);
      useButton.focus();
    },
    "image/jpeg",
    0.85,
  );
});

retakeButton.addEventListener("click", () => {
  showPreview(true);
  clearMessage(errorBox);
  showMessage(statusBox, strings.ready);
  captureButton.focus();
});

useButton.addEventListener("click", async () => {
  if (!photo) return;
  useButton.disabled = true;
  retakeButton.disabled = true;
  clearMessage(errorBox);
  showMessage(statusBox, strings.uploading);
  const body = new FormData();
  body.append("photo", photo.blob, "login-photo.jpg");
  body.append("kind", "login_photo");
  body.append("capture_id", photo.captureId);
  body.append("captured_at", photo.capturedAt.toISOString());
  try {
    await api("POST", "attempt/photo/", body);
    recordDevice({ camera: true, photo: true });
    showMessage(statusBox, strings.uploaded);
    stopCamera();
    window.location.assign(root.dataset.next);
  } catch (error) {
    useButton.disabled = false;
    retakeButton.disabled = false;
    clearMessage(statusBox);
    if (error.network || error.transient) {
      showMessage(errorBox, strings.upload_failed);
    } else if (error.code === "not_logged_in") {
      showMessage(errorBox, error.detail || strings.not_logged_in, link(root.dataset.entry, strings.relogin));
    } else {
      showMessage(errorBox, error.detail || strings.unknown_error);
    }
  }
});

retryCameraButton.addEventListener("click", () => {
  stopCamera();
  showPreview(true);
  startCamera();
});

if (skipButton) {
  skipButton.addEventListener("click", () => {
    recordDevice({ camera: false, photo: false });
    stopCamera();
    window.location.assign(root.dataset.next);
  });
}

window.addEventListener("pagehide", stopCamera);
startCamera();
