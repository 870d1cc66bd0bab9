// The exam page: lock screen, waiting room, answering with loss-proof autosave, countdown from
// server time, submit, and the ends (collected, locked, superseded). The server is the truth:
// the page only shows what the API and the attempt socket say, and counts down by itself.

import { ApiError, api, ensureCsrf } from "./api.js";
import { BackupOffer } from "./backup.js";
import { ServerClock, everySecond, formatClockTime, formatDuration } from "./clock.js";
import { DeadlineBanner, keepNotice, takeNotice } from "./deadline.js";
import { runDeviceCheck } from "./devicecheck.js";
import { startPhonePairing } from "./proctoring/pairing.js";
import { EventOutbox } from "./events.js";
import { LiveSocket } from "./live.js";
import { LeaveWatcher, enterFullscreen } from "./lockscreen.js";
import { startExamRecording, wireTestRecording } from "./recording.js";
import { AnswerSheet } from "./sheet.js";
import { isStopCode } from "./stopcodes.js";
import {
  STORE_LOGIN_NOTICE, clearMessage, format, link, loadStrings, showMessage, tabStore,
} from "./strings.js";

const S = loadStrings();
const root = document.getElementById("exam-app");
const config = {
  attemptId: Number(root.dataset.attemptId),
  lockScreen: root.dataset.lockScreen === "true",
  deviceCheck: root.dataset.deviceCheck === "true",
  timeZone: root.dataset.timeZone || "Asia/Shanghai",
  lang: document.documentElement.lang || "zh-hans",
  urls: {
    done: root.dataset.doneUrl,
    collected: root.dataset.collectedUrl,
    locked: root.dataset.lockedUrl,
    entry: root.dataset.entryUrl,
    photo: root.dataset.photoUrl,
    confirm: root.dataset.confirmUrl,
  },
  wsPath: root.dataset.wsPath,
  captureModule: root.dataset.captureModule,
  backupKey: root.dataset.backupSpki ? { keyId: root.dataset.backupKeyId, spki: root.dataset.backupSpki } : null,
};
// Offline this long with answers not sent: offer the emergency backup while answering.
const OFFLINE_BACKUP_MS = 120000;
const $ = (id) => document.getElementById(id);
const el = {
  candidate: $("candidate-name"),
  countdownLabel: $("countdown-label"),
  countdown: $("countdown"),
  saveStatus: $("save-status"),
  announcer: $("announcer"),
  offline: $("offline-banner"),
  deadlineBanner: $("deadline-banner"),
  backupBox: $("backup-offer"),
  backupTitle: $("backup-title"),
  backupText: $("backup-text"),
  backupButton: $("backup-download"),
  backupStatus: $("backup-status"),
  leaveWarning: $("leave-warning"),
  staffMessage: $("staff-message"),
  cameraWarning: $("camera-warning"),
  phoneWarning: $("phone-warning"),
  phoneBanner: $("phone-banner"),
  phoneRepair: $("phone-repair"),
  phoneDialog: $("phone-dialog"),
  phoneDialogPairing: $("phone-dialog-pairing"),
  phoneDialogClose: $("phone-dialog-close"),
  scratch: $("scratch-step"),
  scratchButton: $("scratch-capture"),
  scratchStatus: $("scratch-status"),
  gate: $("fullscreen-gate"),
  gateButton: $("fullscreen-enter"),
  gateError: $("fullscreen-error"),
  views: $("exam-views"),
  loading: $("view-loading"),
  loadingText: $("loading-text"),
  waiting: $("view-waiting"),
  startsAt: $("starts-at-text"),
  answering: $("view-answering"),
  progress: $("progress"),
  nav: $("question-nav"),
  questionHost: $("question-host"),
  prev: $("prev-question"),
  next: $("next-question"),
  submit: $("submit-button"),
  submitMessage: $("submit-message"),
  stopped: $("view-stopped"),
  stoppedTitle: $("stopped-title"),
  stoppedReason: $("stopped-reason"),
  dialog: $("submit-dialog"),
  dialogExtra: $("submit-dialog-extra"),
  dialogCancel: $("submit-cancel"),
  dialogConfirm: $("submit-confirm"),
  devicePanel: $("device-check"),
  deviceRecheck: $("device-recheck"),
  leaveDeviceCheck: $("leave-device-check"),
};

