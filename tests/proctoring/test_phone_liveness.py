"""Phone monitor liveness: images, not requests; exact losses; a phone must be a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from exams.services.collection import sweep
from proctoring import selectors
from proctoring.models import PhonePairing, ProctorEvent
from proctoring.phone_rules import fingerprint_hash
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
    claim = desktop.claim(url, touch_points=0)
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


def test_organizers_read_the_phone_with_the_rest_of_the_readiness_result(device_check_attempt, organizer):
    from candidates.device_check import device_check_summary

    registration = device_check_attempt.registration
    registration.device_check = {"camera": True, "microphone": False, "phone_paired": True}
    registration.save()
    client = Client()
    client.force_login(organizer)
    listing = client.get("/admin/candidates/registration/").content.decode()
    detail = client.get(f"/admin/candidates/registration/{registration.pk}/change/").content.decode()
    expected = "摄像头：正常；麦克风：异常；手机监控：已连接，但未收到正常画面"
    assert device_check_summary(registration.device_check) == expected
    assert expected in listing and expected in detail
    assert device_check_summary({"camera": True, "phone_paired": True, "phone_good_image": True}).endswith(
        "手机监控：已连接，画面正常"
    )
    assert device_check_summary({}) == ""


# --- a phone must be a phone: the device fingerprint, the page's facts, tablets ---------------

COMPUTER_FACTS = "v1|1920x1080|1|Win32|Asia/Shanghai|8"
IPADOS_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Safari/605.1.15"
)


def pair_link_from_computer(browser, facts=COMPUTER_FACTS, when=T0) -> str:
    """The computer's page asks for a QR code and reports its own coarse fingerprint."""
    with at(when):
        response = browser.post(PAIRING, {"fingerprint": facts})
    assert response.status_code == 201, response.content
    return response.json()["url"]


def test_the_computer_reports_its_fingerprint_with_the_qr_code_and_it_is_stored_hashed(logged_in, attempt):
    pair_link_from_computer(logged_in)
    pairing = PhonePairing.objects.get()
    assert pairing.computer_fingerprint == fingerprint_hash(COMPUTER_FACTS) and COMPUTER_FACTS not in str(
        pairing.computer_fingerprint
    )
    with at(T0):
        too_long = logged_in.post(PAIRING, {"fingerprint": "x" * 301})
        not_text = logged_in.post(PAIRING, {"fingerprint": {"screen": 1}})
    assert too_long.status_code == 400 and not_text.status_code == 400


def test_a_phone_page_reporting_the_computers_fingerprint_is_refused_as_not_a_phone(logged_in, attempt, pushes):
    url = pair_link_from_computer(logged_in)
    # a second browser on the same computer: its own cookies, a phone's user agent, the same device
    same_computer = Phone(fingerprint=COMPUTER_FACTS)
    same_computer.client.defaults["HTTP_USER_AGENT"] = PHONE_UA
    assert same_computer.open(url).status_code == 200  # opening the link cannot tell yet
    refused = same_computer.claim(url)
    assert refused.status_code == 403 and 'data-code="not_a_phone"' in refused.content.decode()
    assert PhonePairing.objects.get().used_at is None  # the link still works for the real phone
    [event] = events(attempt, ProctorEvent.PHONE_NOT_A_PHONE)
    assert event.details["reason"] == "fingerprint" and event.details["user_agent"] == PHONE_UA
    assert state(logged_in, s(1))["status"] == "not_a_phone"
    alerts = [m["alert"] for g, m in pushes if g == f"monitor.{attempt.session_id}" and m.get("alert")]
    assert alerts[-1]["kind"] == "phone_not_a_phone" and alerts[-1]["name"] == "张三"
    tile = [m for g, m in pushes if m.get("type") == "monitor.tile"][-1]
    assert tile["fields"]["phone"]["status"] == "not_a_phone" and tile["fields"]["phone"]["not_a_phone"] == 1
    # a QR code made later by the same computer is refused to it as well (any of the attempt's)
    later = pair_link_from_computer(logged_in, facts="v1|1366x768|1|Win32|Asia/Shanghai|4", when=s(10))
    assert Phone(fingerprint=COMPUTER_FACTS).start(later, s(11)).status_code == 403
    assert Phone().start(later, s(12)).status_code == 302


def test_a_claim_without_the_pages_facts_is_refused_with_its_own_code_and_the_link_still_works(logged_in, attempt):
    url = pair_link(logged_in)
    phone = Phone()
    assert phone.open(url).status_code == 200
    for missing in ({"fingerprint": None}, {"touch_points": None}, {"fingerprint": ""}, {"touch_points": "many"}):
        refused = phone.claim(url, **missing)
        assert refused.status_code == 400, missing
        html = refused.content.decode()
        assert 'data-code="phone_facts_required"' in html and f'href="{path_of(url)}"' in html  # retry
    assert PhonePairing.objects.get().used_at is None
    assert not events(attempt, ProctorEvent.PHONE_NOT_A_PHONE)
    assert phone.claim(url).status_code == 302


def test_the_start_page_fills_the_facts_with_its_script_before_the_button_works(logged_in, attempt):
    html = Phone().open(pair_link(logged_in)).content.decode()
    assert 'name="fingerprint"' in html and 'name="touch_points"' in html
    assert 'id="phone-start" disabled' in html
    assert "js/proctoring/phone_start.js" in html


