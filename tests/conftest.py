from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from exams import statuses
from tests import factories
from tests.helpers import START, CandidateClient, at


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix):
    """Browser tests drive the real stack (tests/browser/conftest.py), whose processes share the
    test database with the test: with SQLite that database must be a file, not in memory."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and any("server" in item.fixturenames for item in request.session.items):
        db.setdefault("TEST", {})["NAME"] = str(settings.VAR_DIR / f"test-{os.getpid()}.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Remember the groups the migrations made, for tests whose flush removed them; at the end,
    close psycopg's pools so that the test database can be dropped."""
    from django.contrib.auth.models import Group
    from django.db import connections

    with django_db_blocker.unblock():
        for group in Group.objects.prefetch_related("permissions__content_type"):
            factories.ROLE_PERMISSIONS[group.name] = [
                (p.content_type.app_label, p.codename) for p in group.permissions.all()
            ]
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            connection.close()
            if getattr(connection, "pool", None) is not None:
                connection.close_pool()


@pytest.fixture(autouse=True)
def _chinese_after_each_test():
    """LocaleMiddleware leaves a request's language active in the thread; a test that asked for
    English must not make later tests (which read Chinese) see English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Playwright's sync API allows one per thread): the
    browser tests and the deploy recipe's journey share it."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM_ARGS, chromium_path

    path = chromium_path()
    if not Path(path).is_file():
        pytest.fail(
            f"Chromium not found at {path}. The browser tests need Debian's chromium "
            "(`make browser` or `apt-get install chromium`), or CHROMIUM_PATH pointing to one.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def paper(db):
    return factories.full_paper()


@pytest.fixture
def formal_session(db, paper):
    return factories.SessionFactory(paper=paper, batch=paper.batch)


@pytest.fixture
def candidate(db):
    """The candidate persona: 张三, registered for the formal session."""
    return factories.CandidateFactory(name="张三")


@pytest.fixture
def other_candidate(db):
    return factories.CandidateFactory(name="李四")


@pytest.fixture
def attempt(formal_session, candidate):
    registration = factories.RegistrationFactory(candidate=candidate, session=formal_session)
    return factories.AttemptFactory(registration=registration)


@pytest.fixture
def browser_client(db):
    """A candidate's browser (tests/helpers.py), not logged in."""
    return CandidateClient()


@pytest.fixture
def make_client(db):
    """Make more candidate browsers: ``make_client()``."""
    return CandidateClient


@pytest.fixture
def logged_in(browser_client, attempt):
    """张三's browser, logged in through the API five minutes before the formal session starts;
    ``attempt`` is refreshed (checked in)."""
    with at(START - timedelta(minutes=5)):
        response = browser_client.login_as(attempt)
    assert response.status_code == 200, response.content
    attempt.refresh_from_db()
    assert attempt.state == statuses.CHECKED_IN
    return browser_client


@pytest.fixture
def organizer(db):
    return factories.staff_user("organizer", "organizer")


@pytest.fixture
def proctor(db):
    return factories.staff_user("proctor", "proctor")


@pytest.fixture
def support_agent(db):
    return factories.staff_user("support", "support")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API leaves an event loop on the main thread, and
    async tests (websocket consumers) that run after it in the same process cannot start theirs."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