const OPEN_STATES = new Set(["checked_in", "in_progress"]);
const clock = new ServerClock();

// held: the time is up and answers could not be sent; the page keeps them and offers the backup.
let phase = "loading"; // loading | waiting | starting | answering | finishing | held | finished | stopped
let status = {};
let leaves = { used: 0, max: null, warned: false };
let navigating = false;
let lastAnnouncedMinute = null;
let gateShown = false;
let stopTicker = null;
let refreshTimer = null;
let sheet = null;
let watcher = null;
let socket = null;
let outbox = null;
let proctoring = null;
let recorder = null;
let banner = null;
let backup = null;
let offlineSince = null;

// --- navigation away and stops ----------------------------------------------------------------

function go(url) {
  if (navigating) return;
  navigating = true;
  sheet.commitPending();
  watcher?.stop();
  socket?.stop();
  outbox?.stop();
  proctoring?.stop();
  recorder?.stop();
  window.location.assign(url);
}

function stopEverything() {
  phase = "stopped";
  watcher?.stop();
  socket?.stop();
  sheet.stop();
  outbox?.stop();
  proctoring?.stop();
  recorder?.stop();
  stopTicker?.();
  clearInterval(refreshTimer);
  updateGate();
}

function handleStop(code, detail) {
  if (navigating) return;
  if (code === "collected") return endOfTime({ collected: true });
  if (code === "submitted") return go(config.urls.done);
  if (code === "locked") return go(config.urls.locked);
  stopEverything();
  const lines = [];
  if (code === "not_logged_in") {
    lines.push(S.not_logged_in, link(config.urls.entry, S.relogin));
  } else if (code === "superseded") {
    lines.push(detail || S.superseded);
  } else {
    lines.push(detail || S.unknown_error, link(config.urls.entry, S.relogin));
  }
  showMessage(el.stoppedReason, ...lines);
  showView("stopped");
  el.stoppedTitle.focus();
}

// --- views ---------------------------------------------------------------------------------------

function showView(name) {
  for (const view of ["loading", "waiting", "answering", "stopped"]) el[view].hidden = view !== name;
}

function updateGate() {
  const needs = Boolean(watcher && watcher.needsFullscreen) && !["finished", "stopped"].includes(phase);
  el.gate.hidden = !needs;
  el.views.hidden = needs;
  if (needs && !gateShown) {
    gateShown = true;
    el.gateButton.focus();
  } else if (!needs && gateShown) {
    gateShown = false;
    clearMessage(el.gateError);
    if (phase === "answering") $("question-title")?.focus();
  }
}

function updateSaveStatus(state = sheet.saveState()) {
  if (!state) return;
  const offline = state.offline && state.pending > 0 ? true : !navigator.onLine;
  if (offline) showMessage(el.offline, S.offline);
  else clearMessage(el.offline);
  if (offline && state.pending > 0) offlineSince ??= Date.now();
  else offlineSince = null;
  if (phase === "held" && state.pending === 0) {
    // The network came back: the answers reached the server (counted, or kept for the organizers).
    phase = "finished";
    go(config.urls.collected);
  } else if (phase === "held") {
    showHeld();
  } else if (offlineSince === null && phase !== "held") {
    backup?.hide();
  }
  let text;
  if (state.pending === 0 && !state.sending) text = S.saved;
  else if (state.sending && !state.offline) text = S.saving;
  else text = format(S.unsynced, { n: state.pending });
  if (el.saveStatus.textContent !== text) el.saveStatus.textContent = text;
  el.saveStatus.dataset.pending = String(state.pending);
}

function showLeaveWarning() {
  if (!leaves.warned) return;
  const text = leaves.max === null || leaves.max === undefined
    ? format(S.leave_warning_nolimit, { used: leaves.used })
    : format(S.leave_warning, { used: leaves.used, left: Math.max(0, leaves.max - leaves.used) });
  showMessage(el.leaveWarning, text);
}

// --- the clock -----------------------------------------------------------------------------------

