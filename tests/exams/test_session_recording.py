"""A session's recording mode (全程录制): kind defaults in load_batch and the organizer API,
and what the candidate's page is told."""

from __future__ import annotations

import pytest

from exams.models import ExamSession
from exams.selectors.attempts import session_summary
from exams.services.batches import batch_load
from tests import factories
from tests.exams.test_load_batch import NOW, good_file, refused

pytestmark = pytest.mark.django_db


def test_load_batch_records_video_in_formal_and_mock_sessions_and_nothing_in_device_checks():
    batch = batch_load(data=good_file(), now=NOW)

    assert dict(batch.sessions.values_list("key", "recording")) == {
        "device-check": "off", "mock": "video", "formal-theory": "video", "formal-practical": "video",
    }


def test_load_batch_takes_the_recording_mode_from_the_rules():
    data = good_file()
    data["sessions"][2]["rules"] = {"recording": "snapshots"}
    data["sessions"][0]["rules"] = {"recording": "video"}

    batch = batch_load(data=data, now=NOW)

    assert batch.sessions.get(key="formal-theory").recording == "snapshots"
    assert batch.sessions.get(key="device-check").recording == "video"


def test_load_batch_refuses_an_unknown_recording_mode_naming_its_path():
    data = good_file()
    data["sessions"][2]["rules"] = {"recording": "audio"}

    errors = refused(data)

    assert "sessions[2].rules.recording" in errors
    assert ExamSession.objects.count() == 0


def test_the_candidate_page_is_told_the_mode_and_the_recorder_settings(settings):
    settings.RECORDING_CHUNK_SECONDS = 2
    session = factories.SessionFactory(recording="video")

    recording = session_summary(session)["recording"]

    assert recording["mode"] == "video"
    assert recording["chunk_seconds"] == 2
    assert (recording["width"], recording["height"]) == (320, 240)
    assert recording["video_bits_per_second"] == 150_000
    assert recording["audio_bits_per_second"] == 24_000
