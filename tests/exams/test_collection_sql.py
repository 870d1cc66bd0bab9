"""Collection computes receipts and scores in the database on PostgreSQL (a Python pass over a
plain cursor elsewhere): whatever the path, each collected attempt holds exactly the receipt and
score that ``answer_rules`` gives for its stored answers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exams import answer_rules, statuses
from exams.models import Answer, Attempt, AttemptAudit
from exams.paper_cache import paper_questions
from exams.services import collection
from tests import factories
from tests.helpers import START

# Strings whose JSON encoding has every escape: quotes, backslash, control characters, line
# breaks, non-ASCII (kept as UTF-8), an emoji, a separator-looking ", " and ": ".
AWKWARD = 'a "quoted" \\ back\nline\ttab \x01 \x1f \x7f 安全 第一 😀 , : [1, 2] \u2028'

ANSWER_SETS = [
    {1: "B", 2: ["A", "C"], 3: True, 4: " 安全第一 ", 5: "这是作答。"},  # all right, an essay
    {1: "A", 2: ["C", "A"], 3: False, 4: "安全 第一", 5: ""},  # order of a multiple choice
    {1: None, 2: [], 4: AWKWARD, 5: AWKWARD},
    {2: ["A"], 3: True, 4: "ＡＢＣ", 5: None},
    {},  # nothing answered
    {1: "C", 2: ["A", "B", "C"], 4: "SAFETY", 5: " "},
]


def stored(attempt_id):
    return {
        q: (v, s)
        for q, v, s in Answer.objects.filter(attempt_id=attempt_id).values_list("question_id", "value", "seq")
    }


@pytest.fixture
def paper(db):
    return factories.full_paper()


def make_attempts(session, paper, answer_sets):
    by_position = {q.position: q for q in paper.questions.all()}
    attempts = []
    for n, answers in enumerate(answer_sets):
        reg = factories.RegistrationFactory(session=session)
        attempt = factories.AttemptFactory(registration=reg, state=statuses.IN_PROGRESS)
        for position, value in answers.items():
            Answer.objects.create(
                attempt=attempt, question=by_position[position], value=value, seq=n * 10 + position,
                saved_at=START,
            )
        attempts.append(attempt)
    return attempts


def test_every_receipt_and_score_is_what_the_answer_rules_give(paper):
    session = factories.SessionFactory(paper=paper, batch=paper.batch)
    attempts = make_attempts(session, paper, ANSWER_SETS)
    questions = paper_questions(paper.id)
    assert collection.session_collect(session_id=session.id, now=session.ends_at) == len(attempts)
    for attempt in attempts:
        attempt.refresh_from_db()
        held = stored(attempt.id)
        score, needs_marking = answer_rules.score(questions, {q: v for q, (v, _s) in held.items()})
        assert attempt.state == statuses.COLLECTED and attempt.finished_at == session.ends_at
        assert attempt.receipt == answer_rules.receipt(attempt.id, held)
        assert (attempt.score, attempt.needs_marking) == (score, needs_marking)
    assert [a.score for a in attempts[:2]] == [Attempt.objects.get(pk=attempts[0].pk).score, 2 + 2 + 2 + 2 - 6]
    audits = AttemptAudit.objects.filter(action="collect").values_list("attempt_id", "from_state", "to_state")
    assert sorted(audits) == sorted((a.id, "in_progress", "collected") for a in attempts)


def test_a_value_the_sql_encoding_does_not_cover_is_receipted_by_python(paper):
    """Numbers and objects are never valid answers; if one is stored anyway, the receipt is
    still answer_rules' (Python writes 1.50 as 1.5, PostgreSQL would keep 1.50)."""
    session = factories.SessionFactory(paper=paper, batch=paper.batch)
    odd, plain, mixed = make_attempts(session, paper, [{4: "安全第一"}, {1: "B"}, {2: [["A"], ["C"]], 3: [True]}])
    essay = paper.questions.get(position=5)
    Answer.objects.filter(attempt=odd, question__position=4).update(seq=7)
    Answer.objects.create(attempt=odd, question=essay, value={"b": 1.50, "a": [1, {"x": None}]}, seq=9,
                          saved_at=START)
    collection.session_collect(session_id=session.id, now=session.ends_at)
    for attempt in (odd, plain, mixed):
        attempt.refresh_from_db()
        assert attempt.receipt == answer_rules.receipt(attempt.id, stored(attempt.id))
    assert (odd.score, odd.needs_marking, plain.score, mixed.score) == (2, True, 2, 0)


def test_collection_statements_do_not_grow_with_attempts_or_answers(paper):
    small = factories.SessionFactory(paper=paper, batch=paper.batch)
    big = factories.SessionFactory(paper=paper, batch=paper.batch)
    make_attempts(small, paper, ANSWER_SETS[:1])
    make_attempts(big, paper, ANSWER_SETS * 8)
    paper_questions(paper.id)
    with CaptureQueriesContext(connection) as few:
        collection.session_collect(session_id=small.id, now=small.ends_at)
    with CaptureQueriesContext(connection) as many:
        collection.session_collect(session_id=big.id, now=big.ends_at)
    assert len(few.captured_queries) == len(many.captured_queries) <= 8  # with the savepoint


def test_an_attempt_with_extra_time_is_left_open_and_unreceipted(paper):
    session = factories.SessionFactory(paper=paper, batch=paper.batch)
    kept, gone = make_attempts(session, paper, ANSWER_SETS[:2])
    Attempt.objects.filter(pk=kept.pk).update(deadline=session.ends_at + timedelta(minutes=5))
    assert collection.session_collect(session_id=session.id, now=session.ends_at) == 1
    kept.refresh_from_db()
    assert (kept.state, kept.receipt, kept.score) == (statuses.IN_PROGRESS, "", None)
    assert AttemptAudit.objects.filter(attempt=kept).count() == 0