function offerBackupWhenLongOffline() {
  if (phase !== "answering" || offlineSince === null || Date.now() - offlineSince < OFFLINE_BACKUP_MS) return;
  if (backup && el.backupBox.hidden) {
    el.backupTitle.textContent = S["backup.offline_title"];
    backup.show(S["backup.offline_long"]);
  }
}

function tick() {
  offerBackupWhenLongOffline();
  if (!clock.synced || ["finished", "stopped", "held"].includes(phase)) return;
  const now = clock.now();
  if (phase === "waiting") {
    const untilStart = Date.parse(status.starts_at) - now;
    showCountdown(S.starts_in, untilStart);
    if (untilStart <= 0) begin();
    return;
  }
  const remaining = Date.parse(status.deadline) - now;
  showCountdown(S.remaining, remaining);
  announceMinutes(remaining);
  updateSubmitButton(now);
  if (remaining <= 0 && (phase === "answering" || phase === "starting")) endOfTime({ collected: false });
}

function showCountdown(label, ms) {
  if (el.countdownLabel.textContent !== label) el.countdownLabel.textContent = label;
  el.countdown.textContent = formatDuration(ms);
  el.countdown.dataset.remainingSeconds = String(Math.max(0, Math.ceil(ms / 1000)));
}

function announceMinutes(remaining) {
  const minutes = Math.ceil(remaining / 60000);
  if ([15, 5, 1].includes(minutes) && lastAnnouncedMinute !== minutes && remaining > 0) {
    lastAnnouncedMinute = minutes;
    el.announcer.textContent = format(S.minutes_left, { n: minutes });
  }
}

function updateSubmitButton(now = clock.now()) {
  if (phase !== "answering") {
    el.submit.disabled = true;
    return;
  }
  const opensAt = Date.parse(status.submit_opens_at);
  if (Number.isFinite(opensAt) && now < opensAt) {
    el.submit.disabled = true;
    el.submit.textContent = format(S.submit_opens, {
      time: formatClockTime(status.submit_opens_at, config.timeZone, config.lang),
    });
  } else if (!el.submit.dataset.busy) {
    el.submit.disabled = false;
    el.submit.textContent = S.submit;
  }
}

// --- status from the API or the socket ---------------------------------------------------------------

function applyStatus(data) {
  for (const key of ["starts_at", "ends_at", "deadline", "submit_opens_at", "state", "locked"]) {
    if (key in data) status[key] = data[key];
  }
  if ("leaves_used" in data) leaves.used = data.leaves_used;
  if ("leaves_max" in data) leaves.max = data.leaves_max;
  let target = null;
  if (status.state === "submitted") target = config.urls.done;
  else if (status.state === "collected") target = config.urls.collected;
  else if (status.state && !OPEN_STATES.has(status.state)) target = config.urls.entry;
  else if (status.locked) target = config.urls.locked;
  // Held answers stay on this page (and keep being retried) until they reach the server.
  if (target === config.urls.collected && phase === "held") return false;
  if (target) go(target);
  return target === null;
}

