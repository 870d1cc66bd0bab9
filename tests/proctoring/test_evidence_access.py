"""Evidence is served only to staff with the evidence permission, never publicly."""

from __future__ import annotations

import pytest
from django.test import Client

from proctoring.models import Evidence
from proctoring.services.events import evidence_store
from tests import factories
from tests.helpers import START
from tests.proctoring.conftest import jpeg_bytes


@pytest.fixture
def evidence(attempt):
    return evidence_store(
        attempt=attempt, kind=Evidence.SNAPSHOT, data=jpeg_bytes(), now=START, capture_id="one"
    )


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(evidence) -> str:
    return f"/proctoring/evidence/{evidence.id}/"


def test_a_proctor_sees_the_image_inline_with_safe_headers(proctor, evidence, evidence_root):
    response = staff_client(proctor).get(url(evidence))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert ".." not in response["Content-Disposition"] and "/" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == (evidence_root / evidence.storage_name).read_bytes()


def test_an_organizer_sees_evidence_too(organizer, evidence):
    assert staff_client(organizer).get(url(evidence)).status_code == 200


def test_a_logged_in_candidate_cannot_read_evidence_even_their_own(logged_in, attempt):
    own = evidence_store(
        attempt=attempt, kind=Evidence.LOGIN_PHOTO, data=jpeg_bytes(), now=START, capture_id="me"
    )
    response = logged_in.client.get(url(own))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_visitors_are_sent_to_the_staff_login(evidence):
    response = Client().get(url(evidence))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_support_staff_cannot_see_evidence(support_agent, evidence):
    assert staff_client(support_agent).get(url(evidence)).status_code == 403


def test_staff_without_a_group_cannot_see_evidence(db, evidence):
    assert staff_client(factories.staff_user("newcomer")).get(url(evidence)).status_code == 403


def test_there_is_no_public_url_for_evidence(evidence):
    from examsite.storage import evidence_storage

    with pytest.raises(ValueError):
        evidence_storage.url(evidence.storage_name)


def test_an_unknown_evidence_id_is_404_for_staff(proctor):
    assert staff_client(proctor).get("/proctoring/evidence/999999/").status_code == 404


def test_review_pages_follow_the_same_rule(logged_in, attempt, support_agent, proctor):
    page = f"/proctoring/review/attempt/{attempt.id}/"
    assert logged_in.client.get(page).status_code == 302
    assert staff_client(support_agent).get(page).status_code == 403
    assert (
        staff_client(support_agent).get(f"/proctoring/review/session/{attempt.session_id}/").status_code
        == 403
    )
    reviewer = staff_client(proctor)
    assert reviewer.get(page).status_code == 200
    assert reviewer.get(f"/proctoring/review/session/{attempt.session_id}/").status_code == 200
    assert reviewer.get("/proctoring/review/").status_code == 200


def test_a_candidate_reads_no_evidence_through_the_admin_either(logged_in, attempt):
    response = logged_in.client.get("/admin/proctoring/evidence/")
    assert response.status_code == 302


def test_the_registered_photo_is_served_to_reviewers_only(attempt, proctor, support_agent, evidence_root):
    from proctoring.services.registered_photos import registered_photos_import

    candidate = attempt.registration.candidate
    registered_photos_import(files=[(f"{candidate.id_number}.jpg", jpeg_bytes())], actor=None, now=START)
    path = f"/proctoring/registered-photo/{candidate.id}/"
    assert staff_client(proctor).get(path).status_code == 200
    assert staff_client(support_agent).get(path).status_code == 403
    assert Client().get(path).status_code == 302


def test_images_show_on_the_timeline_through_the_authorizing_view(proctor, attempt, evidence):
    page = staff_client(proctor).get(f"/proctoring/review/attempt/{attempt.id}/")
    # The timeline shows the small derivative made at upload, linked to the full image.
    assert f'src="/proctoring/evidence/{evidence.id}/thumb/"'.encode() in page.content
    assert f'href="/proctoring/evidence/{evidence.id}/"'.encode() in page.content
    assert b"/media/" not in page.content
    thumb = staff_client(proctor).get(f"/proctoring/evidence/{evidence.id}/thumb/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    import io

    from PIL import Image
    assert max(Image.open(io.BytesIO(b"".join(thumb.streaming_content))).size) <= 160
