"""Appeals: within the period after publication, a re-mark by a different marker, audited; the
candidate sees the outcome; after the period, appeal_closed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from exams.models import AttemptAudit
from results.models import Appeal, MarkingTask, ResultPublication
from tests.helpers import at
from tests.results.conftest import AFTER
from tests.results.test_publication import mark_everything

PUBLISHED = AFTER + timedelta(hours=1)


@pytest.fixture
def published(essay_session, organizer):
    mark_everything(essay_session)
    ResultPublication.objects.create(session=essay_session["session"], publishes_at=PUBLISHED,
                                     published_by=organizer, at=PUBLISHED)
    MarkingTask.objects.update(claimed_by=None)
    return essay_session


def appeal(client, attempt, when, **body):
    payload = {"password": attempt.session.password, "id_number": attempt.registration.candidate.id_number,
               "questions": [], "reason": "我认为第 5 题答出了三项措施", **body}
    with at(when):
        return client.post("appeals/", payload)


def test_a_candidate_appeals_within_the_period(published, browser_client):
    zhang = published["attempts"][0]
    response = appeal(browser_client, zhang, PUBLISHED + timedelta(days=2), questions=[published["essay"].pk])
    assert response.status_code == 201, response.content
    stored = Appeal.objects.get()
    assert (stored.attempt, stored.questions, stored.status) == (zhang, [published["essay"].pk], "open")
    assert AttemptAudit.objects.filter(attempt=zhang, action="appeal").exists()
    again = appeal(browser_client, zhang, PUBLISHED + timedelta(days=2), questions=[published["essay"].pk])
    assert again.status_code == 409 and again.json()["code"] == "appeal_exists"


def test_appeals_close_after_the_period_and_before_publication(published, browser_client):
    zhang = published["attempts"][0]
    late = appeal(browser_client, zhang, PUBLISHED + timedelta(days=7, seconds=1), questions=[published["essay"].pk])
    assert late.status_code == 409 and late.json()["code"] == "appeal_closed"
    early = appeal(browser_client, zhang, PUBLISHED - timedelta(minutes=1), questions=[published["essay"].pk])
    assert early.json()["code"] == "appeal_closed"
    assert not Appeal.objects.exists()


def test_an_appeal_names_questions_of_the_paper_and_a_reason(published, browser_client):
    zhang = published["attempts"][0]
    bad = appeal(browser_client, zhang, PUBLISHED, questions=[999999], reason="")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"questions", "reason"}


def test_a_different_marker_remarks_and_the_candidate_sees_the_new_score_and_outcome(
    published, browser_client, marker, second_marker, organizer
):
    zhang = published["attempts"][0]
    appeal(browser_client, zhang, PUBLISHED, questions=[published["essay"].pk])
    stored = Appeal.objects.get()
    task = MarkingTask.objects.get(attempt=zhang, question=published["essay"])
    # The first marker "marked" it through give_final: record them as its marker, so they may not re-mark.
    task.marks.create(marker=marker, points=Decimal("7.5"), at=AFTER)
    page = f"/admin/results/appeal/{stored.pk}/change/"
    first = Client()
    first.force_login(marker)
    with at(PUBLISHED + timedelta(days=1)):
        refused = first.post(page, {"do": "remark", "question_id": published["essay"].pk, "points": "9"}, follow=True)
    assert "您已评阅过这份答案" in refused.content.decode()
    other = Client()
    other.force_login(second_marker)
    with at(PUBLISHED + timedelta(days=1)):
        blind = other.get(page).content.decode()
        assert "张三" not in blind and zhang.registration.candidate.id_number not in blind
        other.post(page, {"do": "remark", "question_id": published["essay"].pk, "points": "9", "comment": "复核加分"})
    task.refresh_from_db()
    assert task.final_points == Decimal("9.00")
    audit = AttemptAudit.objects.filter(attempt=zhang, action="mark", actor=second_marker).get()
    assert audit.details["kind"] == "appeal" and audit.details["previous_final_points"] == "7.50"
    boss = Client()
    boss.force_login(organizer)
    with at(PUBLISHED + timedelta(days=1)):
        boss.post(page, {"do": "resolve", "outcome": "第 5 题复核后由 7.5 分改为 9 分。"})
    stored.refresh_from_db()
    assert stored.status == "resolved" and stored.resolved_by == organizer
    # Re-published: a new row naming the appeal; the first publication stays in the history.
    rows = list(ResultPublication.objects.order_by("at", "id").values_list("publishes_at", "appeal_id"))
    assert rows == [(PUBLISHED, None), (PUBLISHED + timedelta(days=1), stored.pk)]
    republished = AttemptAudit.objects.get(attempt=zhang, action="results_publish")
    assert republished.details["appeal"] == stored.pk and republished.actor == organizer
    with at(PUBLISHED + timedelta(days=1)):
        result = Client().post("/results/", {"password": zhang.session.password,
                                             "id_number": zhang.registration.candidate.id_number}).content.decode()
    assert "17.00 / 23.00" in result and "第 5 题复核后由 7.5 分改为 9 分。" in result
    # The re-publication does not reopen the appeal period: it still ends 7 days after the first.
    late = appeal(browser_client, zhang, PUBLISHED + timedelta(days=7, seconds=1), questions=[published["essay"].pk])
    assert late.status_code == 409 and late.json()["code"] == "appeal_closed"


def test_the_result_page_offers_the_appeal_form_and_files_it(published):
    zhang = published["attempts"][0]
    client = Client()
    creds = {"password": zhang.session.password, "id_number": zhang.registration.candidate.id_number}
    with at(PUBLISHED + timedelta(hours=1)):
        page = client.post("/results/", creds).content.decode()
        assert 'id="appeal-form"' in page
        sent = client.post("/results/", {**creds, "do": "appeal", "questions": [published["essay"].pk],
                                         "reason": "请复核"}).content.decode()
    assert "您的复核申请已提交" in sent and 'id="appeal-form"' not in sent
    assert Appeal.objects.get().questions == [published["essay"].pk]