async function fetchAttempt({ retry = true } = {}) {
  let delay = 1000;
  for (;;) {
    try {
      const sentAt = Date.now();
      const data = await api("GET", "attempt/");
      clock.sample(data.server_time, sentAt, Date.now());
      return data;
    } catch (error) {
      if (!retry || !error.transient) throw error;
      el.loadingText.textContent = S.retrying;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }
}

async function refreshStatus() {
  if (navigating || ["finished", "stopped"].includes(phase)) return;
  try {
    applyStatus(await fetchAttempt({ retry: false }));
  } catch (error) {
    if (error instanceof ApiError && !error.transient && error.code) handleStop(error.code, error.detail);
  }
}

function onSocketMessage(message) {
  switch (message.type) {
    case "sync":
      applyStatus(message);
      if (message.phone) onPhoneStatus(message.phone);
      break;
    case "status":
      applyStatus(message);
      break;
    case "collected":
      // Answers still in the journal go out first: the server takes them within the grace.
      endOfTime({ collected: true });
      break;
    case "locked":
      go(config.urls.locked);
      break;
    case "deadline":
      onDeadline(message);
      break;
    case "superseded":
      handleStop("superseded");
      break;
    case "message":
      showMessage(el.staffMessage, format(S.staff_message, { text: message.text || "" }));
      break;
    case "phone":
      onPhoneStatus(message);
      break;
    case "steps":
      onSteps(message);
      break;
    case "relogin_elsewhere":
      showMessage(el.staffMessage, S.relogin_elsewhere);
      break;
    default:
      break;
  }
}

// A deadline moved (the session's end, extra time, a credit, a re-admission or reopening): the
// countdown follows and a banner says what changed, by how much and why.
function onDeadline(message) {
  const previous = status.deadline;
  status.deadline = message.deadline;
  lastAnnouncedMinute = null;
  banner.show({ ...message, previous: message.previous || previous });
  if (["held", "finished"].includes(phase) && clock.until(message.deadline) > 1000) {
    // Reopened after the end (or time given back while the page waited): start again from the server.
    keepNotice(config.attemptId, { ...message, previous: message.previous || previous });
    navigating = true;
    window.location.reload();
  }
}

// --- answering -------------------------------------------------------------------------------------

function setupAnswering(data) {
  sheet.load(data);
  offerScratchStep(data.steps);
  phase = "answering";
  showView("answering");
  sheet.show(sheet.index, { focus: !gateShown });
  updateSubmitButton();
  updateSaveStatus();
}

async function begin() {
  if (phase !== "waiting" && phase !== "loading") return;
  phase = "starting";
  showView("loading");
  el.loadingText.textContent = S.loading;
  let data = null;
  let delay = 1000;
  while (!navigating && phase === "starting") {
    try {
      if (status.state === "checked_in") {
        const started = await api("POST", "attempt/start/");
        status.state = started.state;
      }
      data = await fetchAttempt();
      if (!applyStatus(data)) return;
      if (data.questions && data.questions.length) break;
    } catch (error) {
      if (STEP_CODES.has(error.code)) {
        // A required step is missing: show how to do it; the loop tries again (a step done here,
        // on the phone, or waived by support staff lets the start through).
        showStepRequired(error.code);
      } else if (error.code && !error.transient && error.code !== "not_started" && error.code !== "csrf_failed") {
        handleStop(error.code, error.detail);
        return;
      } else {
        el.loadingText.textContent = S.retrying;
      }
    }
    // Waits out the backoff, or less when a step is done or waived (onSteps -> begin.retryNow).
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, delay);
      begin.retryNow = () => { clearTimeout(timer); resolve(); };
    });
    begin.retryNow = null;
    delay = Math.min(delay * 2, 15000);
  }
  if (data && phase === "starting") setupAnswering(data);
}

// The end: the clock reached the deadline, or the server collected the attempt. Whatever is still
// in the journal is sent first (the server applies it within its grace); what cannot be sent stays
// on this computer, keeps being retried, and is offered as an encrypted backup file.
async function endOfTime({ collected }) {
  if (navigating || ["finishing", "held", "finished", "stopped"].includes(phase)) return;
  if (!["answering", "starting"].includes(phase) || !sheet.sender) {
    phase = "finished";
    go(config.urls.collected);
    return;
  }
  sheet.stopInput();
  phase = "finishing";
  showMessage(el.staffMessage, S.time_up);
  await sheet.flush(4000);
  if (!collected) {
    try {
      const data = await fetchAttempt({ retry: false });
      const extended = OPEN_STATES.has(data.state) && !data.locked && Date.parse(data.deadline) - clock.now() > 1000;
      if (extended) {
        // Extra time was granted while the socket was down: carry on.
        applyStatus(data);
        phase = "answering";
        clearMessage(el.staffMessage);
        sheet.resumeInput();
        return;
      }
    } catch {
      // offline at the deadline: the server collects anyway
    }
  }
  if (navigating) return;
  if (sheet.pendingCount > 0) {
    phase = "held";
    showHeld();
    return;
  }
  phase = "finished";
  go(config.urls.collected);
}

function showHeld() {
  clearMessage(el.staffMessage);
  el.backupTitle.textContent = format(S["backup.held_title"], { n: sheet.pendingCount });
  if (!backup || !backup.show(S["backup.held"])) {
    el.backupText.textContent = S["backup.held"];
    el.backupBox.hidden = false;
  }
}

