"""The organizer API: candidates and registrations, one at a time and in bulk."""

from __future__ import annotations

from datetime import timedelta

import pytest

from candidates.models import Candidate, Registration
from exams import statuses
from exams.models import Attempt
from tests import factories
from tests.exams.organizer_api.conftest import (
    API,
    NOW,
    bad_checksum,
    bulk_row,
    patch,
    post,
)

pytestmark = pytest.mark.django_db


def test_it_creates_a_candidate_with_a_lower_case_x_uppercased(api):
    id_number = next(
        factories.resident_id(seq) for seq in range(1000) if factories.resident_id(seq).endswith("X")
    )

    status, body = post(api, "candidates/", {"name": "张三", "id_number": id_number.lower()})

    assert status == 201, body
    assert body["id_number"] == id_number
    assert Candidate.objects.get().id_number == id_number


def test_it_refuses_an_invalid_id_number(api):
    status, body = post(api, "candidates/", {"name": "张三", "id_number": bad_checksum(1)})

    assert status == 400
    assert body["errors"]["id_number"] == "居民身份证号校验位不正确，请核对后重新输入。"
    assert Candidate.objects.count() == 0


def test_it_refuses_to_change_a_candidate_id_number(api, candidate):
    status, body = patch(api, f"candidates/{candidate.pk}/", {"id_number": factories.resident_id(777)})

    assert status == 400
    assert "id_number" in body["errors"]
    status, body = patch(api, f"candidates/{candidate.pk}/", {"name": "张叁", "phone": "13800000000"})
    assert status == 200
    candidate.refresh_from_db()
    assert (candidate.name, candidate.phone) == ("张叁", "13800000000")


def test_it_registers_a_candidate_and_opens_the_attempt(api, candidate, formal_session):
    status, body = post(
        api,
        "registrations/",
        {"candidate": candidate.pk, "session": formal_session.pk, "admission_ticket": "202300000001"},
    )

    assert status == 201, body
    attempt = Attempt.objects.get(registration_id=body["id"])
    assert body["attempt"] == attempt.pk
    assert attempt.state == statuses.REGISTERED
    assert attempt.deadline == formal_session.ends_at


def test_it_refuses_a_registration_for_a_missing_session(api, candidate):
    status, body = post(api, "registrations/", {"candidate": candidate.pk, "session": 4242})

    assert status == 400
    assert "4242" in body["errors"]["session"]
    assert Registration.objects.count() == 0


def test_it_registers_many_candidates_at_once(api, formal_session):
    mock = factories.SessionFactory(
        batch=formal_session.batch, kind="mock", starts_at=NOW + timedelta(days=1)
    )
    rows = [bulk_row(formal_session, 1), bulk_row(formal_session, 2), bulk_row(mock, 1)]

    status, body = post(api, "registrations/bulk/", rows)

    assert status == 201, body
    assert body["count"] == 3
    assert Candidate.objects.count() == 2
    assert Registration.objects.filter(session=formal_session).count() == 2
    assert Attempt.objects.count() == 3
    assert all(r["attempt"] for r in body["registrations"])


def test_it_registers_nobody_when_one_row_is_bad_and_names_the_row(api, formal_session):
    rows = [bulk_row(formal_session, n) for n in range(5)]
    rows[3]["id_number"] = bad_checksum(3)

    status, body = post(api, "registrations/bulk/", rows)

    assert status == 400
    assert body["code"] == "invalid"
    assert body["errors"] == {"[3].id_number": "居民身份证号校验位不正确，请核对后重新输入。"}
    assert "[3].id_number" in body["detail"]
    assert Candidate.objects.count() == 0
    assert Registration.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_it_lists_every_bad_row_of_a_bulk_registration(api, formal_session):
    rows = [bulk_row(formal_session, n) for n in range(6)]
    rows[1]["session"] = 999_999
    rows[2]["name"] = ""
    rows[3]["document_type"] = "driving_licence"
    rows[4] = bulk_row(formal_session, 0)  # the same seat as row 0
    rows[5]["session"] = "not a number"

    status, body = post(api, "registrations/bulk/", rows)

    assert status == 400
    assert set(body["errors"]) == {
        "[1].session",
        "[2].name",
        "[3].document_type",
        "[4].id_number",
        "[5].session",
    }
    assert "999999" in body["errors"]["[1].session"]
    assert "[0]" in body["errors"]["[4].id_number"]
    assert Candidate.objects.count() == 0


def test_it_refuses_a_bulk_registration_that_is_not_a_list(api, formal_session):
    status, body = post(api, "registrations/bulk/", bulk_row(formal_session, 1))

    assert status == 400
    assert "rows" in body["errors"]


def test_it_refuses_malformed_json_with_its_own_code(api):
    response = api.post(API + "registrations/bulk/", data='[{"name": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
