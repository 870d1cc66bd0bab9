"""Issue 14, identity: a login never locks, a login elsewhere is on the record and on both pages,
the optional admission ticket factor, and failed logins counted per address on their own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exams import presence
from exams.models import Attempt, AttemptAudit
from proctoring.models import ProctorEvent
from tests import factories
from tests.helpers import START, at, distinct_resident_id


@pytest.fixture
def pushes(monkeypatch):
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("exams.live.send_on_commit", lambda group, message: sent.append((group, message)))
    return sent


def test_a_login_before_the_start_never_counts_a_leave(make_client, attempt):
    # Finding 2: five logins before the start used to lock the victim's attempt.
    with at(START - timedelta(minutes=20)):
        responses = [make_client().login_as(attempt) for _ in range(8)]
    assert [r.status_code for r in responses] == [200] * 8
    attempt.refresh_from_db()
    assert attempt.leaves_used == 0 and not attempt.locked
    assert responses[-1].json()["login"] == {"first": False, "counted_as_leave": False, "relogin_elsewhere": False}


def test_a_relogin_during_the_exam_counts_one_leave_and_the_page_is_told(make_client, attempt):
    with at(START - timedelta(minutes=5)):
        make_client().login_as(attempt)
    with at(START + timedelta(minutes=10)):
        response = make_client().login_as(attempt)
    assert response.json()["login"]["counted_as_leave"] is True
    assert response.json()["attempt"]["leaves_used"] == 1
    assert response.json()["attempt"]["leaves_max"] == 5


def test_reaching_the_limit_through_logins_alerts_the_wall_instead_of_locking(make_client, attempt, pushes):
    with at(START - timedelta(minutes=5)):
        make_client().login_as(attempt)
    with at(START + timedelta(minutes=10)):
        codes = [make_client().login_as(attempt).status_code for _ in range(5)]
        last = make_client().login_as(attempt)
    assert codes == [200] * 5 and last.status_code == 200
    attempt.refresh_from_db()
    assert not attempt.locked and attempt.leaves_used == 6
    alerts = ProctorEvent.objects.filter(attempt=attempt, kind="leave_limit_by_login")
    assert alerts.count() == 2  # the fifth and the sixth login
    assert AttemptAudit.objects.filter(attempt=attempt, action="leave_limit_by_login").exists()
    assert not AttemptAudit.objects.filter(attempt=attempt, action="lock").exists()
    monitor = [m["alert"] for g, m in pushes if g == f"monitor.{attempt.session_id}" and m.get("alert")]
    assert any(a["kind"] == "leave_limit_by_login" and a["attempt"] == attempt.id for a in monitor)


def test_leaves_seen_on_the_live_page_still_lock_at_the_limit(logged_in, attempt):
    with at(START + timedelta(minutes=10)):
        response = logged_in.events(*[{"kind": "screen_leave"}] * 5)
    assert response.status_code == 200 and response.json()["locked"] is True
    with at(START + timedelta(minutes=11)):
        assert logged_in.login_as(attempt).status_code == 423


def test_a_login_while_another_page_is_live_is_recorded_and_both_pages_are_told(make_client, attempt, pushes):
    first = make_client()
    with at(START - timedelta(minutes=5)):
        first.login_as(attempt)
    attempt.refresh_from_db()
    presence.page_seen(attempt.id, attempt.client_id)  # the first page's socket is connected
    stranger = make_client()
    with at(START + timedelta(minutes=10)):
        response = stranger.client.post(
            "/api/v1/candidate/login/",
            data={"password": attempt.session.password, "id_number": attempt.registration.candidate.id_number},
            content_type="application/json", HTTP_X_CSRFTOKEN=stranger.csrf,
            HTTP_USER_AGENT="StrangerBrowser/1.0", REMOTE_ADDR="198.51.100.99",
        )
    assert response.status_code == 200
    assert response.json()["login"]["relogin_elsewhere"] is True
    event = ProctorEvent.objects.get(attempt=attempt, kind="relogin_elsewhere")
    assert event.details == {"address": "198.51.100.99", "user_agent": "StrangerBrowser/1.0"}
    to_pages = [m for g, m in pushes if g == f"attempt.{attempt.id}"]
    assert {"type": "relogin_elsewhere", "at": (START + timedelta(minutes=10)).isoformat()} in [
        m.get("payload") for m in to_pages
    ]
    assert any(m["type"] == "attempt.superseded" for m in to_pages)
    monitor = [m["alert"] for g, m in pushes if g == f"monitor.{attempt.session_id}" and m.get("alert")]
    assert any(a["kind"] == "relogin_elsewhere" for a in monitor)
    # The stranger's login is on the staff timeline too.
    assert ProctorEvent.objects.filter(attempt=attempt, kind="relogin").latest("at").details["address"] == (
        "198.51.100.99"
    )


def test_a_login_after_the_other_page_closed_is_not_elsewhere(make_client, attempt):
    with at(START - timedelta(minutes=5)):
        make_client().login_as(attempt)
    attempt.refresh_from_db()
    presence.page_seen(attempt.id, attempt.client_id)
    presence.page_gone(attempt.id, attempt.client_id)
    with at(START + timedelta(minutes=10)):
        response = make_client().login_as(attempt)
    assert response.json()["login"]["relogin_elsewhere"] is False
    assert not ProctorEvent.objects.filter(attempt=attempt, kind="relogin_elsewhere").exists()


# --- the admission ticket factor ---------------------------------------------------------------


@pytest.fixture
def ticket_batch(attempt):
    batch = attempt.session.batch
    batch.login_requires_admission_ticket = True
    batch.save()
    return attempt


def login_with(client, attempt, **extra):
    body = {"password": attempt.session.password, "id_number": attempt.registration.candidate.id_number, **extra}
    return client.post("login/", body)


def test_the_entry_answer_says_the_session_needs_the_admission_ticket(browser_client, ticket_batch):
    with at(START - timedelta(minutes=5)):
        response = browser_client.post("entry/", {"password": ticket_batch.session.password})
    assert response.json()["session"]["needs_admission_ticket"] is True


def test_without_the_ticket_number_the_login_is_refused(browser_client, ticket_batch):
    with at(START - timedelta(minutes=5)):
        response = login_with(browser_client, ticket_batch)
    assert response.status_code == 400
    assert response.json()["code"] == "admission_ticket_required"
    assert "准考证号" in response.json()["detail"]
    ticket_batch.refresh_from_db()
    assert ticket_batch.state == "registered"


def test_a_wrong_ticket_number_is_a_failed_login_and_the_right_one_logs_in(make_client, ticket_batch, settings):
    settings.LOGIN_RATE_PER_ID = "3/m"
    real = ticket_batch.registration.admission_ticket
    with at(START - timedelta(minutes=5)):
        wrong = [login_with(make_client(), ticket_batch, admission_ticket="WRONG1").json()["code"] for _ in range(3)]
        throttled = login_with(make_client(), ticket_batch, admission_ticket=real.lower())
    assert wrong == ["not_registered"] * 3
    assert throttled.status_code == 429  # counted like a wrong ID number
    from exams.services.login_throttle import login_throttle_clear

    login_throttle_clear(now=START, id_number=ticket_batch.registration.candidate.id_number)
    with at(START - timedelta(minutes=4)):
        response = login_with(make_client(), ticket_batch, admission_ticket=f" {real.lower()} ")
    assert response.status_code == 200


def test_batches_without_the_flag_ignore_the_field(browser_client, attempt):
    with at(START - timedelta(minutes=5)):
        response = login_with(browser_client, attempt, admission_ticket="anything")
    assert response.status_code == 200


# --- failed logins per address -----------------------------------------------------------------


def test_enumerating_id_numbers_from_one_address_is_stopped_early(make_client, attempt, settings):
    # Finding 2: 100 distinct guesses went through in 0.7 s, limited only by 300/min per address.
    settings.LOGIN_FAILURES_PER_IP = "20/10m"
    codes = []
    with at(START - timedelta(minutes=5)):
        for n in range(30):
            codes.append(make_client().post(
                "login/", {"password": attempt.session.password, "id_number": distinct_resident_id(5000 + n)}
            ).status_code)
        real = make_client().login_as(attempt)
    assert codes[:20] == [403] * 20
    assert set(codes[20:]) == {429}
    assert real.status_code == 429  # the address is slowed, whoever logs in from it


def test_an_exam_centre_behind_one_address_is_never_slowed_by_its_own_logins(make_client, formal_session, settings):
    settings.LOGIN_FAILURES_PER_IP = "20/10m"
    attempts = [
        factories.AttemptFactory(registration=factories.RegistrationFactory(session=formal_session))
        for _ in range(40)
    ]
    with at(START - timedelta(minutes=5)):
        codes = [make_client().login_as(a).status_code for a in attempts]
    assert codes == [200] * 40
    assert Attempt.objects.filter(session=formal_session, state="checked_in").count() == 40


def test_organizers_set_the_admission_ticket_factor_through_the_api(organizer, db):
    import json

    from django.test import Client

    client = Client()
    client.force_login(organizer)
    created = client.post(
        "/api/v1/organizer/batches/", data=json.dumps({"name": "批次", "slug": "ticket-batch"}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["login_requires_admission_ticket"] is False
    changed = client.patch(
        f"/api/v1/organizer/batches/{created.json()['id']}/",
        data=json.dumps({"login_requires_admission_ticket": True}), content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["login_requires_admission_ticket"] is True
