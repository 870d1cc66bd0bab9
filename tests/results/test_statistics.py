"""Item statistics against values computed by hand on a small fixed data set."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from exams.models import Answer, Question
from results import statistics
from results.selectors_statistics import session_statistics
from tests import factories
from tests.helpers import START, at, distinct_resident_id
from tests.results.conftest import AFTER, END, finished_attempt

# Four candidates on one right/wrong item: item 1,1,0,0 with totals 10, 8, 6, 4.
# mean item 0.5; mean total 7; sxy = (0.5*3)+(0.5*1)+(-0.5*-1)+(-0.5*-3) = 4; sxx = 1; syy = 20
# r = 4 / sqrt(1 * 20) = 0.894427...
ITEM = {1: 1.0, 2: 1.0, 3: 0.0, 4: 0.0}
TOTALS = {1: 10.0, 2: 8.0, 3: 6.0, 4: 4.0}


def test_point_biserial_and_facility_by_hand():
    q = {"id": 9, "kind": "single_choice", "points": "1", "position": 1, "correct": "A",
         "choices": [{"key": "A"}, {"key": "B"}, {"key": "C"}]}
    stats = statistics.item_stats(question=q, points_by_attempt=ITEM, totals=TOTALS, choices_picked={"A": 2, "B": 2})
    assert stats.facility == 0.5
    assert math.isclose(stats.discrimination, 4 / math.sqrt(20))
    assert stats.choices == {"A": 2, "B": 2, "C": 0}
    assert stats.flags == [statistics.UNCHOSEN_DISTRACTOR]


def test_negative_discrimination_is_flagged_and_constant_items_have_none():
    q = {"id": 9, "kind": "fill_in", "points": "2", "position": 1, "correct": ["x"]}
    reverse = statistics.item_stats(
        question=q, points_by_attempt={3: 2.0, 4: 2.0}, totals=TOTALS
    )
    assert reverse.facility == 0.5 and math.isclose(reverse.discrimination, -4 / math.sqrt(20))
    assert reverse.flags == [statistics.NEGATIVE_DISCRIMINATION]
    everyone = statistics.item_stats(question=q, points_by_attempt=dict.fromkeys(TOTALS, 2.0), totals=TOTALS)
    assert (everyone.facility, everyone.discrimination, everyone.flags) == (1.0, None, [])


def test_essay_facility_is_the_mean_share_of_points():
    q = {"id": 9, "kind": "essay", "points": "10", "position": 1}
    stats = statistics.item_stats(question=q, points_by_attempt={1: 8.0, 2: 6.0, 3: 4.0, 4: 2.0}, totals=TOTALS)
    assert stats.facility == 0.5 and math.isclose(stats.discrimination, 1.0)


def test_histogram_bins_include_the_maximum():
    assert statistics.histogram([0, 4.9, 5, 10], maximum=10, bins=2) == [(0.0, 5.0, 2), (5.0, 10.0, 2)]


def test_session_statistics_score_the_answers(db):
    paper = factories.PaperFactory()
    q = factories.QuestionFactory(paper=paper, position=1, kind=Question.SINGLE, correct="A", points=1)
    session = factories.SessionFactory.create(paper=paper, batch=paper.batch)
    for i, (value, score) in enumerate([("A", "10"), ("A", "8"), ("B", "6"), ("B", "4")]):
        attempt = finished_attempt(session, name=f"考生{i}", score=score, essays={})
        Answer.objects.create(attempt=attempt, question=q, value=value, seq=1, saved_at=START)
    stats = session_statistics(session=session)
    item = stats.items[0]
    assert item.facility == 0.5 and math.isclose(item.discrimination, 4 / math.sqrt(20))
    assert item.choices == {"A": 2, "B": 2, "C": 0}


@pytest.fixture
def organizer_client(organizer):
    client = Client()
    client.force_login(organizer)
    return client


def test_the_statistics_page_shows_charts_with_flat_queries(db, organizer_client):
    def queries_for(n: int) -> tuple[int, str]:
        paper = factories.full_paper(pass_mark=Decimal("5"))
        session = factories.SessionFactory.create(paper=paper, batch=paper.batch)
        single = paper.questions.get(kind=Question.SINGLE)
        for i in range(n):
            attempt = finished_attempt(session, name=f"考生{n}-{i}", score=str(i % 9), essays={},
                                       id_number=distinct_resident_id(200_000 + 10 * n + i))
            Answer.objects.create(attempt=attempt, question=single, value="AB"[i % 2], seq=1, saved_at=START)
        with CaptureQueriesContext(connection) as queries, at(AFTER):
            response = organizer_client.get(f"/admin/results/sessionresult/{session.pk}/statistics/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    small, page = queries_for(10)
    large, _page = queries_for(1000)
    assert small == large
    assert 'id="chart-histogram" src="data:image/svg+xml;base64,' in page
    assert 'id="chart-choices" src="data:image/svg+xml;base64,' in page
    assert "有干扰项无人选择" in page


def test_marked_answers_count_in_the_totals_and_a_re_mark_shows_on_the_next_render(db):
    """Essay marks 8, 6, 4, 2 on objective scores 2 each: totals 10, 8, 6, 4 (as in ITEM/TOTALS);
    facility 20 / 4 / 10 = 0.5, and the essay follows the total exactly (r = 1)."""
    from results.models import MarkingTask

    paper = factories.PaperFactory()
    essay = factories.QuestionFactory(paper=paper, position=1, kind=Question.ESSAY, choices=[], correct=None,
                                      points=10)
    session = factories.SessionFactory.create(paper=paper, batch=paper.batch)
    tasks = []
    for i, points in enumerate(["8", "6", "4", "2"]):
        attempt = finished_attempt(session, name=f"考生{i}", score="2", essays={essay: f"答案{i}"})
        answer = attempt.answers.get()
        tasks.append(MarkingTask.objects.create(answer=answer, attempt=attempt, question=essay,
                                                final_points=Decimal(points)))
    stats = session_statistics(session=session)
    assert sorted(stats.totals) == [4.0, 6.0, 8.0, 10.0]
    assert stats.items[0].facility == 0.5 and math.isclose(stats.items[0].discrimination, 1.0)

    tasks[3].final_points = Decimal("10")  # an appeal's re-mark: 2 -> 10
    tasks[3].save()
    again = session_statistics(session=session)
    assert again.fingerprint != stats.fingerprint
    assert sorted(again.totals) == [6.0, 8.0, 10.0, 12.0]
    assert math.isclose(again.items[0].facility, 28 / 40)


def test_a_mark_warms_the_statistics_so_the_next_render_reads_them_from_the_cache(
    essay_session, marker, organizer_client, django_capture_on_commit_callbacks
):
    """After a mark the statistics are computed in the background (Celery, eager here); the page
    then groups no answers in SQL."""
    from django.core.cache import cache

    from results.services.marking import mark_give, marking_next

    cache.clear()
    session = essay_session["session"]
    with at(AFTER):
        task = marking_next(question_id=essay_session["essay"].pk, marker=marker, now=AFTER)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            mark_give(answer_id=task.answer_id, marker=marker, points="6", comment="", now=AFTER)
    assert len(callbacks) == 1
    with CaptureQueriesContext(connection) as queries, at(AFTER):
        page = organizer_client.get(f"/admin/results/sessionresult/{session.pk}/statistics/")
    assert page.status_code == 200
    assert not any("GROUP BY ans.question_id" in q["sql"] for q in queries.captured_queries)
    cache.clear()  # the control: without the warm-up the page groups the answers itself
    with CaptureQueriesContext(connection) as cold, at(AFTER):
        organizer_client.get(f"/admin/results/sessionresult/{session.pk}/statistics/")
    assert any("GROUP BY ans.question_id" in q["sql"] for q in cold.captured_queries)


def test_the_grouped_figures_equal_a_per_candidate_computation(db):
    """30 candidates answering every kind (and some hand marks): the figures from the database's
    groups equal ``item_stats`` over each candidate's points, computed here one by one."""
    import random

    from exams import answer_rules
    from results.models import MarkingTask

    rng = random.Random(15)
    paper = factories.full_paper()
    questions = list(paper.questions.order_by("position"))
    session = factories.SessionFactory.create(paper=paper, batch=paper.batch)
    values = {
        Question.SINGLE: ["A", "B", "C", "D", None], Question.MULTIPLE: [["A", "C"], ["C", "A"], ["A"], ["B", "D"]],
        Question.TRUE_FALSE: [True, False], Question.FILL_IN: ["安全第一", " 安全第一", "不知道"],
        Question.ESSAY: ["答案"],
    }
    points: dict[int, dict[int, float]] = {q.pk: {} for q in questions}
    picks: dict[int, dict[str, int]] = {q.pk: {} for q in questions}
    totals: dict[int, float] = {}
    for i in range(30):
        attempt = finished_attempt(session, name=f"考生{i}", score="0", essays={},
                                   id_number=distinct_resident_id(400_000 + i))
        objective = 0.0
        for q in questions:
            value = rng.choice(values[q.kind])
            answer = Answer.objects.create(attempt=attempt, question=q, value=value, seq=q.position, saved_at=START)
            if q.kind == Question.ESSAY:
                mark = rng.choice([0, 2.5, 6, 10])
                MarkingTask.objects.create(answer=answer, attempt=attempt, question=q, final_points=Decimal(mark))
                points[q.pk][attempt.pk] = mark
            elif answer_rules.is_correct(kind=q.kind, correct=q.correct, value=value):
                objective += float(q.points)
                points[q.pk][attempt.pk] = float(q.points)
            if q.kind in statistics.CHOICE_KINDS and value is not None:
                for key in value if isinstance(value, list) else [str(value).lower() if isinstance(value, bool)
                                                                   else value]:
                    picks[q.pk][key] = picks[q.pk].get(key, 0) + 1
        attempt.score = Decimal(str(objective))
        attempt.save()
        totals[attempt.pk] = objective + sum(points[q.pk].get(attempt.pk, 0.0) for q in questions
                                             if q.kind == Question.ESSAY)
    stats = session_statistics(session=session)
    assert sorted(stats.totals) == sorted(totals.values())
    for q, item in zip(questions, stats.items, strict=True):
        expected = statistics.item_stats(
            question={"id": q.pk, "kind": q.kind, "points": str(q.points), "correct": q.correct,
                      "choices": q.choices, "position": q.position},
            points_by_attempt=points[q.pk], totals=totals, choices_picked=picks[q.pk])
        assert math.isclose(item.facility, expected.facility), q.kind
        assert (item.discrimination is None) == (expected.discrimination is None), q.kind
        if expected.discrimination is not None:
            assert math.isclose(item.discrimination, expected.discrimination, abs_tol=1e-9), q.kind
        assert item.choices == expected.choices and item.flags == expected.flags, q.kind


def test_collection_warms_the_statistics_so_the_organizers_first_look_reads_them_from_the_cache(
    essay_session, organizer_client, django_capture_on_commit_callbacks
):
    """In exam-day order: the deadline collects a candidate still answering; the statistics are
    computed in the background right then, so the first render groups no answers itself."""
    from django.core.cache import cache

    from exams import statuses
    from exams.services.collection import session_collect

    session = essay_session["session"]
    late = finished_attempt(session, name="赵六", score="0", essays={essay_session["essay"]: "交接清楚。"},
                            state=statuses.IN_PROGRESS)
    late.deadline = END
    late.receipt = ""
    late.save()
    cache.clear()
    with at(END), django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert session_collect(session_id=session.pk, now=END) == 1
    assert callbacks
    with CaptureQueriesContext(connection) as queries, at(AFTER):
        page = organizer_client.get(f"/admin/results/sessionresult/{session.pk}/statistics/")
    assert page.status_code == 200
    assert not any("GROUP BY ans.question_id" in q["sql"] for q in queries.captured_queries)
