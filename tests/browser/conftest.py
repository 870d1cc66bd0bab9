"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live_server.

One browser per test session, a fresh context (cookies, storage) per test. Time is real here
(the browser uses the real clock), so sessions are created relative to now, never time-machine.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run
# next to it. The ORM calls here are plain synchronous test code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

# With in-memory SQLite the live server's request threads share the test's one connection;
# requests (and the test's reads while the browser runs) take turns on it.
DB_LOCK = threading.RLock()


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session", autouse=True)
def _live_server_setup():
    """Prepare the live server before pytest-django starts it (once per session)."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connection
    from django.test import override_settings
    from django.test.testcases import LiveServerThread

    # Evidence has no public URL (MEDIA_URL None); the live server's media handler needs a
    # string, and one on another host makes sure it never serves evidence files.
    media = override_settings(MEDIA_URL="http://media.invalid/")
    media.enable()
    original = LiveServerThread.server_class
    if connection.vendor == "sqlite" and connection.is_in_memory_db():

        class SerializedWSGIServer(ThreadedWSGIServer):
            def set_app(self, application):
                def serialized(environ, start_response):
                    with DB_LOCK:
                        return application(environ, start_response)

                super().set_app(serialized)

        LiveServerThread.server_class = SerializedWSGIServer
    yield
    LiveServerThread.server_class = original
    media.disable()


@pytest.fixture(scope="session")
def browser(live_server):
    path = chromium_path()
    if not Path(path).is_file():
        pytest.fail(
            f"Chromium not found at {path}. The browser tests need Debian's chromium "
            "(`make browser` or `apt-get install chromium`), or CHROMIUM_PATH pointing to one.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(
        base_url=live_server.url,
        permissions=["camera", "microphone"],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 800},
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


def locked_db(fn: Callable[[], Any]) -> Any:
    """Read the database from the test while the browser may be sending requests."""
    with DB_LOCK:
        return fn()


def wait_for_db(fn: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll until fn() is truthy (bounded); returns its last value."""
    deadline = time.monotonic() + timeout
    value = locked_db(fn)
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = locked_db(fn)
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
        session = factories.SessionFactory(
            paper=paper, batch=paper.batch, starts_at=now + starts_in,
            ends_at=now + starts_in + duration, password_published_at=now - timedelta(days=8),
            **session_fields,
        )
        candidate = factories.CandidateFactory(name="张三")
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
