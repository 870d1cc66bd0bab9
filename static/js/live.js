// The attempt's websocket (/ws/attempt/): sync on connect, ping/pong for the clock, server pushes.
// Reconnects after any drop with exponential backoff (cap ~15 s, jitter); the exam goes on over HTTP.

const PING_EVERY_MS = 30000;
const BACKOFF_START_MS = 500;
const BACKOFF_CAP_MS = 15000;
// Close codes after which reconnecting cannot help (see exams/consumers.py).
const FINAL_CLOSE_CODES = new Set([4401, 4403, 4409]);

export class LiveSocket {
  constructor({ path, clock, onMessage = () => {}, onFinalClose = () => {}, onStateChange = () => {} }) {
    this.path = path;
    this.clock = clock;
    this.onMessage = onMessage;
    this.onFinalClose = onFinalClose;
    this.onStateChange = onStateChange;
    this.socket = null;
    this.failures = 0;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.stopped = true;
    this.open = false;
    this.connectStartedAt = 0;
    this.handleOnline = () => {
      if (!this.open && !this.stopped) {
        this.failures = 0;
        this.connectSoon(0);
      }
    };
  }

  get url() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${this.path}`;
  }

  start() {
    if (!("WebSocket" in window)) return this;
    this.stopped = false;
    window.addEventListener("online", this.handleOnline);
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.handleOnline);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    if (this.socket) {
      this.socket.onclose = null;
      try {
        this.socket.close(1000);
      } catch {
        // already closed
      }
    }
    this.socket = null;
    this.setOpen(false);
  }

  setOpen(open) {
    if (this.open !== open) {
      this.open = open;
      this.onStateChange(open);
    }
  }

  connect() {
    if (this.stopped) return;
    let socket;
    this.connectStartedAt = Date.now();
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.failures = 0;
      this.setOpen(true);
      this.ping();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      clearInterval(this.pingTimer);
      this.socket = null;
      this.setOpen(false);
      if (this.stopped) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        this.stopped = true;
        this.onFinalClose(event.code);
        return;
      }
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // onclose follows and schedules the reconnect
    };
  }

  scheduleReconnect() {
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** this.failures);
    this.failures += 1;
    this.connectSoon(base * (0.5 + Math.random() * 0.5));
  }

  connectSoon(delay) {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  ping() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "ping", client_time: Date.now() }));
    }
  }

  receive(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!message || typeof message !== "object") return;
    if (message.type === "pong" && typeof message.client_time === "number") {
      this.clock.sample(message.server_time, message.client_time, Date.now());
      return;
    }
    if (message.type === "sync") {
      // The handshake's time is an upper bound of the round trip: a rough sample, refined by pongs.
      this.clock.sample(message.server_time, this.connectStartedAt, Date.now());
    }
    this.onMessage(message);
  }
}
