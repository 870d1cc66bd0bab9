from datetime import timedelta

import pytest

from exams import statuses
from exams.models import Attempt, AttemptAudit
from tests import factories
from tests.helpers import START, at

S = timedelta(seconds=1)


@pytest.fixture
def seat(attempt):
    return attempt.session, attempt.registration.candidate




def test_entry_returns_the_session_when_login_is_open(browser_client, seat):
    session, _ = seat
    with at(START - timedelta(minutes=30)):
        response = browser_client.post("entry/", {"password": session.password})
    assert response.status_code == 200
    body = response.json()["session"]
    assert body["id"] == session.id
    assert body["kind"] == "formal"
    assert body["login_opens_at"] == (START - timedelta(minutes=30)).isoformat()


def test_entry_refuses_an_unknown_password(browser_client, db):
    response = browser_client.post("entry/", {"password": "000000"})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_password"
    assert "口令" in response.json()["detail"]


@pytest.mark.parametrize("password", ["12345", "abcdef", "", 123456, None])
def test_entry_refuses_malformed_passwords_as_unknown(browser_client, db, password):
    response = browser_client.post("entry/", {"password": password})
    assert response.status_code in (400, 404)
    assert response.json()["code"] in ("unknown_password", "invalid")


def test_entry_says_the_session_expired_at_its_end(browser_client, seat):
    session, _ = seat
    with at(session.ends_at):
        response = browser_client.post("entry/", {"password": session.password})
    assert response.json()["code"] == "session_expired"
    assert "场次已过期" in response.json()["detail"]


def test_entry_refuses_a_formal_password_before_eight_on_exam_day(browser_client, seat):
    session, _ = seat
    gate = START - timedelta(hours=1)  # 08:00 Beijing time
    with at(gate - S):
        response = browser_client.post("entry/", {"password": session.password})
    assert response.json()["code"] == "exam_day_gate"
    assert "8:00" in response.json()["detail"]


def test_entry_says_when_login_opens(browser_client, seat):
    session, _ = seat
    with at(START - timedelta(minutes=30) - S):
        response = browser_client.post("entry/", {"password": session.password})
    assert response.json()["code"] == "not_open_yet"
    assert "08:30" in response.json()["detail"]


def test_login_checks_in_and_rotates_the_session(browser_client, seat):
    session, candidate = seat
    before = browser_client.client.cookies.get("sessionid")
    with at(START - timedelta(minutes=10)):
        response = browser_client.login(session, candidate)
    assert response.status_code == 200, response.json()
    attempt = response.json()["attempt"]
    assert attempt["state"] == "checked_in"
    assert attempt["candidate"]["name"] == "张三"
    assert attempt["candidate"]["id_number_masked"].count("*") == 11
    assert browser_client.client.cookies["sessionid"].value != (before.value if before else None)
    row = Attempt.objects.get(pk=attempt["id"])
    assert row.state == statuses.CHECKED_IN
    assert AttemptAudit.objects.filter(attempt=row, action="login").exists()


def test_login_accepts_a_lowercase_x(browser_client, formal_session):
    candidate = factories.CandidateFactory(id_number="11010519491231002X")
    factories.AttemptFactory(
        registration=factories.RegistrationFactory(candidate=candidate, session=formal_session)
    )
    with at(START):
        response = browser_client.post(
            "login/", {"password": formal_session.password, "id_number": "11010519491231002x"}
        )
    assert response.status_code == 200


def test_login_refuses_a_bad_checksum_with_its_own_code(browser_client, seat):
    session, _ = seat
    with at(START):
        response = browser_client.post("login/", {"password": session.password, "id_number": "110105194912310021"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_id_number"
    assert "校验位" in response.json()["detail"]


def test_login_refuses_someone_not_registered(browser_client, seat, other_candidate):
    session, _ = seat
    with at(START):
        response = browser_client.login(session, other_candidate)
    assert response.json()["code"] == "not_registered"


@pytest.mark.parametrize("offset", [timedelta(minutes=30), timedelta(minutes=30) + S])
def test_login_refuses_a_first_login_after_the_late_cutoff(browser_client, seat, offset):
    session, candidate = seat
    with at(START + offset):
        response = browser_client.login(session, candidate)
    assert response.json()["code"] == "late"
    assert "迟到" in response.json()["detail"]


def test_login_one_second_before_the_cutoff_is_on_time(browser_client, seat):
    session, candidate = seat
    with at(START + timedelta(minutes=30) - S):
        assert browser_client.login(session, candidate).status_code == 200


def test_a_candidate_who_logged_in_before_the_cutoff_may_log_in_again_after_it(make_client, seat):
    session, candidate = seat
    with at(START):
        make_client().login(session, candidate)
    with at(START + timedelta(minutes=45)):
        response = make_client().login(session, candidate)
    assert response.status_code == 200
    assert response.json()["attempt"]["leaves_used"] == 1


def test_relogins_count_leaves_but_reaching_the_limit_by_logins_never_locks(make_client, seat):
    # Issue 14: five logins with a victim's ID number used to lock the victim's attempt.
    session, candidate = seat
    with at(START):
        make_client().login(session, candidate)
        codes = [make_client().login(session, candidate).status_code for _ in range(6)]
    assert codes == [200] * 6
    attempt = Attempt.objects.get(registration__candidate=candidate)
    assert not attempt.locked
    assert attempt.leaves_used == 6
    assert attempt.proctor_events.filter(kind="leave_limit_by_login").exists()


def test_a_submitted_attempt_logs_in_to_its_result(make_client, seat):
    session, candidate = seat
    client = make_client()
    with at(START):
        client.login(session, candidate)
    with at(START + timedelta(minutes=61)):
        assert client.post("attempt/submit/").status_code == 200
        again = make_client()
        response = again.login(session, candidate)
        detail = again.get("attempt/").json()
    assert response.status_code == 200
    assert response.json()["attempt"]["state"] == "submitted"
    assert response.json()["attempt"]["receipt"]
    assert detail["state"] == "submitted"


def test_login_needs_the_csrf_token(browser_client, seat):
    session, candidate = seat
    with at(START):
        response = browser_client.post(
            "login/", {"password": session.password, "id_number": candidate.id_number}, csrf=False
        )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_malformed_json_is_a_clear_400(browser_client, db):
    response = browser_client.client.post(
        "/api/v1/candidate/entry/", data="{not json", content_type="application/json",
        HTTP_X_CSRFTOKEN=browser_client.csrf,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
