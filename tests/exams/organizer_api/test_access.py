"""The organizer API: who may use it (anonymous, candidates, staff by permission, tokens)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.authtoken.models import Token

from candidates.models import Candidate, Registration
from exams.models import ExamSession
from tests import factories
from tests.exams.organizer_api.conftest import (
    API,
    ORGANIZER_PERMS,
    bulk_row,
    call,
    client_for,
    get,
    post,
    question,
    session_body,
    user_with,
)

pytestmark = pytest.mark.django_db


ENDPOINTS = [
    ("get", "batches/"),
    ("get", "sessions/"),
    ("get", "papers/"),
    ("get", "candidates/"),
    ("get", "registrations/"),
    ("post", "sessions/"),
    ("post", "registrations/bulk/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_it_refuses_anonymous_users_with_not_logged_in(client, method, path):
    response = call(client, method, path)

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_logged_in"


def test_it_refuses_anonymous_users_the_attempts_and_results_of_a_session(client, formal_session):
    for path in (f"sessions/{formal_session.pk}/attempts/", f"sessions/{formal_session.pk}/results/"):
        status, body = get(client, path)
        assert status in (401, 403)
        assert body["code"] == "not_logged_in"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_it_refuses_a_candidate_logged_in_to_an_attempt(client, attempt, method, path):
    session = client.session
    session["attempt_id"] = attempt.pk
    session.save()

    response = call(client, method, path)

    assert response.status_code == 403
    assert Registration.objects.count() == 1


def test_it_refuses_a_candidate_the_results_of_their_own_session(client, attempt):
    session = client.session
    session["attempt_id"] = attempt.pk
    session.save()

    status, body = get(client, f"sessions/{attempt.session_id}/results/")

    assert status == 403
    assert "id_number" not in json.dumps(body)


def test_it_refuses_a_user_who_is_not_staff_even_with_permissions(formal_session):
    client = client_for(user_with(*ORGANIZER_PERMS, is_staff=False))

    status, body = get(client, "sessions/")

    assert status == 403
    assert body["code"] == "forbidden"


def test_it_refuses_staff_without_the_model_permission(formal_session):
    client = client_for(user_with())

    for path in ("batches/", "sessions/", "papers/", "candidates/", "registrations/"):
        status, body = get(client, path)
        assert status == 403, path
        assert body["code"] == "forbidden"


def test_it_refuses_staff_who_may_read_but_not_write(formal_session):
    client = client_for(user_with("exams.view_examsession", "exams.view_exambatch"))

    assert get(client, "sessions/")[0] == 200
    status, body = post(client, "sessions/", session_body(formal_session.batch))

    assert status == 403
    assert body["code"] == "forbidden"
    assert ExamSession.objects.count() == 1


def test_it_refuses_results_to_staff_who_may_not_see_candidates(attempt):
    client = client_for(user_with("exams.view_examsession", "exams.view_attempt"))

    assert get(client, f"sessions/{attempt.session_id}/attempts/")[0] == 200
    assert get(client, f"sessions/{attempt.session_id}/results/")[0] == 403


def test_it_refuses_bulk_registration_to_staff_who_may_not_change_candidates(formal_session):
    client = client_for(user_with("candidates.add_registration", "candidates.view_registration"))

    status, _body = post(client, "registrations/bulk/", [bulk_row(formal_session, 1)])

    assert status == 403
    assert Candidate.objects.count() == 0


def test_it_lets_the_organizer_group_do_everything_the_api_offers(formal_session):
    organizer = factories.staff_user("organizer", "organizer")
    assert Group.objects.get(name="organizer") in organizer.groups.all()
    client = client_for(organizer)

    status, body = get(client, f"sessions/?batch={formal_session.batch_id}")
    assert status == 200
    assert [s["id"] for s in body["results"]] == [formal_session.pk]
    status, body = post(client, "sessions/", session_body(formal_session.batch, name="正式考试 实操"))
    assert status == 201, body
    status, body = post(client, "papers/", {"name": "实操卷", "questions": [question("essay")]})
    assert status == 201, body
    status, body = post(client, "registrations/bulk/", [bulk_row(formal_session, 1)])
    assert status == 201, body
    assert get(client, f"sessions/{formal_session.pk}/attempts/")[0] == 200
    assert get(client, f"sessions/{formal_session.pk}/results/")[0] == 200


def test_it_lets_the_proctor_group_read_attempts_but_not_build_sessions(formal_session):
    client = client_for(factories.staff_user("proctor", "proctor"))

    assert get(client, f"sessions/{formal_session.pk}/attempts/")[0] == 200
    assert post(client, "sessions/", session_body(formal_session.batch))[0] == 403
    assert post(client, "registrations/bulk/", [bulk_row(formal_session, 1)])[0] == 403


def test_it_accepts_a_token(formal_session):
    user = user_with(*ORGANIZER_PERMS)
    token = Token.objects.create(user=user)

    response = Client().get(API + "sessions/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_it_serves_the_schema_to_staff_only(client, api):
    response = api.get("/api/schema/?format=json")

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in (
        "/api/v1/organizer/batches/",
        "/api/v1/organizer/sessions/",
        "/api/v1/organizer/papers/",
        "/api/v1/organizer/candidates/",
        "/api/v1/organizer/registrations/",
        "/api/v1/organizer/registrations/bulk/",
        "/api/v1/organizer/sessions/{id}/attempts/",
        "/api/v1/organizer/sessions/{id}/results/",
    ):
        assert path in paths, path
    bulk = paths["/api/v1/organizer/registrations/bulk/"]["post"]
    assert bulk["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    assert "400" in bulk["responses"]
    assert client.get("/api/schema/").status_code in (401, 403)
