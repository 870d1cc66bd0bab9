// The review page's recording player: plays an attempt's recording chunk after chunk from any
// moment, lined up with its events; a click on an event plays from a few seconds before it; gaps
// are listed (and announced while playing) with their cause.
//
// Every playback started here first POSTs to the play URL, which writes the audit row
// (recording_played: who, which attempt, when, from where); the chunk URLs answer 403 to a
// reviewer without a recent one. Data: the page's json_script "recording-data" (recordings.py).

import { csrfToken } from "../api.js";

const root = document.getElementById("recording-player");
const data = JSON.parse(document.getElementById("recording-data").textContent);
const S = JSON.parse(document.getElementById("recording-strings").textContent);
const $ = (id) => document.getElementById(id);
const video = $("recording-video");
const position = $("recording-position");
const gapNote = $("recording-gap");
const streamSelect = $("recording-stream");
const timeZone = root.dataset.timeZone || "Asia/Shanghai";
const clockFormat = new Intl.DateTimeFormat(document.documentElement.lang || "zh-hans", {
  timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

let streamName = streamSelect && streamSelect.value ? streamSelect.value : "computer";
let index = -1;

const fill = (template, values) => String(template).replace(/%\((\w+)\)s/g, (m, k) => (k in values ? values[k] : m));
const clock = (iso) => clockFormat.format(new Date(iso));
const stream = () => data.streams[streamName] || { chunks: [], gaps: [], label: "" };

function gapAt(ms) {
  return stream().gaps.find((g) => Date.parse(g.from) <= ms && ms < Date.parse(g.to));
}

function showGap(gap) {
  gapNote.textContent = gap ? fill(S.gap, { from: clock(gap.from), to: clock(gap.to), cause: gap.label }) : "";
}

async function audit(fromIso) {
  const body = new FormData();
  body.append("stream", streamName);
  body.append("from", fromIso);
  const response = await fetch(root.dataset.playUrl, {
    method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
  });
  if (!response.ok) {
    let detail = String(response.status);
    try {
      detail = (await response.json()).detail || detail;
    } catch {
      // not JSON (403 page)
    }
    throw new Error(detail);
  }
}

function load(i, offsetSeconds) {
  const chunk = stream().chunks[i];
  index = i;
  video.dataset.seq = String(chunk.seq);
  video.dataset.chunkFrom = chunk.from;
  const seek = () => {
    if (offsetSeconds > 0) {
      try {
        video.currentTime = offsetSeconds;
      } catch {
        // not seekable yet: plays from the chunk's start
      }
    }
    video.play().catch(() => {});
  };
  video.addEventListener("loadeddata", seek, { once: true });
  video.src = chunk.url;
  video.dataset.offset = String(offsetSeconds);
}

// Play the current stream from `ms` (epoch ms): the chunk holding it, else the next one after a gap.
export async function playFrom(ms) {
  const chunks = stream().chunks;
  const i = chunks.findIndex((c) => Date.parse(c.to) > ms);
  if (i < 0) {
    position.textContent = S.no_recording;
    return;
  }
  const start = Date.parse(chunks[i].from);
  showGap(ms < start ? gapAt(ms) || gapAt(start - 1) : null);
  try {
    await audit(new Date(ms).toISOString());
  } catch (error) {
    position.textContent = fill(S.refused, { detail: error.message });
    return;
  }
  load(i, Math.max(0, (ms - start) / 1000));
}

video.addEventListener("ended", () => {
  const chunks = stream().chunks;
  if (index < 0 || index + 1 >= chunks.length) return;
  const end = Date.parse(chunks[index].to);
  showGap(gapAt(end + 1) || null);
  load(index + 1, 0);
});

video.addEventListener("timeupdate", () => {
  if (!video.dataset.chunkFrom) return;
  const at = Date.parse(video.dataset.chunkFrom) + video.currentTime * 1000;
  position.textContent = fill(S.playing, { stream: stream().label, time: clock(new Date(at).toISOString()) });
  if (gapNote.textContent && !gapAt(at)) {
    // Past the gap that was announced: clear it after a moment so it can be read.
    setTimeout(() => showGap(null), 3000);
  }
});

function renderLists() {
  const events = $("recording-events");
  events.replaceChildren();
  for (const event of data.events) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button recording-jump";
    button.dataset.kind = event.kind;
    button.dataset.playFrom = event.play_from;
    button.textContent = `${clock(event.at)} ${event.label} · ${fill(S.play_from, { seconds: data.lead_seconds })}`;
    button.addEventListener("click", () => playFrom(Date.parse(event.play_from)));
    li.append(button);
    events.append(li);
  }
  const gaps = $("recording-gaps");
  gaps.replaceChildren();
  for (const gap of stream().gaps) {
    const li = document.createElement("li");
    li.className = `recording-gap recording-gap--${gap.cause}`;
    li.textContent = fill(S.gap, { from: clock(gap.from), to: clock(gap.to), cause: gap.label });
    gaps.append(li);
  }
}

streamSelect?.addEventListener("change", () => {
  streamName = streamSelect.value;
  index = -1;
  video.removeAttribute("src");
  video.load();
  showGap(null);
  renderLists();
});

$("recording-from-start")?.addEventListener("click", () => {
  const first = stream().chunks[0];
  const from = data.start ? Date.parse(data.start) : first ? Date.parse(first.from) : 0;
  playFrom(from);
});

// Every row of the attempt's timeline (events, snapshots, actions) gets its own play button:
// the recording from a few seconds before that moment.
function addTimelineButtons() {
  const chunks = Object.values(data.streams).flatMap((st) => st.chunks);
  if (!chunks.length) return;
  const last = Math.max(...chunks.map((c) => Date.parse(c.to)));
  for (const item of document.querySelectorAll("#timeline .timeline__item")) {
    const time = item.querySelector("time[datetime]");
    const at = time ? Date.parse(time.getAttribute("datetime")) : NaN;
    if (!Number.isFinite(at) || at > last) continue;
    const from = at - data.lead_seconds * 1000;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button recording-jump";
    button.dataset.playFrom = new Date(from).toISOString();
    button.textContent = fill(S.play_from, { seconds: data.lead_seconds });
    button.addEventListener("click", () => {
      playFrom(from);
      root.scrollIntoView({ block: "start" });
    });
    item.append(" ", button);
  }
}

renderLists();
addTimelineButtons();
