// Full-exam recording (全程录像录音, docs/recording.md): the camera and microphone in chunks of
// `chunk_seconds`, each a complete WebM file (a new MediaRecorder per chunk, started before the
// previous one stops, so nothing falls between two chunks and the server can check each file
// whole), uploaded to attempt/recording/ through a sibling of the page's outbox (outbox.js):
//
//   - chunks wait in IndexedDB (per attempt) while offline or while the server is busy, and are
//     sent oldest first, one at a time, with the outbox's backoff; the "online" event resumes;
//   - answers come first: while `yieldTo()` says answers are waiting, no chunk is sent;
//   - the queue holds at most `queue_max_bytes`: beyond it the OLDEST chunks are dropped (the
//     newest minutes matter most to a reviewer, and the candidate's disk is not ours) and the
//     loss is reported as a `recording_gap` event {stream, reason: "queue_full", from, to, chunks};
//   - a camera or microphone that stops ends the current chunk, is reported (`recording_gap`,
//     reason "camera_stopped" / "microphone_stopped") and shown; the recorder tries to reopen
//     them every few seconds and says when it records again.
//
// Each chunk carries `seq` (per attempt and stream, kept in localStorage so a reload never
// reuses one; the server answers a repeated seq with the stored chunk), `started_at` by the
// server-corrected clock and its `duration`, so the review can line chunks up with events and
// show what is missing as gaps.

import { IndexedDbStore, Outbox } from "./outbox.js";

export const RECORDING_PATH = "attempt/recording/";
const MIME_TYPES = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm"];
const REOPEN_MS = 5000;
const UPLOAD_TIMEOUT_MS = 60000;
const YIELD_MS = 1500;

export function recordingSupported() {
  return typeof window.MediaRecorder === "function" && !!pickMimeType();
}

function pickMimeType() {
  if (typeof window.MediaRecorder !== "function") return "";
  return MIME_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}

// The IndexedDB store of an outbox with a byte cap: over it, the oldest items go (onDrop).
class ByteCappedStore extends IndexedDbStore {
  constructor({ maxBytes, onDrop, ...options }) {
    super({ ...options, max: Number.MAX_SAFE_INTEGER });
    this.maxBytes = maxBytes;
    this.onDrop = onDrop;
  }

  async add(item) {
    await super.add(item);
    const items = await this.all();
    let total = items.reduce((sum, i) => sum + (i.size || 0), 0);
    const dropped = [];
    // Never the item just added: a single chunk over the cap is the server's to refuse.
    while (total > this.maxBytes && items.length > 1 && items[0].key !== item.key) {
      const oldest = items.shift();
      total -= oldest.size || 0;
      dropped.push(oldest);
    }
    if (dropped.length) {
      await this.remove(dropped);
      this.onDrop(dropped);
    }
  }
}

// The outbox of chunks: the same sending and backoff as the others, but it waits for answers.
export class RecordingOutbox extends Outbox {
  constructor({ attemptId, maxBytes, onDrop = () => {}, yieldTo = () => false, onResult, onStop, path }) {
    super({
      store: new ByteCappedStore({
        dbName: `exam-recording-${attemptId}`, storeName: "chunks", keyPath: "key", orderBy: "key",
        maxBytes, onDrop,
      }),
      path: path || RECORDING_PATH,
      body: ([item]) => {
        const form = new FormData();
        form.append("chunk", item.blob, `${item.key}.webm`);
        form.append("stream", item.stream);
        form.append("seq", String(item.seq));
        form.append("started_at", item.started_at);
        form.append("duration", String(item.duration));
        return form;
      },
      batchSize: 1,
      timeoutMs: UPLOAD_TIMEOUT_MS,
      onResult,
      onStop,
    });
    this.yieldTo = yieldTo;
    this.yielded = false;
  }

  async send(batch) {
    if (this.yieldTo()) {
      this.yielded = true;
      return false;
    }
    return super.send(batch);
  }

  retryLater() {
    if (!this.yielded) {
      super.retryLater();
      return;
    }
    // Answers were waiting: look again soon, without counting it as a failure.
    this.yielded = false;
    if (!this.stopped && !this.wanted) this.flush(YIELD_MS);
  }
}

