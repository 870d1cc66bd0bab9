// Live replies to the candidate's tickets over /ws/support/mine/, reconnecting with a backoff
// (1 s doubling to 30 s) until the server says the browser has no tickets to follow (4401).

const RETRY_START_MS = 1000;
const RETRY_CAP_MS = 30000;

export class LiveReplies {
  // onList(tickets): the whole list (on connect); onTicket(ticket): one ticket changed;
  // onLost() / onBack(): the connection dropped / came back.
  constructor({ path, onList, onTicket, onLost, onBack }) {
    this.path = path;
    this.onList = onList;
    this.onTicket = onTicket;
    this.onLost = onLost;
    this.onBack = onBack;
    this.socket = null;
    this.wanted = false;
    this.retryDelay = RETRY_START_MS;
  }

  // Follow the tickets from now on (a no-op while connected or connecting).
  want() {
    this.wanted = true;
    this.connect();
  }

  // Ask for the list again (after a new ticket), or connect to get it.
  refresh() {
    this.wanted = true;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "refresh" }));
    else this.connect();
  }

  connect() {
    if (!this.wanted || (this.socket && this.socket.readyState <= WebSocket.OPEN)) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retryDelay = RETRY_START_MS;
      this.onBack();
    });
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", (event) => {
      this.socket = null;
      if (event.code === 4401) {
        this.wanted = false;
        return;
      }
      this.onLost();
      setTimeout(() => this.connect(), this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, RETRY_CAP_MS);
    });
  }

  receive(raw) {
    let data;
    try {
      data = JSON.parse(raw);
    } catch {
      return;
    }
    if (data.type === "tickets") this.onList(data.tickets || []);
    else if (data.type === "ticket" && data.ticket) this.onTicket(data.ticket);
  }
}
