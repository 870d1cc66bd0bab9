"""Phone monitor liveness: images, not requests; exact losses; a phone must be a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from exams.services.collection import sweep
from proctoring import selectors
from proctoring.models import PhonePairing, ProctorEvent
from tests.helpers import at
from tests.proctoring.conftest import camera_jpeg, jpeg_bytes
from tests.proctoring.test_phone import PAIRING, T0, Phone, pair_link, path_of

DESKTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
    "Mobile Safari/537.36"
)
BLACK = jpeg_bytes((1, 1, 1))
GREY = jpeg_bytes((128, 128, 128))


@pytest.fixture
def paired(logged_in, attempt):
    phone = Phone()
    assert phone.start(pair_link(logged_in)).status_code == 302
    return phone


@pytest.fixture
def device_check_attempt(paper, candidate):
    from tests import factories

    session = factories.SessionFactory(paper=paper, batch=paper.batch, kind="device_check", name="设备调试")
    registration = factories.RegistrationFactory(candidate=candidate, session=session)
    return factories.AttemptFactory(registration=registration)


def state(logged_in, when) -> dict:
    with at(when):
        return logged_in.client.get("/api/v1/candidate/attempt/").json()["phone"]


def events(attempt, kind):
    return list(ProctorEvent.objects.filter(attempt=attempt, kind=kind))


def s(n: int):
    return T0 + timedelta(seconds=n)


@pytest.mark.parametrize(("image", "reason"), [(BLACK, "black"), (GREY, "uniform")])
def test_a_black_or_uniform_snapshot_is_a_camera_loss_at_once(logged_in, attempt, paired, image, reason, pushes):
    assert paired.snapshot(s(5)).status_code == 201
    assert state(logged_in, s(6))["status"] == "live"
    assert paired.snapshot(s(35), image=image).status_code == 201  # stored as evidence all the same
    assert state(logged_in, s(36)) == {"required": False, "status": "camera_problem", "since": s(35).isoformat()}
    [problem] = events(attempt, ProctorEvent.PHONE_CAMERA_PROBLEM)
    assert problem.details["reason"] == reason
    # heartbeats keep coming: the page is open, but that does not make the camera work
    assert paired.heartbeat(s(40)).status_code == 200
    assert state(logged_in, s(41))["status"] == "camera_problem"
    alerts = [m["alert"] for g, m in pushes if g == f"monitor.{attempt.session_id}" and m.get("alert")]
    assert alerts[-1]["kind"] == "phone_camera_problem" and alerts[-1]["reason"] == reason
    assert alerts[-1]["name"] == "张三"


def test_the_same_image_twice_is_a_frozen_camera(logged_in, attempt, paired):
    frame = camera_jpeg(seed=77)
    assert paired.snapshot(s(5), image=frame).status_code == 201
    assert paired.snapshot(s(35), image=frame).status_code == 201
    [problem] = events(attempt, ProctorEvent.PHONE_CAMERA_PROBLEM)
    assert problem.details["reason"] == "frozen"
    assert state(logged_in, s(36))["status"] == "camera_problem"


def test_a_camera_loss_ends_with_a_good_image_and_records_its_exact_length(logged_in, attempt, paired):
    paired.snapshot(s(5))
    paired.snapshot(s(35), image=BLACK)
    paired.snapshot(s(65), image=BLACK)  # still black: one loss, one event
    assert len(events(attempt, ProctorEvent.PHONE_CAMERA_PROBLEM)) == 1
    paired.snapshot(s(95))
    resumed = events(attempt, ProctorEvent.PHONE_CONNECTED)[-1]
    assert resumed.details["resumed"] is True
    assert resumed.details["lost_seconds"] == 60
    assert resumed.details["reason"] == "black"
    assert state(logged_in, s(96)) == {"required": False, "status": "live", "since": s(95).isoformat()}


def test_a_silent_phone_is_lost_from_its_last_heartbeat_and_the_gap_is_exact_across_a_resume(
    logged_in, attempt, paired
):
    paired.snapshot(s(5))
    paired.heartbeat(s(10))
    sweep(now=s(56))  # silent for 46 s: lost since s(10), not since the sweep
    assert state(logged_in, s(57)) == {"required": False, "status": "lost", "since": s(10).isoformat()}
    [lost] = events(attempt, ProctorEvent.PHONE_LOST)
    assert lost.details["silent_seconds"] == 46
    # Wi-Fi back at s(57): the heartbeat alone does not end the loss, the first good image does
    paired.heartbeat(s(57))
    assert state(logged_in, s(57))["status"] == "lost"
    paired.snapshot(s(58))
    resumed = events(attempt, ProctorEvent.PHONE_CONNECTED)[-1]
    assert resumed.details["lost_seconds"] == 48
    glance = selectors.phone_glances(session_id=attempt.session_id, now=s(60))[attempt.id]
    assert (glance.status, glance.lost_seconds, glance.lost_minutes) == ("live", 48, 1)


def test_a_phone_whose_good_images_stop_is_a_camera_loss_even_with_heartbeats(logged_in, attempt, paired):
    paired.snapshot(s(5))
    for n in range(15, 100, 10):
        paired.heartbeat(s(n))
    sweep(now=s(5 + 75 + 1))
    [problem] = events(attempt, ProctorEvent.PHONE_CAMERA_PROBLEM)
    assert problem.details["reason"] == "no_images"
    assert state(logged_in, s(90)) == {"required": False, "status": "camera_problem", "since": s(5).isoformat()}


def test_the_phone_page_reports_its_stopped_camera(logged_in, attempt, paired):
    paired.snapshot(s(5))
    assert paired.heartbeat(s(12), problem="stopped").status_code == 200
    assert events(attempt, ProctorEvent.PHONE_CAMERA_PROBLEM)[0].details == {
        "pairing": PhonePairing.objects.get().id, "reason": "stopped", "source": "phone"
    }
    assert state(logged_in, s(13))["status"] == "camera_problem"
    assert paired.heartbeat(s(14), problem="all good").status_code == 400


def test_a_repaired_phone_records_the_gap_of_the_lost_one(logged_in, attempt, paired):
    paired.snapshot(s(5))
    paired.snapshot(s(35), image=BLACK)
    other = Phone()
    other.start(pair_link(logged_in, s(50)), s(50))
    repaired = events(attempt, ProctorEvent.PHONE_CONNECTED)[-1]
    assert repaired.details["repaired"] is True and repaired.details["lost_seconds"] == 15
    assert not events(attempt, ProctorEvent.PHONE_TAKEOVER)
    assert state(logged_in, s(51)) == {"required": False, "status": "live", "since": s(50).isoformat()}


def test_a_second_device_taking_over_a_live_phone_is_its_own_event(logged_in, attempt, paired):
    paired.snapshot(s(5))
    intruder = Phone()
    intruder.client.defaults["HTTP_USER_AGENT"] = PHONE_UA
    intruder.start(pair_link(logged_in, s(20)), s(20))
    [takeover] = events(attempt, ProctorEvent.PHONE_TAKEOVER)
    assert takeover.details["user_agent"] == PHONE_UA
    assert len(events(attempt, ProctorEvent.PHONE_CONNECTED)) == 1
    glance = selectors.phone_glances(session_id=attempt.session_id, now=s(21))[attempt.id]
    assert glance.takeovers == 1


def test_a_desktop_browser_cannot_be_the_phone(logged_in, attempt):
    desktop = Phone()
    desktop.client.defaults["HTTP_USER_AGENT"] = DESKTOP_UA
    url = pair_link(logged_in)
    page = desktop.open(url)
    assert page.status_code == 403
    html = page.content.decode()
    assert 'data-code="not_a_phone"' in html and "重新连接手机" in html
    with at(T0):
        claim = desktop.client.post(path_of(url), {"csrfmiddlewaretoken": desktop.csrf})
    assert claim.status_code == 403
    assert PhonePairing.objects.get().used_at is None
    refused = events(attempt, ProctorEvent.PHONE_NOT_A_PHONE)
    assert [e.details["reason"] for e in refused] == ["desktop_user_agent", "desktop_user_agent"]
    assert refused[0].details["user_agent"] == DESKTOP_UA
    assert state(logged_in, s(1)) == {"required": False, "status": "not_a_phone", "since": T0.isoformat()}


def test_the_candidates_own_browser_cannot_be_the_phone(logged_in, attempt):
    url = pair_link(logged_in)
    with at(T0):
        page = logged_in.client.get(path_of(url))
    assert page.status_code == 403
    assert events(attempt, ProctorEvent.PHONE_NOT_A_PHONE)[0].details["reason"] == "same_browser"
    # a real phone can still use the same link
    assert Phone().start(url, s(10)).status_code == 302


def test_the_state_is_loaded_with_the_page_and_in_the_first_sync(logged_in, attempt, paired):
    from exams.selectors.attempts import attempt_socket_state

    assert state(logged_in, s(1))["status"] == "live"
    sweep(now=s(60))
    sync = attempt_socket_state(attempt_id=attempt.id, client_id="x", now=s(61))["sync"]
    assert sync["phone"] == {"required": False, "status": "lost", "since": T0.isoformat()}
    with at(s(61)):
        assert logged_in.client.get(PAIRING).json() | {} == {
            "required": False, "status": "lost", "since": T0.isoformat(), "waiting": False
        }


def test_never_paired_is_shown(logged_in, attempt):
    assert state(logged_in, s(1)) == {"required": False, "status": "never_paired", "since": None}


def test_the_review_queue_and_page_show_each_phone_from_the_database(
    logged_in, attempt, other_attempt, paired, proctor
):
    paired.snapshot(s(5))
    paired.snapshot(s(35), image=BLACK)
    client = Client()
    client.force_login(proctor)
    with at(s(35 + 120)):
        html = client.get(f"/proctoring/review/session/{attempt.session_id}/").content.decode()
        detail = client.get(f"/proctoring/review/attempt/{attempt.id}/").content.decode()
    assert "手机画面异常：黑屏" in html and "累计断开 2 分钟" in html
    assert "未连接手机" in html  # 李四 never paired
    assert "手机画面异常：黑屏" in detail
    assert "手机摄像头画面异常" in detail  # the event's readable label on the timeline


def test_every_phone_event_kind_has_a_label_in_chinese_and_english():
    from django.utils import translation

    kinds = ["phone_connected", "phone_lost", "phone_camera_problem", "phone_not_a_phone", "phone_takeover"]
    for kind in kinds:
        assert selectors.event_label(kind) != kind
        with translation.override("en"):
            english = selectors.event_label(kind)
        assert english.isascii() and english != kind, (kind, english)


def test_the_device_check_records_the_phone(device_check_attempt, make_client):
    from tests.helpers import START

    browser = make_client()
    with at(START - timedelta(minutes=5)):
        assert browser.login_as(device_check_attempt).status_code == 200
    url = pair_link(browser)
    phone = Phone()
    phone.start(url)
    device_check_attempt.registration.refresh_from_db()
    assert device_check_attempt.registration.device_check == {"phone_paired": True}
    phone.snapshot(s(5))
    with at(s(6)):
        browser.client.post(
            "/api/v1/candidate/attempt/device-check/", {"result": {"camera": True, "phone_good_image": False}},
            content_type="application/json", HTTP_X_CSRFTOKEN=browser.csrf,
        )
    device_check_attempt.registration.refresh_from_db()
    assert device_check_attempt.registration.device_check == {
        "camera": True, "phone_paired": True, "phone_good_image": True
    }


def test_phone_alerts_persist_as_events_and_name_the_candidate(logged_in, attempt, paired):
    paired.snapshot(s(5))
    paired.snapshot(s(35), image=BLACK)
    paired.snapshot(s(65))
    alerts = selectors.phone_alerts(session_id=attempt.session_id)
    assert [(a["kind"], a["name"]) for a in alerts] == [
        ("phone_connected", "张三"), ("phone_camera_problem", "张三"), ("phone_connected", "张三")
    ]
    assert alerts[1]["label"] == "手机摄像头画面异常：黑屏"
    assert alerts[0]["lost_seconds"] == 30 and alerts[0]["resumed"] is True
    assert selectors.phone_alerts(session_id=attempt.session_id, since=s(60))[0]["at"] == s(65).isoformat()
