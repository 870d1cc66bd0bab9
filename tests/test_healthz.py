"""GET /healthz: what the load balancer and the operator see when the database or Redis is down."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from unittest import mock

import pytest
import redis
from django.db import OperationalError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from examsite import launcher

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def redis_url():
    """A private Redis on a unix socket (short path: the socket name is limited to ~100 bytes)."""
    workdir = Path(tempfile.mkdtemp(prefix="hz-", dir="/tmp"))
    sock = workdir / "redis.sock"
    process = subprocess.Popen(
        [launcher.redis_binary(), "--port", "0", "--unixsocket", str(sock), "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(unix_socket_path=str(sock)).ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"unix://{sock}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def dead_redis_url():
    """A TCP port nobody listens on."""
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def hung_redis_url():
    """A server that accepts connections and never answers (a Redis stopped with SIGSTOP)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def probe(client, **extra):
    started = time.monotonic()
    response = client.get("/healthz", **extra)
    return response, time.monotonic() - started


@pytest.mark.django_db
def test_it_answers_ok_when_the_database_and_redis_answer(client, redis_url):
    with override_settings(REDIS_URL=redis_url):
        response, _ = probe(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"db": "ok", "redis": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_names_the_database_when_the_database_is_down(client, redis_url):
    with override_settings(REDIS_URL=redis_url), mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response, _ = probe(client)
    assert response.status_code == 503
    assert response.json() == {"db": "down", "redis": "ok"}


@pytest.mark.django_db
def test_it_names_redis_when_nothing_listens_there(client, dead_redis_url):
    with override_settings(REDIS_URL=dead_redis_url):
        response, took = probe(client)
    assert response.status_code == 503
    assert response.json() == {"db": "ok", "redis": "down"}
    assert took < 2


@pytest.mark.django_db
def test_it_gives_up_on_a_redis_that_does_not_answer_within_about_a_second(client, hung_redis_url):
    with override_settings(REDIS_URL=hung_redis_url):
        response, took = probe(client)
    assert response.status_code == 503
    assert response.json() == {"db": "ok", "redis": "down"}
    assert took < 3


@pytest.mark.django_db
def test_it_names_both_when_both_are_down(client, dead_redis_url):
    with override_settings(REDIS_URL=dead_redis_url), mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response, _ = probe(client)
    assert response.status_code == 503
    assert response.json() == {"db": "down", "redis": "down"}


@pytest.mark.django_db
def test_it_runs_one_select_and_sets_no_cookie(client, redis_url):
    with override_settings(REDIS_URL=redis_url), CaptureQueriesContext(connection) as queries:
        response, _ = probe(client)
    assert response.status_code == 200
    assert [query["sql"] for query in queries.captured_queries] == ["SELECT 1"]
    assert "Set-Cookie" not in response.headers
    assert not response.cookies


@pytest.mark.django_db
def test_it_ignores_a_staff_session_cookie(client, organizer, redis_url):
    """A browser with a staff login opening /healthz: still one query, no session refreshed."""
    client.force_login(organizer)
    with override_settings(REDIS_URL=redis_url, OTP_REQUIRED_FOR_ORGANIZERS=True), \
            CaptureQueriesContext(connection) as queries:
        response, _ = probe(client)
    assert response.status_code == 200
    assert [query["sql"] for query in queries.captured_queries] == ["SELECT 1"]
    assert not response.cookies


@pytest.mark.django_db
def test_it_answers_head_and_refuses_writes(client, redis_url):
    with override_settings(REDIS_URL=redis_url):
        assert client.head("/healthz").status_code == 200
        assert client.post("/healthz").status_code == 405


def test_with_production_settings_a_plain_http_probe_is_answered_not_redirected(tmp_path, dead_redis_url):
    """DEBUG off and SECURE_SSL_REDIRECT on, as deployed: the load balancer probes the backend
    over plain HTTP; /healthz answers, every other path still redirects to HTTPS."""
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='exam.example.org')\n"
        "h = c.get('/healthz')\n"
        "n = c.get('/notice/x/')\n"
        "print(json.dumps({'status': h.status_code, 'body': h.json(), 'cookies': list(h.cookies),\n"
        "                  'other': n.status_code, 'location': n.get('Location')}))\n"
    )
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="examsite.settings", DEBUG="0", SECRET_KEY="healthz-test-" + "x" * 40,
        ALLOWED_HOSTS="exam.example.org", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=dead_redis_url,
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == 503
    assert seen["body"] == {"db": "ok", "redis": "down"}
    assert seen["cookies"] == []
    assert seen["other"] == 301
    assert seen["location"] == "https://exam.example.org/notice/x/"
