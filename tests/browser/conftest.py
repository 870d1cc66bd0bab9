"""Browser tests: Debian's Chromium driven by Playwright against the real stack.

The stack is started by ``examsite.launcher`` exactly as ``make run`` starts it (Daphne serving
the pages, static files through WhiteNoise, websockets, a Celery worker with the one beat, a
private Redis), on the test database: a SQLite file (tests/conftest.py makes the test database a
file when browser tests run) or the PostgreSQL test database. Tests write their fixtures with the
ORM and read what the pages did from the same database. One stack and one browser per test
session, a fresh browser context (cookies, storage) per test. Time is real here (the browser and
the stack use the real clock), so sessions are created relative to now, never time-machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from examsite.launcher import Stack

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run
# next to it. The ORM calls here are plain synchronous test code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

@dataclass
class Server:
    url: str
    stack: Stack


def database_url(settings_dict: dict[str, Any]) -> str:
    """The test database as a DATABASE_URL for the stack's processes."""
    name = str(settings_dict["NAME"])
    if settings_dict["ENGINE"].endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("browser tests need the SQLite test database in a file (tests/conftest.py)")
        return f"sqlite:///{name}"
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{name}"


@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """The stack as ``make run`` starts it, on the test database."""
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    workdir = tmp_path_factory.mktemp("stack")  # short enough for the Redis unix socket
    stack = Stack(
        workdir,
        database_url=database_url(connection.settings_dict),
        debug=True,
        logs=workdir,
        env={
            "SECRET_KEY": settings.SECRET_KEY,
            "EVIDENCE_ROOT": settings.EVIDENCE_ROOT,
            "SWEEP_INTERVAL_SECONDS": "1",
            "DB_POOL": "0",
        },
    )
    # The test process talks to the stack's Redis (pushes from services called in a test reach the
    # pages; the throttles and caches the tests clear are the stack's) and hashes staff passwords
    # the way the stack checks them.
    shared = override_settings(
        CACHES={"default": {
            "BACKEND": "examsite.cache.SharedRedisCache", "LOCATION": stack.redis_url, "KEY_PREFIX": "exam",
            "TIMEOUT": 3600,
        }},
        CHANNEL_LAYERS={"default": {
            "BACKEND": "examsite.channel_layer.BoundedRedisChannelLayer",
            "CONFIG": {"hosts": [stack.redis_url], "capacity": 1500, "expiry": 30},
        }},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
    )
    try:
        stack.start_redis()
        shared.enable()
        stack.start_daphne()
        stack.start_worker(beat=True)
        yield Server(url=stack.url(), stack=stack)
    finally:
        stack.close()
        shared.disable()


@pytest.fixture
def new_context(browser, server, transactional_db):
    """Browser contexts on the stack; closed before the test's data is flushed."""
    opened = []

    def make(**options):
        options.setdefault("base_url", server.url)
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(10_000)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


@pytest.fixture
def context(new_context):
    return new_context(
        permissions=["camera", "microphone"],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 800},
    )


@pytest.fixture
def page(context):
    return context.new_page()


def read_db(fn: Callable[[], Any]) -> Any:
    """Read what the stack's processes wrote (committed rows of the shared test database)."""
    return fn()


def wait_for_db(fn: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll until fn() is truthy (bounded); returns its last value."""
    deadline = time.monotonic() + timeout
    value = fn()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = fn()
    return value


@pytest.fixture
def make_seat(transactional_db):
    """A formal session around real now with the candidate 张三 registered for it."""
    from django.utils import timezone

    from exams.models import Attempt
    from exams.services.registrations import registration_create
    from tests import factories

    def make(*, questions: int = 5, starts_in: timedelta = timedelta(minutes=-1),
             duration: timedelta = timedelta(hours=2), **session_fields) -> Attempt:
        now = timezone.now()
        paper = factories.full_paper()
        for extra in range(questions - 5):
            factories.QuestionFactory(paper=paper, position=6 + extra, text=f"补充题 {extra + 1}")
        session_fields.setdefault("min_answer_time", timedelta(0))
        session_fields.setdefault("exam_day_gate", None)  # the suite runs at any hour
        # Required steps OFF unless a test asks for them: most browser tests enter the exam
        # through the API without a login photo (the journey test takes one anyway).
        session_fields.setdefault("requires_login_photo", False)
        session_fields.setdefault("requires_phone_monitor", False)
        session_fields.setdefault("requires_scratch_paper", False)
        session = factories.SessionFactory.create(
            paper=paper, batch=paper.batch, starts_at=now + starts_in,
            ends_at=now + starts_in + duration, password_published_at=now - timedelta(days=8),
            **session_fields,
        )
        candidate = factories.CandidateFactory.create(name="张三")
        registration = registration_create(
            candidate=candidate, session=session, now=now, admission_ticket="20230730001",
        )
        return Attempt.objects.select_related("session", "registration__candidate").get(
            registration=registration
        )

    return make


def api_login(context, attempt) -> None:
    """Log in through the API (the cookie lands in the browser context)."""
    context.request.get("/api/v1/candidate/csrf/")
    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    response = context.request.post(
        "/api/v1/candidate/login/",
        data={"password": attempt.session.password, "id_number": attempt.registration.candidate.id_number},
        headers={"X-CSRFToken": token},
    )
    assert response.ok, response.text()


def enter_exam(page) -> None:
    """Open the exam page and pass the lock-screen gate when there is one."""
    from playwright.sync_api import expect

    page.goto("/exam/")
    page.wait_for_function(
        "() => !document.getElementById('fullscreen-gate').hidden"
        " || document.querySelector('#question-nav button') !== null"
    )
    gate = page.get_by_role("button", name="进入全屏并继续")
    if gate.is_visible():
        gate.click()
    expect(page.locator("#question-nav button").first).to_be_visible()
