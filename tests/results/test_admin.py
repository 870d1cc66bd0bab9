"""The admin side: a marker marks blind, the organizer reads the console, publishes, exports."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from results.models import MarkingTask, ResultPublication
from tests import factories
from tests.helpers import at, distinct_resident_id
from tests.results.conftest import AFTER, finished_attempt
from tests.results.test_results_and_exports import give_final

CONSOLE = "/admin/results/sessionresult/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_marker_marks_in_the_admin_without_seeing_who_wrote_the_answer(essay_session, marker):
    client = logged_in(marker)
    essay = essay_session["essay"]
    with at(AFTER):
        overview = client.get("/admin/results/markingtask/").content.decode()
        assert "开始评阅" in overview
        page = client.get(f"/admin/results/markingtask/question/{essay.pk}/").content.decode()
    assert "安全第一，规范操作。" in page and "要点：安全" in page
    for attempt in essay_session["attempts"]:
        assert attempt.registration.candidate.name not in page
        assert attempt.registration.candidate.id_number not in page
    task = MarkingTask.objects.get(claimed_by=marker)
    with at(AFTER):
        response = client.post(f"/admin/results/markingtask/question/{essay.pk}/",
                               {"answer_id": task.answer_id, "points": "6.5", "comment": "较好"}, follow=True)
    assert "已保存给分" in response.content.decode()
    task.refresh_from_db()
    assert task.final_points == Decimal("6.50")


def test_points_above_the_maximum_are_refused_on_the_page(essay_session, marker):
    client = logged_in(marker)
    essay = essay_session["essay"]
    with at(AFTER):
        client.get(f"/admin/results/markingtask/question/{essay.pk}/")
        task = MarkingTask.objects.get(claimed_by=marker)
        page = client.post(f"/admin/results/markingtask/question/{essay.pk}/",
                           {"answer_id": task.answer_id, "points": "11"}).content.decode()
    assert "给分必须在 0 到 10 分之间" in page
    assert MarkingTask.objects.get(pk=task.pk).final_points is None


def test_a_marker_sees_nothing_else_in_the_admin(essay_session, marker):
    client = logged_in(marker)
    assert client.get(f"{CONSOLE}{essay_session['session'].pk}/change/").status_code == 403
    assert client.get("/admin/exams/attempt/").status_code == 403
    assert client.get("/admin/candidates/candidate/").status_code == 403


def test_the_console_shows_summary_rows_and_refuses_publishing_until_marked(essay_session, organizer):
    client = logged_in(organizer)
    session = essay_session["session"]
    with at(AFTER):
        page = client.get(f"{CONSOLE}{session.pk}/change/").content.decode()
    assert "张三" in page and "李四" in page
    assert "3 份需人工评阅的答案（简答题、与标准答案不符的填空题）尚未评阅完成" in page
    with at(AFTER):
        refused = client.post(f"{CONSOLE}{session.pk}/change/", {"confirm": "on"}, follow=True).content.decode()
    assert "成绩尚不能发布" in refused and not ResultPublication.objects.exists()
    with at(AFTER):
        client.post(f"{CONSOLE}{session.pk}/change/", {"confirm": "on", "override_reason": "领导批准"})
    assert ResultPublication.objects.get().override_reason == "领导批准"


def test_the_console_filters_and_searches(essay_session, organizer):
    zhang, li, wang = essay_session["attempts"]
    give_final(zhang, essay_session["essay"], "7.5")
    give_final(zhang, essay_session["second"], "2")
    give_final(li, essay_session["essay"], "3")
    client = logged_in(organizer)
    url = f"{CONSOLE}{essay_session['session'].pk}/change/"
    passed = client.get(url, {"passed": "yes"}).content.decode()
    assert "张三" in passed and "李四" not in passed
    found = client.get(url, {"q": wang.registration.candidate.id_number}).content.decode()
    assert "王五" in found and "张三" not in found


def test_the_admin_action_publishes_ready_sessions_and_names_what_is_missing(essay_session, organizer):
    client = logged_in(organizer)
    ready = factories.SessionFactory()
    with at(AFTER):
        response = client.post(CONSOLE, {"action": "publish_results",
                                          "_selected_action": [ready.pk, essay_session["session"].pk]}, follow=True)
    text = response.content.decode()
    assert "成绩已发布" in text and "尚未评阅完成" in text
    assert list(ResultPublication.objects.values_list("session_id", flat=True)) == [ready.pk]


def test_admin_exports(essay_session, organizer):
    client = logged_in(organizer)
    csv_response = client.get(f"{CONSOLE}{essay_session['session'].pk}/export/csv/")
    assert "张三" in b"".join(csv_response.streaming_content).decode("utf-8-sig")
    xlsx = client.get(f"{CONSOLE}{essay_session['session'].pk}/export/xlsx/")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("user_fixture", ["proctor", "support_agent"])
def test_other_roles_cannot_open_the_console(essay_session, request, user_fixture):
    client = logged_in(request.getfixturevalue(user_fixture))
    assert client.get(f"{CONSOLE}{essay_session['session'].pk}/change/").status_code == 403


def test_the_console_costs_the_same_queries_for_10_and_1000_candidates(db, organizer):
    client = logged_in(organizer)

    def queries_for(n: int) -> int:
        paper = factories.full_paper(pass_mark=Decimal("5"))
        session = factories.SessionFactory.create(paper=paper)
        essay = paper.questions.get(kind="essay")
        for i in range(n):
            finished_attempt(session, name=f"考生{n}-{i}", score="3", essays={essay: "答"} if i % 2 else {},
                             id_number=distinct_resident_id(300_000 + 10 * n + i))
        with CaptureQueriesContext(connection) as queries, at(AFTER):
            assert client.get(f"{CONSOLE}{session.pk}/change/").status_code == 200
        return len(queries)

    assert queries_for(10) == queries_for(1000)


def test_a_rubric_may_be_edited_after_answers_exist_and_every_edit_is_recorded(essay_session, organizer, marker):
    from results.models import RubricChange

    essay = essay_session["essay"]
    page = f"/admin/results/markingtask/question/{essay.pk}/rubric/"
    assert logged_in(marker).get(page).status_code == 403  # markers mark; organizers write rubrics
    client = logged_in(organizer)
    with at(AFTER):
        response = client.post(page, {"rubric": "要点：安全、规范、记录，各 3 分；表达 1 分。"}, follow=True)
    assert "评分标准已保存" in response.content.decode()
    essay.refresh_from_db()
    assert essay.rubric == "要点：安全、规范、记录，各 3 分；表达 1 分。"
    change = RubricChange.objects.get()
    assert (change.question, change.before, change.changed_by) == (
        essay, "要点：安全、规范、记录，各 3 分，表达 1 分。", organizer)
    assert "各 3 分，表达 1 分" in client.get(page).content.decode()  # the history shows the old text


def test_points_and_answers_stay_locked_once_answered_with_a_pointer_to_the_rubric(essay_session):
    from exams.services.papers import paper_update
    from examsite.exceptions import InvalidInput

    paper = essay_session["paper"]
    questions = [{"kind": q.kind, "text": q.text, "choices": q.choices, "correct": q.correct,
                  "points": q.points + 1, "rubric": q.rubric} for q in paper.questions.all()]
    with pytest.raises(InvalidInput) as refused, at(AFTER):
        paper_update(paper=paper, now=AFTER, questions=questions)
    reason = refused.value.errors["questions"]
    assert "不能修改试题、分值和标准答案" in reason and "评分标准可随时在“阅卷”页面修改" in reason