// --- submit ------------------------------------------------------------------------------------------

function openSubmitDialog() {
  if (el.submit.disabled || phase !== "answering") return;
  sheet.commitPending();
  const lines = [];
  if (sheet.unansweredCount) lines.push(format(S.submit_confirm_unanswered, { n: sheet.unansweredCount }));
  if (sheet.pendingCount) lines.push(format(S.submit_confirm_unsynced, { n: sheet.pendingCount }));
  showMessage(el.dialogExtra, ...lines);
  if (typeof el.dialog.showModal === "function") {
    el.dialog.showModal();
    el.dialogCancel.focus();
  } else if (window.confirm(el.dialog.querySelector("h2").textContent)) {
    submit();
  }
}

async function submit() {
  el.submit.dataset.busy = "1";
  el.submit.disabled = true;
  showMessage(el.submitMessage, S.submit_flushing);
  const flushed = await sheet.flush(15000);
  if (navigating || phase !== "answering") return;
  if (!flushed) {
    delete el.submit.dataset.busy;
    updateSubmitButton();
    showMessage(el.submitMessage, S.submit_offline);
    return;
  }
  showMessage(el.submitMessage, S.submitting);
  try {
    await api("POST", "attempt/submit/");
    phase = "finished";
    go(config.urls.done);
  } catch (error) {
    delete el.submit.dataset.busy;
    updateSubmitButton();
    if (isStopCode(error.code)) {
      handleStop(error.code, error.detail);
    } else if (error.network || error.transient) {
      showMessage(el.submitMessage, S.submit_failed);
    } else {
      showMessage(el.submitMessage, error.detail || S.submit_failed);
    }
  }
}

// --- lock screen -------------------------------------------------------------------------------------

function onLeave(cause) {
  if (navigating || ["finished", "stopped"].includes(phase)) return;
  sheet.commitPending();
  leaves.used += 1;
  leaves.warned = true;
  showLeaveWarning();
  outbox.add("screen_leave", { cause });
}

function onEventsResult(result) {
  if (!result) return;
  if (typeof result.leaves_used === "number") leaves.used = result.leaves_used;
  if ("leaves_max" in result) leaves.max = result.leaves_max;
  showLeaveWarning();
  if (result.locked) go(config.urls.locked);
}

// --- camera snapshots (proctoring/capture.js) ----------------------------------------------------

async function startCapture(session) {
  if (config.deviceCheck || !config.captureModule) return;
  try {
    const capture = await import(config.captureModule);
    if (navigating || phase === "stopped") return;
    proctoring = await capture.startProctoring({
      snapshotIntervalSeconds: (session && session.snapshot_interval_seconds) || 30,
      outbox,
      onEvent: onCaptureEvent,
    });
  } catch (error) {
    // Capture is evidence, not a condition for answering: the exam goes on without it.
    console.warn("camera capture unavailable", error);
  }
}

function onCaptureEvent(kind) {
  if (kind === "camera_restored") clearMessage(el.cameraWarning);
  else if (["camera_black", "camera_lost", "camera_missing", "camera_denied"].includes(kind)) {
    showMessage(el.cameraWarning, S[`camera.${kind}`]);
  }
}

// --- phone monitor and the A4 scratch-paper step -------------------------------------------------

// The phone block {required, status, since} comes with the page's first load, the socket's sync
// and every push: the banner shows the current state after a reload, not only live changes.
const PHONE_MESSAGES = {
  lost: "phone_lost",
  camera_problem: "phone_camera_problem",
  not_a_phone: "phone_not_a_phone",
};
let phoneDialogPairing = null;

function onPhoneStatus(phone) {
  if (!phone || !phone.status) return;
  // pairing.js (in the dialog) listens for this too.
  window.dispatchEvent(new CustomEvent("exam:phone", { detail: phone }));
  let key = PHONE_MESSAGES[phone.status];
  if (!key && phone.status === "never_paired" && phone.required) key = "phone_never_paired";
  if (el.phoneBanner) el.phoneBanner.dataset.phoneStatus = phone.status;
  if (key) {
    showMessage(el.phoneWarning, S[key]);
    if (el.phoneBanner) el.phoneBanner.hidden = false;
  } else {
    clearMessage(el.phoneWarning);
    if (el.phoneBanner) el.phoneBanner.hidden = true;
    if (phone.status === "live") closePhoneDialog();
  }
}

