/**
 * Phone monitor pairing (鹰眼监控) on the candidate's confirmation page and in the exam page's
 * "reconnect the phone" dialog. Plain ES module, no inline script needed.
 *
 *   startPhonePairing, exported by this module (proctoring/pairing.js), is used as:
 *   const pairing = startPhonePairing();
 *
 * startPhonePairing({element, pairingUrl, pollSeconds, fresh}) -> {refresh(), stop(), status()}
 *   element      the container, default document.getElementById("phone-pairing"); nothing
 *                happens when it is missing. data-msg-* attributes give the translated texts
 *                (data-msg-waiting, data-msg-live, ...; Chinese defaults below).
 *   pairingUrl   default /api/v1/proctoring/pairing/ : POST {fingerprint} (this computer's
 *                coarse device facts, fingerprint.js) makes a one-time link and its QR
 *                code (SVG made by the server), GET tells the phone block
 *                {required, status, since, waiting}; status is never_paired | live | lost |
 *                camera_problem | not_a_phone
 *   pollSeconds  how often the status is read (default 10) as a fallback to live pushes
 *   fresh        show a new QR code at once whatever the phone's state (the exam page's dialog)
 * The link is shown as text to type on the phone (for accessibility), never as a link that
 * would open in this computer's browser: the computer is not a phone (not_a_phone).
 * Once a phone is live the QR code is hidden; "重新生成二维码" shows a new one while the
 * current phone stays live (scanning it with another phone takes over). An expired QR code is
 * renewed only while no phone was ever connected; otherwise it is taken away.
 * Live updates: the page's websocket code dispatches
 *   window.dispatchEvent(new CustomEvent("exam:phone", {detail: {status, since, required}}))
 * when the server pushes {"type": "phone", ...}; this module listens for it.
 * The container gets data-phone-status="never_paired|waiting|live|lost|camera_problem|not_a_phone".
 */

import { api } from "../api.js";
import { deviceFacts } from "./fingerprint.js";

const PAIRING_URL = "/api/v1/proctoring/pairing/";
const PHONE_STATES = new Set(["live", "lost", "camera_problem", "not_a_phone"]);

const TEXTS = {
  waiting: "请用手机扫描二维码（手机设为飞行模式并打开 Wi-Fi），在手机上点击“开始鹰眼监控”。",
  live: "手机监控已连接。请将手机放在侧后方，拍到双手、桌面、电脑屏幕和草稿纸。",
  lost: "手机监控已断开！请检查手机是否锁屏或断网；无法恢复时请用手机扫描新的二维码。",
  cameraProblem: "手机摄像头画面异常（黑屏、被遮挡或画面静止），请检查手机镜头；无法恢复时请用手机扫描新的二维码。",
  notAPhone: "刚才用来连接的设备不是手机。请用手机扫描二维码。",
  neverPaired: "尚未连接手机监控。",
  expired: "二维码已过期，正在重新生成……",
  error: "二维码生成失败：",
  regenerate: "重新生成二维码",
  replaceNote: "已显示新的二维码：用另一部手机扫描后，将替换当前手机。",
  link: "无法扫码时，可在手机浏览器中输入：",
};
const KEY = { camera_problem: "cameraProblem", not_a_phone: "notAPhone", never_paired: "neverPaired" };

function text(element, key) {
  const name = KEY[key] || key;
  const attr = `msg${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  return element.dataset[attr] || TEXTS[name] || "";
}

function make(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content) node.textContent = content;
  return node;
}

function svgNode(markup) {
  // Parsed as HTML so the <svg> lands in the SVG namespace; no innerHTML on the live page.
  const doc = new DOMParser().parseFromString(markup, "text/html");
  const svg = doc.body.querySelector("svg");
  return svg ? document.importNode(svg, true) : null;
}

export function startPhonePairing({
  element = document.getElementById("phone-pairing"),
  pairingUrl = PAIRING_URL,
  pollSeconds = 10,
  fresh = false,
} = {}) {
  if (!element) return { refresh() {}, stop() {}, status: () => "never_paired" };

  const qr = make("div", "phone-pairing__qr");
  const link = make("p", "phone-pairing__link");
  const statusLine = make("p", "phone-pairing__status");
  statusLine.setAttribute("role", "status");
  statusLine.setAttribute("aria-live", "polite");
  const button = make("button", "phone-pairing__regenerate", text(element, "regenerate"));
  button.type = "button";
  element.replaceChildren(qr, link, statusLine, button);

  let phone = "never_paired"; // the server's view of the phone
  let showingQr = false;
  let everConnected = false;
  let expiresAt = 0;
  let stopped = false;
  let creating = null;

  function render(extra = "") {
    const shown = showingQr && !PHONE_STATES.has(phone) ? "waiting" : phone;
    element.dataset.phoneStatus = showingQr && phone !== "live" ? "waiting" : phone;
    let line = text(element, shown);
    if (showingQr && phone !== "never_paired" && shown !== "waiting") {
      line += ` ${phone === "live" ? text(element, "replaceNote") : text(element, "waiting")}`;
    }
    statusLine.textContent = line + extra;
  }

  function hideQr() {
    showingQr = false;
    qr.replaceChildren();
    link.replaceChildren();
    expiresAt = 0;
  }

  function setPhone(status) {
    const wasLive = phone === "live";
    phone = status || "never_paired";
    if (phone === "live") everConnected = true;
    // A phone that just became live used the QR code shown: it is gone.
    if (phone === "live" && !wasLive) hideQr();
    render();
  }

  async function create() {
    if (creating) return creating;
    creating = (async () => {
      button.disabled = true;
      try {
        // This computer's coarse fingerprint: a "phone" reporting the same one is refused.
        const body = await api("POST", pairingUrl, { fingerprint: deviceFacts() });
        const svg = svgNode(body.qr_svg || "");
        qr.replaceChildren(...(svg ? [svg] : []));
        const typed = make("span", "phone-pairing__url", body.url);
        link.replaceChildren(document.createTextNode(text(element, "link")), typed);
        expiresAt = Date.parse(body.expires_at) || 0;
        showingQr = true;
        render();
      } catch (error) {
        render(` ${text(element, "error")}${error.detail || error.code || String(error)}`);
      } finally {
        button.disabled = false;
        creating = null;
      }
    })();
    return creating;
  }

  function fromServer(body) {
    if (body && body.status) setPhone(body.status);
  }

  async function poll() {
    if (stopped) return;
    try {
      fromServer(await api("GET", pairingUrl));
    } catch (error) {
      if (error.network) return; // offline: the next poll tries again
    }
    if (showingQr && expiresAt && Date.now() >= expiresAt) {
      if (everConnected) {
        // A QR code asked for while a phone was connected is not renewed for ever: it goes, and
        // "重新生成二维码" makes another when one is wanted.
        hideQr();
        render();
      } else {
        statusLine.textContent = text(element, "expired");
        await create();
      }
    }
  }

  function onPush(event) {
    if (event && event.detail) fromServer(event.detail);
  }

  button.addEventListener("click", () => create());
  window.addEventListener("exam:phone", onPush);
  const timer = setInterval(poll, Math.max(2, pollSeconds) * 1000);

  // Start from the server's view: a phone may already be live (a re-login, a reload).
  (async () => {
    try {
      fromServer(await api("GET", pairingUrl));
    } catch {
      // fall through to a fresh QR code
    }
    if (fresh || phone !== "live") await create();
  })();

  return {
    refresh: () => create(),
    stop() {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener("exam:phone", onPush);
    },
    status: () => phone,
  };
}
