// Live monitor: counts by state, an alert feed and the wall of candidate tiles, over ONE
// socket /ws/monitor/<session>/. The server sends what changed ("tile" messages with the
// attempt id and the changed fields); the page queues changes and applies them once per
// animation frame, so 200 tiles with a snapshot each per 30 s keep the main thread idle.
const root = document.getElementById("monitor");
const sessionId = root.dataset.session;
const status = document.getElementById("monitor-connection");
const alerts = document.getElementById("monitor-alerts");
const wall = document.getElementById("wall");
const shown = document.getElementById("wall-shown");
const data = JSON.parse(document.getElementById("wall-data").textContent);
const ALERT_LABELS = data.alert_labels;
const STEP_LABELS = data.step_labels;
const STATE_LABELS = data.state_labels;
// Each tile's phone is the server's glance (proctoring.selectors.phone_glances), loaded with the
// page and pushed on every phone event: {status, reason, since, since_time (batch-local HH:MM),
// lost_minutes, takeovers, not_a_phone, alarming, label}. The texts come in the page's language.
const PHONE = data.phone_labels || { status: {}, reason: {} };
const PHONE_SINCE = new Set(["lost", "camera_problem", "not_a_phone"]);
const TIMELINE_URL = (id) => `/proctoring/wall/attempt/${id}/timeline/`;
const ACTION_URLS = {
  message: (id) => `/api/v1/organizer/attempts/${id}/message/`,
  extra_time: (id) => `/api/v1/organizer/attempts/${id}/extra-time/`,
  unlock: (id) => `/api/v1/organizer/attempts/${id}/unlock/`,
  waive: (id) => `/api/v1/organizer/attempts/${id}/waive-step/`,
  readmit: (id) => `/api/v1/organizer/attempts/${id}/readmit/`,
  reopen: (id) => `/api/v1/organizer/attempts/${id}/reopen/`,
};
const ALERTS_PER_TILE = 5;
const NEVER_LOGGED_IN = new Set(["registered", "late", "absent"]);
const tiles = new Map();     // attempt id -> {data, el, parts}
const pending = new Map();   // attempt id -> changed fields, applied on the next frame
let frame = 0;
let lastFlush = 0;
const FLUSH_MS = 250;
let visible = 0;
let filter = "all";
let clockOffset = 0;         // server time - this computer's time
let retry = 0;

function setStatus(text, cls) {
  status.textContent = text;
  status.className = "monitor-connection " + cls;
}

function timeText(iso) {
  return iso ? new Date(iso).toLocaleTimeString("zh-CN", { hour12: false }) : "";
}

