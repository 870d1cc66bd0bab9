// The candidate API over fetch: JSON in and out, the CSRF token on writes, refusals as ApiError.
// Every request a candidate page makes goes through api(): paths are relative to API_ROOT, or
// absolute ("/api/v1/support/faq/") for the other candidate APIs.

export const API_ROOT = "/api/v1/candidate/";
const TIMEOUT_MS = 20000;

export class ApiError extends Error {
  // status 0 + network true: the request never got an answer (offline, timeout, DNS).
  // retryAfter: seconds the server asked us to wait (Retry-After of a 429 or 503), or 0.
  constructor({ status = 0, code = "", detail = "", network = false, body = null, retryAfter = 0 } = {}) {
    super(detail || code || "request failed");
    this.retryAfter = retryAfter;
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.network = network;
    this.body = body;
  }

  // Worth retrying: no answer, a server error, an overloaded server.
  get transient() {
    return this.network || this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}

// Ask the server for the cookie when a page was opened without one (e.g. cookies cleared).
export async function ensureCsrf() {
  if (csrfToken()) return;
  try {
    await fetch(apiUrl("csrf/"), { credentials: "same-origin" });
  } catch {
    // the next write will report the network error
  }
}

export function apiUrl(path) {
  return path.startsWith("/") ? path : API_ROOT + path;
}

// signal: an AbortSignal of the caller (a newer search replacing an older one); an aborted
// request rejects with code "aborted".
export async function api(method, path, body = undefined,
  { timeoutMs = TIMEOUT_MS, keepalive = false, signal = null } = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const abort = () => controller.abort();
  if (signal) {
    if (signal.aborted) controller.abort();
    else signal.addEventListener("abort", abort, { once: true });
  }
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers,
      body: payload,
      credentials: "same-origin",
      cache: "no-store",
      signal: controller.signal,
      keepalive,
    });
  } catch {
    if (signal && signal.aborted) throw new ApiError({ code: "aborted" });
    throw new ApiError({ network: true, code: "network" });
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener("abort", abort);
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    throw new ApiError({
      status: response.status,
      code: (data && data.code) || (response.status >= 500 ? "server_error" : "error"),
      detail: (data && typeof data.detail === "string" && data.detail) || "",
      body: data,
      retryAfter: retryAfterSeconds(response.headers.get("Retry-After")),
    });
  }
  return data;
}

// Retry-After as seconds: a number of seconds or an HTTP date; 0 when absent or unreadable.
export function retryAfterSeconds(value) {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, (at - Date.now()) / 1000) : 0;
}

// A fetch with its round trip, for the clock offset: {data, sentAt, receivedAt} in Date.now() ms.
export async function timedGet(path) {
  const sentAt = Date.now();
  const data = await api("GET", path);
  return { data, sentAt, receivedAt: Date.now() };
}
