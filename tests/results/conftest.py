"""A collected formal session with essays to mark: three candidates, two essay questions."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest

from exams import statuses
from exams.models import Answer, Question
from tests import factories
from tests.helpers import START

END = START + timedelta(hours=2)
AFTER = END + timedelta(hours=1)


def finished_attempt(
    session, *, name: str, score: str, essays: dict, state: str = statuses.COLLECTED, id_number: str | None = None
):
    extra = {"id_number": id_number} if id_number else {}
    candidate = factories.CandidateFactory(name=name, **extra)
    registration = factories.RegistrationFactory(candidate=candidate, session=session)
    attempt = factories.AttemptFactory.create(
        registration=registration, state=state, score=Decimal(score), checked_in_at=START - timedelta(minutes=10),
        started_at=START, finished_at=END, receipt=hashlib.sha256(name.encode()).hexdigest(),
        needs_marking=bool(essays),
    )
    for seq, (question, text) in enumerate(essays.items(), start=1):
        Answer.objects.create(attempt=attempt, question=question, value=text, seq=seq, saved_at=START)
    return attempt


@pytest.fixture
def essay_session(db):
    paper = factories.full_paper(pass_mark=Decimal("12"))
    essay = paper.questions.get(kind=Question.ESSAY)
    essay.rubric = "要点：安全、规范、记录，各 3 分，表达 1 分。"
    essay.save()
    second = factories.QuestionFactory(
        paper=paper, position=6, kind=Question.ESSAY, choices=[], correct=None, points=5, text="简述交接班要求。"
    )
    session = factories.SessionFactory(paper=paper, batch=paper.batch)
    attempts = [
        finished_attempt(session, name="张三", score="6", essays={essay: "安全第一，规范操作。", second: "当面交接。"}),
        finished_attempt(session, name="李四", score="4", essays={essay: "做好记录。"}),
        finished_attempt(session, name="王五", score="2", essays={essay: ""}),  # blank: nothing to mark
    ]
    return {"session": session, "paper": paper, "essay": essay, "second": second, "attempts": attempts}


@pytest.fixture
def marker(db):
    return factories.staff_user("marker1", "marker")


@pytest.fixture
def second_marker(db):
    return factories.staff_user("marker2", "marker")


@pytest.fixture
def third_marker(db):
    return factories.staff_user("marker3", "marker")
