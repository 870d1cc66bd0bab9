"""load_batch reads the results fields: pass mark, marking mode and tolerance, rubrics."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exams.models import Answer, Paper, Question
from exams.services.batches import batch_load
from tests import factories
from tests.exams.test_load_batch import NOW, good_file, refused


def with_marking(**paper_fields) -> dict:
    data = good_file()
    data["papers"][0].update(paper_fields)
    data["papers"][0]["questions"][-1]["rubric"] = "三项措施各 3 分，表达 1 分。"
    return data


@pytest.mark.django_db
def test_it_loads_the_pass_mark_marking_and_rubric():
    batch_load(data=with_marking(pass_mark=10, marking="double", marking_tolerance="1.5"), now=NOW)
    paper = Paper.objects.get(key="theory")
    assert (paper.pass_mark, paper.marking, paper.marking_tolerance) == (Decimal("10"), "double", Decimal("1.5"))
    assert paper.questions.get(kind=Question.ESSAY).rubric == "三项措施各 3 分，表达 1 分。"


@pytest.mark.django_db
def test_the_defaults_are_single_marking_and_no_pass_mark():
    batch_load(data=good_file(), now=NOW)
    paper = Paper.objects.get(key="theory")
    assert (paper.pass_mark, paper.marking, paper.marking_tolerance) == (None, "single", Decimal("0"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"marking": "triple"}, "papers[0].marking"),
        ({"pass_mark": -1}, "papers[0].pass_mark"),
        ({"pass_mark": "abc"}, "papers[0].pass_mark"),
        ({"marking_tolerance": True}, "papers[0].marking_tolerance"),
    ],
)
def test_it_refuses_bad_marking_fields(fields, path):
    assert path in refused(with_marking(**fields))


@pytest.mark.django_db
def test_a_rubric_may_change_after_candidates_answered():
    batch = batch_load(data=with_marking(), now=NOW)
    essay = Question.objects.get(kind=Question.ESSAY)
    session = batch.sessions.get(key="formal-theory")
    attempt = factories.AttemptFactory(registration=factories.RegistrationFactory(session=session))
    Answer.objects.create(attempt=attempt, question=essay, value="答", seq=1, saved_at=NOW)
    data = with_marking()
    data["papers"][0]["questions"][-1]["rubric"] = "新的评分标准"
    batch_load(data=data, now=NOW)
    essay.refresh_from_db()
    assert essay.rubric == "新的评分标准"
