"""bench/recording.py: the cost of full-exam recording, from the configured format."""

from __future__ import annotations

import pytest

from bench.recording import RecordingFormat, configured_cost, measured_cost, report, upload_load

FORMAT = RecordingFormat(
    video_bits_per_second=150_000, audio_bits_per_second=24_000, chunk_seconds=10, width=320, height=240, fps=12
)


def test_the_configured_bitrates_make_about_80_mb_per_candidate_hour():
    cost = configured_cost(FORMAT)
    assert cost.bytes_per_second == pytest.approx(174_000 / 8 * 1.02)
    assert cost.bytes_per_candidate_hour / 1e6 == pytest.approx(79.9, abs=0.1)
    assert cost.chunk_bytes == pytest.approx(cost.bytes_per_second * 10)


def test_a_chunk_every_10_s_is_100_requests_per_second_for_1000_candidates():
    load = upload_load(FORMAT, configured_cost(FORMAT), 1000)
    assert load["requests_per_second"] == 100
    assert upload_load(FORMAT, configured_cost(FORMAT), 1000, streams=2)["requests_per_second"] == 200


def test_measured_chunks_give_their_own_rate_and_the_report_shows_both():
    measured = measured_cost([100_000, 120_000], [10.0, 10.0])
    assert measured.bytes_per_second == 11_000
    text = report(FORMAT, [configured_cost(FORMAT), measured], [1000])
    assert "| configured bitrates | 222 | 79.9 |" in text
    assert "| 1000 | 1 | 100 |" in text
