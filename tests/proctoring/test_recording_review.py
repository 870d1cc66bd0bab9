"""Watching a recording: only reviewers with the evidence permission (proctors, organizers),
every playback audited, chunks served only after one; the player's gaps and their causes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from exams.audit import AuditAction
from exams.models import Attempt, AttemptAudit
from proctoring.models import ProctorEvent, RecordingChunk
from proctoring.recordings import recording_block, recording_review
from proctoring.services.events import event_record_server
from proctoring.services.recording import ChunkIn, chunk_store
from tests.helpers import START, at
from tests.proctoring.webm_files import RECORDED

T0 = START + timedelta(minutes=1)


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def store(attempt, seq: int, start, seconds: float = 10, stream: str = "computer") -> RecordingChunk:
    chunk = ChunkIn(stream=stream, seq=seq, started_at=start, duration_ms=int(seconds * 1000))
    return chunk_store(attempt=attempt, chunk=chunk, data=RECORDED, now=start + timedelta(seconds=seconds + 1)).chunk


@pytest.fixture
def recorded(attempt):
    Attempt.objects.filter(pk=attempt.pk).update(state="in_progress", started_at=START, checked_in_at=START)
    attempt.refresh_from_db()
    store(attempt, 0, START)
    store(attempt, 1, START + timedelta(seconds=10))
    # 20 s lost while the network was down, then recording again.
    event_record_server(attempt=attempt, kind=ProctorEvent.NETWORK_LOST, now=START + timedelta(seconds=25))
    store(attempt, 2, START + timedelta(seconds=40))
    return attempt


def play(client, attempt, stream="computer", moment="2023-07-30T01:00:30+00:00"):
    return client.post(f"/proctoring/review/attempt/{attempt.id}/recording/play/", {"stream": stream, "from": moment})


def chunk_url(chunk) -> str:
    return f"/proctoring/recording/{chunk.id}/"


def test_a_support_agent_can_neither_start_a_playback_nor_fetch_a_chunk(support_agent, recorded):
    client = staff_client(support_agent)

    assert play(client, recorded).status_code == 403
    assert client.get(chunk_url(RecordingChunk.objects.first())).status_code == 403
    assert not AttemptAudit.objects.filter(action=AuditAction.RECORDING_PLAYED).exists()


def test_a_candidate_cannot_fetch_a_chunk_even_their_own(logged_in, recorded):
    response = logged_in.client.get(chunk_url(RecordingChunk.objects.first()))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_each_playback_writes_an_audit_row_and_opens_the_chunks_to_that_reviewer(proctor, organizer, recorded):
    client = staff_client(proctor)
    chunk = RecordingChunk.objects.get(seq=1)
    assert client.get(chunk_url(chunk)).status_code == 403  # nothing watched without its audit row

    with at(T0):
        first = play(client, recorded)
    with at(T0 + timedelta(minutes=1)):
        second = play(client, recorded, moment="2023-07-30T01:00:05+00:00")
        response = client.get(chunk_url(chunk))

    assert (first.status_code, second.status_code) == (201, 201)
    rows = list(AttemptAudit.objects.filter(action=AuditAction.RECORDING_PLAYED).order_by("at"))
    assert [(r.attempt_id, r.actor, r.at) for r in rows] == [
        (recorded.id, proctor, T0), (recorded.id, proctor, T0 + timedelta(minutes=1)),
    ]
    assert rows[0].details == {"stream": "computer", "from": "2023-07-30T01:00:30+00:00"}
    assert response.status_code == 200
    assert response["Content-Type"] == "video/webm"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == RECORDED
    # Another reviewer's playback does not open the chunks to the organizer.
    assert staff_client(organizer).get(chunk_url(chunk)).status_code == 403


def test_an_organizer_may_watch_too(organizer, recorded):
    client = staff_client(organizer)
    assert play(client, recorded).status_code == 201
    assert client.get(chunk_url(RecordingChunk.objects.first())).status_code == 200


def test_the_player_gets_chunks_in_order_and_gaps_with_their_cause(proctor, recorded):
    with at(START + timedelta(seconds=55)):
        data = recording_review(attempt=recorded, now=START + timedelta(seconds=55))

    computer = data["streams"]["computer"]
    assert [c["seq"] for c in computer["chunks"]] == [0, 1, 2]
    assert [(g["from"], g["to"], g["cause"]) for g in computer["gaps"]] == [
        ((START + timedelta(seconds=20)).isoformat(), (START + timedelta(seconds=40)).isoformat(), "network"),
    ]
    assert "phone" not in data["streams"]
    leave = [e for e in data["events"] if e["kind"] == "network_lost"][0]
    assert leave["play_from"] == (START + timedelta(seconds=20)).isoformat()  # five seconds before


def test_a_gap_the_page_reported_keeps_the_pages_reason(recorded):
    event_record_server(
        attempt=recorded, kind=ProctorEvent.RECORDING_GAP, now=START + timedelta(seconds=51),
        details={"stream": "computer", "reason": "camera_stopped"},
    )
    data = recording_review(attempt=recorded, now=START + timedelta(seconds=90))

    assert [g["cause"] for g in data["streams"]["computer"]["gaps"]] == ["network", "camera_stopped"]


def test_the_review_page_carries_the_player_and_its_data(proctor, recorded):
    with at(START + timedelta(seconds=55)):
        page = staff_client(proctor).get(f"/proctoring/review/attempt/{recorded.id}/").content.decode()

    assert 'id="recording-video"' in page and "js/proctoring/player.js" in page
    data = json.loads(page.split('id="recording-data" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert len(data["streams"]["computer"]["chunks"]) == 3


def test_the_candidates_page_is_told_the_next_free_seq_per_stream(logged_in, attempt):
    for seq in (0, 1, 2):
        store(attempt, seq, START + timedelta(seconds=10 * seq))
    assert recording_block(attempt) == {"next_seq": {"computer": 3, "phone": 0}}
    with at(T0):
        body = logged_in.get("attempt/").json()
    assert body["recording"] == {"next_seq": {"computer": 3, "phone": 0}}
    assert body["session"]["recording"]["mode"] == "video"


def test_a_page_event_counts_at_its_own_time_not_when_it_arrived(attempt):
    Attempt.objects.filter(pk=attempt.pk).update(state="submitted", started_at=START,
                                                 checked_in_at=START, finished_at=START + timedelta(seconds=60))
    attempt.refresh_from_db()
    store(attempt, 0, START)
    store(attempt, 1, START + timedelta(seconds=50))
    # Reported offline at 15 s, arrived when the network came back at 50 s.
    ProctorEvent.objects.create(attempt=attempt, kind=ProctorEvent.NETWORK_LOST, at=START + timedelta(seconds=50),
                                client_time=START + timedelta(seconds=15))
    ProctorEvent.objects.create(
        attempt=attempt, kind=ProctorEvent.RECORDING_GAP, at=START + timedelta(seconds=50),
        details={"stream": "computer", "reason": "queue_full", "from": (START + timedelta(seconds=20)).isoformat(),
                 "to": (START + timedelta(seconds=30)).isoformat()},
    )

    data = recording_review(attempt=attempt, now=START + timedelta(minutes=5))

    assert [g["cause"] for g in data["streams"]["computer"]["gaps"]] == ["queue_full"]
    network = [e for e in data["events"] if e["kind"] == "network_lost"][0]
    assert network["play_from"] == (START + timedelta(seconds=10)).isoformat()


def test_a_socket_connect_reads_the_phone_but_not_the_recording_seq(
    logged_in, attempt, django_assert_max_num_queries
):
    # Every page's socket connects (and reconnects) on exam day's hot path: the next free seq is
    # only needed when a page loads its recorder (GET attempt/ above), the phone's state on both.
    from exams.selectors.attempts import attempt_socket_state

    store(attempt, 0, START)
    attempt.refresh_from_db()
    with at(T0), django_assert_max_num_queries(3):  # the attempt row, the pairing, refusals
        state = attempt_socket_state(attempt_id=attempt.id, client_id=attempt.client_id, now=T0)
    assert state is not None
    assert "recording" not in state["sync"] and state["sync"]["phone"]["status"] == "never_paired"
