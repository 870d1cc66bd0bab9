"""The organizer API: the attempts and results of a session."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from exams import statuses
from exams.models import Attempt
from tests import factories
from tests.exams.organizer_api.conftest import (
    NOW,
    get,
)

pytestmark = pytest.mark.django_db


def test_it_lists_the_attempts_of_a_session_with_masked_id_numbers(api, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(
        state=statuses.SUBMITTED,
        leaves_used=2,
        score=Decimal("8.00"),
        receipt="ab" * 32,
        finished_at=NOW,
    )
    id_number = attempt.registration.candidate.id_number

    status, body = get(api, f"sessions/{attempt.session_id}/attempts/")

    assert status == 200
    [row] = body["results"]
    assert row["candidate_name"] == "张三"
    assert row["id_number_masked"] == id_number[:3] + "*" * 11 + id_number[-4:]
    assert id_number not in json.dumps(body)
    assert (row["state"], row["leaves_used"], row["locked"], row["score"], row["decision"]) == (
        "submitted",
        2,
        False,
        "8.00",
        "",
    )
    assert row["receipt"] == "ab" * 32
    assert row["finished_at"] is not None


def test_it_filters_attempts_by_state(api, attempt, other_candidate):
    registration = factories.RegistrationFactory(candidate=other_candidate, session=attempt.session)
    factories.AttemptFactory(registration=registration, state=statuses.IN_PROGRESS)

    status, body = get(api, f"sessions/{attempt.session_id}/attempts/?state=in_progress")

    assert [r["candidate_name"] for r in body["results"]] == ["李四"]


def test_it_gives_the_results_of_a_session_per_registration(api, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(
        state=statuses.COLLECTED,
        score=Decimal("6.50"),
        needs_marking=True,
        decision=statuses.DECISION_WARNING,
    )
    registration = attempt.registration

    status, body = get(api, f"sessions/{attempt.session_id}/results/")

    assert status == 200
    row = body["results"][0]
    assert len(body["results"]) == 1
    assert {key: row[key] for key in (
        "registration", "admission_ticket", "name", "id_number", "subject", "state", "objective_score",
        "total", "essays_waiting", "decision", "finished_at",
    )} == {
        "registration": registration.pk,
        "admission_ticket": registration.admission_ticket,
        "name": "张三",
        "id_number": registration.candidate.id_number,
        "subject": registration.subject,
        "state": "collected",
        "objective_score": "6.50",
        "total": "6.50",
        "essays_waiting": 0,
        "decision": "warning",
        "finished_at": None,
    }


def test_it_answers_404_for_the_attempts_of_a_missing_session(api):
    status, body = get(api, "sessions/4242/attempts/")

    assert status == 404
    assert body["code"] == "not_found"
