"""The capacity phase with recording uploads what the server accepts, at a real chunk's size."""

from __future__ import annotations

from bench.run import recording_chunk
from proctoring.webm import webm_inspect


def test_the_bench_chunk_is_a_webm_the_server_accepts_at_the_recorders_size():
    chunk = recording_chunk()
    assert webm_inspect(chunk).codecs == ("A_OPUS", "V_VP8")
    assert 200_000 < len(chunk) < 240_000  # 174 kbit/s for 10 s plus the container
