"""Issue 16, the candidate's side of the walk-through: the device check runs again at every
login until its session ends (each run kept), and a re-login that counts as a leave says so."""

from __future__ import annotations

from datetime import timedelta

import pytest

from candidates.models import DeviceCheckRun, Registration
from exams.models import Attempt, AttemptAudit
from tests import factories
from tests.helpers import START, at


@pytest.fixture
def device_check_attempt(db, paper, candidate):
    session = factories.SessionFactory(paper=paper, batch=paper.batch, kind="device_check",
                                       lock_screen=False, max_screen_leaves=None, min_answer_time=None)
    registration = factories.RegistrationFactory(candidate=candidate, session=session)
    return factories.AttemptFactory(registration=registration)


def test_a_submitted_device_check_runs_again_at_the_next_login_until_the_session_ends(
    make_client, device_check_attempt,
):
    attempt = device_check_attempt
    for run in range(3):
        with at(START + timedelta(minutes=10 + run)):
            client = make_client()
            login = client.login_as(attempt)
            assert login.status_code == 200, login.content
            assert login.json()["attempt"]["state"] == "checked_in"
            recorded = client.post("attempt/device-check/", {"result": {"camera": run != 1, "browser": "Chrome 120"}})
            assert recorded.status_code == 200, recorded.content
            submitted = client.post("attempt/submit/")
            assert submitted.status_code == 200, submitted.content
    registration = Registration.objects.get(pk=attempt.registration_id)
    runs = list(DeviceCheckRun.objects.filter(registration=registration).order_by("checked_at"))
    assert [r.result["camera"] for r in runs] == [True, False, True]
    assert registration.device_check["camera"] is True  # the latest run is what organizers see
    assert registration.device_checked_at == runs[-1].checked_at
    assert AttemptAudit.objects.filter(attempt=attempt, action="device_check_again").count() == 2

    with at(attempt.session.ends_at + timedelta(minutes=1)):
        after = make_client().login_as(attempt)
    assert after.status_code == 410 and after.json()["code"] == "session_expired"
    assert Attempt.objects.get(pk=attempt.pk).state == "submitted"


def test_a_submitted_exam_still_logs_in_to_its_result(make_client, attempt):
    with at(START - timedelta(minutes=5)):
        client = make_client()
        client.login_as(attempt)
    Attempt.objects.filter(pk=attempt.pk).update(state="submitted", receipt="R1")
    with at(START + timedelta(minutes=30)):
        again = make_client().login_as(attempt)
    assert again.json()["attempt"]["state"] == "submitted"
    assert Attempt.objects.get(pk=attempt.pk).receipt == "R1"


def test_the_page_after_a_relogin_counted_as_a_leave_says_so_once(make_client, attempt):
    with at(START - timedelta(minutes=5)):
        make_client().login_as(attempt)
    with at(START + timedelta(minutes=10)):
        make_client().login_as(attempt)
        client = make_client()
        assert client.login_as(attempt).json()["login"]["counted_as_leave"] is True
        first = client.client.get("/exam/photo/")
        again = client.client.get("/exam/photo/")
    assert first.status_code == 200
    assert "重新登录已计为离开 2/5 次" in first.content.decode()
    assert "重新登录已计为离开" not in again.content.decode()


def test_the_leave_notice_reads_in_english(make_client, attempt):
    with at(START - timedelta(minutes=5)):
        make_client().login_as(attempt)
    with at(START + timedelta(minutes=10)):
        client = make_client()
        client.client.cookies["django_language"] = "en"
        client.login_as(attempt)
        page = client.client.get("/exam/photo/").content.decode()
    assert "Logging in again counted as a leave: 1/5." in page
