/**
 * Phone monitor pairing (鹰眼监控) on the candidate's confirmation / exam page.
 * Plain ES module, no inline script needed.
 *
 *   startPhonePairing, exported by this module (proctoring/pairing.js), is used as:
 *   const pairing = startPhonePairing();
 *
 * startPhonePairing({element, pairingUrl, pollSeconds}) -> {refresh(), stop(), status()}
 *   element      the container, default document.getElementById("phone-pairing"); nothing
 *                happens when it is missing. Optional data-msg-* attributes override the
 *                Chinese texts below (data-msg-waiting, data-msg-connected, ...).
 *   (requests go through api.js, which sends the CSRF cookie's token; a csrfToken option is
 *   accepted and ignored)
 *   pairingUrl   default /api/v1/proctoring/pairing/ : POST makes a one-time link and its QR
 *                code (SVG made by the server), GET tells the phone's status
 *                (none | waiting | connected | lost)
 *   pollSeconds  how often the status is read (default 10) as a fallback to live pushes
 * It fills the container with the QR code, the link, a status line (role="status") and a
 * "重新生成二维码" button; once the phone is connected the QR code is hidden; an expired
 * QR code is replaced by a new one while no phone is connected.
 * Live updates: the page's websocket code dispatches
 *   window.dispatchEvent(new CustomEvent("exam:phone", {detail: {status: "connected" | "lost"}}))
 * when the server pushes {"type": "phone", "status": ...}; this module listens for it.
 * The container gets data-phone-status="none|waiting|connected|lost" for styling and tests.
 */

import { api } from "../api.js";

const PAIRING_URL = "/api/v1/proctoring/pairing/";

const TEXTS = {
  waiting: "请用手机扫描二维码（手机设为飞行模式并打开 Wi-Fi），在手机上点击“开始鹰眼监控”。",
  connected: "手机监控已连接。请将手机放在侧后方，拍到双手、桌面和草稿纸。",
  lost: "手机监控已断开！请检查手机是否锁屏或断网，必要时重新生成二维码再扫描。",
  none: "尚未连接手机监控。",
  expired: "二维码已过期，正在重新生成……",
  error: "二维码生成失败：",
  regenerate: "重新生成二维码",
  link: "无法扫码时，可在手机浏览器中打开：",
};

function text(element, key) {
  const attr = `msg${key.charAt(0).toUpperCase()}${key.slice(1)}`;
  return element.dataset[attr] || TEXTS[key];
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
} = {}) {
  if (!element) return { refresh() {}, stop() {}, status: () => "none" };

  const qr = make("div", "phone-pairing__qr");
  const link = make("p", "phone-pairing__link");
  const statusLine = make("p", "phone-pairing__status");
  statusLine.setAttribute("role", "status");
  statusLine.setAttribute("aria-live", "polite");
  const button = make("button", "phone-pairing__regenerate", text(element, "regenerate"));
  button.type = "button";
  element.replaceChildren(qr, link, statusLine, button);

  let state = "none";
  let expiresAt = 0;
  let stopped = false;
  let creating = null;

  function show(status, extra = "") {
    state = status;
    element.dataset.phoneStatus = status;
    statusLine.textContent = text(element, status in TEXTS ? status : "none") + extra;
    if (status === "connected" || status === "lost") {
      // The link in the QR code has been used: a new one is made on request.
      qr.replaceChildren();
      link.replaceChildren();
      expiresAt = 0;
    }
  }

  async function create() {
    if (creating) return creating;
    creating = (async () => {
      button.disabled = true;
      try {
        const body = await api("POST", pairingUrl, {});
        const svg = svgNode(body.qr_svg || "");
        qr.replaceChildren(...(svg ? [svg] : []));
        const anchor = make("a", "", body.url);
        anchor.href = body.url;
        anchor.rel = "noopener";
        link.replaceChildren(document.createTextNode(text(element, "link")), anchor);
        expiresAt = Date.parse(body.expires_at) || 0;
        show("waiting");
      } catch (error) {
        if (!error.network) show(state === "connected" ? "connected" : "none");
        statusLine.textContent = text(element, "error") + (error.detail || error.code || String(error));
      } finally {
        button.disabled = false;
        creating = null;
      }
    })();
    return creating;
  }

  // The server's answer last seen: a new connection or loss changes it (status and since).
  let lastSeen = "";

  function fromServer(body) {
    const seen = `${body.status}|${body.since || ""}`;
    if (seen === lastSeen) return false;
    lastSeen = seen;
    if (body.status === "connected" || body.status === "lost") {
      show(body.status);
      return true;
    }
    return false;
  }

  async function poll() {
    if (stopped) return;
    try {
      fromServer(await api("GET", pairingUrl));
    } catch (error) {
      if (error.network) return; // offline: the next poll tries again
    }
    if (state === "waiting" && expiresAt && Date.now() >= expiresAt) {
      statusLine.textContent = text(element, "expired");
      await create();
    }
  }

  function onPush(event) {
    const status = event && event.detail && event.detail.status;
    if (status === "connected" || status === "lost") show(status);
  }

  button.addEventListener("click", () => create());
  window.addEventListener("exam:phone", onPush);
  const timer = setInterval(poll, Math.max(2, pollSeconds) * 1000);

  // Start from the server's view: a phone may already be connected (a re-login).
  (async () => {
    try {
      if (fromServer(await api("GET", pairingUrl))) return;
    } catch {
      // fall through to a fresh QR code
    }
    await create();
  })();

  return {
    refresh: () => create(),
    stop() {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener("exam:phone", onPush);
    },
    status: () => state,
  };
}
