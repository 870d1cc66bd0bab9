from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exams import answer_rules, statuses
from exams.models import Answer, Attempt, AttemptAudit, ExamSession
from exams.services import collection
from tests import factories
from tests.helpers import START


def open_attempts(session, count, *, state=statuses.IN_PROGRESS):
    attempts = []
    for _ in range(count):
        reg = factories.RegistrationFactory(session=session)
        attempts.append(factories.AttemptFactory(registration=reg, state=state))
    return attempts


@pytest.fixture
def session(formal_session):
    return formal_session


def test_open_attempts_are_collected_at_the_deadline_with_receipts_and_scores(session):
    single = session.paper.questions.get(position=1)
    first, second = open_attempts(session, 2)
    Answer.objects.create(attempt=first, question=single, value="B", seq=1, saved_at=START)
    collection.sweep(now=session.ends_at - timedelta(seconds=1))
    assert Attempt.objects.filter(state=statuses.COLLECTED).count() == 0
    report = collection.sweep(now=session.ends_at)
    assert report.collected == {session.id: 2}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == second.state == statuses.COLLECTED
    assert first.receipt == answer_rules.receipt(first.id, {single.id: ("B", 1)})
    assert first.score == 2 and second.score == 0
    assert first.finished_at == session.ends_at
    audit = AttemptAudit.objects.get(attempt=first, action="collect")
    assert (audit.from_state, audit.to_state) == ("in_progress", "collected")


def test_a_second_sweep_changes_nothing(session):
    open_attempts(session, 3)
    collection.sweep(now=session.ends_at)
    receipts = list(Attempt.objects.values_list("receipt", flat=True))
    report = collection.sweep(now=session.ends_at + timedelta(seconds=3))
    assert report.as_dict()["collected"] == 0
    assert list(Attempt.objects.values_list("receipt", flat=True)) == receipts
    assert AttemptAudit.objects.filter(action="collect").count() == 3


def test_extra_minutes_postpone_one_candidates_collection(session):
    kept, other = open_attempts(session, 2)
    Attempt.objects.filter(pk=kept.pk).update(extra_minutes=10, deadline=session.ends_at + timedelta(minutes=10))
    collection.sweep(now=session.ends_at)
    assert Attempt.objects.get(pk=kept.pk).state == statuses.IN_PROGRESS
    assert Attempt.objects.get(pk=other.pk).state == statuses.COLLECTED
    collection.sweep(now=session.ends_at + timedelta(minutes=10))
    assert Attempt.objects.get(pk=kept.pk).state == statuses.COLLECTED


def test_submitted_attempts_are_left_alone(session):
    (done,) = open_attempts(session, 1, state=statuses.SUBMITTED)
    collection.sweep(now=session.ends_at)
    assert Attempt.objects.get(pk=done.pk).state == statuses.SUBMITTED


def test_collection_costs_the_same_queries_for_few_and_many(session):
    other = factories.SessionFactory(paper=session.paper, batch=session.batch)
    open_attempts(session, 3)
    open_attempts(other, 40)
    collection.paper_questions(session.paper_id)
    with CaptureQueriesContext(connection) as few:
        collection.session_collect(session_id=session.id, now=session.ends_at)
    with CaptureQueriesContext(connection) as many:
        collection.session_collect(session_id=other.id, now=other.ends_at)
    assert len(few.captured_queries) == len(many.captured_queries)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(timedelta(minutes=30) - timedelta(seconds=1), statuses.REGISTERED),
     (timedelta(minutes=30), statuses.LATE)],
)
def test_candidates_who_never_logged_in_are_marked_late_at_the_cutoff(session, offset, expected):
    (never,) = open_attempts(session, 1, state=statuses.REGISTERED)
    collection.sweep(now=START + offset)
    assert Attempt.objects.get(pk=never.pk).state == expected


