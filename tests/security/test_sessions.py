"""Candidate sessions: rotated at login, safe cookies in production, sockets closed at logout.

Production settings are checked by importing examsite.settings in a subprocess with a
production environment (DEBUG=0), the way Daphne would load them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from examsite.session_store import SessionStore
from tests.helpers import CandidateClient, at
from tests.security.conftest import LOGIN_OPEN
from tests.security.sockets import connect, live_attempt

BASE_DIR = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
print(json.dumps({
    "debug": settings.DEBUG,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "session_samesite": settings.SESSION_COOKIE_SAMESITE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "csrf_samesite": settings.CSRF_COOKIE_SAMESITE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "otp_required": settings.OTP_REQUIRED_FOR_ORGANIZERS,
    "connect_src": policy["connect-src"],
    "script_src": policy["script-src"],
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""


def load_settings(**env: str | None) -> subprocess.CompletedProcess[str]:
    """Import the settings as production would; a variable given as None is unset."""
    environment: dict[str, str | None] = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "ALLOWED_HOSTS", "OTP_"))
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "examsite.settings",
            "SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            **env,
        }
    )
    present = {key: value for key, value in environment.items() if value is not None}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=BASE_DIR,
        env=present,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_cookies_are_secure_httponly_and_same_site():
    result = load_settings(DEBUG="0", ALLOWED_HOSTS="exam.example.org")
    assert result.returncode == 0, result.stderr
    prod = json.loads(result.stdout.strip().splitlines()[-1])
    assert prod["debug"] is False
    assert prod["session_secure"] and prod["session_httponly"]
    assert prod["session_samesite"] == "Lax"
    assert prod["csrf_secure"] and prod["csrf_samesite"] == "Lax"
    assert prod["hsts"] >= 31536000 and prod["ssl_redirect"]
    assert prod["otp_required"] is True  # two-factor for organizers is on by default in production
    assert prod["script_src"] == ["'self'"]
    assert prod["connect_src"] == ["'self'", "wss://exam.example.org"]


def test_production_refuses_a_wildcard_allowed_hosts():
    result = load_settings(DEBUG="0", ALLOWED_HOSTS="*")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS may not contain '*'" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DEBUG="0", ALLOWED_HOSTS="exam.example.org", SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_login_rotates_the_session_so_a_planted_session_id_is_worthless(browser_client, seat):
    session, candidate = seat
    planted = SessionStore()
    planted["support_tickets"] = []
    planted.create()
    browser_client.client.cookies["sessionid"] = planted.session_key
    with at(LOGIN_OPEN):  # sessions expire: read them at the same instant
        response = browser_client.login(session, candidate)
        new_key = browser_client.client.cookies["sessionid"].value
        bound = SessionStore(session_key=new_key).get("attempt_id")
        planted_now = SessionStore(session_key=planted.session_key).get("attempt_id")
    assert response.status_code == 200
    assert new_key != planted.session_key
    assert bound == response.json()["attempt"]["id"]
    assert planted_now is None


@pytest.mark.django_db
def test_the_session_cookie_is_httponly_and_same_site(browser_client, seat):
    session, candidate = seat
    with at(LOGIN_OPEN):
        response = browser_client.login(session, candidate)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_after_logout_the_old_session_is_not_logged_in(browser_client, seat):
    session, candidate = seat
    with at(LOGIN_OPEN):
        browser_client.login(session, candidate)
        key = browser_client.client.cookies["sessionid"].value
        assert browser_client.post("logout/").status_code == 204
        after = browser_client.get("attempt/")
        old = SessionStore(session_key=key).get("attempt_id")
    assert after.status_code in (401, 403) and after.json()["code"] == "not_logged_in"
    assert old is None


# --- sockets ---------------------------------------------------------------------------------


def _http_login(client, attempt, candidate_id_number, password):
    response = client.post("login/", {"password": password, "id_number": candidate_id_number})
    assert response.status_code == 200, response.content
    return client.client.cookies["sessionid"].value


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_logging_out_closes_that_pages_open_sockets():
    attempt, password, id_number = await sync_to_async(live_attempt)()
    client = await sync_to_async(CandidateClient)()
    key = await sync_to_async(_http_login)(client, attempt, id_number, password)
    ws, connected = await connect("/ws/attempt/", cookie=f"sessionid={key}")
    assert connected
    assert (await ws.receive_json_from())["type"] == "sync"
    response = await sync_to_async(client.post)("logout/")
    assert response.status_code == 204
    closed = await ws.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4401}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_superseded_page_logging_out_leaves_the_newer_pages_socket_open():
    attempt, password, id_number = await sync_to_async(live_attempt)()
    old, new = await sync_to_async(CandidateClient)(), await sync_to_async(CandidateClient)()
    await sync_to_async(_http_login)(old, attempt, id_number, password)
    new_key = await sync_to_async(_http_login)(new, attempt, id_number, password)
    ws, connected = await connect("/ws/attempt/", cookie=f"sessionid={new_key}")
    assert connected
    assert (await ws.receive_json_from())["type"] == "sync"
    assert (await sync_to_async(old.post)("logout/")).status_code == 204
    assert await ws.receive_nothing(timeout=0.5)
    await ws.send_json_to({"type": "ping", "client_time": 1})
    assert (await ws.receive_json_from())["type"] == "pong"
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_new_login_elsewhere_closes_the_old_pages_socket():
    from exams.services import journey

    attempt, password, id_number = await sync_to_async(live_attempt)()
    client = await sync_to_async(CandidateClient)()
    key = await sync_to_async(_http_login)(client, attempt, id_number, password)
    ws, _ = await connect("/ws/attempt/", cookie=f"sessionid={key}")
    await ws.receive_json_from()
    await sync_to_async(journey.candidate_login)(password=password, id_number=id_number, now=timezone.now())
    assert await ws.receive_json_from(timeout=3) == {"type": "superseded"}
    assert (await ws.receive_output(timeout=3))["code"] == 4409