function agoText(iso) {
  if (!iso) return "无";
  const seconds = Math.max(0, Math.round((Date.now() + clockOffset - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds} 秒前`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} 分钟前`;
  return `${Math.floor(seconds / 3600)} 小时前`;
}

// --- tiles ------------------------------------------------------------------------------

function span(cls) {
  const el = document.createElement("span");
  el.className = cls;
  return el;
}

function buildTile(tile) {
  const li = document.createElement("li");
  li.className = "tile";
  li.dataset.attempt = tile.attempt;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tile__open";
  button.setAttribute("aria-haspopup", "dialog");
  const img = document.createElement("img");
  img.className = "tile__thumb";
  img.width = 160;
  img.height = 120;
  img.loading = "lazy";
  img.decoding = "async";
  img.alt = `${tile.name} 的最新抓拍`;
  const parts = {
    img, name: span("tile__name"), state: span("tile__state"), leaves: span("tile__leaves"),
    phone: span("tile__phone"), saved: span("tile__saved"), steps: span("tile__steps"),
    alerts: span("tile__alerts"),
  };
  parts.name.textContent = tile.ticket ? `${tile.name} · ${tile.ticket}` : tile.name;
  button.append(img, parts.name, parts.state, parts.leaves, parts.phone, parts.saved, parts.steps, parts.alerts);
  li.append(button);
  const entry = { data: tile, el: li, parts, savedText: "", hidden: false };
  render(entry, tile);
  return entry;
}

function fill(template, values) {
  return String(template || "").replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function withDetail(label, detail) {
  return fill(PHONE.detail || "{label}：{detail}", { label, detail });
}

function phoneLabel(phone) {
  if (!phone) return PHONE.status.never_paired || "";
  let label = PHONE.status[phone.status] || phone.label || phone.status;
  if (phone.status === "camera_problem" && PHONE.reason[phone.reason]) label = withDetail(label, PHONE.reason[phone.reason]);
  return label;
}

// "手机断开 自 10:32 · 累计断开 3 分钟 · 被其他设备接管 1 次" (each state's label names the phone)
function phoneText(phone) {
  const parts = [phoneLabel(phone)];
  if (phone && PHONE_SINCE.has(phone.status) && phone.since_time) parts[0] += ` ${fill(PHONE.since, { time: phone.since_time })}`;
  if (phone && phone.lost_minutes) parts.push(fill(PHONE.lost, { n: phone.lost_minutes }));
  if (phone && phone.takeovers) parts.push(fill(PHONE.takeovers, { n: phone.takeovers }));
  if (phone && phone.not_a_phone) parts.push(fill(PHONE.not_a_phone, { n: phone.not_a_phone }));
  return parts.join(" · ");
}

function alertLabel(alert) {
  let label = ALERT_LABELS[alert.kind] || alert.label || alert.kind;
  const why = alert.kind === "phone_camera_problem" ? PHONE.reason : alert.kind === "phone_not_a_phone"
    ? (PHONE.not_a_phone_reason || {}) : {};
  if (why[alert.reason]) label = withDetail(label, why[alert.reason]);
  return label;
}

// Writes only the parts that the changed fields touch.
function render(entry, changed) {
  const t = entry.data;
  const p = entry.parts;
  if ("thumb" in changed) {
    // Pictures only for staff who may see evidence; the empty frame keeps its place.
    if (t.thumb && data.can.evidence) p.img.src = t.thumb; else p.img.removeAttribute("src");
  }
  if ("state" in changed || "locked" in changed) {
    p.state.textContent = (STATE_LABELS[t.state] || t.state) + (t.locked ? " · 已锁定" : "");
    entry.el.classList.toggle("is-locked", !!t.locked);
  }
  if ("leaves_used" in changed || "leaves_max" in changed) {
    p.leaves.textContent = `离屏 ${t.leaves_used || 0}/${t.leaves_max == null ? "不限" : t.leaves_max}`;
  }
  if ("phone" in changed) {
    p.phone.textContent = phoneText(t.phone);
    p.phone.dataset.phoneStatus = t.phone ? t.phone.status : "never_paired";
    entry.el.classList.toggle("is-phone-lost", Boolean(t.phone && t.phone.alarming));
  }
  if ("saved_at" in changed) updateSaved(entry);
  if ("steps_missing" in changed) {
    const missing = t.steps_missing || [];
    p.steps.textContent = missing.length ? `缺少：${missing.map((s) => STEP_LABELS[s] || s).join("、")}` : "";
    p.steps.hidden = !missing.length;
  }
  if ("alerts" in changed) {
    const list = t.alerts || [];
    p.alerts.textContent = list.map((a) => `${timeText(a.at)} ${alertLabel(a)}`).join("\n");
    p.alerts.hidden = !list.length;
    entry.el.classList.toggle("has-alerts", list.length > 0);
  }
}

function updateSaved(entry) {
  const text = `保存：${agoText(entry.data.saved_at)}`;
  if (text !== entry.savedText) {
    entry.savedText = text;
    entry.parts.saved.textContent = text;
  }
}

function matches(t) {
  if (filter === "alerts") return (t.alerts || []).length > 0;
  if (filter === "locked") return !!t.locked;
  if (filter === "not_logged_in") return NEVER_LOGGED_IN.has(t.state);
  if (filter === "steps_missing") return (t.steps_missing || []).length > 0;
  if (filter === "phone") return Boolean(t.phone && t.phone.alarming);
  return true;
}

function applyFilter(entry) {
  const hide = !matches(entry.data);
  if (entry.hidden !== hide) {
    entry.hidden = hide;
    entry.el.hidden = hide;
    visible += hide ? -1 : 1;
  }
}

function updateShown() {
  const text = `显示 ${visible} / ${tiles.size} 名考生`;
  if (shown.textContent !== text) shown.textContent = text;
}

function queue(id, fields) {
  const before = pending.get(id);
  if (before) {
    if (fields.alerts && before.alerts) fields = { ...fields, alerts: [...fields.alerts, ...before.alerts] };
    Object.assign(before, fields);
  } else {
    pending.set(id, { ...fields });
  }
  schedule();
}

// At most one flush per FLUSH_MS, inside an animation frame: a burst of pushes costs one
// style/layout pass, not one per message.
function schedule() {
  if (frame) return;
  const wait = Math.max(0, lastFlush + FLUSH_MS - performance.now());
  frame = setTimeout(() => requestAnimationFrame(flush), wait);
}

function flush() {
  frame = 0;
  lastFlush = performance.now();
  for (const [id, fields] of pending) {
    const entry = tiles.get(id);
    if (!entry) continue;
    if (fields.alerts) fields.alerts = [...fields.alerts, ...(entry.data.alerts || [])].slice(0, ALERTS_PER_TILE);
    Object.assign(entry.data, fields);
    render(entry, fields);
    applyFilter(entry);
    if (panelAttempt === id) refreshPanelSummary();
  }
  pending.clear();
  updateShown();
}

function buildWall() {
  const fragment = document.createDocumentFragment();
  for (const tile of data.tiles) {
    const entry = buildTile(tile);
    tiles.set(tile.attempt, entry);
    visible++;
    fragment.append(entry.el);
  }
  wall.append(fragment);
  for (const entry of tiles.values()) applyFilter(entry);
  updateShown();
}

// "seconds since last save": one pass every 5 s, writing only texts that changed.
setInterval(() => {
  requestAnimationFrame(() => { for (const entry of tiles.values()) if (!entry.hidden) updateSaved(entry); });
}, 5000);

document.querySelectorAll('input[name="wall-filter"]').forEach((input) => {
  input.addEventListener("change", () => {
    filter = input.value;
    for (const entry of tiles.values()) { applyFilter(entry); if (!entry.hidden) updateSaved(entry); }
    updateShown();
  });
});

// --- counts and alerts --------------------------------------------------------------------

function showCounts(counts) {
  for (const [name, value] of Object.entries(counts)) {
    const cell = root.querySelector(`[data-bucket="${name}"]`);
    if (cell) cell.textContent = value;
  }
  if ("total" in counts) document.getElementById("monitor-total").textContent = counts.total;
}

// Deadlines moved and recovery actions (exams): in the feed, linked to the attempt's actions page.
const TIME_LABELS = { deadline: "考试时间已调整", readmit: "准予补录", reopen: "重开作答" };

function addTimeAlert(alert) {
  let label = TIME_LABELS[alert.kind];
  if (alert.kind === "deadline" && alert.minutes) {
    label += `（${alert.minutes > 0 ? "+" : ""}${alert.minutes} 分钟${alert.count > 1 ? `，${alert.count} 人` : ""}）`;
  }
  if (alert.kind === "deadline" && alert.ends_at) {
    document.getElementById("monitor-ends").textContent = new Date(alert.ends_at).toLocaleTimeString("zh-CN", {
      hour12: false, hour: "2-digit", minute: "2-digit", timeZone: root.dataset.timeZone || undefined,
    });
  }
  const empty = alerts.querySelector(".monitor-alerts__empty");
  if (empty) empty.remove();
  const item = document.createElement("li");
  const when = document.createElement("time");
  when.dateTime = alert.at || "";
  when.textContent = timeText(alert.at);
  item.append(when, ` ${label}`);
  if (alert.attempt) {
    const entry = tiles.get(alert.attempt);
    const link = document.createElement("a");
    link.href = `/monitor/attempt/${alert.attempt}/`;
    link.textContent = entry ? entry.data.name : (alert.name || `#${alert.attempt}`);
    item.dataset.attempt = alert.attempt;
    item.append(" · ", link);
  }
  alerts.prepend(item);
  while (alerts.children.length > 200) alerts.lastChild.remove();
}

function addAlert(alert) {
  if (alert.kind in TIME_LABELS) return addTimeAlert(alert);
  if (!(alert.kind in ALERT_LABELS)) return;  // phone connected, tickets: not alerts of the wall
  const entry = tiles.get(alert.attempt);
  const label = alertLabel(alert);
  if (entry) queue(alert.attempt, { alerts: [{ kind: alert.kind, label, reason: alert.reason, at: alert.at }] });
  const empty = alerts.querySelector(".monitor-alerts__empty");
  if (empty) empty.remove();
  const item = document.createElement("li");
  item.dataset.attempt = alert.attempt;
  const when = document.createElement("time");
  when.dateTime = alert.at || "";
  when.textContent = timeText(alert.at);
  const link = document.createElement("a");
  link.href = `/proctoring/review/attempt/${alert.attempt}/`;
  link.textContent = entry ? entry.data.name : (alert.name || `#${alert.attempt}`);
  item.append(when, ` ${label} · `, link);
  alerts.prepend(item);
  while (alerts.children.length > 200) alerts.lastChild.remove();
  if (panelAttempt === alert.attempt) loadTimeline(alert.attempt);
}

// --- the candidate panel ------------------------------------------------------------------

const panel = document.getElementById("wall-panel");
const panelTitle = document.getElementById("wall-panel-title");
const panelSummary = document.getElementById("wall-panel-summary");
const panelEvents = document.getElementById("wall-panel-events");
const panelEvidence = document.getElementById("wall-panel-evidence");
const actionResult = document.getElementById("wall-action-result");
const actions = document.getElementById("wall-actions");
let panelAttempt = null;

for (const [name, allowed] of Object.entries({
  message: data.can.message, extra_time: data.can.extra_time, unlock: data.can.unlock,
  readmit: data.can.recover, reopen: data.can.recover,
})) {
  if (!allowed) actions.querySelector(`[data-action="${name}"]`).hidden = true;
}

function refreshPanelSummary() {
  const t = tiles.get(panelAttempt).data;
  const missing = (t.steps_missing || []).map((s) => STEP_LABELS[s] || s).join("、") || "无";
  panelSummary.textContent = `${STATE_LABELS[t.state] || t.state}${t.locked ? " · 已锁定" : ""} · ` +
    `离屏 ${t.leaves_used || 0}/${t.leaves_max == null ? "不限" : t.leaves_max} · ` +
    `${phoneText(t.phone)} · 缺少步骤：${missing}`;
}

async function loadTimeline(id) {
  panelEvents.replaceChildren();
  panelEvidence.replaceChildren();
  const loading = document.createElement("li");
  loading.textContent = "加载中…";
  panelEvents.append(loading);
  let body;
  try {
    const response = await fetch(TIMELINE_URL(id), { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    loading.textContent = `时间线加载失败（${error.message}），请稍后重试。`;
    return;
  }
  if (panelAttempt !== id) return;
  const items = body.events.map((event) => {
    const li = document.createElement("li");
    if (event.alert) li.className = "is-alert";
    const when = document.createElement("time");
    when.dateTime = event.at;
    when.textContent = timeText(event.at);
    li.append(when, ` ${event.label}`);
    return li;
  });
  if (!items.length) {
    const none = document.createElement("li");
    none.textContent = "暂无监控记录";
    items.push(none);
  }
  panelEvents.replaceChildren(...items);
  panelEvidence.replaceChildren(...body.evidence.map((ev) => {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = ev.url;
    link.target = "_blank";
    link.rel = "noopener";
    const img = document.createElement("img");
    img.src = ev.thumb;
    img.loading = "lazy";
    img.width = 120;
    img.alt = `${ev.label} ${timeText(ev.received_at)}`;
    link.append(img);
    li.append(link, `${ev.label} ${timeText(ev.received_at)}`);
    return li;
  }));
}

function openPanel(id) {
  panelAttempt = id;
  const t = tiles.get(id).data;
  panelTitle.textContent = t.ticket ? `${t.name}（${t.ticket}）` : t.name;
  document.getElementById("wall-panel-review").href = `/proctoring/review/attempt/${id}/`;
  document.getElementById("wall-panel-actions").href = `/monitor/attempt/${id}/`;
  actionResult.textContent = "";
  refreshPanelSummary();
  if (!panel.open) panel.showModal();
  loadTimeline(id);
}

wall.addEventListener("click", (event) => {
  const tile = event.target.closest(".tile");
  if (tile) openPanel(Number(tile.dataset.attempt));
});
document.getElementById("wall-panel-close").addEventListener("click", () => panel.close());
panel.addEventListener("close", () => { panelAttempt = null; });

function field(name) {
  return actions.elements[name].value.trim();
}

const ACTION_BODIES = {
  message: () => ({ text: field("text") }),
  extra_time: () => ({ minutes: Number(field("minutes")), reason: field("extra_reason") }),
  unlock: () => ({ reason: field("unlock_reason") }),
  waive: () => ({ step: field("step"), reason: field("waive_reason") }),
  readmit: () => (field("readmit_minutes")
    ? { minutes: Number(field("readmit_minutes")), reason: field("readmit_reason") }
    : { reason: field("readmit_reason") }),
  reopen: () => ({ minutes: Number(field("reopen_minutes")), reason: field("reopen_reason") }),
};
const CONFIRM = {
  unlock: () => "确认解锁该考生的作答？",
  waive: () => `确认免除该考生的“${STEP_LABELS[field("step")] || field("step")}”步骤？`,
  readmit: () => "确认准予该考生补录登录？",
  reopen: () => "确认重开该考生的作答？原回执将记入作答记录，到新的截止时间再次收卷。",
};

async function runAction(name) {
  const id = panelAttempt;
  const body = ACTION_BODIES[name]();
  if (["unlock", "waive", "extra_time", "readmit", "reopen"].includes(name) && !body.reason) {
    actionResult.textContent = "请填写原因。";
    return;
  }
  if (name === "message" && !body.text) {
    actionResult.textContent = "请填写消息内容。";
    return;
  }
  if (CONFIRM[name] && !window.confirm(CONFIRM[name]())) return;
  actionResult.textContent = "提交中…";
  let response;
  try {
    response = await fetch(ACTION_URLS[name](id), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": actions.elements.csrfmiddlewaretoken.value },
      body: JSON.stringify(body),
    });
  } catch {
    actionResult.textContent = "网络错误，未能提交，请重试。";
    return;
  }
  if (response.ok) {
    actionResult.textContent = "已执行并记录。";
    if (panelAttempt === id) loadTimeline(id);
    return;
  }
  let detail = `HTTP ${response.status}`;
  try {
    const error = await response.json();
    detail = [error.detail, error.code].filter(Boolean).join("（") + (error.code && error.detail ? "）" : "") || detail;
  } catch { /* not JSON: keep the status */ }
  actionResult.textContent = `未执行：${detail}`;
}

actions.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-do]");
  if (button) runAction(button.dataset.do);
});
actions.addEventListener("submit", (event) => event.preventDefault());

// --- the socket ---------------------------------------------------------------------------

function onMessage(message) {
  if (message.type === "counts") {
    showCounts(message.counts);
    if (message.server_time) clockOffset = Date.parse(message.server_time) - Date.now();
  } else if (message.type === "alert") {
    addAlert(message.alert);
  } else if (message.type === "tile") {
    const { type, attempt, ...fields } = message;
    queue(attempt, fields);
  }
  if (message.states) {  // on (re)connect: every tile's exams fields, applied where they differ
    for (const [id, fields] of Object.entries(message.states)) {
      const entry = tiles.get(Number(id));
      if (!entry) continue;
      const changed = {};
      for (const [name, value] of Object.entries(fields)) if (entry.data[name] !== value) changed[name] = value;
      if (Object.keys(changed).length) queue(Number(id), changed);
    }
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/monitor/${sessionId}/`);
  socket.addEventListener("open", () => { retry = 0; setStatus("实时更新中", "is-live"); });
  socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    setStatus("连接已断开，正在重连…", "is-down");
    const delay = Math.min(15000, 500 * 2 ** retry++) * (0.5 + Math.random() / 2);
    setTimeout(connect, delay);
  });
}

buildWall();
connect();
