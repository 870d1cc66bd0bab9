"""Phone monitor (鹰眼监控): one-time attempt-bound links, heartbeats, loss found by the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from exams import statuses
from exams.models import Attempt
from exams.services.collection import sweep
from proctoring.api.views import PHONE_COOKIE
from proctoring.models import Evidence, PhonePairing, ProctorEvent
from proctoring.services.phone import phones_flag_lost
from tests.helpers import START, at
from tests.proctoring.conftest import camera_jpeg

PAIRING = "/api/v1/proctoring/pairing/"
HEARTBEAT = "/api/v1/proctoring/phone/heartbeat/"
SNAPSHOT = "/api/v1/proctoring/phone/snapshot/"
T0 = START + timedelta(minutes=2)


def pair_link(browser_client, when=T0) -> str:
    with at(when):
        response = browser_client.post(PAIRING)
    assert response.status_code == 201, response.content
    return response.json()["url"]


def path_of(url: str) -> str:
    return url.split("testserver", 1)[1]


class Phone:
    """The phone's browser: it never holds the candidate's exam session. Its start page reports
    the device's facts (static/js/proctoring/phone_start.js): each Phone is its own device."""

    shots = 0
    devices = 0

    def __init__(self, fingerprint: str | None = None, touch_points: int = 5) -> None:
        self.client = Client(enforce_csrf_checks=True)
        Phone.devices += 1
        self.fingerprint = fingerprint or f"v1|844x390|3|iPhone|Asia/Shanghai|{Phone.devices}"
        self.touch_points = touch_points

    def open(self, url: str, when=T0):
        with at(when):
            return self.client.get(path_of(url))

    def claim(self, url: str, when=T0, **fields):
        """The start page's form as its script fills it in (``fields`` override or, as None, drop)."""
        form = {"csrfmiddlewaretoken": self.csrf, "fingerprint": self.fingerprint, "touch_points": self.touch_points}
        form.update(fields)
        with at(when):
            return self.client.post(path_of(url), {k: v for k, v in form.items() if v is not None})

    def start(self, url: str, when=T0):
        page = self.open(url, when)
        assert page.status_code == 200, page.content.decode()
        return self.claim(url, when)

    @property
    def csrf(self) -> str:
        return self.client.cookies["csrftoken"].value

    def heartbeat(self, when, problem=None):
        body = {"problem": problem} if problem else {}
        with at(when):
            return self.client.post(HEARTBEAT, body, HTTP_X_CSRFTOKEN=self.csrf)

    def snapshot(self, when, image=None, capture_id=None):
        from django.core.files.uploadedfile import SimpleUploadedFile

        Phone.shots += 1
        data = image if image is not None else camera_jpeg(seed=Phone.shots)
        with at(when):
            return self.client.post(
                SNAPSHOT,
                {"photo": SimpleUploadedFile("p.jpg", data), "capture_id": capture_id or f"shot-{Phone.shots}"},
                HTTP_X_CSRFTOKEN=self.csrf,
            )


@pytest.fixture
def phone(db):
    return Phone()


@pytest.fixture
def paired(logged_in, attempt, phone):
    url = pair_link(logged_in)
    response = phone.start(url)
    assert response.status_code == 302
    assert response["Location"] == "/proctoring/phone/"
    return phone


def test_the_pairing_api_gives_a_link_and_a_server_made_qr_code(logged_in, attempt):
    with at(T0):
        response = logged_in.post(PAIRING)
    body = response.json()
    assert response.status_code == 201
    assert body["url"].startswith("http://testserver/proctoring/phone/")
    assert body["qr_svg"].startswith("<svg") and "<path" in body["qr_svg"]
    pairing = PhonePairing.objects.get(attempt=attempt)
    token = body["url"].rstrip("/").rsplit("/", 1)[1]
    assert token not in pairing.token_hash  # only the hash is stored
    assert pairing.expires_at == T0 + timedelta(minutes=10)


def test_the_pairing_api_needs_a_logged_in_candidate(browser_client):
    response = browser_client.post(PAIRING)
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_logged_in"


def test_the_phone_page_asks_to_start_and_explains_airplane_mode(logged_in, phone):
    page = phone.open(pair_link(logged_in)).content.decode()
    assert "飞行模式" in page and "Wi-Fi" in page
    assert "双手" in page and "草稿纸" in page
    assert "<script>" not in page  # no inline script
    assert PhonePairing.objects.get().used_at is None  # opening the link does not use it


def test_starting_binds_the_phone_with_its_own_cookie_and_records_connected(paired, attempt, pushes):
    pairing = PhonePairing.objects.get(attempt=attempt)
    assert pairing.used_at == T0
    assert PHONE_COOKIE in paired.client.cookies
    assert "attempt_id" not in paired.client.session  # not the candidate's exam session
    event = ProctorEvent.objects.get(attempt=attempt, kind=ProctorEvent.PHONE_CONNECTED)
    assert event.details["repaired"] is False
    monitor = paired.client.get("/proctoring/phone/")
    assert monitor.status_code == 200
    assert 'id="phone-video"' in monitor.content.decode()
    assert "js/proctoring/phone.js" in monitor.content.decode()


