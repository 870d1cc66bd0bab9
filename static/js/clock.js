// The server's clock as seen from the page: offset = server_time - client time at receipt.
// A computer clock that is wrong by an hour changes the offset, not the remaining time.

export class ServerClock {
  constructor() {
    this.offset = 0;
    this.bestRtt = Infinity;
    this.synced = false;
    this.sampledAt = 0;
  }

  // serverIso was produced between sentAt and receivedAt (Date.now() values): assume the middle.
  sample(serverIso, sentAt, receivedAt) {
    const server = Date.parse(serverIso);
    if (Number.isNaN(server) || !Number.isFinite(sentAt) || !Number.isFinite(receivedAt)) return;
    const rtt = Math.max(0, receivedAt - sentAt);
    // Keep the sample with the shortest round trip; a better one refines it, an old one ages out.
    const stale = receivedAt - this.sampledAt > 10 * 60 * 1000;
    if (!this.synced || rtt <= this.bestRtt || stale) {
      this.offset = server + rtt / 2 - receivedAt;
      this.bestRtt = rtt;
      this.sampledAt = receivedAt;
      this.synced = true;
    }
  }

  // The computer's clock was changed (or it slept): the next sample replaces the old one.
  forget() {
    this.bestRtt = Infinity;
    this.sampledAt = 0;
  }

  now() {
    return Date.now() + this.offset;
  }

  until(iso) {
    return Date.parse(iso) - this.now();
  }
}

// Calls fn at every second boundary of the server clock; reports a jump of the computer clock
// (Date.now() moving differently from the monotonic performance.now()) through onJump.
export function everySecond(clock, fn, onJump = () => {}) {
  let timer = null;
  let stopped = false;
  let lastWall = Date.now();
  let lastMono = performance.now();
  const tick = () => {
    if (stopped) return;
    const wall = Date.now();
    const mono = performance.now();
    if (Math.abs(wall - lastWall - (mono - lastMono)) > 2000) onJump();
    lastWall = wall;
    lastMono = mono;
    try {
      fn();
    } finally {
      const into = ((clock.now() % 1000) + 1000) % 1000;
      timer = setTimeout(tick, 1000 - into + 5);
    }
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// 7199.2 s -> "02:00:00"; never negative. Rounded up, so 00:00:00 means the instant has passed.
export function formatDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return [hours, minutes, seconds].map((n) => String(n).padStart(2, "0")).join(":");
}

// "14:30" in the exam's time zone (Asia/Shanghai), whatever the computer's zone is.
export function formatClockTime(iso, timeZone, lang) {
  const date = new Date(Date.parse(iso));
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(lang || undefined, { ...options, timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat(lang || undefined, options).format(date);
  }
}