def test_an_ipad_with_a_desktop_user_agent_pairs_when_its_page_reports_touch(logged_in, attempt):
    url = pair_link(logged_in)
    ipad = Phone(fingerprint="v1|1366x1024|2|MacIntel|Asia/Shanghai|8", touch_points=5)
    ipad.client.defaults["HTTP_USER_AGENT"] = IPADOS_UA
    assert ipad.start(url).status_code == 302
    assert not events(attempt, ProctorEvent.PHONE_NOT_A_PHONE)
    assert events(attempt, ProctorEvent.PHONE_CONNECTED)[0].details["touch_points"] == 5


def test_a_mac_with_the_same_user_agent_and_no_touch_is_refused(logged_in, attempt):
    url = pair_link(logged_in)
    mac = Phone(fingerprint="v1|1440x900|2|MacIntel|Asia/Shanghai|8", touch_points=0)
    mac.client.defaults["HTTP_USER_AGENT"] = IPADOS_UA
    assert mac.open(url).status_code == 200  # the link alone cannot tell a Mac from an iPad
    assert mac.claim(url).status_code == 403
    [event] = events(attempt, ProctorEvent.PHONE_NOT_A_PHONE)
    assert event.details["reason"] == "desktop_user_agent" and event.details["touch_points"] == 0


def test_the_same_phone_scanning_a_new_code_is_a_repairing_not_a_takeover(logged_in, attempt, paired):
    paired.snapshot(s(5))
    again = Phone(fingerprint=paired.fingerprint)  # the same device, its cookie lost
    assert again.start(pair_link(logged_in, s(20)), s(20)).status_code == 302
    assert not events(attempt, ProctorEvent.PHONE_TAKEOVER)
    back = events(attempt, ProctorEvent.PHONE_CONNECTED)[-1]
    assert back.details["same_device"] is True and back.details["repaired"] is True


# --- staff see phones at a glance: the wall, loaded from the database ---------------------------


def test_the_wall_shows_each_phone_loaded_from_the_database_and_its_alerts_persist(
    logged_in, attempt, other_attempt, paired, proctor
):
    from tests.proctoring.test_wall import tile_of, wall_data

    paired.snapshot(s(5))
    intruder = Phone()
    intruder.client.defaults["HTTP_USER_AGENT"] = PHONE_UA
    intruder.start(pair_link(logged_in, s(20)), s(20))
    intruder.snapshot(s(25))
    intruder.snapshot(s(55), image=BLACK)
    client = Client()
    client.force_login(proctor)
    with at(s(55 + 150)):
        response = client.get(f"/monitor/{attempt.session_id}/")
    data = wall_data(response)
    phone = tile_of(data, attempt.id)["phone"]
    assert phone["status"] == "camera_problem" and phone["reason"] == "black"
    assert phone["label"] == "手机画面异常：黑屏" and phone["since"] == s(55).isoformat()
    assert phone["since_time"] == "09:02"  # s(55) is 09:02:55 in Beijing
    assert (phone["lost_seconds"], phone["lost_minutes"], phone["takeovers"]) == (150, 3, 1)
    assert tile_of(data, other_attempt.id)["phone"]["status"] == "never_paired"  # 李四
    assert data["phone_labels"]["status"]["lost"] == "手机断开"
    assert data["phone_labels"]["since"] == "自 {time}"
    html = response.content.decode()
    feed = html[html.index('id="monitor-alerts"'):]
    # alerts loaded from the stored events, each naming the candidate, with the camera's reason
    assert "手机摄像头画面异常：黑屏 · <a" in feed and "其他设备接管手机监控 · <a" in feed
    assert ">张三</a>" in feed and "phone_" not in feed.split("</ol>")[0]


def test_every_event_kind_and_phone_state_has_a_label_in_chinese_and_english():
    from django.utils import translation

    texts = [*dict(ProctorEvent.KINDS).values(), *selectors.PHONE_STATUS_LABELS.values(),
             *selectors.PHONE_REASON_LABELS.values()]
    for text in texts:
        chinese = str(text)
        assert not chinese.isascii(), chinese
        with translation.override("en"):
            english = str(text)
        assert english.isascii() and english != chinese, (chinese, english)


def test_a_camera_problem_still_going_on_counts_in_the_queue_to_the_attempts_end(logged_in, attempt, paired):
    paired.snapshot(s(5))
    paired.snapshot(s(35), image=BLACK)
    [row] = [r for r in selectors.session_review_queue(session_id=attempt.session_id, now=s(35 + 185))
             if r.attempt.id == attempt.id]
    assert row.counts["phone_lost_minute"] == 3 and row.phone.lost_seconds == 185


def test_phone_event_labels_say_what_happened_in_chinese_and_english():
    from django.utils import translation

    assert selectors.phone_event_label("phone_connected", {"lost_seconds": 48}) == "手机监控已连接（此前断开 48 秒）"
    assert selectors.phone_event_label("phone_connected", {"repaired": False}) == "手机监控已连接"
    assert selectors.phone_event_label("phone_not_a_phone", {"reason": "fingerprint"}) == (
        "非手机设备尝试连接手机监控：与考生电脑的设备特征相同"
    )
    frozen = selectors.phone_event_label("phone_camera_problem", {"reason": "frozen"})
    assert frozen == "手机摄像头画面异常：画面静止不变"
    with translation.override("en"):
        labels = [
            selectors.phone_event_label("phone_connected", {"lost_seconds": 48}),
            selectors.phone_event_label("phone_not_a_phone", {"reason": "same_browser"}),
            selectors.phone_event_label("phone_camera_problem", {"reason": "black"}),
        ]
    assert all(label.isascii() for label in labels), labels
    assert "48" in labels[0] and ": " in labels[2]