function openPhoneDialog() {
  // A dialog on this page: no navigation, full screen stays, nothing counts as a leave.
  if (!el.phoneDialog || el.phoneDialog.open) return;
  if (phoneDialogPairing) phoneDialogPairing.stop();
  phoneDialogPairing = startPhonePairing({ element: el.phoneDialogPairing, fresh: true, pollSeconds: 5 });
  el.phoneDialog.showModal();
}

function closePhoneDialog() {
  if (phoneDialogPairing) {
    phoneDialogPairing.stop();
    phoneDialogPairing = null;
  }
  if (el.phoneDialog && el.phoneDialog.open) el.phoneDialog.close();
}

// Required steps live on the attempt (the server refuses to start without them), so a login in
// another browser never asks again for what is done.
const STEP_CODES = new Set(["photo_required", "phone_required", "sheet_required"]);

function missingSteps(steps) {
  return new Set((steps && steps.missing) || []);
}

function offerScratchStep(steps) {
  if (!el.scratch || config.deviceCheck) return;
  el.scratch.hidden = !missingSteps(steps).has("scratch_paper");
}

function showStepRequired(code) {
  if (code === "sheet_required") {
    el.scratch.hidden = false;
    el.loadingText.textContent = S["step.sheet_required"];
  } else if (code === "photo_required") {
    el.loadingText.replaceChildren(S["step.photo_required"], " ", link(config.urls.photo, S["step.go_photo"]));
  } else {
    el.loadingText.replaceChildren(S["step.phone_required"], " ", link(config.urls.confirm, S["step.go_confirm"]));
  }
}

function onSteps(steps) {
  status.steps = steps;
  offerScratchStep(steps);
  // A step just done or waived: try the start again at once instead of after the backoff.
  if (phase === "starting" && !missingSteps(steps).size) begin.retryNow?.();
}

function showLoginNotice(data) {
  const notice = tabStore.get(STORE_LOGIN_NOTICE);
  if (!notice) return;
  tabStore.remove(STORE_LOGIN_NOTICE);
  if (notice.counted_as_leave) {
    leaves.warned = true;
    const text = leaves.max === null || leaves.max === undefined
      ? format(S.relogin_counted_nolimit, { used: data.leaves_used })
      : format(S.relogin_counted, { used: data.leaves_used, left: Math.max(0, data.leaves_max - data.leaves_used) });
    showMessage(el.leaveWarning, text);
  }
  if (notice.relogin_elsewhere) showMessage(el.staffMessage, S.relogin_elsewhere);
}

async function captureScratch() {
  clearMessage(el.scratchStatus);
  if (!proctoring) {
    showMessage(el.scratchStatus, S.scratch_failed);
    return;
  }
  el.scratchButton.disabled = true;
  let text = S.scratch_done;
  try {
    await proctoring.captureScratchPaper();
  } catch (error) {
    if (error?.code !== "offline") {
      el.scratchButton.disabled = false;
      showMessage(el.scratchStatus, S.scratch_failed);
      return;
    }
    text = S.scratch_queued;
  }
  el.scratchButton.hidden = true;
  showMessage(el.scratchStatus, text);
}

// --- start -----------------------------------------------------------------------------------------

