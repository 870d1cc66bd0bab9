"""Blind marking through the API: the queue, single and double marking, the third marker, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from exams.models import AttemptAudit
from results.models import Mark, MarkingTask
from tests import factories
from tests.helpers import at
from tests.results.conftest import AFTER

API = "/api/v1/organizer/marking/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def next_for(client: Client, question) -> dict | None:
    with at(AFTER):
        response = client.get(f"{API}next/", {"question": question.pk})
    assert response.status_code in (200, 204), response.content
    return response.json() if response.status_code == 200 else None


def mark(client: Client, answer_id: int, points, comment: str = ""):
    with at(AFTER):
        return client.post(
            f"{API}{answer_id}/", {"points": points, "comment": comment}, content_type="application/json"
        )


def test_the_queue_shows_one_answer_without_the_candidates_identity(essay_session, marker):
    item = next_for(client_for(marker), essay_session["essay"])
    assert set(item) == {"answer_id", "question", "value", "max_points", "rubric"}
    assert item["value"] == "安全第一，规范操作。"
    assert item["max_points"] == "10.00"
    assert item["rubric"].startswith("要点")
    body = str(item)
    for attempt in essay_session["attempts"]:
        assert attempt.registration.candidate.name not in body
        assert attempt.registration.candidate.id_number not in body


def test_single_marking_gives_each_answer_once_and_the_score_adds_the_mark(essay_session, marker):
    client = client_for(marker)
    essay = essay_session["essay"]
    first = next_for(client, essay)
    assert next_for(client, essay)["answer_id"] == first["answer_id"]  # held for this marker
    response = mark(client, first["answer_id"], "7.5", "要点基本齐全")
    assert response.status_code == 200, response.content
    second = next_for(client, essay)
    assert second["answer_id"] != first["answer_id"]
    assert mark(client, second["answer_id"], 3).status_code == 200
    assert next_for(client, essay) is None  # the blank answer needs no mark
    task = MarkingTask.objects.get(answer_id=first["answer_id"])
    assert task.final_points == Decimal("7.50")
    audit = AttemptAudit.objects.get(attempt=task.attempt, action="mark")
    assert audit.actor == marker and audit.details["points"] == "7.50" and audit.reason == "要点基本齐全"


def test_a_marker_cannot_mark_the_same_answer_twice_or_out_of_range(essay_session, marker):
    client = client_for(marker)
    item = next_for(client, essay_session["essay"])
    refused = mark(client, item["answer_id"], "10.5")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_points"
    assert mark(client, item["answer_id"], "3.25").json()["code"] == "invalid_points"
    assert mark(client, item["answer_id"], 4).status_code == 200
    again = mark(client, item["answer_id"], 5)
    assert again.status_code == 409 and again.json()["code"] == "already_marked"
    assert Mark.objects.count() == 1


def test_another_markers_held_answer_is_refused_and_not_offered(essay_session, marker, second_marker):
    first = next_for(client_for(marker), essay_session["essay"])
    other = client_for(second_marker)
    assert next_for(other, essay_session["essay"])["answer_id"] != first["answer_id"]
    refused = mark(other, first["answer_id"], 5)
    assert refused.status_code == 409 and refused.json()["code"] == "claimed_by_other"


def test_an_unmarkable_answer_is_not_found(essay_session, marker):
    blank = essay_session["attempts"][2].answers.get()
    response = mark(client_for(marker), blank.pk, 1)
    assert response.status_code == 404 and response.json()["code"] == "not_markable"


@pytest.fixture
def double(essay_session):
    paper = essay_session["paper"]
    paper.marking, paper.marking_tolerance = "double", Decimal("1")
    paper.save()
    return essay_session


def test_double_marking_takes_the_mean_when_two_markers_agree(double, marker, second_marker):
    essay = double["essay"]
    one, two = client_for(marker), client_for(second_marker)
    item = next_for(one, essay)
    assert mark(one, item["answer_id"], 7).status_code == 200
    assert MarkingTask.objects.get(answer_id=item["answer_id"]).final_points is None
    seen = next_for(two, essay)
    assert seen["answer_id"] == item["answer_id"]
    assert set(seen) == {"answer_id", "question", "value", "max_points", "rubric"}  # no other mark shown
    assert mark(two, item["answer_id"], 8).status_code == 200
    assert MarkingTask.objects.get(answer_id=item["answer_id"]).final_points == Decimal("7.50")


def test_double_marking_calls_a_third_marker_when_the_marks_are_apart(double, marker, second_marker, third_marker):
    essay = double["essay"]
    one, two, three = client_for(marker), client_for(second_marker), client_for(third_marker)
    item = next_for(one, essay)
    mark(one, item["answer_id"], 4)
    assert next_for(two, essay)["answer_id"] == item["answer_id"]
    mark(two, item["answer_id"], 9)
    task = MarkingTask.objects.get(answer_id=item["answer_id"])
    assert (task.required, task.final_points) == (3, None)
    # the first two markers are done with it; the third gets it
    assert next_for(one, essay)["answer_id"] != item["answer_id"]
    assert next_for(three, essay)["answer_id"] == item["answer_id"]
    assert mark(three, item["answer_id"], "8.5").status_code == 200
    task.refresh_from_db()
    assert task.final_points == Decimal("8.50")
    assert AttemptAudit.objects.filter(attempt=task.attempt, action="mark").count() == 3


def test_only_markers_may_mark(essay_session, proctor):
    client = client_for(proctor)
    response = client.get(f"{API}next/", {"question": essay_session["essay"].pk})
    assert response.status_code == 403
    assert Client().get(f"{API}next/", {"question": essay_session["essay"].pk}).status_code in (401, 403)


def test_the_marker_group_may_only_mark_and_read_the_blind_appeal_queue(db):
    group = factories.role_group("marker")
    assert sorted(p.codename for p in group.permissions.all()) == ["mark_answers", "view_appeal"]


def test_next_needs_an_essay_question(essay_session, marker):
    client = client_for(marker)
    response = client.get(f"{API}next/", {"question": "x"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    objective = essay_session["paper"].questions.exclude(kind="essay").first()
    assert client.get(f"{API}next/", {"question": objective.pk}).status_code == 400


def test_free_text_that_no_accepted_answer_matches_is_marked_by_hand(essay_session, marker, organizer):
    """张三 wrote the accepted answer between spaces (scored at collection, nothing to mark);
    李四 wrote a synonym the accepted list lacks: it joins the queue, and its mark counts."""
    from exams.models import Answer, Question
    from results.selectors import results_missing, session_result_rows

    fill = essay_session["paper"].questions.get(kind=Question.FILL_IN)
    zhang, li, _wang = essay_session["attempts"]
    Answer.objects.create(attempt=zhang, question=fill, value=" 安全第一 ", seq=9, saved_at=AFTER)
    Answer.objects.create(attempt=li, question=fill, value="安全为先", seq=9, saved_at=AFTER)
    client = client_for(marker)
    item = next_for(client, fill)
    assert item["value"] == "安全为先" and "安全第一" in item["rubric"]
    assert "李四" not in str(item)
    matched = Answer.objects.get(attempt=zhang, question=fill)
    assert mark(client, matched.pk, 1).json()["code"] == "not_markable"
    with at(AFTER):
        assert results_missing(session=essay_session["session"])["unmarked_answers"] == 4  # 3 essays + 1
    assert mark(client, item["answer_id"], "1").status_code == 200
    assert next_for(client, fill) is None
    row = next(r for r in session_result_rows(session=essay_session["session"]) if r.name == "李四")
    assert (row.objective_score, row.marks, row.total) == (Decimal("4"), Decimal("1.00"), Decimal("5.00"))
    assert AttemptAudit.objects.filter(attempt=li, action="mark", details__question=fill.pk).exists()


def test_a_mark_no_longer_counts_once_the_answer_it_marked_changes(essay_session, marker, organizer):
    """In exam-day order: collection, 李四's unmatched free text marked by hand, then his late
    answer (the accepted wording) accepted by an organizer. The answer is now scored
    automatically; the old mark is discarded (kept in the audit), never added on top."""
    from exams.models import Answer, LateAnswer, Question
    from exams.services.late_answers import late_answers_accept
    from results.selectors import session_result_rows

    fill = essay_session["paper"].questions.get(kind=Question.FILL_IN)
    _zhang, li, _wang = essay_session["attempts"]
    answer = Answer.objects.create(attempt=li, question=fill, value="安全为先", seq=9, saved_at=AFTER)
    client = client_for(marker)
    assert next_for(client, fill)["answer_id"] == answer.pk
    assert mark(client, answer.pk, "1").status_code == 200
    LateAnswer.objects.create(
        attempt=li, question_id_sent=fill.pk, value="安全第一", seq=10, received_at=AFTER, source=LateAnswer.NETWORK
    )
    with at(AFTER):
        late_answers_accept(attempt_id=li.pk, reason="网络中断，考务核实后采纳", actor=organizer, now=AFTER)

    assert not MarkingTask.objects.filter(answer=answer).exists()
    audit = AttemptAudit.objects.get(attempt=li, action="marks_discarded")
    assert audit.details["discarded"] == [{"question": fill.pk, "final_points": "1.00", "marks": 1}]
    li.refresh_from_db()
    row = next(r for r in session_result_rows(session=essay_session["session"]) if r.name == "李四")
    assert row.objective_score == li.score and li.score >= fill.points
    assert row.total == row.objective_score + (row.marks or 0)
    assert (row.marks or 0) == 0  # the essay is not marked yet; the free-text mark is gone
    assert next_for(client, fill) is None  # the accepted wording needs no mark
