"""Fuzz the candidate and organizer APIs from their OpenAPI schema (schemathesis): no 5xx.

The schema is the one /api/schema/ serves (drf-spectacular), built in-process. Each
operation gets schema-conforming and schema-violating requests (schemathesis' positive and
negative modes) through the real middleware stack, as a logged-in candidate (with the CSRF
token) or a logged-in superuser. Bounded: a handful of examples per operation, so the whole
file runs in well under a minute.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import (  # type: ignore[attr-defined]  # private helpers the stubs leave out
    _get_new_csrf_string,
    _mask_cipher_secret,
)
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings, strategies
from schemathesis import GenerationMode
from schemathesis.core.result import Err

from tests import factories
from tests.helpers import CandidateClient
from tests.security.sockets import live_attempt

EXAMPLES_PER_OPERATION = 12
CANDIDATE_PREFIXES = ("/api/v1/candidate/", "/api/v1/support/", "/api/v1/proctoring/")
ORGANIZER_PREFIXES = ("/api/v1/organizer/",)
# Logging out mid-run would leave the rest of the run anonymous; it is tested on its own.
SKIP = {("POST", "/api/v1/candidate/logout/")}


def openapi_document() -> dict:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))


SCHEMA = schemathesis.openapi.from_dict(openapi_document())
WSGI = get_wsgi_application()


def operations(prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    found = []
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if operation.path.startswith(prefixes) and key not in SKIP:
            found.append(key)
    return sorted(found)


CANDIDATE_OPERATIONS = operations(CANDIDATE_PREFIXES)
ORGANIZER_OPERATIONS = operations(ORGANIZER_PREFIXES)


def fuzz(method: str, path: str, *, cookies: dict[str, str], headers: dict[str, str]) -> None:
    operation = SCHEMA[path][method]
    cases = strategies.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(app=WSGI, cookies=cookies, headers=headers)
        assert response.status_code < 500, (
            f"{method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}\n"
            f"query={case.query!r} body={case.body!r}"
        )
        if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith(
            "application/json"
        ):
            assert "code" in response.json(), response.text[:300]

    # Like Django's test client: the WSGI handler must not close the test's DB connection (and
    # its transaction) at the end of each request. (The test client reconnects these signals
    # after each of its own requests, so this is done here, right before the run.)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        run()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_schema_covers_both_apis():
    assert ("POST", "/api/v1/candidate/attempt/answers/") in CANDIDATE_OPERATIONS
    assert ("POST", "/api/v1/candidate/login/") in CANDIDATE_OPERATIONS
    assert ("POST", "/api/v1/organizer/papers/") in ORGANIZER_OPERATIONS
    assert len(CANDIDATE_OPERATIONS) >= 10 and len(ORGANIZER_OPERATIONS) >= 10


@pytest.fixture(autouse=True)
def site_address(settings):
    """Schemathesis calls the app as ``localhost``: a production site reached by a loopback name
    refuses to hand out the phone's QR link (503 site_address_unknown, tested in
    tests/proctoring/test_pairing_address.py); here the site has its address configured."""
    settings.SITE_URL = "https://exam.example.org"


@pytest.fixture
def candidate_cookies(db):
    _attempt, password, id_number = live_attempt()
    client = CandidateClient()
    assert client.post("login/", {"password": password, "id_number": id_number}).status_code == 200
    cookies = {name: morsel.value for name, morsel in client.client.cookies.items()}
    return cookies, {"X-CSRFToken": client.csrf}


@pytest.fixture
def organizer_cookies(db):
    live_attempt()  # some rows for the ids to hit
    client = Client()
    client.force_login(factories.staff_user("fuzzer", superuser=True))
    secret = _get_new_csrf_string()
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": secret}
    return cookies, {"X-CSRFToken": _mask_cipher_secret(secret)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path", CANDIDATE_OPERATIONS, ids=[f"{m} {p}" for m, p in CANDIDATE_OPERATIONS]
)
def test_the_candidate_api_never_answers_with_a_server_error(method, path, candidate_cookies):
    cookies, headers = candidate_cookies
    fuzz(method, path, cookies=cookies, headers=headers)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path", ORGANIZER_OPERATIONS, ids=[f"{m} {p}" for m, p in ORGANIZER_OPERATIONS]
)
def test_the_organizer_api_never_answers_with_a_server_error(method, path, organizer_cookies):
    cookies, headers = organizer_cookies
    fuzz(method, path, cookies=cookies, headers=headers)