function wireControls() {
  el.submit.addEventListener("click", openSubmitDialog);
  el.scratchButton?.addEventListener("click", captureScratch);
  el.dialogCancel.addEventListener("click", () => el.dialog.close());
  el.dialogConfirm.addEventListener("click", () => {
    el.dialog.close();
    submit();
  });
  el.gateButton.addEventListener("click", async () => {
    clearMessage(el.gateError);
    const ok = await enterFullscreen();
    if (ok) watcher?.entered();
    else showMessage(el.gateError, S.fullscreen_failed);
    updateGate();
  });
  window.addEventListener("online", () => { updateSaveStatus(); outbox.add("network_restored"); });
  window.addEventListener("offline", () => { updateSaveStatus(); outbox.add("network_lost"); });
  window.addEventListener("pagehide", () => sheet.commitPending());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") sheet.commitPending();
  });
  el.phoneRepair?.addEventListener("click", openPhoneDialog);
  el.phoneDialogClose?.addEventListener("click", closePhoneDialog);
  el.phoneDialog?.addEventListener("close", () => {
    if (phoneDialogPairing) phoneDialogPairing.stop();
    phoneDialogPairing = null;
  });
  if (config.deviceCheck && el.devicePanel) {
    el.deviceRecheck?.addEventListener("click", () => runDeviceCheck(el.devicePanel, S));
    wireTestRecording(S);
    el.leaveDeviceCheck?.addEventListener("click", async () => {
      el.leaveDeviceCheck.disabled = true;
      sheet.commitPending();
      await sheet.flush(3000);
      try {
        await api("POST", "logout/");
      } catch {
        // leaving anyway; the session expires by itself
      }
      go(config.urls.entry);
    });
  }
}

async function main() {
  ensureCsrf();
  sheet = new AnswerSheet({
    attemptId: config.attemptId,
    elements: {
      nav: el.nav, questionHost: el.questionHost, progress: el.progress, prev: el.prev, next: el.next,
      container: el.answering,
    },
    strings: S,
    onSaveState: updateSaveStatus,
    onStop: handleStop,
    clockOffset: () => (clock.synced ? clock.offset : null),
  });
  banner = new DeadlineBanner(el.deadlineBanner, S, { timeZone: config.timeZone, lang: config.lang });
  backup = new BackupOffer({
    box: el.backupBox, text: el.backupText, button: el.backupButton, status: el.backupStatus, strings: S,
    attemptId: config.attemptId, key: config.backupKey, journal: sheet.journal,
    clockOffset: () => (clock.synced ? clock.offset : null), deadline: () => status.deadline,
  });
  wireControls();
  outbox = new EventOutbox(config.attemptId, { onResult: onEventsResult, onStop: handleStop });
  if (!sheet.persistent) showMessage(el.leaveWarning, S.storage_unavailable);
  if (config.lockScreen) {
    watcher = new LeaveWatcher({ onLeave, onChange: updateGate }).start();
    updateGate();
  }
  el.loadingText.textContent = S.loading;
  showView("loading");
  let data;
  try {
    data = await fetchAttempt();
  } catch (error) {
    handleStop(error.code || "error", error.detail);
    return;
  }
  if (!applyStatus(data)) return;
  const notice = takeNotice(config.attemptId);
  if (notice) banner.show(notice);
  if (el.candidate && data.candidate) el.candidate.textContent = data.candidate.name;
  showLoginNotice(data);
  offerScratchStep(data.steps);
  onPhoneStatus(data.phone);
  startCapture(data.session);
  // Full-exam recording (recording.js): answers are sent first, chunks wait while they are.
  if (!config.deviceCheck) {
    startExamRecording({
      attemptId: config.attemptId, session: data.session, block: data.recording, clockNow: () => clock.now(),
      report: (kind, details) => outbox.add(kind, details), yieldTo: () => sheet.pendingCount > 0,
      strings: S, onStop: handleStop,
    }).then((started) => { recorder = started; if (navigating || phase === "stopped") recorder?.stop(); });
  }
  socket = new LiveSocket({
    path: config.wsPath,
    clock,
    onMessage: onSocketMessage,
    onFinalClose: (code) => { if (code === 4409) handleStop("superseded"); },
  }).start();
  // Without the socket, look at the attempt now and then (never every second).
  refreshTimer = setInterval(() => { if (!socket.open) refreshStatus(); }, 120000);
  outbox.flush(0);
  if (config.deviceCheck && el.devicePanel) {
    el.devicePanel.hidden = false;
    runDeviceCheck(el.devicePanel, S);
  }
  if (clock.until(status.starts_at) > 0) {
    phase = "waiting";
    el.startsAt.textContent = formatClockTime(status.starts_at, config.timeZone, config.lang);
    showView("waiting");
  } else if (data.questions && data.questions.length && status.state === "in_progress") {
    setupAnswering(data);
  } else {
    begin();
  }
  stopTicker = everySecond(clock, tick, () => { clock.forget(); refreshStatus(); });
  updateGate();
}

main();
