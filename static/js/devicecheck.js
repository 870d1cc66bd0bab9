// Device check (设备调试): camera, microphone, login photo, browser, round trip, full screen, screen.
// The result is recorded on the registration so organizers can see who is ready.

import { api } from "./api.js";
import { fullscreenSupported } from "./lockscreen.js";
import { STORE_DEVICE, format, showMessage, tabStore } from "./strings.js";

export function browserName(userAgent = navigator.userAgent) {
  const patterns = [
    [/Edg\/(\d+)/, "Edge"],
    [/OPR\/(\d+)/, "Opera"],
    [/Firefox\/(\d+)/, "Firefox"],
    [/(?:Chrome|Chromium)\/(\d+)/, "Chrome"],
    [/Version\/(\d+)[\d.]* .*Safari/, "Safari"],
  ];
  for (const [pattern, name] of patterns) {
    const match = userAgent.match(pattern);
    if (match) return `${name} ${match[1]}`;
  }
  return userAgent.slice(0, 80);
}

async function mediaWorks(constraints) {
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") return false;
  try {
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    stream.getTracks().forEach((track) => track.stop());
    return true;
  } catch {
    return false;
  }
}

async function roundTripMs() {
  let best = Infinity;
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    try {
      await api("GET", "csrf/");
    } catch (error) {
      if (error.network) continue; // offline: no measurement
    }
    best = Math.min(best, performance.now() - started); // any answer is a round trip
  }
  return Number.isFinite(best) ? Math.round(best) : null;
}

export async function runDeviceCheck(panel, strings) {
  const rows = {
    camera: panel.querySelector('[data-check="camera"]'),
    microphone: panel.querySelector('[data-check="microphone"]'),
    photo: panel.querySelector('[data-check="photo"]'),
    browser: panel.querySelector('[data-check="browser"]'),
    round_trip_ms: panel.querySelector('[data-check="round_trip_ms"]'),
    fullscreen: panel.querySelector('[data-check="fullscreen"]'),
    screen: panel.querySelector('[data-check="screen"]'),
  };
  const statusBox = panel.querySelector("[data-check-status]");
  const show = (key, text, ok = null) => {
    const row = rows[key];
    if (!row) return;
    row.textContent = text;
    row.classList.toggle("check--ok", ok === true);
    row.classList.toggle("check--failed", ok === false);
  };
  Object.keys(rows).forEach((key) => show(key, strings["check.checking"]));

  const known = tabStore.get(STORE_DEVICE) || {};
  const camera = known.camera === true ? true : await mediaWorks({ video: true, audio: false });
  show("camera", camera ? strings["check.camera_ok"] : strings["check.camera_failed"], camera);
  const microphone = await mediaWorks({ audio: true, video: false });
  show("microphone", microphone ? strings["check.microphone_ok"] : strings["check.microphone_failed"], microphone);
  const photo = known.photo === true;
  show("photo", photo ? strings["check.photo_ok"] : strings["check.photo_missing"], photo);
  const browser = browserName();
  show("browser", browser, true);
  const fullscreen = fullscreenSupported();
  show("fullscreen", fullscreen ? strings["check.fullscreen_ok"] : strings["check.fullscreen_failed"], fullscreen);
  const screenSize = `${window.screen.width}x${window.screen.height}`;
  show("screen", screenSize, true);
  const rtt = await roundTripMs();
  show("round_trip_ms", rtt === null ? strings["check.failed"] : format(strings["check.round_trip"], { ms: rtt }),
    rtt !== null);

  const result = { camera, microphone, photo, browser, fullscreen, screen: screenSize };
  if (rtt !== null) result.round_trip_ms = rtt;
  try {
    await api("POST", "attempt/device-check/", { result });
    showMessage(statusBox, strings["check.recorded"]);
    return true;
  } catch {
    showMessage(statusBox, strings["check.record_failed"]);
    return false;
  }
}
