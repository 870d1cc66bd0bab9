"""Publication: refused while marks or reviews are missing, overridable with a reason, audited;
then the candidate sees their own result; the receipt check."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from exams.models import AttemptAudit
from proctoring.models import ReviewDecision
from results.models import MarkingTask, ResultPublication
from tests.helpers import CandidateClient, at
from tests.results.conftest import AFTER
from tests.results.test_results_and_exports import give_final

API = "/api/v1/organizer/sessions/"


@pytest.fixture
def organizer_client(organizer):
    client = Client()
    client.force_login(organizer)
    return client


def publish(client, session, **body):
    with at(AFTER):
        return client.post(f"{API}{session.pk}/publish-results/", body, content_type="application/json")


def mark_everything(essay_session) -> None:
    zhang, li, _wang = essay_session["attempts"]
    give_final(zhang, essay_session["essay"], "7.5")
    give_final(zhang, essay_session["second"], "2")
    give_final(li, essay_session["essay"], "3")


def test_publication_is_refused_while_answers_are_unmarked(essay_session, organizer_client):
    response = publish(organizer_client, essay_session["session"])
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "results_not_ready"
    assert body["missing"] == {"unmarked_answers": 3}
    assert "3 份需人工评阅的答案（简答题、与标准答案不符的填空题）尚未评阅完成" in body["detail"]
    assert not ResultPublication.objects.exists()


def test_publication_is_refused_while_a_void_waits_for_its_second_reviewer(essay_session, organizer_client, proctor):
    mark_everything(essay_session)
    ReviewDecision.objects.create(
        attempt=essay_session["attempts"][1], decision="voided", status=ReviewDecision.PENDING, reviewer=proctor,
        reason="替考", at=AFTER,
    )
    body = publish(organizer_client, essay_session["session"]).json()
    assert body["code"] == "results_not_ready" and body["missing"] == {"pending_reviews": 1}


def test_an_override_with_a_reason_publishes_and_is_audited(essay_session, organizer_client, organizer):
    response = publish(organizer_client, essay_session["session"], override_reason="主管批准先行公布客观题成绩")
    assert response.status_code == 200, response.content
    publication = ResultPublication.objects.get()
    assert publication.override_reason == "主管批准先行公布客观题成绩"
    assert publication.missing == {"unmarked_answers": 3}
    assert publication.published_by == organizer and publication.publishes_at == AFTER
    audit = AttemptAudit.objects.filter(action="results_publish")
    assert audit.count() == 3 and {a.reason for a in audit} == {"主管批准先行公布客观题成绩"}


def test_publication_needs_the_publish_permission(essay_session, proctor):
    client = Client()
    client.force_login(proctor)
    assert publish(client, essay_session["session"], override_reason="x").status_code == 403


def result_of(client: CandidateClient, attempt, when, **extra):
    with at(when):
        return client.post(
            "result/", {"password": attempt.session.password,
                        "id_number": attempt.registration.candidate.id_number, **extra},
        )


def test_the_candidate_sees_when_results_come_then_their_own_result(essay_session, organizer_client, browser_client):
    zhang = essay_session["attempts"][0]
    before = result_of(browser_client, zhang, AFTER)
    assert before.status_code == 200
    assert before.json() == {"published": False, "publishes_at": None, "score": None, "max_score": None,
                             "passed": None, "decision": None, "receipt": zhang.receipt}
    mark_everything(essay_session)
    later = AFTER + timedelta(days=1)
    assert publish(organizer_client, essay_session["session"], at=later.isoformat()).status_code == 200
    waiting = result_of(browser_client, zhang, AFTER + timedelta(hours=1)).json()
    assert waiting["published"] is False and waiting["publishes_at"] == later.isoformat()
    assert waiting["score"] is None
    shown = result_of(browser_client, zhang, later + timedelta(minutes=1)).json()
    assert shown == {"published": True, "publishes_at": later.isoformat(), "score": "15.50", "max_score": "23.00",
                     "passed": True, "decision": "", "receipt": zhang.receipt}


def test_a_wrong_id_number_or_ticket_finds_no_result(essay_session, browser_client):
    zhang = essay_session["attempts"][0]
    with at(AFTER):
        response = browser_client.post("result/", {"password": zhang.session.password, "id_number": "X1234567"})
    assert response.status_code == 404 and response.json()["code"] == "no_result"
    wrong_ticket = result_of(browser_client, zhang, AFTER, admission_ticket="0000")
    assert wrong_ticket.status_code == 404
    right_ticket = result_of(browser_client, zhang, AFTER, admission_ticket=zhang.registration.admission_ticket)
    assert right_ticket.status_code == 200


def test_result_lookups_are_throttled_like_login(essay_session, browser_client, settings):
    settings.LOGIN_RATE_PER_ID = "2/m"
    zhang = essay_session["attempts"][0]
    for _ in range(2):
        with at(AFTER):
            browser_client.post("result/", {"password": zhang.session.password, "id_number": "X1234567"})
    with at(AFTER):
        response = browser_client.post("result/", {"password": zhang.session.password, "id_number": "X1234567"})
    assert response.status_code == 429 and response.json()["code"] == "throttled"


def test_the_result_page_shows_the_published_result(essay_session, organizer_client):
    zhang = essay_session["attempts"][0]
    mark_everything(essay_session)
    publish(organizer_client, essay_session["session"])
    page = Client()
    with at(AFTER + timedelta(minutes=1)):
        page.get("/results/")
        response = page.post("/results/", {"password": zhang.session.password,
                                           "id_number": zhang.registration.candidate.id_number})
    text = response.content.decode()
    assert "15.50 / 23.00" in text and "合格" in text and zhang.receipt in text
    assert "李四" not in text


def test_the_result_page_says_when_results_come(essay_session):
    zhang = essay_session["attempts"][0]
    with at(AFTER):
        response = Client().post("/results/", {"password": zhang.session.password,
                                               "id_number": zhang.registration.candidate.id_number})
    assert "成绩尚未公布" in response.content.decode()


def test_a_valid_receipt_names_the_session_and_time_and_nothing_personal(essay_session):
    zhang = essay_session["attempts"][0]
    with at(AFTER):
        response = Client().get(f"/api/v1/receipts/{zhang.receipt}/")
    assert response.status_code == 200
    assert response.json() == {"valid": True, "session": zhang.session.name,
                               "finished_at": zhang.finished_at.isoformat()}
    with at(AFTER):
        page = Client().get("/receipt/", {"code": zhang.receipt}).content.decode()
    assert "有效" in page and zhang.session.name in page and "张三" not in page


def test_an_unknown_receipt_is_404(essay_session):
    with at(AFTER):
        response = Client().get(f"/api/v1/receipts/{'0' * 64}/")
        page = Client().get("/receipt/", {"code": "abc"}).content.decode()
    assert response.status_code == 404 and response.json()["code"] == "unknown_receipt"
    assert "未知" in page


def test_marks_after_publication_change_the_shown_score(essay_session, organizer_client, browser_client):
    mark_everything(essay_session)
    publish(organizer_client, essay_session["session"])
    zhang = essay_session["attempts"][0]
    MarkingTask.objects.filter(attempt=zhang, question=essay_session["second"]).update(final_points=Decimal("5"))
    assert result_of(browser_client, zhang, AFTER + timedelta(minutes=1)).json()["score"] == "18.50"


def test_the_result_and_receipt_pages_speak_english_when_asked(essay_session):
    from django.conf import settings

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Show my result" in client.get("/results/").content.decode()
    with at(AFTER):
        page = client.get("/receipt/", {"code": "0" * 64}).content.decode()
    assert "Unknown: no answers belong to this receipt code" in page
    with at(AFTER):
        refusal = client.get(f"/api/v1/receipts/{'0' * 64}/")
    assert refusal.json()["detail"].startswith("Unknown receipt code")


def test_where_the_batch_asks_for_the_ticket_the_result_needs_it_too(essay_session, browser_client, settings):
    """In order: no ticket (told to bring it), a wrong one (no result, counted like a failed login),
    the right one (the result); the page and the API alike, throttled like login."""
    settings.LOGIN_RATE_PER_ID = "2/m"
    zhang = essay_session["attempts"][0]
    batch = zhang.session.batch
    batch.login_requires_admission_ticket = True
    batch.save()
    ticket = zhang.registration.admission_ticket
    assert ticket
    missing = result_of(browser_client, zhang, AFTER)
    assert missing.status_code == 400 and missing.json()["code"] == "admission_ticket_required"
    with at(AFTER):
        page = Client().post("/results/", {"password": zhang.session.password,
                                           "id_number": zhang.registration.candidate.id_number})
    assert "本场考试查询成绩需要填写准考证号" in page.content.decode()
    assert result_of(browser_client, zhang, AFTER, admission_ticket=ticket + "9").json()["code"] == "no_result"
    right = result_of(browser_client, zhang, AFTER, admission_ticket=f" {ticket.lower()} ")
    assert right.status_code == 200 and right.json()["receipt"] == zhang.receipt

    assert result_of(browser_client, zhang, AFTER, admission_ticket="WRONG").status_code == 404  # 2nd failure
    throttled = result_of(browser_client, zhang, AFTER, admission_ticket=ticket)
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