def test_late_candidates_become_absent_when_the_session_ends(session):
    (never,) = open_attempts(session, 1, state=statuses.REGISTERED)
    collection.sweep(now=START + timedelta(minutes=31))
    collection.sweep(now=session.ends_at)
    never.refresh_from_db()
    assert never.state == statuses.ABSENT
    assert list(AttemptAudit.objects.filter(attempt=never).values_list("action", flat=True)) == ["late", "absent"]


def test_device_check_candidates_are_never_late_only_absent_at_the_end(session):
    device = factories.SessionFactory(kind="device_check", batch=session.batch, paper=session.paper)
    (never,) = open_attempts(device, 1, state=statuses.REGISTERED)
    collection.sweep(now=device.starts_at + timedelta(hours=1))
    assert Attempt.objects.get(pk=never.pk).state == statuses.REGISTERED
    collection.sweep(now=device.ends_at)
    assert Attempt.objects.get(pk=never.pk).state == statuses.ABSENT


def test_formal_passwords_are_published_and_sessions_expired_once(session):
    publish_at = session.password_published_at
    assert collection.sweep(now=publish_at - timedelta(seconds=1)).passwords_published == 0
    assert collection.sweep(now=publish_at).passwords_published == 1
    assert collection.sweep(now=publish_at).passwords_published == 0
    assert collection.sweep(now=session.ends_at).sessions_expired == 1
    assert ExamSession.objects.get(pk=session.pk).expired_at == session.ends_at


def test_the_celery_task_runs_the_sweep(session):
    from exams.tasks import sweep

    open_attempts(session, 1)
    with time_machine.travel(session.ends_at, tick=False):
        report = sweep.delay().get()
    assert report["collected"] == 1


def test_the_sweep_schedules_one_collection_at_the_instant_a_session_ends(session, monkeypatch):
    from exams import tasks

    open_attempts(session, 2)
    scheduled = []
    monkeypatch.setattr(tasks.collect_session, "apply_async", lambda **kw: scheduled.append(kw))
    early = session.ends_at - timedelta(minutes=5)
    with time_machine.travel(early, tick=False):
        tasks.sweep.delay()
    assert scheduled == []  # too far ahead: the ETA stays within two sweep intervals
    for seconds_before in (5, 2):  # two sweeps see the end coming; one task
        with time_machine.travel(session.ends_at - timedelta(seconds=seconds_before), tick=False):
            tasks.sweep.delay()
    assert scheduled == [{
        "args": [session.id], "eta": session.ends_at, "expires": session.ends_at + timedelta(seconds=60),
    }]


def test_the_collection_task_collects_when_it_runs_at_the_end(session):
    from exams.tasks import collect_session

    first, second = open_attempts(session, 2)
    with time_machine.travel(session.ends_at - timedelta(milliseconds=1), tick=False):
        assert collect_session.delay(session.id).get() == 0
    with time_machine.travel(session.ends_at, tick=False):
        assert collect_session.delay(session.id).get() == 2
        assert collect_session.delay(session.id).get() == 0  # and the sweep after it changes nothing
    assert set(Attempt.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == {
        statuses.COLLECTED
    }


def test_a_session_without_open_attempts_needs_no_scheduled_collection(session):
    open_attempts(session, 1, state=statuses.SUBMITTED)
    soon = session.ends_at - timedelta(seconds=2)
    assert collection.deadlines_within(now=soon, within=timedelta(seconds=6)) == []


def test_an_extra_time_deadline_gets_its_own_scheduled_collection(session):
    kept, _other = open_attempts(session, 2)
    later = session.ends_at + timedelta(minutes=10)
    Attempt.objects.filter(pk=kept.pk).update(extra_minutes=10, deadline=later)
    assert collection.deadlines_within(now=session.ends_at - timedelta(seconds=2), within=timedelta(seconds=6)) == [
        (session.id, session.ends_at)
    ]
    assert collection.deadlines_within(now=later - timedelta(seconds=2), within=timedelta(seconds=6)) == [
        (session.id, later)
    ]