function nextSeqStore(attemptId, stream) {
  const key = `exam.recording.seq.v1.${attemptId}.${stream}`;
  let memory = 0;
  return {
    take(atLeast = 0) {
      let value = memory;
      try {
        value = Math.max(value, Number(window.localStorage.getItem(key)) || 0);
      } catch {
        // memory only
      }
      value = Math.max(value, atLeast);
      memory = value + 1;
      try {
        window.localStorage.setItem(key, String(memory));
      } catch {
        // memory only
      }
      return value;
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// settings: the session's `recording` block (mode, chunk_seconds, width, height, fps,
// video_bits_per_second, audio_bits_per_second, queue_max_bytes).
export class Recorder {
  constructor({
    attemptId, settings, stream = "computer", clockNow = () => Date.now(), report = () => {},
    onState = () => {}, yieldTo = () => false, onStop = () => {}, path, firstSeq = 0, facingMode = "user",
    media = null,
  }) {
    this.settings = settings;
    this.streamName = stream;
    this.clockNow = clockNow;
    this.report = report;
    this.onState = onState;
    this.facingMode = facingMode;
    this.seqs = nextSeqStore(attemptId, stream);
    this.firstSeq = firstSeq;
    // A stream the page already has (the phone's camera): used as it is, never stopped here.
    this.external = media;
    this.media = null;
    this.current = null;
    this.running = false;
    this.problem = "";
    this.outbox = new RecordingOutbox({
      attemptId,
      path,
      maxBytes: settings.queue_max_bytes || 60000000,
      yieldTo,
      onStop: (code, detail) => {
        this.stop();
        onStop(code, detail);
      },
      onDrop: (dropped) => this.report("recording_gap", {
        stream, reason: "queue_full", chunks: dropped.length,
        from: dropped[0].started_at, to: dropped[dropped.length - 1].ended_at,
      }),
    });
  }

  get chunkMs() {
    return Math.max(1000, (Number(this.settings.chunk_seconds) || 10) * 1000);
  }

  async start() {
    if (this.running) return this;
    this.running = true;
    this.outbox.flush(0);
    await this.open();
    this.loop();
    return this;
  }

  async open() {
    const s = this.settings;
    if (this.external) {
      this.media = this.external;
      this.watch();
      return this.usable();
    }
    try {
      this.media = await navigator.mediaDevices.getUserMedia({
        video: {
          width: { ideal: s.width || 320 }, height: { ideal: s.height || 240 },
          frameRate: { ideal: s.fps || 12, max: s.fps || 12 }, facingMode: this.facingMode,
        },
        audio: true,
      });
    } catch (error) {
      this.media = null;
      this.setProblem("camera_stopped", { error: (error && error.name) || "Error" });
      return false;
    }
    this.watch();
    if (this.problem) {
      this.problem = "";
      this.onState("recording");
    }
    return true;
  }

  watch() {
    for (const track of this.media.getTracks()) {
      if (track.watched) continue;
      track.watched = true;
      track.addEventListener("ended", () => {
        if (!this.running) return;
        this.setProblem(track.kind === "audio" ? "microphone_stopped" : "camera_stopped", { label: track.label });
        this.cut();
      });
    }
  }

  setProblem(reason, details = {}) {
    if (this.problem === reason) return;
    this.problem = reason;
    this.report("recording_gap", { stream: this.streamName, reason, at: new Date(this.clockNow()).toISOString(), ...details });
    this.onState(reason);
  }

  usable() {
    return !!this.media && this.media.getTracks().every((t) => t.readyState === "live");
  }

  // One chunk after another: the next recorder starts before the previous one stops.
  async loop() {
    this.onState(this.usable() ? "recording" : this.problem || "camera_stopped");
    while (this.running) {
      if (!this.usable()) {
        await sleep(REOPEN_MS);
        if (!this.running) break;
        if (this.media && !this.external) this.media.getTracks().forEach((t) => t.stop());
        await this.open();
        continue;
      }
      const previous = this.current;
      this.current = this.begin();
      if (previous) this.finish(previous);
      await this.wait(this.chunkMs);
    }
    if (this.current) this.finish(this.current);
    this.current = null;
  }

  wait(ms) {
    return new Promise((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, ms);
    });
  }

  // The camera or microphone stopped: end the chunk now (the loop reopens them).
  cut() {
    if (this.current) this.finish(this.current);
    this.current = null;
    if (this.wake) this.wake();
  }

  begin() {
    const s = this.settings;
    const recorder = new MediaRecorder(this.media, {
      mimeType: pickMimeType(),
      videoBitsPerSecond: s.video_bits_per_second || 150000,
      audioBitsPerSecond: s.audio_bits_per_second || 24000,
    });
    // The seq is taken when the chunk starts: seqs follow the chunks' order even if two finish at once.
    const chunk = {
      recorder, parts: [], startedAt: this.clockNow(), started: performance.now(), seq: this.seqs.take(this.firstSeq),
    };
    recorder.addEventListener("dataavailable", (e) => { if (e.data && e.data.size) chunk.parts.push(e.data); });
    chunk.done = new Promise((resolve) => recorder.addEventListener("stop", resolve, { once: true }));
    recorder.start();
    return chunk;
  }

  async finish(chunk) {
    if (chunk.finishing) return;
    chunk.finishing = true;
    const seconds = (performance.now() - chunk.started) / 1000;
    if (chunk.recorder.state !== "inactive") chunk.recorder.stop();
    await chunk.done;
    const blob = new Blob(chunk.parts, { type: "video/webm" });
    if (!blob.size) return;
    const { seq } = chunk;
    await this.outbox.enqueue({
      key: `${this.streamName}-${String(seq).padStart(8, "0")}`,
      stream: this.streamName,
      seq,
      started_at: new Date(chunk.startedAt).toISOString(),
      ended_at: new Date(chunk.startedAt + seconds * 1000).toISOString(),
      duration: Math.round(seconds * 1000) / 1000,
      size: blob.size,
      blob,
    });
  }

  // Stop recording: the last chunk is queued (and sent when it can be); the queue stays.
  async stop() {
    if (!this.running) return;
    this.running = false;
    const last = this.current;
    this.current = null;
    if (this.wake) this.wake();
    if (last) await this.finish(last);
    if (this.media && !this.external) this.media.getTracks().forEach((t) => t.stop());
    this.onState("stopped");
  }

  pending() {
    return this.outbox.pending();
  }
}

// The small "录制中" indicator and the warning when the camera or microphone stops.
export function recordingStatusView({ indicator, warning, strings }) {
  return (state) => {
    if (indicator) {
      indicator.hidden = state === "stopped";
      indicator.dataset.state = state;
      const label = indicator.querySelector("[data-recording-label]") || indicator;
      label.textContent = state === "recording" ? strings["recording.on"] : strings["recording.paused"];
    }
    if (!warning) return;
    warning.replaceChildren();
    const key = { camera_stopped: "recording.camera_stopped", microphone_stopped: "recording.microphone_stopped" }[state];
    if (key && strings[key]) {
      const p = document.createElement("p");
      p.textContent = strings[key];
      warning.append(p);
    }
  };
}

// The exam page's recorder, when the session records video (its `recording` block); null
// otherwise. report(kind, details) posts an event through the page's event outbox; yieldTo()
// says answers are waiting to be sent. Never throws: recording is evidence, not a condition
// for answering.
export async function startExamRecording({ attemptId, session, block, clockNow, report, yieldTo, strings, onStop }) {
  const settings = session && session.recording;
  if (!settings || settings.mode !== "video") return null;
  const view = recordingStatusView({
    indicator: document.getElementById("recording-indicator"),
    warning: document.getElementById("recording-warning"),
    strings,
  });
  if (!recordingSupported() || !navigator.mediaDevices) {
    report("recording_gap", { stream: "computer", reason: "unsupported" });
    view("camera_stopped");
    return null;
  }
  try {
    const recorder = new Recorder({
      attemptId, settings, stream: "computer", clockNow, report, yieldTo, onStop, onState: view,
      firstSeq: (block && block.next_seq && block.next_seq.computer) || 0,
    });
    return await recorder.start();
  } catch (error) {
    console.warn("recording unavailable", error);
    return null;
  }
}

// The phone monitor page's recorder (stream "phone", its own camera stream, no microphone),
// when the page's json_script "phone-recording" says the session records video. The endpoint
// knows the phone by its pairing's cookie.
export function startPhoneRecording(media) {
  const element = document.getElementById("phone-recording");
  if (!element || !media || !recordingSupported()) return null;
  let config;
  try {
    config = JSON.parse(element.textContent);
  } catch {
    return null;
  }
  if (!config || !config.settings || config.settings.mode !== "video") return null;
  const recorder = new Recorder({
    attemptId: `${config.attempt}-phone`, settings: config.settings, stream: "phone", media,
    firstSeq: config.next_seq || 0,
  });
  recorder.start();
  return recorder;
}

// Queued chunks left by a page that has closed (the exam ended while offline): sent from the
// finished pages, where nothing is recorded any more.
export function drainRecordingQueue(attemptId) {
  const outbox = new RecordingOutbox({ attemptId, maxBytes: Number.MAX_SAFE_INTEGER });
  outbox.flush(0);
  return outbox;
}

// The device check's test: record `seconds` locally and hand back a playable URL (nothing sent).
export async function testRecording({ seconds = 10, settings = {} } = {}) {
  const media = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: settings.width || 320 }, height: { ideal: settings.height || 240 } },
    audio: true,
  });
  try {
    const recorder = new MediaRecorder(media, { mimeType: pickMimeType() });
    const parts = [];
    recorder.addEventListener("dataavailable", (e) => { if (e.data && e.data.size) parts.push(e.data); });
    const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve, { once: true }));
    recorder.start();
    await sleep(seconds * 1000);
    recorder.stop();
    await stopped;
    const audio = media.getAudioTracks().length > 0;
    return { url: URL.createObjectURL(new Blob(parts, { type: "video/webm" })), audio };
  } finally {
    media.getTracks().forEach((t) => t.stop());
  }
}

// The device check's button: record 10 s, then play it back here (the candidate sees and hears
// themselves before exam day).
export function wireTestRecording(strings) {
  const button = document.getElementById("test-recording");
  const status = document.getElementById("test-recording-status");
  const video = document.getElementById("test-recording-video");
  if (!button || !status || !video) return;
  let lastUrl = null;
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = strings["recording.test_running"];
    try {
      if (!recordingSupported()) throw new Error("unsupported");
      const { url, audio } = await testRecording({ seconds: 10 });
      if (lastUrl) URL.revokeObjectURL(lastUrl);
      lastUrl = url;
      video.src = url;
      video.hidden = false;
      status.textContent = audio ? strings["recording.test_done"] : strings["recording.test_no_audio"];
    } catch {
      status.textContent = strings["recording.test_failed"];
    } finally {
      button.disabled = false;
    }
  });
}
