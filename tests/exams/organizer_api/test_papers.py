"""The organizer API: papers and their questions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from exams.models import Answer, Paper, Question
from tests import factories
from tests.exams.organizer_api.conftest import (
    NOW,
    patch,
    post,
    question,
)

pytestmark = pytest.mark.django_db


def test_it_creates_a_paper_with_every_kind_of_question_in_one_post(api):
    batch = factories.BatchFactory()
    kinds = ["single_choice", "multiple_choice", "true_false", "fill_in", "essay"]

    status, body = post(
        api,
        "papers/",
        {
            "batch": batch.pk,
            "name": "理论知识 A 卷",
            "subject": "理论知识",
            "questions": [question(k) for k in kinds],
        },
    )

    assert status == 201, body
    paper = Paper.objects.get()
    assert [q.kind for q in paper.questions.order_by("position")] == kinds
    assert [q["position"] for q in body["questions"]] == [1, 2, 3, 4, 5]
    assert body["questions"][1]["correct"] == ["A", "B"]
    assert Decimal(body["total_points"]) == Decimal("15")  # 2 + 1 + 1 + 1 + 10


def test_it_refuses_a_paper_whose_objective_question_has_no_correct_answer(api):
    questions = [question("single_choice"), question("true_false", correct=None), question("essay")]

    status, body = post(api, "papers/", {"name": "理论知识 A 卷", "questions": questions})

    assert status == 400
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"questions[1].correct"}
    assert "questions[1].correct" in body["detail"]
    assert Paper.objects.count() == 0 and Question.objects.count() == 0


def test_it_lists_every_bad_question_of_a_paper(api):
    questions = [
        question("single_choice", correct="D"),
        question("multiple_choice", choices=[{"key": "A", "text": "x"}]),
        question("fill_in", correct=[]),
        question("essay", text=""),
    ]

    status, body = post(api, "papers/", {"name": "x", "questions": questions})

    assert status == 400
    assert {
        "questions[0].correct",
        "questions[1].choices",
        "questions[2].correct",
        "questions[3].text",
    } <= set(body["errors"])
    assert Paper.objects.count() == 0


def test_it_refuses_a_paper_without_questions(api):
    status, body = post(api, "papers/", {"name": "空卷", "questions": []})

    assert status == 400
    assert "questions" in body["errors"]


def test_it_replaces_the_questions_of_a_paper_nobody_has_seen(api, paper):
    status, body = patch(api, f"papers/{paper.pk}/", {"questions": [question("true_false")]})

    assert status == 200, body
    assert [q.kind for q in paper.questions.all()] == ["true_false"]


def test_it_refuses_to_replace_questions_a_candidate_answered(api, attempt):
    paper = attempt.session.paper
    first = paper.questions.first()
    Answer.objects.create(attempt=attempt, question=first, value="A", seq=1, saved_at=NOW)

    status, body = patch(api, f"papers/{paper.pk}/", {"questions": [question("true_false")]})

    assert status == 400
    assert "questions" in body["errors"]
    assert paper.questions.count() == 5


def test_it_refuses_to_replace_questions_once_the_session_opened_login(api, paper):
    # Login opens 30 minutes before the start: one minute ago.
    factories.SessionFactory(paper=paper, batch=paper.batch, starts_at=NOW + timedelta(minutes=29))

    status, body = patch(api, f"papers/{paper.pk}/", {"questions": [question("true_false")]})

    assert status == 400
    assert "已开放登录" in body["errors"]["questions"]
    assert paper.questions.count() == 5
