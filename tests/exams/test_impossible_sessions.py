"""Sessions no candidate could sit are refused everywhere they are made (issue 13): with the field
path and how to fix it. A new session whose window has already ended is saved with a warning."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from exams import rules
from exams.models import ExamSession
from exams.services.batches import batch_validate
from tests import factories
from tests.exams.test_admin import session_form

pytestmark = pytest.mark.django_db

NOW = datetime(2023, 7, 20, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def batch():
    return factories.BatchFactory()


def beijing(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2023, 7, day, hh, mm, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


@pytest.mark.parametrize(
    ("kind", "starts", "ends", "fields", "problems"),
    [
        # 07:30-09:30 Beijing: passwords open at 08:00, the instant everyone becomes late
        ("formal", beijing(30, 7, 30), beijing(30, 9, 30), {}, {"exam_day_gate": rules.NO_FIRST_LOGIN}),
        # one second later, a first login is possible (08:00:00 - 08:00:01)
        ("formal", beijing(30, 7, 30) + timedelta(seconds=1), beijing(30, 9, 30), {}, {}),
        ("formal", beijing(30, 9), beijing(30, 11), {}, {}),
        ("formal", beijing(30, 7, 30), beijing(30, 9, 30), {"exam_day_gate": None}, {}),
        ("formal", beijing(30, 7, 30), beijing(30, 9, 30), {"exam_day_gate": time(7, 59, 59)}, {}),
        # no late cutoff: login possible until the end
        ("formal", beijing(30, 7), beijing(30, 9), {"late_after": None}, {}),
        ("formal", beijing(30, 6), beijing(30, 8), {"late_after": None}, {"exam_day_gate": rules.NO_FIRST_LOGIN}),
        ("mock", beijing(29, 15), beijing(29, 16), {"exam_day_gate": None},
         {"min_answer_time": rules.MIN_ANSWER_NOT_SHORTER}),
        ("mock", beijing(29, 15), beijing(29, 16) + timedelta(seconds=1), {"exam_day_gate": None}, {}),
        ("mock", beijing(29, 15), beijing(29, 16), {"exam_day_gate": None, "min_answer_time": timedelta(minutes=59)},
         {}),
        ("mock", beijing(29, 15), beijing(29, 16), {"exam_day_gate": None, "late_after": timedelta(0),
                                                    "login_opens_before": timedelta(0),
                                                    "min_answer_time": None},
         {"late_after": rules.NO_FIRST_LOGIN}),
        ("device_check", beijing(25, 9), beijing(25, 9, 30), {"min_answer_time": timedelta(hours=1)}, {}),
    ],
)
def test_the_rule_finds_sessions_nobody_could_sit(kind, starts, ends, fields, problems):
    values = {**rules.KIND_DEFAULTS[kind], **fields}
    s = rules.SessionRules(
        kind=kind, starts_at=starts, ends_at=ends, login_opens_before=values["login_opens_before"],
        late_after=values["late_after"], min_answer_time=values["min_answer_time"],
        exam_day_gate=values["exam_day_gate"],
    )
    assert rules.session_problems(s) == problems


def test_the_admin_refuses_a_formal_session_from_07_30_and_says_how_to_fix_it(admin_client, batch):
    response = admin_client.post(reverse("admin:exams_examsession_add"), session_form(
        batch, starts_at_1="07:30:00", ends_at_1="09:30:00"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "没有考生能够登录" in errors["exam_day_gate"][0]
    assert "08:00" in errors["exam_day_gate"][0] and "推迟" in errors["exam_day_gate"][0]
    assert ExamSession.objects.count() == 0


def test_the_admin_refuses_a_minimum_answering_time_as_long_as_the_session(admin_client, batch):
    response = admin_client.post(reverse("admin:exams_examsession_add"), session_form(
        batch, kind="mock", exam_day_gate="", ends_at_1="10:00:00"))
    assert response.status_code == 200
    message = response.context["adminform"].form.errors["min_answer_time"][0]
    assert "60 分钟" in message and "少于 60 分钟" in message


def test_the_admin_warns_when_a_new_sessions_window_has_already_ended(admin_client, batch):
    response = admin_client.post(reverse("admin:exams_examsession_add"), session_form(
        batch, starts_at_0="2023-07-10", ends_at_0="2023-07-10"), follow=True)
    assert response.status_code == 200
    assert ExamSession.objects.count() == 1
    texts = [str(m) for m in response.context["messages"]]
    assert any("已经过去" in t and "2023-07-10 11:00" in t for t in texts), texts
    ok = admin_client.post(reverse("admin:exams_examsession_add"), session_form(batch), follow=True)
    assert not any("已经过去" in str(m) for m in ok.context["messages"])


def test_the_api_refuses_them_with_the_field_path(admin_client, batch):
    def create(**body):
        return admin_client.post("/api/v1/organizer/sessions/", data=json.dumps({
            "batch": batch.pk, "kind": "formal", "name": "正式考试", **body}), content_type="application/json")

    early = create(starts_at="2023-07-30T07:30:00+08:00", ends_at="2023-07-30T09:30:00+08:00")
    assert early.status_code == 400
    assert "没有考生能够登录" in early.json()["errors"]["exam_day_gate"]
    short = create(kind="mock", starts_at="2023-07-29T15:00:00+08:00", ends_at="2023-07-29T16:00:00+08:00")
    assert short.status_code == 400 and "无法交卷" in short.json()["errors"]["min_answer_minutes"]
    fixed = create(kind="mock", starts_at="2023-07-29T15:00:00+08:00", ends_at="2023-07-29T16:00:00+08:00",
                   min_answer_minutes=30)
    assert fixed.status_code == 201, fixed.content
    session_id = fixed.json()["id"]
    patched = admin_client.patch(f"/api/v1/organizer/sessions/{session_id}/", data=json.dumps(
        {"min_answer_minutes": 60}), content_type="application/json")
    assert patched.status_code == 400 and "min_answer_minutes" in patched.json()["errors"]


def test_load_batch_refuses_them_at_their_path():
    data = {
        "batch": {"slug": "b1", "name": "批次"},
        "sessions": [
            {"key": "early", "kind": "formal", "name": "正式考试", "starts_at": "2023-07-30T07:30:00+08:00",
             "ends_at": "2023-07-30T09:30:00+08:00"},
            {"key": "mock", "kind": "mock", "name": "模拟", "starts_at": "2023-07-29T15:00:00+08:00",
             "ends_at": "2023-07-29T16:00:00+08:00"},
            {"key": "ok", "kind": "mock", "name": "模拟", "starts_at": "2023-07-29T15:00:00+08:00",
             "ends_at": "2023-07-29T16:00:00+08:00", "rules": {"min_answer_minutes": 30}},
        ],
    }
    errors = batch_validate(data=data, now=NOW)
    assert set(errors) == {"sessions[0].rules.exam_day_gate", "sessions[1].rules.min_answer_minutes"}
    assert "08:00" in errors["sessions[0].rules.exam_day_gate"]
