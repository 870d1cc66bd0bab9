// Live monitor: counts by state and an alert feed, over /ws/monitor/<session>/.
// Reconnects with backoff; the server coalesces changes into at most one recount a second.
const root = document.getElementById("monitor");
const sessionId = root.dataset.session;
const status = document.getElementById("monitor-connection");
const alerts = document.getElementById("monitor-alerts");
const ALERT_LABELS = {
  lock: "作答已锁定", phone_lost: "手机监控断开", camera_black: "摄像头黑屏",
  camera_lost: "摄像头中断", camera_missing: "未检测到摄像头", ticket: "新的技术支持请求",
  deadline: "考试时间已调整", readmit: "准予补录", reopen: "重开作答",
};
let retry = 0;

function setStatus(text, cls) {
  status.textContent = text;
  status.className = "monitor-connection " + cls;
}

function showCounts(counts) {
  for (const [name, value] of Object.entries(counts)) {
    const cell = root.querySelector(`[data-bucket="${name}"]`);
    if (cell) cell.textContent = value;
  }
  if ("total" in counts) document.getElementById("monitor-total").textContent = counts.total;
}

function addAlert(alert) {
  const empty = alerts.querySelector(".monitor-alerts__empty");
  if (empty) empty.remove();
  const item = document.createElement("li");
  const when = alert.at ? new Date(alert.at).toLocaleTimeString("zh-CN", { hour12: false }) : "";
  let label = ALERT_LABELS[alert.kind] || alert.kind;
  if (alert.kind === "deadline" && alert.minutes) {
    label += `（${alert.minutes > 0 ? "+" : ""}${alert.minutes} 分钟${alert.count > 1 ? `，${alert.count} 人` : ""}）`;
  }
  if (alert.kind === "deadline" && alert.ends_at) {
    document.getElementById("monitor-ends").textContent =
      new Date(alert.ends_at).toLocaleTimeString("zh-CN", {
        hour12: false, hour: "2-digit", minute: "2-digit", timeZone: root.dataset.timeZone || undefined,
      });
  }
  const link = document.createElement("a");
  link.href = alert.attempt
    ? (["readmit", "reopen", "deadline"].includes(alert.kind) ? `/monitor/attempt/${alert.attempt}/`
      : `/proctoring/review/attempt/${alert.attempt}/`)
    : "#";
  link.textContent = alert.attempt ? `作答 #${alert.attempt}` : "";
  item.textContent = `${when} ${label} `;
  item.appendChild(link);
  alerts.prepend(item);
  while (alerts.children.length > 200) alerts.lastChild.remove();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/monitor/${sessionId}/`);
  socket.addEventListener("open", () => { retry = 0; setStatus("实时更新中", "is-live"); });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "counts") showCounts(message.counts);
    if (message.type === "alert") addAlert(message.alert);
  });
  socket.addEventListener("close", () => {
    setStatus("连接已断开，正在重连…", "is-down");
    const delay = Math.min(15000, 500 * 2 ** retry++) * (0.5 + Math.random() / 2);
    setTimeout(connect, delay);
  });
}

connect();
