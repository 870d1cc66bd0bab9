// The exam page: lock screen, waiting room, answering with loss-proof autosave, countdown from
// server time, submit, and the ends (collected, locked, superseded). The server is the truth:
// the page only shows what the API and the attempt socket say, and counts down by itself.

import { ApiError, api, ensureCsrf } from "./api.js";
import { isAnswered, renderNav, renderQuestion, sameValue, updateNavItem } from "./answering.js";
import { ServerClock, everySecond, formatClockTime, formatDuration } from "./clock.js";
import { runDeviceCheck } from "./devicecheck.js";
import { EventOutbox } from "./events.js";
import { Journal, Sender } from "./journal.js";
import { LiveSocket } from "./live.js";
import { LeaveWatcher, enterFullscreen } from "./lockscreen.js";
import { clearMessage, format, link, loadStrings, showMessage } from "./strings.js";

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
  },
  wsPath: root.dataset.wsPath,
};
const $ = (id) => document.getElementById(id);
const el = {
  candidate: $("candidate-name"),
  countdownLabel: $("countdown-label"),
  countdown: $("countdown"),
  saveStatus: $("save-status"),
  announcer: $("announcer"),
  offline: $("offline-banner"),
  leaveWarning: $("leave-warning"),
  staffMessage: $("staff-message"),
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
const journal = new Journal(config.attemptId);
const currentKey = `exam.current.v1.${config.attemptId}`;

let phase = "loading"; // loading | waiting | starting | answering | finishing | finished | stopped
let status = {};
let leaves = { used: 0, max: null, warned: false };
let questions = [];
let answers = {}; // question id -> {value, seq}
let currentIndex = 0;
let pendingText = null;
let navigating = false;
let lastAnnouncedMinute = null;
let gateShown = false;
let stopTicker = null;
let refreshTimer = null;
let sender = null;
let watcher = null;
let socket = null;
let outbox = null;

// --- navigation away and stops ----------------------------------------------------------------

function go(url) {
  if (navigating) return;
  navigating = true;
  commitPendingText();
  watcher?.stop();
  socket?.stop();
  outbox?.stop();
  window.location.assign(url);
}

function stopEverything() {
  phase = "stopped";
  watcher?.stop();
  socket?.stop();
  sender?.stop();
  outbox?.stop();
  stopTicker?.();
  clearInterval(refreshTimer);
  updateGate();
}

function handleStop(code, detail) {
  if (navigating) return;
  if (code === "collected") return go(config.urls.collected);
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

function updateSaveStatus(state = sender ? sender.state() : null) {
  if (!state) return;
  const offline = state.offline && state.pending > 0 ? true : !navigator.onLine;
  if (offline) showMessage(el.offline, S.offline);
  else clearMessage(el.offline);
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

function tick() {
  if (!clock.synced || ["finished", "stopped"].includes(phase)) return;
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
  if (remaining <= 0 && (phase === "answering" || phase === "starting")) timeUp();
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
      break;
    case "collected":
      stopInput();
      go(config.urls.collected);
      break;
    case "locked":
      go(config.urls.locked);
      break;
    case "deadline":
      status.deadline = message.deadline;
      lastAnnouncedMinute = null;
      break;
    case "superseded":
      handleStop("superseded");
      break;
    case "message":
      showMessage(el.staffMessage, format(S.staff_message, { text: message.text || "" }));
      break;
    default:
      break;
  }
}

// --- answering -------------------------------------------------------------------------------------

function readCurrent() {
  try {
    return JSON.parse(window.localStorage.getItem(currentKey) || "null");
  } catch {
    return null;
  }
}

function writeCurrent(questionId) {
  try {
    window.localStorage.setItem(currentKey, JSON.stringify({ question: questionId }));
  } catch {
    // memory only
  }
}

function record(questionId, value) {
  if (phase !== "answering") return;
  if (sameValue(answers[questionId] && answers[questionId].value, value)) return;
  const entry = journal.record(questionId, value, sender.inFlight);
  answers[questionId] = { value, seq: entry.seq };
  const index = questions.findIndex((q) => q.id === questionId);
  updateNavItem(el.nav, index, answers[questionId], index === currentIndex, S);
  updateProgress();
  updateSaveStatus();
  sender.kick(300);
}

function commitPendingText() {
  if (!pendingText) return;
  const { questionId, value, timer } = pendingText;
  clearTimeout(timer);
  pendingText = null;
  record(questionId, value);
}

function onAnswerChange(questionId, value, { immediate }) {
  if (pendingText && pendingText.questionId !== questionId) commitPendingText();
  if (immediate) {
    if (pendingText) clearTimeout(pendingText.timer);
    pendingText = null;
    record(questionId, value);
    return;
  }
  if (pendingText) clearTimeout(pendingText.timer);
  pendingText = { questionId, value, timer: setTimeout(commitPendingText, 800) };
}

function updateProgress() {
  const done = questions.filter((q) => isAnswered(answers[q.id] && answers[q.id].value)).length;
  el.progress.textContent = format(S.progress, { done, total: questions.length });
}

function showQuestion(index, { focus = true } = {}) {
  if (!questions.length) return;
  commitPendingText();
  const previous = currentIndex;
  currentIndex = Math.max(0, Math.min(questions.length - 1, index));
  const question = questions[currentIndex];
  const held = answers[question.id];
  el.questionHost.replaceChildren(
    renderQuestion({
      question,
      index: currentIndex,
      value: held ? held.value : null,
      strings: S,
      onChange: (value, options) => onAnswerChange(question.id, value, options),
    }),
  );
  updateNavItem(el.nav, previous, answers[questions[previous]?.id], previous === currentIndex, S);
  updateNavItem(el.nav, currentIndex, held, true, S);
  el.prev.disabled = currentIndex === 0;
  el.next.disabled = currentIndex === questions.length - 1;
  el.answering.dataset.currentQuestion = String(question.id);
  if (previous !== currentIndex || !readCurrent()) {
    writeCurrent(question.id);
    sender?.touchSoon();
  }
  if (focus) $("question-title")?.focus();
}

function touchEntry() {
  // Replaying a held answer changes nothing on the server but carries current_question.
  const current = questions[currentIndex];
  const held = current && answers[current.id];
  if (held && held.seq > 0) return { question: current.id, value: held.value, seq: held.seq };
  const any = Object.entries(answers).find(([, a]) => a.seq > 0);
  return any ? { question: Number(any[0]), value: any[1].value, seq: any[1].seq } : null;
}

function setupAnswering(data) {
  questions = data.questions || [];
  answers = {};
  for (const [id, held] of Object.entries(data.answers || {})) answers[Number(id)] = held;
  journal.seed(data.last_seq);
  journal.pruneAgainst(answers);
  for (const entry of journal.pending()) {
    const held = answers[entry.question];
    if (!held || entry.seq > held.seq) answers[entry.question] = { value: entry.value, seq: entry.seq };
  }
  sender = new Sender({
    journal,
    post: (entries, current) => api("POST", "attempt/answers/", { entries, current_question: current }),
    currentQuestion: () => (questions[currentIndex] ? questions[currentIndex].id : null),
    touchEntry,
    onChange: updateSaveStatus,
    onStop: handleStop,
  });
  const local = readCurrent();
  const wanted = (local && local.question) || data.current_question;
  const found = questions.findIndex((q) => q.id === wanted);
  currentIndex = found >= 0 ? found : 0;
  renderNav(el.nav, questions, answers, currentIndex, S, (index) => showQuestion(index));
  updateProgress();
  phase = "answering";
  showView("answering");
  showQuestion(currentIndex, { focus: !gateShown });
  updateSubmitButton();
  updateSaveStatus();
  sender.kick(0);
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
      if (error.code && !error.transient && error.code !== "not_started" && error.code !== "csrf_failed") {
        handleStop(error.code, error.detail);
        return;
      }
      el.loadingText.textContent = S.retrying;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
  if (data && phase === "starting") setupAnswering(data);
}

function stopInput() {
  commitPendingText();
  el.answering.inert = true;
  el.answering.classList.add("is-stopped");
  el.answering.querySelectorAll("input, textarea, button").forEach((control) => { control.disabled = true; });
}

async function timeUp() {
  if (phase !== "answering" && phase !== "starting") return;
  commitPendingText();
  phase = "finishing";
  stopInput();
  showMessage(el.staffMessage, S.time_up);
  // Answers inside the network grace are still accepted: one last flush, briefly.
  if (sender) await sender.flush(4000);
  try {
    const data = await fetchAttempt({ retry: false });
    const extended = OPEN_STATES.has(data.state) && !data.locked && Date.parse(data.deadline) - clock.now() > 1000;
    if (extended) {
      // Extra time was granted while the socket was down: carry on.
      applyStatus(data);
      phase = "answering";
      el.answering.inert = false;
      el.answering.classList.remove("is-stopped");
      clearMessage(el.staffMessage);
      showQuestion(currentIndex, { focus: false });
      renderNav(el.nav, questions, answers, currentIndex, S, (index) => showQuestion(index));
      return;
    }
  } catch {
    // offline at the deadline: the server collects anyway
  }
  phase = "finished";
  go(config.urls.collected);
}

// --- submit ------------------------------------------------------------------------------------------

function openSubmitDialog() {
  if (el.submit.disabled || phase !== "answering") return;
  commitPendingText();
  const unanswered = questions.filter((q) => !isAnswered(answers[q.id] && answers[q.id].value)).length;
  const lines = [];
  if (unanswered) lines.push(format(S.submit_confirm_unanswered, { n: unanswered }));
  if (journal.size) lines.push(format(S.submit_confirm_unsynced, { n: journal.size }));
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
  const flushed = await sender.flush(15000);
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
    if (["collected", "submitted", "locked", "superseded", "not_logged_in"].includes(error.code)) {
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
  commitPendingText();
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

// --- start -----------------------------------------------------------------------------------------

function wireControls() {
  el.prev.addEventListener("click", () => showQuestion(currentIndex - 1));
  el.next.addEventListener("click", () => showQuestion(currentIndex + 1));
  el.submit.addEventListener("click", openSubmitDialog);
  el.dialogCancel.addEventListener("click", () => el.dialog.close());
  el.dialogConfirm.addEventListener("click", () => {
    el.dialog.close();
    submit();
  });
  el.gateButton.addEventListener("click", async () => {
    clearMessage(el.gateError);
    const ok = await enterFullscreen();
    if (!ok) showMessage(el.gateError, S.fullscreen_failed);
    updateGate();
  });
  window.addEventListener("online", () => { updateSaveStatus(); outbox.add("network_restored"); });
  window.addEventListener("offline", () => { updateSaveStatus(); outbox.add("network_lost"); });
  window.addEventListener("pagehide", commitPendingText);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") commitPendingText();
  });
  if (config.deviceCheck && el.devicePanel) {
    el.deviceRecheck?.addEventListener("click", () => runDeviceCheck(el.devicePanel, S));
    el.leaveDeviceCheck?.addEventListener("click", async () => {
      el.leaveDeviceCheck.disabled = true;
      commitPendingText();
      if (sender) await sender.flush(3000);
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
  wireControls();
  outbox = new EventOutbox(config.attemptId, { onResult: onEventsResult, onStop: handleStop });
  if (!journal.persistent) showMessage(el.leaveWarning, S.storage_unavailable);
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
  if (el.candidate && data.candidate) el.candidate.textContent = data.candidate.name;
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