def test_connected_is_pushed_to_the_exam_page_and_the_monitor(logged_in, attempt, phone, pushes):
    phone.start(pair_link(logged_in))
    assert (
        f"attempt.{attempt.id}",
        {
            "type": "attempt.push",
            "payload": {"type": "phone", "required": False, "status": "live", "since": T0.isoformat()},
        },
    ) in pushes
    alerts = [m["alert"] for g, m in pushes if g == f"monitor.{attempt.session_id}" and m.get("alert")]
    assert alerts and alerts[-1]["kind"] == "phone_connected"
    assert alerts[-1]["name"] == attempt.registration.candidate.name


def test_a_used_link_is_refused_with_what_to_do(logged_in, paired, make_client):
    url = pair_link(logged_in)  # a fresh link, used once below
    Phone().start(url)
    response = Phone().open(url, T0 + timedelta(seconds=30))
    assert response.status_code == 410
    assert "请在电脑上重新生成二维码" in response.content.decode()
    assert "已被使用" in response.content.decode()


def test_an_expired_link_is_refused(logged_in, phone, attempt):
    url = pair_link(logged_in)
    response = phone.open(url, T0 + timedelta(minutes=10))
    assert response.status_code == 410
    assert "已过期" in response.content.decode()
    assert "请在电脑上重新生成二维码" in response.content.decode()
    with at(T0 + timedelta(minutes=11)):
        claim = phone.client.post(path_of(url), {"csrfmiddlewaretoken": phone.csrf})
    assert claim.status_code == 410
    assert not ProctorEvent.objects.filter(kind=ProctorEvent.PHONE_CONNECTED).exists()


def test_an_unknown_link_is_refused(phone):
    response = phone.open("http://testserver/proctoring/phone/not-a-real-token/")
    assert response.status_code == 404
    assert "请在电脑上重新生成二维码" in response.content.decode()


def test_another_candidates_link_is_refused_in_their_browser(logged_in, attempt, other_attempt, make_client):
    url = pair_link(logged_in)
    other = make_client()
    with at(START - timedelta(minutes=4)):
        assert other.login_as(other_attempt).status_code == 200
    with at(T0):
        page = other.client.get(path_of(url))
        claim = other.client.post(
            path_of(url), {"csrfmiddlewaretoken": other.csrf}, HTTP_X_CSRFTOKEN=other.csrf
        )
    assert page.status_code == claim.status_code == 403
    assert "其他考生" in page.content.decode()
    assert PhonePairing.objects.get().used_at is None
    assert not ProctorEvent.objects.filter(kind=ProctorEvent.PHONE_CONNECTED).exists()


def test_a_link_binds_only_the_attempt_that_made_it(logged_in, attempt, other_attempt, phone):
    phone.start(pair_link(logged_in))
    assert phone.heartbeat(T0 + timedelta(seconds=10)).status_code == 200
    assert PhonePairing.objects.filter(attempt=other_attempt).count() == 0
    assert ProctorEvent.objects.filter(attempt=other_attempt).exclude(kind="login").count() == 0
    assert ProctorEvent.objects.filter(attempt=attempt, kind=ProctorEvent.PHONE_CONNECTED).count() == 1


def test_making_a_new_link_retires_the_unused_one(logged_in, phone):
    first = pair_link(logged_in)
    pair_link(logged_in, T0 + timedelta(seconds=5))
    assert phone.open(first, T0 + timedelta(seconds=6)).status_code == 410


def test_repairing_records_connected_with_repaired_true_and_retires_the_old_phone(logged_in, attempt, paired):
    sweep(now=T0 + timedelta(seconds=50))  # the old phone went silent at T0
    new_phone = Phone()
    new_phone.start(pair_link(logged_in, T0 + timedelta(minutes=1)), T0 + timedelta(minutes=1))
    events = list(ProctorEvent.objects.filter(attempt=attempt, kind=ProctorEvent.PHONE_CONNECTED))
    assert [e.details["repaired"] for e in events] == [False, True]
    assert events[-1].details["lost_seconds"] == 60  # the gap, from the old phone's silence
    assert not ProctorEvent.objects.filter(kind=ProctorEvent.PHONE_TAKEOVER).exists()
    old = paired.heartbeat(T0 + timedelta(minutes=1, seconds=5))
    assert old.status_code == 409
    assert old.json()["code"] == "phone_replaced"
    assert new_phone.heartbeat(T0 + timedelta(minutes=1, seconds=5)).status_code == 200


def test_heartbeats_need_the_phone_cookie_and_the_csrf_token(paired, logged_in):
    assert (
        logged_in.client.post(HEARTBEAT, HTTP_X_CSRFTOKEN=logged_in.csrf).json()["code"] == "phone_not_paired"
    )
    with at(T0):
        no_csrf = paired.client.post(HEARTBEAT)
    assert no_csrf.status_code == 403


