"""seed_demo: the seed notice's batch, live right after it runs, with staff logins to try."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from candidates.models import Candidate, Registration
from exams import demo, rules
from exams.models import ExamBatch, ExamSession, Question
from support.models import StaffedPeriod
from tests import factories

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def demo_sessions() -> dict[str, ExamSession]:
    return {s.key: s for s in ExamSession.objects.filter(batch__slug=demo.SLUG)}


def test_it_creates_what_it_prints():
    out = seed("--now", "2023-07-30T10:00:00+08:00", "--base-url", "http://exam.example:8000/")

    batch = ExamBatch.objects.get(slug=demo.SLUG)
    assert "http://exam.example:8000/notice/2023-07-30/" in out
    assert "http://exam.example:8000/admin/" in out
    assert "考生入口 Candidate entry:  http://exam.example:8000/\n" in out

    sessions = demo_sessions()
    assert set(sessions) == set(demo.SESSION_KEYS)
    printed = dict(re.findall(r"^  (\S+) \[.*口令 password: (\d{6})", out, re.M))
    assert printed == {s.name: s.password for s in sessions.values()}
    assert sessions["device-check"].password == "283381"
    assert sessions["mock"].password == "283385"

    printed_ids = re.findall(r"证件号 ID number: (\w{18})", out)
    assert len(printed_ids) == 6
    for id_number in printed_ids:
        candidate = Candidate.objects.get(id_number=id_number)
        keys = {r.session.key for r in candidate.registrations.filter(session__batch=batch)}
        formal = keys & {"formal-theory", "formal-practical"}
        assert keys - formal == {"device-check", "mock"}
        assert len(formal) == 1
    assert Registration.objects.filter(session__batch=batch).count() == 18

    logins = re.findall(r"^  .+:  (\w+) / (\S+)$", out, re.M)
    assert [username for username, _ in logins] == ["admin", "organizer", "proctor", "support"]
    for username, password in logins:
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert user.is_staff
        if username == "admin":
            assert user.is_superuser
        else:
            assert list(user.groups.values_list("name", flat=True)) == [username]


def test_the_theory_paper_has_every_question_kind_and_the_practical_needs_scratch_paper():
    seed("--now", "2023-07-30T10:00:00+08:00")

    sessions = demo_sessions()
    theory = Question.objects.filter(paper=sessions["formal-theory"].paper)
    theory_kinds = set(theory.values_list("kind", flat=True))
    assert theory_kinds == {k for k, _ in Question.KINDS}
    assert sessions["formal-practical"].requires_scratch_paper is True
    assert sessions["formal-theory"].requires_scratch_paper is False
    assert sessions["formal-practical"].subject == "操作技能"
    assert sessions["mock"].ends_at - sessions["mock"].starts_at == timedelta(hours=1)


@pytest.mark.parametrize(
    "local_now",
    ["2023-07-30T10:00:00+08:00", "2023-07-30T07:30:00+08:00", "2023-07-30T23:55:00+08:00",
     "2023-07-30T08:55:00+08:00", "2023-07-30T17:59:59+08:00"],
)
def test_right_after_it_the_device_check_is_open_and_a_formal_session_is_in_its_login_window(local_now):
    with time_machine.travel(datetime.fromisoformat(local_now), tick=False):
        seed()
        now = timezone.now()

    sessions = demo_sessions()
    assert rules.entry_decision(sessions["device-check"].rules(), now) == rules.ENTRY_OK
    assert rules.entry_decision(sessions["mock"].rules(), now) == rules.ENTRY_OK
    for key in ("formal-theory", "formal-practical"):
        formal = sessions[key].rules()
        assert rules.entry_decision(formal, now) == rules.ENTRY_OK
        assert rules.login_opens_at(formal) <= now < formal.starts_at
        assert rules.is_password_published(formal, now)
    assert StaffedPeriod.objects.filter(
        batch__slug=demo.SLUG, starts_at__lte=now, ends_at__gt=now
    ).exists()


def test_it_keeps_the_exam_day_gate_once_it_is_past_eight_and_drops_it_before():
    seed("--now", "2023-07-30T10:00:00+08:00")
    assert demo_sessions()["formal-theory"].exam_day_gate == time(8, 0)

    out = seed("--now", "2023-07-31T06:00:00+08:00")
    assert demo_sessions()["formal-theory"].exam_day_gate is None
    assert "exam_day_gate to null" in out


def test_running_it_twice_updates_the_batch_and_keeps_the_generated_passwords():
    seed("--now", "2023-07-30T10:00:00+08:00")
    first = demo_sessions()

    later = datetime(2023, 7, 31, 2, 0, tzinfo=UTC)
    seed("--now", later.isoformat())

    second = demo_sessions()
    assert ExamBatch.objects.count() == 2  # the demo batch and the admission-ticket demo
    assert ExamSession.objects.count() == 5
    assert Candidate.objects.count() == 6
    assert Registration.objects.count() == 18 + demo.TICKET_CANDIDATES
    assert User.objects.count() == 4
    assert second["formal-theory"].password == first["formal-theory"].password
    assert second["formal-theory"].starts_at == later + timedelta(minutes=10)
    assert rules.entry_decision(second["device-check"].rules(), later) == rules.ENTRY_OK


def test_the_staff_password_comes_from_demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-secret")

    out = seed("--now", "2023-07-30T10:00:00+08:00")

    assert "organizer / another-demo-secret" in out
    assert User.objects.get(username="organizer").check_password("another-demo-secret")


def test_a_fixed_password_taken_by_another_open_session_is_generated_instead():
    now = datetime(2023, 7, 30, 2, 0, tzinfo=UTC)
    factories.SessionFactory(password="283381", starts_at=now, ends_at=now + timedelta(days=5))

    out = seed("--now", now.isoformat())

    device_check = demo_sessions()["device-check"]
    assert device_check.password != "283381"
    assert re.fullmatch(r"\d{6}", device_check.password)
    assert "Password 283381 is taken" in out


def test_if_empty_leaves_a_database_with_a_batch_alone():
    factories.BatchFactory(slug="already-here")

    out = seed("--if-empty")

    assert "demo not loaded" in out
    assert not ExamBatch.objects.filter(slug=demo.SLUG).exists()
    assert not User.objects.exists()


def test_if_empty_loads_the_demo_into_an_empty_database():
    seed("--if-empty", "--now", "2023-07-30T10:00:00+08:00")

    assert ExamSession.objects.filter(batch__slug=demo.SLUG).count() == 4


def test_it_loads_the_notices_sixteen_questions_as_faq_once():
    from support.models import FaqEntry

    seed("--now", "2023-07-30T10:00:00+08:00")
    seed("--now", "2023-07-30T10:05:00+08:00")
    entries = FaqEntry.objects.filter(batch=None)
    assert entries.count() == 16
    assert entries.filter(question="登录时的拍照按钮在哪里？").exists()


def test_the_admission_ticket_demo_prints_what_its_candidates_type_and_that_login_works(make_client):
    # Issue 14: one demo session asks for the admission ticket number (准考证号) as well.
    out = seed("--now", "2023-07-30T10:00:00+08:00")
    session = ExamSession.objects.get(batch__slug=demo.TICKET_SLUG)
    assert session.batch.login_requires_admission_ticket
    assert not ExamBatch.objects.get(slug=demo.SLUG).login_requires_admission_ticket
    lines = re.findall(r"^    (\S+)  证件号 (\w{18})  准考证号 admission ticket: (\S+)$", out, re.M)
    assert len(lines) == demo.TICKET_CANDIDATES
    assert f"考试口令 {session.password}" in out
    name, id_number, ticket = lines[0]
    with time_machine.travel(datetime(2023, 7, 30, 10, 0, tzinfo=UTC) - timedelta(hours=8), tick=False):
        client = make_client()
        entry = client.post("entry/", {"password": session.password})
        assert entry.json()["session"]["needs_admission_ticket"] is True
        refused = client.post("login/", {"password": session.password, "id_number": id_number})
        assert refused.json()["code"] == "admission_ticket_required"
        response = client.post(
            "login/", {"password": session.password, "id_number": id_number, "admission_ticket": ticket}
        )
    assert response.status_code == 200, response.content
    assert response.json()["attempt"]["candidate"]["name"] == name
