"""The bench's report writer (bench/report.py) from fake numbers: structure only, no timing."""

from __future__ import annotations

import json
import math

from bench import report
from bench.run import Config, Run
from bench.stats import metric, percentile


def _fake_run() -> Run:
    config = Config(scale=0.01, reps=3, window=5, idle_seconds=20, logins=20, sockets=50, collect=100)
    config.redis = "a private redis-server"
    run = Run(config=config, started=0.0)
    run.machine = {
        "cores": 2,
        "memory_gib": 23.5,
        "cpu": "test cpu",
        "kernel": "6",
        "loadavg_start": [1, 1, 1],
        "loadavg_end": [2, 2, 2],
    }
    run.versions = {"Python": "3.11", "Django": "5.2"}
    run.phases = {"setup": 1.0, "total": 2.0}
    run.metrics["autosave_throughput"] = metric(
        "autosave / bare", [0.7, 0.65, 0.5], goal="≥ 0.6", op=">=", target=0.6
    )
    run.metrics["collect_vs_raw"] = metric(
        "collect / raw", [10.0, 12.0, math.nan], goal="≤ 3x", op="<=", target=3.0
    )
    run.metrics["fanout_lost"] = {"name": "lost", "values": [0, 0, 0], "met": True, "goal": "0"}
    run.profiles["login"] = {
        "samples": 10,
        "what": "a burst",
        "by_category": [["PostgreSQL driver", 50.0]],
        "inclusive": [["candidate_login (exams/services/journey.py)", 40.0]],
        "self": [["execute (psycopg/cursor.py)", 20.0]],
    }
    return run


def test_it_reports_every_figure_with_its_goal_and_the_missed_ones():
    text = report.markdown(_fake_run())

    assert text.startswith("# Exam-day benchmarks: results")
    for heading in ("## Summary", "## Details", "## Goals missed", "## Where the time goes"):
        assert heading in text
    row = "| 1. Autosave vs bare DRF view | autosave / bare | 0.65x | 0.50–0.70x (0.70, 0.65, 0.50) | ≥ 0.6 |"
    assert row in text
    assert "2 cores (test cpu), 23.5 GiB memory" in text
    assert "Django 5.2" in text
    assert "- **collect / raw**: 11.00x against at most 3.00: 3.67x over." in text
    assert "2. Login storm | not measured" in text
    assert "candidate_login (exams/services/journey.py): 40.0%" in text


def test_it_writes_json_without_nan():
    cleaned = report._clean({"a": math.nan, "b": [math.inf, 1.5], "c": {"d": 2}})

    assert json.loads(json.dumps(cleaned)) == {"a": None, "b": [None, 1.5], "c": {"d": 2}}


def test_percentiles_are_nearest_rank():
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))


def test_it_reports_capacity_with_and_without_recording_and_recordings_cost():
    from bench import recording

    run = _fake_run()
    probe = {"n": 40, "holds": True, "save": {"p50": 0.05, "p99": 0.2, "count": 90},
             "snapshot": {"p50": 0.1, "p99": 0.5, "count": 60}, "error_count": 0, "lost": 0, "connect_s": 1.0}
    for key, what in (("capacity", "off"), ("capacity_recording", "/api/v1/candidate/attempt/recording/")):
        run.details[key] = {"probes": [probe], "seconds": 60, "jpeg_bytes": 45_000, "recording": what,
                            "cores": 2, "largest_held": 40, "processes": "one Daphne process"}
        run.metrics[f"{key}_per_core"] = metric(key, [20.0], goal="≥ 1000", op=">=", target=1000.0, unit="")
    fmt = recording.DEFAULT_FORMAT
    run.details["recording_cost"] = recording.report(fmt, [recording.configured_cost(fmt)], [40, 1000])
    text = report.markdown(run)
    assert "### 8: capacity under the exam-day mix\n" in text
    assert "### 8: capacity under the exam-day mix with full-exam recording" in text
    assert "### 9: full-exam recording's cost" in text
    assert "| 1000 | 1 | 100 |" in text  # a chunk every 10 s: 100 uploads/s per 1,000 candidates