def test_the_sweep_flags_a_silent_phone_lost_exactly_once(attempt, paired, pushes):
    assert paired.heartbeat(T0 + timedelta(seconds=10)).status_code == 200
    quiet_until = T0 + timedelta(seconds=10 + 45)
    assert sweep(now=quiet_until).as_dict()["phones_lost"] == 0  # 45 s silent is still within the limit
    report = sweep(now=quiet_until + timedelta(seconds=1))
    assert report.others["phones_lost"] == 1
    assert report.as_dict()["phones_lost"] == 1
    assert sweep(now=quiet_until + timedelta(seconds=4)).as_dict()["phones_lost"] == 0
    assert phones_flag_lost(now=quiet_until + timedelta(minutes=5)) == 0
    lost = ProctorEvent.objects.filter(attempt=attempt, kind=ProctorEvent.PHONE_LOST)
    assert lost.count() == 1
    assert lost.get().details["silent_seconds"] == 46
    assert (
        f"attempt.{attempt.id}",
        {
            "type": "attempt.push",
            "payload": {
                "type": "phone", "required": False, "status": "lost",
                "since": (T0 + timedelta(seconds=10)).isoformat(),
            },
        },
    ) in pushes
    alerts = [m["alert"] for g, m in pushes if g == f"monitor.{attempt.session_id}" and m.get("alert")]
    assert alerts[-1]["kind"] == "phone_lost"
    assert alerts[-1]["attempt"] == attempt.id


def test_a_lost_phone_that_comes_back_is_connected_again_and_can_be_lost_again(attempt, paired, logged_in):
    sweep(now=T0 + timedelta(seconds=60))
    assert paired.heartbeat(T0 + timedelta(seconds=70)).status_code == 200
    with at(T0 + timedelta(seconds=70)):
        assert logged_in.client.get(PAIRING).json()["status"] == "lost"  # a heartbeat is not a camera
    assert paired.snapshot(T0 + timedelta(seconds=70)).status_code == 201
    resumed = ProctorEvent.objects.filter(attempt=attempt, kind=ProctorEvent.PHONE_CONNECTED).last()
    assert resumed.details["resumed"] is True
    assert resumed.details["lost_seconds"] == 70  # silent from the claim at T0 to the good image
    with at(T0 + timedelta(seconds=71)):
        assert logged_in.client.get(PAIRING).json()["status"] == "live"
    sweep(now=T0 + timedelta(seconds=120))
    assert ProctorEvent.objects.filter(attempt=attempt, kind=ProctorEvent.PHONE_LOST).count() == 2
    with at(T0 + timedelta(seconds=121)):
        assert logged_in.client.get(PAIRING).json()["status"] == "lost"


def test_finished_attempts_are_not_watched(attempt, paired):
    Attempt.objects.filter(pk=attempt.pk).update(state=statuses.SUBMITTED)
    assert phones_flag_lost(now=T0 + timedelta(hours=1)) == 0
    response = paired.heartbeat(T0 + timedelta(minutes=1))
    assert response.status_code == 409
    assert response.json()["code"] == "attempt_not_open"
    page = paired.client.get("/proctoring/phone/")
    html = page.content.decode()
    assert "考试已结束" in html
    # the normal end is not a refusal: its own title, nothing about failing to connect
    assert "鹰眼监控已结束" in html and "无法连接鹰眼监控" not in html and 'data-code="attempt_finished"' in html


def test_the_phone_sends_snapshots_stored_as_phone_evidence(attempt, paired):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with at(T0 + timedelta(seconds=30)):
        response = paired.client.post(
            SNAPSHOT,
            {
                "photo": SimpleUploadedFile("p.jpg", camera_jpeg()),
                "capture_id": "ph-1",
                "captured_at": "2023-07-30T01:02:30+00:00",
            },
            HTTP_X_CSRFTOKEN=paired.csrf,
        )
        again = paired.client.post(
            SNAPSHOT,
            {"photo": SimpleUploadedFile("p.jpg", camera_jpeg()), "capture_id": "ph-1"},
            HTTP_X_CSRFTOKEN=paired.csrf,
        )
    assert response.status_code == again.status_code == 201
    assert Evidence.objects.filter(attempt=attempt, kind=Evidence.PHONE_SNAPSHOT).count() == 1
    pairing = PhonePairing.objects.get()
    assert pairing.last_heartbeat_at == pairing.last_good_image_at == T0 + timedelta(seconds=30)
    assert not ProctorEvent.objects.filter(kind=ProctorEvent.PHONE_CAMERA_PROBLEM).exists()  # judged once


def test_the_phone_cannot_upload_a_disguised_file(attempt, paired):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.proctoring.conftest import SVG

    with at(T0):
        response = paired.client.post(
            SNAPSHOT,
            {"photo": SimpleUploadedFile("p.jpg", SVG, content_type="image/jpeg")},
            HTTP_X_CSRFTOKEN=paired.csrf,
        )
    assert response.status_code == 415
    assert Evidence.objects.count() == 0


def test_the_candidate_sees_the_phone_status(logged_in, paired):
    with at(T0 + timedelta(seconds=1)):
        assert logged_in.client.get(PAIRING).json()["status"] == "live"


def test_a_heartbeat_costs_two_queries(paired):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert paired.heartbeat(T0 + timedelta(seconds=10)).status_code == 200
    assert len(queries) <= 2, [q["sql"] for q in queries]
