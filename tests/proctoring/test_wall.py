"""The live proctor wall (/monitor/<session>/): tiles, alerts from stored events, required steps,
thumbnails, the candidate's timeline and the pushes that keep it live."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from exams import statuses
from exams.models import Answer, Attempt, ExamSession
from exams.selectors.monitor import monitor_wall
from proctoring import alerts, wall
from proctoring.models import Evidence, PhonePairing, ProctorEvent
from proctoring.services.events import events_record, evidence_capture, evidence_store
from tests import factories
from tests.helpers import START, at
from tests.proctoring.conftest import jpeg_bytes, open_attempt


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def wall_data(response) -> dict:
    match = re.search(r'<script id="wall-data" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match, "the page carries the wall's data"
    return json.loads(match.group(1))


def tile_of(data: dict, attempt_id: int) -> dict:
    return next(t for t in data["tiles"] if t["attempt"] == attempt_id)


def event(attempt, kind, when, **details) -> ProctorEvent:
    return ProctorEvent.objects.create(attempt=attempt, kind=kind, at=when, details=details)


def seat(session, name: str, **attempt_fields) -> Attempt:
    registration = factories.RegistrationFactory(
        session=session, candidate=factories.CandidateFactory(name=name)
    )
    return factories.AttemptFactory.create(registration=registration, **attempt_fields)


# --- the alert mapping ------------------------------------------------------------------------


def test_the_one_alert_mapping_names_every_kind_the_wall_raises():
    labels = alerts.alert_labels()
    for kind in ("screen_leave", "camera_black", "loud_sound", "phone_lost", "relogin_elsewhere",
                 "phone_camera_problem", "phone_not_a_phone", "phone_takeover"):
        assert labels[kind], kind
    assert labels["screen_leave"] == "离屏" and labels["relogin_elsewhere"] == "在其他设备登录"
    assert "login" not in labels and "phone_connected" not in labels  # routine events are no alerts


# --- tiles --------------------------------------------------------------------------------------


def test_a_tile_shows_state_leaves_phone_last_save_and_the_latest_snapshot(attempt, formal_session):
    open_attempt(attempt)
    Attempt.objects.filter(pk=attempt.pk).update(leaves_used=2)
    question = formal_session.paper.questions.first()
    Answer.objects.create(attempt=attempt, question=question, value="B", seq=1, saved_at=START + timedelta(minutes=3))
    evidence_store(attempt=attempt, kind=Evidence.SNAPSHOT, data=jpeg_bytes(), now=START, capture_id="a")
    latest = evidence_store(
        attempt=attempt, kind=Evidence.SNAPSHOT, data=jpeg_bytes(), now=START + timedelta(seconds=30), capture_id="b"
    )
    PhonePairing.objects.create(
        attempt=attempt, token_hash="t" * 64, created_at=START, expires_at=START + timedelta(minutes=10),
        used_at=START, last_heartbeat_at=START, lost_at=START + timedelta(minutes=1),
    )
    waiting = seat(formal_session, "李四")

    tiles = {t["attempt"]: t for t in monitor_wall(session=formal_session, now=START).tiles}

    tile = tiles[attempt.id]
    assert tile["name"] == "张三" and tile["state"] == statuses.IN_PROGRESS and tile["locked"] is False
    assert (tile["leaves_used"], tile["leaves_max"]) == (2, formal_session.max_screen_leaves)
    assert tile["phone"]["status"] == "lost" and tile["phone"]["alarming"] is True
    assert tile["phone"]["since_time"] == "09:01"  # lost since, in the batch's time
    assert tile["saved_at"] == (START + timedelta(minutes=3)).isoformat()
    assert tile["thumb"] == f"/proctoring/evidence/{latest.id}/thumb/"
    assert tiles[waiting.id]["state"] == statuses.REGISTERED and tiles[waiting.id]["thumb"] is None
    assert tiles[waiting.id]["phone"]["status"] == "never_paired" and tiles[waiting.id]["saved_at"] is None


def test_alerts_come_from_stored_events_with_their_times_and_name_the_candidate(proctor, attempt, formal_session):
    open_attempt(attempt)
    quiet = seat(formal_session, "李四", state=statuses.IN_PROGRESS)
    event(attempt, "screen_leave", START + timedelta(minutes=1))
    event(attempt, "camera_black", START + timedelta(minutes=2))
    event(attempt, "loud_sound", START + timedelta(minutes=3))
    event(attempt, "phone_lost", START + timedelta(minutes=4))
    event(attempt, "relogin_elsewhere", START + timedelta(minutes=5), address="203.0.113.9")
    event(attempt, "login", START)  # routine: not an alert
    event(quiet, "network_lost", START + timedelta(minutes=6))

    response = staff_client(proctor).get(f"/monitor/{formal_session.id}/")

    assert response.status_code == 200
    tile = tile_of(wall_data(response), attempt.id)
    assert [a["kind"] for a in tile["alerts"]] == [
        "relogin_elsewhere", "phone_lost", "loud_sound", "camera_black", "screen_leave"
    ]
    assert tile["alerts"][0]["at"] == (START + timedelta(minutes=5)).isoformat()
    assert tile["alert_count"] == 5
    assert tile_of(wall_data(response), quiet.id)["alerts"] == []
    html = response.content.decode()
    feed = html[html.index('id="monitor-alerts"'):]
    assert "暂无告警" not in feed
    assert "在其他设备登录 · <a" in feed and ">张三</a>" in feed
    assert "09:05:00" in feed  # Beijing time of the re-login elsewhere
    assert "李四" not in feed


def test_the_page_says_no_alerts_when_none_are_stored(proctor, attempt):
    html = staff_client(proctor).get(f"/monitor/{attempt.session_id}/").content.decode()
    assert "暂无告警" in html


# --- required steps -----------------------------------------------------------------------------


def test_steps_missing_follow_the_session_and_the_evidence_on_file(attempt, formal_session):
    ExamSession.objects.filter(pk=formal_session.pk).update(requires_scratch_paper=True, requires_login_photo=True)
    formal_session.refresh_from_db()
    never = seat(formal_session, "未登录考生")
    open_attempt(attempt)

    def missing():
        return {t["attempt"]: t["steps_missing"] for t in monitor_wall(session=formal_session, now=START).tiles}

    assert missing() == {attempt.id: ["login_photo", "scratch_paper"], never.id: []}  # nothing before a login
    evidence_store(attempt=attempt, kind=Evidence.LOGIN_PHOTO, data=jpeg_bytes(), now=START, capture_id="p")
    assert missing()[attempt.id] == ["scratch_paper"]
    evidence_store(attempt=attempt, kind=Evidence.SCRATCH_PAPER, data=jpeg_bytes(), now=START, capture_id="s")
    assert missing()[attempt.id] == []


def test_the_steps_selector_reads_the_new_session_fields_when_they_exist(attempt, formal_session):
    open_attempt(attempt)
    formal_session.requires_login_photo = False
    formal_session.requires_phone_monitor = True
    assert wall.session_required_steps(formal_session) == ["phone_monitor"]
    assert wall.attempt_steps_missing(attempt=attempt, session=formal_session, evidenced=set()) == ["phone_monitor"]
    assert wall.attempt_steps_missing(attempt=attempt, session=formal_session, evidenced={"phone_monitor"}) == []


def test_a_device_check_requires_no_login_photo_on_the_wall(db):
    session = factories.SessionFactory(kind=ExamSession.DEVICE_CHECK)
    assert wall.session_required_steps(session) == []


# --- initial load --------------------------------------------------------------------------------


def _fill(session, count: int) -> None:
    for n in range(count):
        a = seat(session, f"考生{n:03d}", state=statuses.IN_PROGRESS)
        ProctorEvent.objects.create(attempt=a, kind="screen_leave", at=START)
        Evidence.objects.create(
            attempt=a, kind=Evidence.SNAPSHOT, storage_name=f"x/{session.id}/{n}.jpg", sha256="0" * 64,
            size=1, capture_id=f"c{n}", received_at=START,
        )
        PhonePairing.objects.create(
            attempt=a, token_hash=f"{session.id}-{n}".ljust(64, "h"), created_at=START,
            expires_at=START + timedelta(hours=1), used_at=START, last_heartbeat_at=START,
        )


def _page_queries(client, session) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/monitor/{session.id}/")
    assert response.status_code == 200
    return len(queries)


def test_the_wall_loads_with_the_same_number_of_queries_for_10_and_200_candidates(proctor):
    small = factories.SessionFactory(requires_scratch_paper=True)
    large = factories.SessionFactory(requires_scratch_paper=True, batch=small.batch)
    _fill(small, 10)
    _fill(large, 200)
    client = staff_client(proctor)
    _page_queries(client, small)  # warm the session and permission caches
    assert _page_queries(client, small) == _page_queries(client, large)
    assert len(wall_data(client.get(f"/monitor/{large.id}/"))["tiles"]) == 200


# --- thumbnails ----------------------------------------------------------------------------------


def test_a_snapshot_gets_a_small_thumbnail_served_only_through_the_authorizing_view(
    proctor, support_agent, logged_in, attempt, evidence_root
):
    evidence = evidence_store(
        attempt=attempt, kind=Evidence.SNAPSHOT, data=jpeg_bytes(size=(1280, 720)), now=START, capture_id="big"
    )
    assert evidence.thumb_name and (evidence_root / evidence.thumb_name).is_file()
    url = f"/proctoring/evidence/{evidence.id}/thumb/"

    response = staff_client(proctor).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as thumb:
        assert max(thumb.size) == 160 and thumb.size == (160, 90)
    assert staff_client(support_agent).get(url).status_code == 403
    assert logged_in.get(url).status_code == 302  # a candidate is sent to the staff login
    assert Client().get(url).status_code == 302


# --- the candidate's timeline --------------------------------------------------------------------


def test_a_tile_opens_the_candidates_timeline_with_events_and_evidence(proctor, support_agent, attempt):
    open_attempt(attempt)
    photo = evidence_store(attempt=attempt, kind=Evidence.LOGIN_PHOTO, data=jpeg_bytes(), now=START, capture_id="p")
    event(attempt, "login", START)
    event(attempt, "screen_leave", START + timedelta(minutes=1))
    url = f"/proctoring/wall/attempt/{attempt.id}/timeline/"

    body = staff_client(proctor).get(url).json()

    assert body["name"] == "张三" and body["steps_missing"] == []
    assert [(e["kind"], e["label"], e["alert"]) for e in body["events"]] == [
        ("screen_leave", "离屏", True), ("login", "登录", False)
    ]
    assert body["events"][0]["at"] == (START + timedelta(minutes=1)).isoformat()
    assert body["evidence"] == [{
        "id": photo.id, "kind": "login_photo", "label": "登录照片", "received_at": START.isoformat(),
        "thumb": f"/proctoring/evidence/{photo.id}/thumb/", "url": f"/proctoring/evidence/{photo.id}/",
    }]
    assert staff_client(support_agent).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert staff_client(proctor).get("/proctoring/wall/attempt/999999/timeline/").status_code == 404


# --- pushes ----------------------------------------------------------------------------------------


def _tiles(pushes) -> list[dict]:
    return [m for _g, m in pushes if m["type"] == "monitor.tile"]


def test_a_snapshot_pushes_its_thumbnail_to_the_wall(logged_in, attempt, pushes):
    open_attempt(attempt)

    class Upload(io.BytesIO):
        size = None

    with at(START + timedelta(minutes=1)):
        from django.utils import timezone

        evidence = evidence_capture(
            attempt_id=attempt.id, client_id=attempt.client_id, kind=Evidence.SNAPSHOT,
            upload=Upload(jpeg_bytes()), now=timezone.now(), capture_id="s1",
        )
    groups = {g for g, m in pushes if m["type"] == "monitor.tile"}
    assert groups == {f"monitor.{attempt.session_id}"}
    assert _tiles(pushes) == [{
        "type": "monitor.tile", "attempt": attempt.id,
        "fields": {"thumb": f"/proctoring/evidence/{evidence.id}/thumb/", "thumb_at": evidence.received_at.isoformat()},
    }]


def test_a_login_photo_pushes_the_steps_still_missing(attempt, pushes):
    open_attempt(attempt)

    class Upload(io.BytesIO):
        size = None

    evidence_capture(
        attempt_id=attempt.id, client_id=attempt.client_id, kind=Evidence.LOGIN_PHOTO,
        upload=Upload(jpeg_bytes()), now=START, capture_id="p1",
    )
    (push,) = _tiles(pushes)
    assert push["fields"]["steps_missing"] == []


def test_a_screen_leave_pushes_a_labelled_alert_and_the_new_leave_count(attempt, pushes):
    open_attempt(attempt)
    events_record(
        attempt_id=attempt.id, client_id=attempt.client_id, now=START,
        events=[{"kind": "screen_leave"}, {"kind": "screen_leave"}, {"kind": "network_lost"}],
    )
    alerts_pushed = [m["alert"] for _g, m in pushes if m["type"] == "monitor.changed" and m.get("alert")]
    assert alerts_pushed == [{"kind": "screen_leave", "label": "离屏", "attempt": attempt.id, "at": START.isoformat()}]
    assert _tiles(pushes) == [{"type": "monitor.tile", "attempt": attempt.id, "fields": {"leaves_used": 2}}]


@pytest.mark.django_db
def test_the_wall_page_keeps_the_counts_and_offers_the_filters_and_actions(organizer, attempt):
    html = staff_client(organizer).get(f"/monitor/{attempt.session_id}/").content.decode()
    assert 'data-bucket="not_logged_in">1<' in html
    for label in ("仅有告警", "已锁定", "未登录", "缺少必需步骤"):
        assert label in html
    for action in ('data-do="message"', 'data-do="extra_time"', 'data-do="unlock"', 'data-do="waive"',
                   'data-do="readmit"', 'data-do="reopen"'):
        assert action in html
    data = wall_data(staff_client(organizer).get(f"/monitor/{attempt.session_id}/"))
    assert data["can"] == {"message": True, "extra_time": True, "unlock": True, "evidence": True, "recover": True}
    assert data["alert_labels"]["relogin_elsewhere"] == "在其他设备登录"


def test_the_phone_connecting_and_going_silent_reach_the_tile(logged_in, attempt, pushes):
    from exams.services.collection import sweep
    from tests.proctoring.test_phone import T0, Phone, pair_link

    ExamSession.objects.filter(pk=attempt.session_id).update(requires_login_photo=True)

    phone = Phone()
    phone.start(pair_link(logged_in))
    connected = [m for m in _tiles(pushes) if m["attempt"] == attempt.id]
    assert connected[-1]["fields"]["steps_missing"] == ["login_photo"]
    assert connected[-1]["fields"]["phone"]["status"] == "live"
    sweep(now=T0 + timedelta(minutes=2))
    last = _tiles(pushes)[-1]
    assert (last["attempt"], list(last["fields"])) == (attempt.id, ["phone"])
    assert last["fields"]["phone"]["status"] == "lost" and last["fields"]["phone"]["alarming"] is True
    loaded = tile_of({"tiles": monitor_wall(session=attempt.session, now=T0 + timedelta(minutes=2)).tiles}, attempt.id)
    assert loaded["phone"] == last["fields"]["phone"]  # loaded and pushed: the same glance


def test_a_step_change_pushes_the_steps_still_missing(attempt, pushes):
    from proctoring.services.events import wall_steps_changed

    ExamSession.objects.filter(pk=attempt.session_id).update(requires_login_photo=True)
    attempt.session.refresh_from_db()
    open_attempt(attempt)
    wall_steps_changed(attempt=attempt)
    assert _tiles(pushes) == [
        {"type": "monitor.tile", "attempt": attempt.id, "fields": {"steps_missing": ["login_photo"]}}
    ]
