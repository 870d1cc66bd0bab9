"""Full-exam recording: the chunk upload (POST attempt/recording/), in the order of exam day."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from exams import statuses
from exams.models import Attempt, ExamBatch, ExamSession
from proctoring.exceptions import AppendOnlyViolation
from proctoring.models import RecordingChunk
from proctoring.services.retention import batch_evidence_purge
from proctoring.webm import NotWebm, webm_inspect
from tests.helpers import START, CandidateClient, at
from tests.proctoring.conftest import jpeg_bytes
from tests.proctoring.test_phone import T0, Phone, pair_link
from tests.proctoring.webm_files import RECORDED, built

RECORDING = "attempt/recording/"
T1 = START + timedelta(minutes=1)


def send(client, data=RECORDED, *, seq=0, stream="computer", started_at=None, when=T1, **fields):
    started = started_at or (when - timedelta(seconds=10)).isoformat()
    with at(when):
        return client.post_form(RECORDING, {
            "chunk": SimpleUploadedFile("c.webm", data, content_type="video/webm"),
            "stream": stream, "seq": str(seq), "started_at": started, **fields,
        })


def stored(root):
    return sorted(p for p in root.rglob("*.webm"))


def test_chromiums_recording_passes_the_container_check():
    assert webm_inspect(RECORDED).codecs == ("A_OPUS", "V_VP8")


def test_a_chunk_is_stored_privately_with_its_hash_and_times(logged_in, attempt, evidence_root):
    response = send(logged_in, seq=0, started_at="2023-07-30T01:00:50+00:00", duration="10.2")

    assert response.status_code == 201, response.content
    chunk = RecordingChunk.objects.get(attempt=attempt)
    data = (evidence_root / chunk.storage_name).read_bytes()
    assert data == RECORDED
    assert chunk.sha256 == hashlib.sha256(RECORDED).hexdigest() == response.json()["sha256"]
    assert (chunk.stream, chunk.seq, chunk.size, chunk.late) == ("computer", 0, len(RECORDED), False)
    assert chunk.started_at.isoformat() == "2023-07-30T01:00:50+00:00"
    assert chunk.duration_ms == 10200
    assert chunk.received_at == T1
    assert not chunk.storage_name.startswith("/") and ".." not in chunk.storage_name


def test_a_replayed_seq_answers_the_same_and_stores_nothing_twice(logged_in, attempt, evidence_root):
    first = send(logged_in, seq=3)
    again = send(logged_in, seq=3, when=T1 + timedelta(seconds=30))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert RecordingChunk.objects.filter(attempt=attempt).count() == 1
    assert len(stored(evidence_root)) == 1


@pytest.mark.parametrize(
    ("case", "data"),
    [
        ("a JPEG", jpeg_bytes()),
        ("a Matroska file that is not WebM", built(doc_type="matroska")),
        ("H.264 video", built(codecs=("V_MPEG4/ISO/AVC", "A_OPUS"))),
        ("no media", built(cluster=False)),
        ("truncated", RECORDED[:200]),
        ("empty", b""),
    ],
)
def test_a_file_that_is_not_an_allowed_webm_is_refused_and_not_stored(logged_in, attempt, evidence_root, case, data):
    response = send(logged_in, data)

    assert response.status_code == 400, case
    assert response.json()["code"] == "invalid_recording"
    assert "请继续答题" in response.json()["detail"]
    assert RecordingChunk.objects.count() == 0
    assert stored(evidence_root) == []


def test_the_builder_makes_what_the_check_accepts():
    assert webm_inspect(built()).codecs == ("V_VP8", "A_OPUS")
    with pytest.raises(NotWebm):
        webm_inspect(built(codecs=("V_THEORA",)))


def test_an_oversized_chunk_is_refused(logged_in, settings, evidence_root):
    settings.RECORDING_CHUNK_MAX_BYTES = 1000
    big = built(padding=2000)

    response = send(logged_in, big)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_recording"
    assert RecordingChunk.objects.count() == 0 and stored(evidence_root) == []


def test_bad_fields_are_named(logged_in):
    with at(T1):
        response = logged_in.post_form(RECORDING, {
            "chunk": SimpleUploadedFile("c.webm", RECORDED), "stream": "screen", "seq": "-1",
            "started_at": "yesterday",
        })
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"stream", "seq", "started_at"}
    assert RecordingChunk.objects.count() == 0


@pytest.mark.parametrize("duration", ["abc", "nan", "inf", "1e999"])
def test_a_duration_that_is_not_a_number_of_seconds_is_named(logged_in, duration):
    response = send(logged_in, duration=duration)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"duration"}
    assert RecordingChunk.objects.count() == 0


def test_the_attempts_byte_quota_answers_429_throttled(logged_in, attempt, settings, evidence_root):
    settings.RECORDING_MAX_BYTES_PER_ATTEMPT = len(RECORDED) * 2 + 10
    assert send(logged_in, seq=0).status_code == 201
    assert send(logged_in, seq=1).status_code == 201

    response = send(logged_in, seq=2)

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) >= 60
    assert RecordingChunk.objects.filter(attempt=attempt).count() == 2
    assert len(stored(evidence_root)) == 2
    assert send(logged_in, seq=1).status_code == 200  # a replay is not new bytes


def test_chunks_after_the_collection_and_its_grace_are_kept_only_as_late(logged_in, attempt, settings):
    settings.ANSWER_GRACE_SECONDS = 5
    end = attempt.deadline
    Attempt.objects.filter(pk=attempt.pk).update(state=statuses.COLLECTED, finished_at=end)

    in_grace = send(logged_in, seq=0, when=end + timedelta(seconds=4))
    late = send(logged_in, seq=1, when=end + timedelta(minutes=3))

    assert (in_grace.status_code, late.status_code) == (201, 201)
    assert (in_grace.json()["late"], late.json()["late"]) == (False, True)
    assert list(RecordingChunk.objects.order_by("seq").values_list("late", flat=True)) == [False, True]


def test_the_computer_cannot_send_the_phone_stream_nor_reach_another_attempt(
    logged_in, attempt, other_attempt, evidence_root
):
    other = CandidateClient()
    with at(START - timedelta(minutes=4)):
        assert other.login_as(other_attempt).status_code == 200

    as_phone = send(logged_in, seq=0, stream="phone")
    theirs = send(other, seq=0)

    assert as_phone.status_code == 403
    assert as_phone.json()["code"] == "phone_not_paired"
    assert theirs.status_code == 201  # the same seq, but their own attempt
    assert list(RecordingChunk.objects.values_list("attempt_id", "stream")) == [(other_attempt.id, "computer")]


def test_the_paired_phone_sends_the_phone_stream_of_its_own_attempt(logged_in, attempt, evidence_root):
    phone = Phone()
    with at(T0):
        phone.start(pair_link(logged_in))
    with at(T0 + timedelta(seconds=20)):
        response = phone.client.post(
            "/api/v1/candidate/attempt/recording/",
            {"chunk": SimpleUploadedFile("p.webm", RECORDED), "stream": "phone", "seq": "0",
             "started_at": T0.isoformat()},
            HTTP_X_CSRFTOKEN=phone.csrf,
        )
        as_computer = phone.client.post(
            "/api/v1/candidate/attempt/recording/",
            {"chunk": SimpleUploadedFile("p.webm", RECORDED), "stream": "computer", "seq": "0",
             "started_at": T0.isoformat()},
            HTTP_X_CSRFTOKEN=phone.csrf,
        )

    assert response.status_code == 201, response.content
    assert as_computer.status_code in (401, 403)
    assert list(RecordingChunk.objects.values_list("attempt_id", "stream")) == [(attempt.id, "phone")]


def test_nobody_logged_in_cannot_upload(browser_client):
    response = send(browser_client)
    assert response.status_code in (401, 403)
    assert RecordingChunk.objects.count() == 0


def test_a_session_that_does_not_record_video_refuses_chunks(logged_in, attempt):
    ExamSession.objects.filter(pk=attempt.session_id).update(recording="snapshots")

    response = send(logged_in)

    assert response.status_code == 409
    assert response.json()["code"] == "recording_off"
    assert RecordingChunk.objects.count() == 0


def test_chunks_are_append_only_and_purged_with_the_batch(logged_in, attempt, evidence_root):
    send(logged_in, seq=0)
    chunk = RecordingChunk.objects.get()
    with pytest.raises(AppendOnlyViolation):
        chunk.delete()
    with pytest.raises(AppendOnlyViolation):
        RecordingChunk.objects.update(late=True)
    ExamBatch.objects.filter(pk=attempt.session.batch_id).update(evidence_retention_until=date(2024, 1, 31))
    attempt.session.batch.refresh_from_db()

    report = batch_evidence_purge(batch=attempt.session.batch, now=START.replace(year=2024, month=2, day=1))

    assert report.recordings == 1
    assert RecordingChunk.objects.count() == 0
    assert stored(evidence_root) == []
