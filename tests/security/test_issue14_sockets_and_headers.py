"""Issue 14, lower findings: the websocket origin check (scheme, host and port), staff sockets
that end with the staff session, the one client-address rule for DRF's throttles,
``Cache-Control: no-store`` on candidate responses, and the staff timeline endpoint."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client, override_settings

from examsite.ws_origin import origin_allowed
from proctoring.models import ProctorEvent
from proctoring.services.events import evidence_store
from support.models import Ticket
from tests import factories
from tests.helpers import START, CandidateClient, at
from tests.proctoring.conftest import jpeg_bytes
from tests.security.sockets import connect


def scope(origin: str | None, host: str = "exam.example.org", scheme: str = "wss", **headers: str) -> dict:
    raw = [(b"host", host.encode())]
    if origin is not None:
        raw.append((b"origin", origin.encode()))
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": raw}


@override_settings(ALLOWED_HOSTS=["exam.example.org"], CSRF_TRUSTED_ORIGINS=["https://admin.example.org"],
                   SECURE_PROXY_SSL_HEADER=None)
@pytest.mark.parametrize(
    "origin,host,scheme,allowed",
    [
        ("https://exam.example.org", "exam.example.org", "wss", True),
        ("https://exam.example.org:443", "exam.example.org", "wss", True),
        ("http://exam.example.org", "exam.example.org", "wss", False),  # scheme differs
        ("https://exam.example.org:8443", "exam.example.org", "wss", False),  # port differs
        ("https://exam.example.org", "exam.example.org:8443", "wss", False),
        ("https://evil.example", "exam.example.org", "wss", False),
        ("https://evil.example", "evil.example", "wss", False),  # host not allowed
        ("https://admin.example.org", "exam.example.org", "wss", True),  # a CSRF_TRUSTED_ORIGINS entry
        ("http://admin.example.org", "exam.example.org", "wss", False),
        (None, "exam.example.org", "wss", False),
        ("null", "exam.example.org", "wss", False),
    ],
)
def test_the_websocket_origin_must_be_the_site_itself_or_trusted(origin, host, scheme, allowed):
    assert origin_allowed(scope(origin, host, scheme)) is allowed


@override_settings(ALLOWED_HOSTS=["exam.example.org"], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_the_tls_proxy_the_forwarded_scheme_is_the_sites():
    assert origin_allowed(scope("https://exam.example.org", scheme="ws", **{"x-forwarded-proto": "https"}))
    assert not origin_allowed(scope("http://exam.example.org", scheme="ws", **{"x-forwarded-proto": "https"}))


# --- staff sockets end with the staff session ---------------------------------------------------


def _staff_login(username: str, group: str) -> Client:
    client = Client()
    client.force_login(factories.staff_user(username, group))
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_staff_socket_closes_when_the_staff_member_logs_out():
    session = await sync_to_async(factories.SessionFactory)()
    proctor = await sync_to_async(_staff_login)("watcher", "proctor")
    support = await sync_to_async(_staff_login)("helpdesk", "support")
    monitor, ok1 = await connect(f"/ws/monitor/{session.id}/",
                                 cookie=f"sessionid={proctor.cookies['sessionid'].value}")
    queue, ok2 = await connect("/ws/support/", cookie=f"sessionid={support.cookies['sessionid'].value}")
    assert ok1 and ok2
    await monitor.receive_json_from()  # counts
    await queue.receive_json_from()  # hello
    await sync_to_async(proctor.logout)()
    await sync_to_async(support.logout)()
    assert (await monitor.receive_output(timeout=2))["code"] == 4401
    assert (await queue.receive_output(timeout=2))["code"] == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_staff_socket_closes_when_the_session_ends_without_a_logout(settings):
    settings.STAFF_SOCKET_RECHECK_SECONDS = 0.2
    session = await sync_to_async(factories.SessionFactory)()
    proctor = await sync_to_async(_staff_login)("watcher", "proctor")
    key = proctor.cookies["sessionid"].value
    monitor, ok = await connect(f"/ws/monitor/{session.id}/", cookie=f"sessionid={key}")
    assert ok
    await monitor.receive_json_from()

    def expire() -> None:
        from importlib import import_module

        from django.conf import settings as live_settings

        import_module(live_settings.SESSION_ENGINE).SessionStore(session_key=key).delete()

    await sync_to_async(expire)()
    assert (await monitor.receive_output(timeout=3))["code"] == 4401


# --- one client-address rule --------------------------------------------------------------------


def test_rotating_x_forwarded_for_does_not_buy_new_anonymous_tickets(db, settings):
    # Finding 3: 1,500 tickets in 23 s by rotating a client-written X-Forwarded-For.
    settings.TRUSTED_PROXY_COUNT = 1
    codes = []
    for n in range(62):
        client = CandidateClient()  # a fresh cookie jar each time, as the attacker did
        codes.append(client.client.post(
            "/api/v1/support/tickets/", data=json.dumps({"text": f"问题 {n}", "contact": "1"}),
            content_type="application/json", HTTP_X_CSRFTOKEN=client.csrf,
            REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"6.6.{n}.6, 198.51.100.7",
        ).status_code)
    assert codes[:60] == [201] * 60
    assert codes[60:] == [429, 429]
    assert Ticket.objects.count() == 60


# --- no-store ----------------------------------------------------------------------------------


def test_every_candidate_api_response_and_page_is_no_store(logged_in, attempt):
    with at(START + timedelta(minutes=1)):
        responses = {
            "attempt": logged_in.get("attempt/"),
            "answers": logged_in.save((attempt.session.paper.questions.first().id, "A", 1)),
            "refusal": logged_in.post("entry/", {"password": "000000"}),
            "exam page": logged_in.client.get("/exam/"),
            "confirm page": logged_in.client.get("/exam/confirm/"),
            "support": logged_in.get("/api/v1/support/tickets/mine/"),
        }
    for name, response in responses.items():
        assert "no-store" in response.get("Cache-Control", ""), name


# --- the staff timeline ---------------------------------------------------------------------------


def test_staff_read_an_attempts_timeline_paged(logged_in, attempt, proctor, support_agent, settings, tmp_path):
    settings.EVIDENCE_ROOT = str(tmp_path)
    with at(START + timedelta(minutes=1)):
        logged_in.post("attempt/start/")
        logged_in.events({"kind": "screen_leave", "client_time": "2023-07-30T01:01:00+00:00", "details": {"n": 1}})
    evidence_store(attempt=attempt, kind="snapshot", data=jpeg_bytes(), now=START + timedelta(minutes=2),
                   capture_id="s")
    client = Client()
    client.force_login(proctor)
    url = f"/api/v1/organizer/attempts/{attempt.id}/timeline/"
    body = client.get(url).json()
    kinds = [e["kind"] for e in body["events"]]
    assert kinds == ["login", "screen_leave"]
    leave = body["events"][1]
    assert set(leave) == {"kind", "at", "client_time", "details"}
    assert leave["client_time"] == "2023-07-30T01:01:00+00:00" and leave["details"] == {"n": 1}
    assert body["evidence"][0]["kind"] == "snapshot"
    assert body["evidence"][0]["thumbnail_url"].endswith("/thumb/")
    page = client.get(url, {"limit": 1, "offset": 1}).json()
    assert [e["kind"] for e in page["events"]] == ["screen_leave"] and page["events_total"] == 2
    outsider = Client()
    outsider.force_login(support_agent)
    assert outsider.get(url).status_code == 403
    assert Client().get(url).status_code in (401, 403)
    assert ProctorEvent.objects.filter(attempt=attempt).count() == 2
