"""Cross-site requests: sockets check Origin, API writes need the CSRF token."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from tests import factories
from tests.helpers import START, CandidateClient, at
from tests.security.sockets import FOREIGN_ORIGIN, GOOD_ORIGIN, connect, live_attempt

# --- websockets: AllowedHostsOriginValidator on every socket ------------------------------------


def _staff_cookie(username: str, group: str | None = None, *, superuser: bool = False) -> str:
    client = Client()
    client.force_login(factories.staff_user(username, group, superuser=superuser))
    return f"sessionid={client.cookies['sessionid'].value}"


def _candidate_with_ticket() -> tuple[str, int]:
    attempt, password, id_number = live_attempt()
    client = CandidateClient()
    assert client.post("login/", {"password": password, "id_number": id_number}).status_code == 200
    asked = client.client.post(
        "/api/v1/support/tickets/",
        json.dumps({"category": "other", "text": "求助", "contact": "1"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.csrf,
    )
    assert asked.status_code == 201, asked.content
    return f"sessionid={client.client.cookies['sessionid'].value}", attempt.session_id


async def _outcomes(path: str, cookie: str) -> dict[str, bool]:
    results = {}
    for name, origin in (("good", GOOD_ORIGIN), ("foreign", FOREIGN_ORIGIN), ("missing", None)):
        ws, connected = await connect(path, cookie=cookie, origin=origin)
        results[name] = connected
        if connected:
            await ws.disconnect()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_monitor_socket_refuses_a_missing_or_foreign_origin():
    cookie = await sync_to_async(_staff_cookie)("boss", superuser=True)
    _candidate, session_id = await sync_to_async(_candidate_with_ticket)()
    assert await _outcomes(f"/ws/monitor/{session_id}/", cookie) == {
        "good": True,
        "foreign": False,
        "missing": False,
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_support_queue_socket_refuses_a_missing_or_foreign_origin():
    cookie = await sync_to_async(_staff_cookie)("helpdesk", "support")
    assert await _outcomes("/ws/support/", cookie) == {"good": True, "foreign": False, "missing": False}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_candidates_ticket_socket_refuses_a_missing_or_foreign_origin():
    cookie, _session_id = await sync_to_async(_candidate_with_ticket)()
    assert await _outcomes("/ws/support/mine/", cookie) == {"good": True, "foreign": False, "missing": False}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_attempt_socket_refuses_a_missing_or_foreign_origin():
    cookie, _session_id = await sync_to_async(_candidate_with_ticket)()
    assert await _outcomes("/ws/attempt/", cookie) == {"good": True, "foreign": False, "missing": False}


# --- CSRF on API writes ----------------------------------------------------------------------------

CANDIDATE_WRITES = [
    ("attempt/answers/", {"entries": [{"question": 1, "value": "A", "seq": 1}]}),
    ("attempt/start/", {}),
    ("attempt/submit/", {}),
    ("attempt/events/", {"events": [{"kind": "focus_lost"}]}),
    ("attempt/device-check/", {"result": {"camera": "ok"}}),
    ("logout/", {}),
]


@pytest.mark.django_db
def test_a_logged_in_candidates_writes_without_the_csrf_token_are_refused(browser_client, seat):
    session, candidate = seat
    with at(START - timedelta(minutes=5)):
        assert browser_client.login(session, candidate).status_code == 200
        responses = [browser_client.post(path, body, csrf=False) for path, body in CANDIDATE_WRITES]
        still_in = browser_client.get("attempt/")
    assert [(r.status_code, r.json()["code"]) for r in responses] == [(403, "csrf_failed")] * len(
        CANDIDATE_WRITES
    )
    assert "刷新页面" in responses[0].json()["detail"]
    assert still_in.status_code == 200  # the refused logout did not log out


@pytest.mark.django_db
def test_anonymous_entry_and_login_without_the_csrf_token_are_refused(browser_client, seat):
    session, candidate = seat
    with at(START - timedelta(minutes=5)):
        entry = browser_client.post("entry/", {"password": session.password}, csrf=False)
        login = browser_client.post(
            "login/", {"password": session.password, "id_number": candidate.id_number}, csrf=False
        )
    assert (entry.status_code, entry.json()["code"]) == (403, "csrf_failed")
    assert (login.status_code, login.json()["code"]) == (403, "csrf_failed")


@pytest.mark.django_db
def test_a_wrong_csrf_token_is_refused_too(browser_client, seat):
    session, _ = seat
    response = browser_client.client.post(
        "/api/v1/candidate/entry/",
        json.dumps({"password": session.password}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN="x" * 32,
    )
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


@pytest.mark.django_db
def test_support_api_writes_without_the_csrf_token_are_refused(browser_client):
    response = browser_client.client.post(
        "/api/v1/support/tickets/",
        json.dumps({"category": "other", "text": "求助", "contact": "1"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


@pytest.mark.django_db
def test_organizer_api_writes_over_a_session_without_the_csrf_token_are_refused(organizer, attempt):
    client = Client(enforce_csrf_checks=True)
    client.force_login(organizer)
    writes = [
        client.post(
            "/api/v1/organizer/batches/",
            json.dumps({"name": "x", "slug": "x"}),
            content_type="application/json",
        ),
        client.patch(
            f"/api/v1/organizer/papers/{attempt.session.paper_id}/",
            json.dumps({"name": "x"}),
            content_type="application/json",
        ),
        client.post(
            f"/api/v1/organizer/attempts/{attempt.id}/unlock/",
            json.dumps({"reason": "x"}),
            content_type="application/json",
        ),
        client.post(
            "/api/v1/organizer/throttle/clear/",
            json.dumps({"ip": "127.0.0.1"}),
            content_type="application/json",
        ),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert all("CSRF" in r.json()["detail"] for r in writes)
    assert client.get("/api/v1/organizer/batches/").status_code == 200  # reads need no token


@pytest.mark.django_db
def test_staff_pages_refuse_a_form_post_without_the_csrf_token(attempt):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.staff_user("boss", superuser=True))
    response = client.post(
        f"/proctoring/review/attempt/{attempt.id}/decide/", {"decision": "clear", "reason": "x"}
    )
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert not attempt.review_decisions.exists()
