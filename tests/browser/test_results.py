"""Results on the real stack: a marker marks three essays blind in the admin, the organizer
publishes, the candidate sees the result on /results/ and checks the receipt on /receipt/."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import read_db, wait_for_db
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def marked_session(transactional_db):
    """A formal session that ended an hour ago: 张三, 李四 and 王五 wrote an essay each."""
    from decimal import Decimal

    from django.utils import timezone

    from exams import statuses
    from exams.models import Answer, Question
    from tests import factories

    now = timezone.now()
    paper = factories.full_paper(pass_mark=Decimal("8"))
    essay = paper.questions.get(kind=Question.ESSAY)
    essay.rubric = "写出三项措施各得 3 分，表达 1 分。"
    essay.save()
    session = factories.SessionFactory(
        paper=paper, batch=paper.batch, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1),
        password_published_at=now - timedelta(days=8), exam_day_gate=None,
    )
    attempts = []
    for i, (name, text) in enumerate([("张三", "佩戴安全帽；设置警示标志；定期检查设备。"),
                                      ("李四", "注意安全。"), ("王五", "遵守规程，检查设备。")]):
        registration = factories.RegistrationFactory(candidate=factories.CandidateFactory(name=name), session=session)
        attempt = factories.AttemptFactory(
            registration=registration, state=statuses.COLLECTED, score=Decimal("4"),
            checked_in_at=session.starts_at, started_at=session.starts_at, finished_at=session.ends_at,
            receipt=hashlib.sha256(f"{name}{i}".encode()).hexdigest(), needs_marking=True,
        )
        Answer.objects.create(attempt=attempt, question=essay, value=text, seq=1, saved_at=session.starts_at)
        attempts.append(attempt)
    return {"session": session, "essay": essay, "attempts": attempts}


def admin_login(page, username: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def test_a_marker_marks_blind_the_organizer_publishes_the_candidate_sees_the_result(
    marked_session, new_context, context, page
):
    from results.models import MarkingTask, ResultPublication
    from tests import factories

    factories.staff_user("marker1", "marker")
    factories.staff_user("organizer1", "organizer")
    names = [a.registration.candidate.name for a in marked_session["attempts"]]
    id_numbers = [a.registration.candidate.id_number for a in marked_session["attempts"]]
    tickets = [a.registration.admission_ticket for a in marked_session["attempts"] if a.registration.admission_ticket]
    receipts = [a.receipt for a in marked_session["attempts"]]

    marker = new_context(locale="zh-CN").new_page()
    admin_login(marker, "marker1")
    marker.get_by_role("link", name="阅卷").first.click()
    marker.get_by_role("link", name="开始评阅").click()
    for points in ("8", "2.5", "6"):
        expect(marker.locator("#mark-rubric")).to_contain_text("三项措施")
        expect(marker.locator("#mark-answer")).not_to_be_empty()
        body = marker.content()
        assert not any(name in body for name in names) and not any(i in body for i in id_numbers)
        assert not any(ticket in body for ticket in tickets) and not any(r in body for r in receipts)
        marker.get_by_label("给分").fill(points)
        marker.get_by_role("button", name="保存并评阅下一份").click()
    expect(marker.locator("#mark-none")).to_be_visible()
    finals = read_db(lambda: sorted(MarkingTask.objects.values_list("final_points", flat=True)))
    assert [str(p) for p in finals] == ["2.50", "6.00", "8.00"]

    organizer = new_context(locale="zh-CN").new_page()
    admin_login(organizer, "organizer1")
    organizer.goto(f"/admin/results/sessionresult/{marked_session['session'].pk}/change/")
    expect(organizer.locator("#results-table")).to_contain_text("张三")
    organizer.get_by_label("我已核对成绩，确认发布").check()
    organizer.get_by_role("button", name="发布成绩").click()
    expect(organizer.locator("#publication-status")).to_contain_text("已发布")
    assert wait_for_db(lambda: ResultPublication.objects.exists())

    zhang = marked_session["attempts"][0]
    page.goto("/results/")
    assert_accessible(page, "results form")
    page.get_by_label("考试口令", exact=True).fill(zhang.session.password)
    page.get_by_label("证件号", exact=True).fill(zhang.registration.candidate.id_number)
    page.get_by_role("button", name="查询成绩").click()
    # 张三's answer was the first in the queue: 4 objective points + 8 marked = 12 of 18; pass mark 8
    expect(page.locator("#result-score")).to_contain_text("12.00 / 18.00")
    expect(page.locator("#result-passed")).to_have_text("合格")
    expect(page.locator("#result-receipt")).to_have_text(zhang.receipt)
    assert "李四" not in page.content()
    assert_accessible(page, "results shown")

    page.get_by_role("link", name="核验此回执").click()
    expect(page.locator("#receipt-result")).to_contain_text(zhang.session.name)
    assert_accessible(page, "receipt check")
