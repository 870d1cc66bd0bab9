"""What full-exam recording costs: bytes per candidate per hour, and the upload requests per
second it adds for N candidates (docs/recording.md).

    python -m bench.recording                  # from the configured bitrates and chunk length
    python -m bench.recording --record 3       # also record 3 real chunks in headless Chromium
    python -m bench.recording --candidates 500 --candidates 2000 --json out.json

The configured figure is what the encoder is asked for (video + audio bitrate, plus the WebM
container's overhead, about 2 %). The measured figure comes from chunks recorded by Chromium's
MediaRecorder exactly as the exam page records them (a new recorder per chunk, the configured
size, frame rate and bitrates) on the fake camera and microphone of the browser, which compress
far better than a real room: it is a lower bound, the configured figure an upper one. Self-
contained: reads the settings (``examsite.settings``, DEBUG for the defaults) and, for
``--record``, needs Playwright and a Chromium (``CHROMIUM_PATH``, default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from dataclasses import asdict, dataclass

CONTAINER_OVERHEAD = 1.02
HOUR = 3600


@dataclass(frozen=True)
class RecordingFormat:
    video_bits_per_second: int
    audio_bits_per_second: int
    chunk_seconds: float
    width: int
    height: int
    fps: int


@dataclass(frozen=True)
class Cost:
    source: str
    bytes_per_second: float
    bytes_per_candidate_hour: float
    chunk_bytes: float


# The settings' defaults (examsite/settings.py, RECORDING_*): for the bench's orchestrator,
# which does not load Django's settings.
DEFAULT_FORMAT = RecordingFormat(
    video_bits_per_second=150_000, audio_bits_per_second=24_000, chunk_seconds=10, width=320, height=240, fps=12
)


def configured_cost(fmt: RecordingFormat) -> Cost:
    per_second = (fmt.video_bits_per_second + fmt.audio_bits_per_second) / 8 * CONTAINER_OVERHEAD
    return Cost("configured bitrates", per_second, per_second * HOUR, per_second * fmt.chunk_seconds)


def measured_cost(sizes: list[int], seconds: list[float]) -> Cost:
    per_second = sum(sizes) / sum(seconds)
    return Cost(f"measured ({len(sizes)} chunks, headless Chromium)", per_second, per_second * HOUR,
                sum(sizes) / len(sizes))


def upload_load(fmt: RecordingFormat, cost: Cost, candidates: int, streams: int = 1) -> dict[str, float]:
    """What N candidates' recorders add to the servers: requests/s and bytes/s in."""
    requests = candidates * streams / fmt.chunk_seconds
    return {
        "candidates": candidates,
        "streams": streams,
        "requests_per_second": requests,
        "megabits_per_second_in": candidates * streams * cost.bytes_per_second * 8 / 1e6,
        "gigabytes_per_hour": candidates * streams * cost.bytes_per_candidate_hour / 1e9,
    }


def format_from_settings() -> RecordingFormat:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examsite.settings")
    os.environ.setdefault("DEBUG", "1")
    from django.conf import settings

    return RecordingFormat(
        video_bits_per_second=settings.RECORDING_VIDEO_BITS_PER_SECOND,
        audio_bits_per_second=settings.RECORDING_AUDIO_BITS_PER_SECOND,
        chunk_seconds=settings.RECORDING_CHUNK_SECONDS,
        width=settings.RECORDING_WIDTH,
        height=settings.RECORDING_HEIGHT,
        fps=settings.RECORDING_FPS,
    )


RECORD_JS = """async ([fmt, count]) => {
  const media = await navigator.mediaDevices.getUserMedia({
    video: {width: fmt.width, height: fmt.height, frameRate: fmt.fps}, audio: true});
  const sizes = [], seconds = [], first = [];
  for (let i = 0; i < count; i++) {
    const rec = new MediaRecorder(media, {mimeType: 'video/webm;codecs=vp8,opus',
      videoBitsPerSecond: fmt.video_bits_per_second, audioBitsPerSecond: fmt.audio_bits_per_second});
    const parts = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    const stopped = new Promise((r) => rec.onstop = r);
    const t0 = performance.now();
    rec.start();
    await new Promise((r) => setTimeout(r, fmt.chunk_seconds * 1000));
    rec.stop(); await stopped;
    seconds.push((performance.now() - t0) / 1000);
    const blob = new Blob(parts);
    sizes.push(blob.size);
    if (i === 0) first.push(new Uint8Array(await blob.slice(0, 4).arrayBuffer()));
  }
  media.getTracks().forEach((t) => t.stop());
  return {sizes, seconds, magic: Array.from(first[0])};
}"""


def record_chunks(fmt: RecordingFormat, count: int) -> tuple[list[int], list[float]]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=args)
        try:
            page = browser.new_page()
            # A secure context for getUserMedia without a server: a routed localhost page.
            page.route("http://localhost/bench-recording", lambda r: r.fulfill(body="<p>bench</p>",
                                                                            content_type="text/html"))
            page.goto("http://localhost/bench-recording")
            result = page.evaluate(RECORD_JS, [asdict(fmt), count])
        finally:
            browser.close()
    if bytes(result["magic"]) != base64.b16decode("1A45DFA3"):
        raise SystemExit("the recorded chunk is not a WebM file")
    return result["sizes"], result["seconds"]


def report(fmt: RecordingFormat, costs: list[Cost], candidates: list[int]) -> str:
    lines = [
        f"Recording: {fmt.width}x{fmt.height} at {fmt.fps} fps, video {fmt.video_bits_per_second / 1000:g} kbit/s"
        f" + audio {fmt.audio_bits_per_second / 1000:g} kbit/s, chunks of {fmt.chunk_seconds:g} s",
        "",
        "| source | KB per chunk | MB per candidate-hour (one stream) |",
        "|---|---|---|",
    ]
    lines += [f"| {c.source} | {c.chunk_bytes / 1e3:.0f} | {c.bytes_per_candidate_hour / 1e6:.1f} |" for c in costs]
    lines += ["", "| candidates | streams | upload requests/s | Mbit/s in | GB per hour |", "|---|---|---|---|---|"]
    for n in candidates:
        for streams in (1, 2):
            load = upload_load(fmt, costs[0], n, streams)
            lines.append(
                f"| {n} | {streams} | {load['requests_per_second']:.0f} | {load['megabits_per_second_in']:.0f}"
                f" | {load['gigabytes_per_hour']:.1f} |"
            )
    lines.append("")
    lines.append("(streams: 1 = the computer's camera and microphone, 2 = plus the phone monitor's camera;"
                 " the load rows use the configured bitrates, the upper figure)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", type=int, default=0, help="record this many chunks in headless Chromium")
    parser.add_argument("--candidates", type=int, action="append", help="candidates (repeatable); 1000 by default")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    fmt = format_from_settings()
    costs = [configured_cost(fmt)]
    if args.record:
        sizes, seconds = record_chunks(fmt, args.record)
        costs.append(measured_cost(sizes, seconds))
    candidates = args.candidates or [1000]
    print(report(fmt, costs, candidates))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"format": asdict(fmt), "costs": [asdict(c) for c in costs],
                       "load": [upload_load(fmt, costs[0], n, s) for n in candidates for s in (1, 2)]},
                      out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
