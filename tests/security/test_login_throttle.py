"""Candidate login throttling: per address, per session password, per (password, ID number)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from exams.models import Attempt
from tests import factories
from tests.helpers import at
from tests.security.conftest import LOGIN_OPEN

pytestmark = pytest.mark.django_db


def wrong_id(n: int) -> str:
    """A valid resident ID number that nobody registered."""
    return factories.resident_id(900 + n, birth="19800101")


def login(client, password, id_number, **meta):
    return client.client.post(
        "/api/v1/candidate/login/",
        data=json.dumps({"password": password, "id_number": id_number}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.csrf,
        **meta,
    )


def assert_throttled(response):
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert "秒后重试" in body["detail"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["retry_after"] == int(response["Retry-After"])


@override_settings(LOGIN_RATE_PER_ID="3/m")
def test_it_throttles_repeated_wrong_logins_for_one_id_number(browser_client, seat):
    session, _candidate = seat
    with at(LOGIN_OPEN):
        codes = [login(browser_client, session.password, wrong_id(1)).json()["code"] for _ in range(3)]
        fourth = login(browser_client, session.password, wrong_id(1))
        other_id = login(browser_client, session.password, wrong_id(2))
    assert codes == ["not_registered"] * 3
    assert_throttled(fourth)
    assert other_id.json()["code"] == "not_registered"


@override_settings(LOGIN_RATE_PER_ID="3/m")
def test_a_throttled_id_number_is_counted_afresh_in_the_next_window(browser_client, seat):
    session, _ = seat
    with at(LOGIN_OPEN):
        for _ in range(3):
            login(browser_client, session.password, wrong_id(1))
        assert_throttled(login(browser_client, session.password, wrong_id(1)))
    with at(LOGIN_OPEN + timedelta(seconds=61)):
        assert login(browser_client, session.password, wrong_id(1)).json()["code"] == "not_registered"


@override_settings(LOGIN_RATE_PER_ID="2/m")
def test_a_real_candidate_logging_in_again_and_again_is_never_throttled(
    make_client, formal_session, candidate
):
    session = factories.SessionFactory(
        batch=formal_session.batch, paper=formal_session.paper, max_screen_leaves=50
    )
    factories.AttemptFactory(registration=factories.RegistrationFactory(candidate=candidate, session=session))
    with at(LOGIN_OPEN):
        statuses = [login(make_client(), session.password, candidate.id_number).status_code for _ in range(6)]
    assert statuses == [200] * 6
    assert Attempt.objects.get(session=session).login_count == 6


@override_settings(LOGIN_RATE_PER_ID="2/m")
def test_refusals_for_a_real_seat_do_not_use_up_its_budget(make_client, seat):
    session, candidate = seat
    with at(session.starts_at + timedelta(minutes=31)):  # never logged in: late
        codes = [login(make_client(), session.password, candidate.id_number).json()["code"] for _ in range(4)]
    assert codes == ["late"] * 4


@override_settings(LOGIN_RATE_PER_PASSWORD="3/m", LOGIN_RATE_PER_ID="")
def test_it_throttles_id_number_guessing_against_one_session_password(make_client, seat):
    session, candidate = seat
    with at(LOGIN_OPEN):
        for n in range(3):
            login(make_client(), session.password, wrong_id(n))
        throttled = login(make_client(), session.password, candidate.id_number)
        other_session = factories.SessionFactory(batch=session.batch, paper=session.paper)
        elsewhere = login(make_client(), other_session.password, wrong_id(7))
    assert_throttled(throttled)
    assert elsewhere.json()["code"] == "not_registered"


@override_settings(LOGIN_RATE_PER_IP="3/m")
def test_every_login_from_one_address_counts_towards_its_limit(make_client, seat):
    session, candidate = seat
    with at(LOGIN_OPEN):
        for _ in range(3):
            assert login(make_client(), session.password, candidate.id_number).status_code in (200, 423)
        assert_throttled(login(make_client(), session.password, candidate.id_number))
        elsewhere = login(make_client(), session.password, candidate.id_number, REMOTE_ADDR="203.0.113.9")
    assert elsewhere.status_code in (200, 423)


@override_settings(LOGIN_RATE_PER_IP="2/m", TRUSTED_PROXY_COUNT=0)
def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(make_client, seat):
    session, _ = seat
    with at(LOGIN_OPEN):
        responses = [
            login(make_client(), session.password, wrong_id(n), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
            for n in range(3)
        ]
    assert [r.status_code for r in responses[:2]] == [403, 403]
    assert_throttled(responses[2])


@override_settings(LOGIN_RATE_PER_IP="2/m", TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_address_it_saw_is_the_one_counted(make_client, seat):
    session, _ = seat
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    with at(LOGIN_OPEN):
        first = [
            login(
                make_client(),
                session.password,
                wrong_id(n),
                HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.5",
                **proxy,
            )
            for n in range(3)
        ]
        other_client = login(
            make_client(), session.password, wrong_id(5), HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy
        )
    assert_throttled(first[2])  # the forged left-most entries changed nothing
    assert other_client.json()["code"] == "not_registered"


@override_settings(ENTRY_RATE_PER_IP="2/m")
def test_the_password_entry_is_throttled_per_address(browser_client, seat):
    session, _ = seat
    post = lambda: browser_client.post("entry/", {"password": session.password})  # noqa: E731
    with at(LOGIN_OPEN):
        codes = [post().status_code for _ in range(2)]
        assert_throttled(post())
    assert codes == [200, 200]


@override_settings(LOGIN_RATE_PER_ID="2/m")
def test_the_clear_command_lets_a_throttled_candidate_in_at_once(make_client, seat, other_candidate, capsys):
    """Not registered, tries until throttled; an organizer registers them: they get in at once."""
    session, _ = seat
    with at(LOGIN_OPEN):
        codes = [
            login(make_client(), session.password, other_candidate.id_number).json()["code"] for _ in range(2)
        ]
        factories.AttemptFactory(
            registration=factories.RegistrationFactory(candidate=other_candidate, session=session)
        )
        assert_throttled(login(make_client(), session.password, other_candidate.id_number))
        call_command("clear_login_throttle", id_number=other_candidate.id_number.lower())
        after = login(make_client(), session.password, other_candidate.id_number)
    assert codes == ["not_registered"] * 2
    assert after.status_code == 200
    assert "cleared id:" in capsys.readouterr().out


@override_settings(LOGIN_RATE_PER_IP="2/m")
def test_the_clear_command_reopens_an_exam_centre_behind_one_address(make_client, seat):
    session, candidate = seat
    with at(LOGIN_OPEN):
        for n in range(2):
            login(make_client(), session.password, wrong_id(n))
        assert_throttled(login(make_client(), session.password, candidate.id_number))
        call_command("clear_login_throttle", ip="127.0.0.1")
        assert login(make_client(), session.password, candidate.id_number).status_code == 200


def test_the_clear_command_needs_something_to_clear(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="至少"):
        call_command("clear_login_throttle")


@override_settings(LOGIN_RATE_PER_ID="1/m", LOGIN_RATE_PER_PASSWORD="1/m")
@pytest.mark.parametrize("who", ["proctor", "support_agent", "organizer"])
def test_staff_who_may_unlock_can_clear_a_throttle_through_the_api(make_client, seat, who, request):
    session, candidate = seat
    staff = request.getfixturevalue(who)
    with at(LOGIN_OPEN):
        login(make_client(), session.password, wrong_id(1))
        assert login(make_client(), session.password, candidate.id_number).status_code == 429
        client = Client()
        client.force_login(staff)
        response = client.post(
            "/api/v1/organizer/throttle/clear/",
            {"id_number": candidate.id_number, "password": session.password},
            content_type="application/json",
        )
        again = login(make_client(), session.password, candidate.id_number)
    assert response.status_code == 200, response.json()
    assert sorted(c.split(":")[0] for c in response.json()["cleared"]) == ["id", "password"]
    assert again.status_code == 200


def test_only_staff_who_may_unlock_can_clear_a_throttle(browser_client, seat):
    session, candidate = seat
    body = json.dumps({"id_number": candidate.id_number})
    anonymous = Client().post("/api/v1/organizer/throttle/clear/", body, content_type="application/json")
    nobody = Client()
    nobody.force_login(factories.staff_user("nobody"))
    refused = nobody.post("/api/v1/organizer/throttle/clear/", body, content_type="application/json")
    with at(LOGIN_OPEN):
        login(browser_client, session.password, candidate.id_number)
    as_candidate = browser_client.client.post(
        "/api/v1/organizer/throttle/clear/",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser_client.csrf,
    )
    assert anonymous.status_code in (401, 403)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert as_candidate.status_code in (401, 403)


def test_clearing_refuses_an_invalid_address(organizer):
    client = Client()
    client.force_login(organizer)
    response = client.post(
        "/api/v1/organizer/throttle/clear/", {"ip": "not-an-ip"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"ip": "IP 地址格式不正确。"}


BROKEN_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: connection refused
    }
}


@override_settings(LOGIN_RATE_PER_IP="1/m", LOGIN_RATE_PER_ID="1/m", ENTRY_RATE_PER_IP="1/m")
def test_with_the_cache_down_throttling_fails_open_and_login_still_works(make_client, seat, caplog):
    session, candidate = seat
    with at(LOGIN_OPEN), override_settings(CACHES=BROKEN_REDIS):
        entries = [make_client().post("entry/", {"password": session.password}).status_code for _ in range(3)]
        wrong = [login(make_client(), session.password, wrong_id(1)).status_code for _ in range(3)]
        right = login(make_client(), session.password, candidate.id_number)
    assert entries == [200, 200, 200]
    assert wrong == [403, 403, 403]
    assert right.status_code == 200, right.content
    assert "login throttle: cache unavailable" in caplog.text


def test_limits_are_settings_with_generous_defaults():
    from django.conf import settings

    assert settings.LOGIN_RATE_PER_IP == "300/m"
    assert settings.LOGIN_RATE_PER_PASSWORD == "5000/m"
    assert settings.LOGIN_RATE_PER_ID == "10/m"
    assert settings.ENTRY_RATE_PER_IP == "300/m"
