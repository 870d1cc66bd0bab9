"""Issue 14: the steps a session requires (login photo, phone monitor, A4 sheet) are enforced by
the server, stored on the attempt, and waivable by support staff with a reason.

Exam day order: login, the steps, the start; a re-login in another browser later.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from exams import rules
from exams.models import Attempt, AttemptAudit, ExamSession
from exams.services import steps
from proctoring.models import Evidence, ProctorEvent
from tests import factories
from tests.helpers import START, at
from tests.proctoring.conftest import jpeg_bytes


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    settings.EVIDENCE_ROOT = str(tmp_path / "evidence")


def require(attempt, **fields) -> Attempt:
    ExamSession.objects.filter(pk=attempt.session_id).update(**fields)
    attempt.refresh_from_db()
    return attempt


@pytest.fixture
def formal_with_sheet(attempt):
    """The finding: a formal session that asks for the login photo, the phone and the A4 sheet."""
    return require(attempt, requires_login_photo=True, requires_phone_monitor=True, requires_scratch_paper=True)


def login(make_client, attempt, when=START - timedelta(minutes=5)):
    client = make_client()
    with at(when):
        assert client.login_as(attempt).status_code == 200
    return client


def question_id(attempt) -> int:
    return attempt.session.paper.questions.order_by("position").first().id


def test_the_defaults_follow_the_kind_formal_and_mock_require_the_login_photo():
    assert rules.KIND_DEFAULTS["formal"]["requires_login_photo"] is True
    assert rules.KIND_DEFAULTS["mock"]["requires_login_photo"] is True
    assert rules.KIND_DEFAULTS["device_check"]["requires_login_photo"] is False
    for kind in rules.KIND_DEFAULTS:
        assert rules.KIND_DEFAULTS[kind]["requires_phone_monitor"] is False
    field = ExamSession._meta.get_field
    assert field("requires_login_photo").default is True
    assert field("requires_phone_monitor").default is False
    assert field("requires_scratch_paper").default is False


def test_a_formal_attempt_without_evidence_cannot_start_nor_answer(make_client, formal_with_sheet):
    # Finding 1: every call used to be 200 with zero evidence rows.
    client = login(make_client, formal_with_sheet)
    with at(START + timedelta(minutes=1)):
        start = client.post("attempt/start/")
        answer = client.save((question_id(formal_with_sheet), "B", 1))
    assert start.status_code == 409 and start.json()["code"] == "photo_required"
    assert "登录拍照" in start.json()["detail"]
    assert start.json()["missing_steps"] == ["login_photo", "phone_monitor", "scratch_paper"]
    assert answer.status_code == 409 and answer.json()["code"] == "photo_required"
    formal_with_sheet.refresh_from_db()
    assert formal_with_sheet.state == "checked_in"
    assert not formal_with_sheet.answers.exists()


def test_each_step_is_asked_for_in_turn_with_its_own_code(make_client, formal_with_sheet):
    client = login(make_client, formal_with_sheet)
    with at(START - timedelta(minutes=4)):
        assert client.photo(jpeg_bytes(), kind="login_photo", capture_id="p1").status_code == 201
    with at(START + timedelta(minutes=1)):
        phone = client.post("attempt/start/")
    assert phone.json()["code"] == "phone_required" and "手机" in phone.json()["detail"]
    from proctoring.services import phone as phone_service

    with at(START + timedelta(minutes=1)):
        formal_with_sheet.refresh_from_db()
        _pairing, token = phone_service.pairing_create(attempt=formal_with_sheet, now=START + timedelta(minutes=1))
        phone_service.pairing_claim(
            token=token, now=START + timedelta(minutes=1),
            facts=phone_service.PhoneFacts(fingerprint="v1|844x390|3|iPhone|Asia/Shanghai|6", touch_points=5),
        )
        sheet = client.post("attempt/start/")
    assert sheet.json()["code"] == "sheet_required" and "A4" in sheet.json()["detail"]
    with at(START + timedelta(minutes=2)):
        assert client.photo(jpeg_bytes(), kind="scratch_paper", capture_id="s1").status_code == 201
        started = client.post("attempt/start/")
    assert started.status_code == 200 and started.json()["state"] == "in_progress"
    formal_with_sheet.refresh_from_db()
    assert formal_with_sheet.login_photo_at == START - timedelta(minutes=4)
    assert formal_with_sheet.phone_paired_at == START + timedelta(minutes=1)
    assert formal_with_sheet.scratch_paper_at == START + timedelta(minutes=2)
    assert AttemptAudit.objects.filter(attempt=formal_with_sheet, action="step_done").count() == 3


def test_the_first_answer_is_refused_until_the_sheet_is_shown(make_client, attempt):
    attempt = require(attempt, requires_scratch_paper=True)
    client = login(make_client, attempt)
    with at(START + timedelta(minutes=1)):
        refused = client.save((question_id(attempt), "B", 1))
        client.photo(jpeg_bytes(), kind="scratch_paper", capture_id="s1")
        accepted = client.save((question_id(attempt), "B", 1))
    assert refused.status_code == 409 and refused.json()["code"] == "sheet_required"
    assert accepted.status_code == 200 and accepted.json()["acked_seq"] == 1


def test_a_relogin_in_another_browser_does_not_ask_again_for_a_done_step(make_client, attempt):
    attempt = require(attempt, requires_login_photo=True, requires_scratch_paper=True)
    first = login(make_client, attempt)
    with at(START - timedelta(minutes=4)):
        first.photo(jpeg_bytes(), kind="login_photo", capture_id="p1")
        first.photo(jpeg_bytes(), kind="scratch_paper", capture_id="s1")
    second = login(make_client, attempt, when=START - timedelta(minutes=2))
    with at(START + timedelta(minutes=1)):
        detail = second.get("attempt/").json()
        started = second.post("attempt/start/")
    assert detail["steps"]["missing"] == []
    assert detail["steps"]["done"] == ["login_photo", "scratch_paper"]
    assert started.status_code == 200


def test_the_pages_learn_which_steps_the_session_requires(make_client, attempt):
    attempt = require(attempt, requires_login_photo=True, requires_phone_monitor=True)
    client = make_client()
    with at(START - timedelta(minutes=5)):
        body = client.login_as(attempt).json()["attempt"]
    assert body["session"]["requires_login_photo"] is True
    assert body["session"]["requires_phone_monitor"] is True
    assert body["session"]["requires_scratch_paper"] is False
    assert body["steps"] == {
        "required": ["login_photo", "phone_monitor"], "done": [], "waived": [],
        "missing": ["login_photo", "phone_monitor"],
    }


def test_a_device_check_session_requires_nothing_whatever_its_fields(make_client, db):
    session = factories.SessionFactory(kind="device_check", requires_login_photo=True, requires_scratch_paper=True)
    attempt = factories.AttemptFactory(registration=factories.RegistrationFactory(session=session))
    assert steps.steps_required(attempt.session) == []


# --- waiving ---------------------------------------------------------------------------------


def staff_api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def waive(user, attempt, body):
    return staff_api(user).post(
        f"/api/v1/organizer/attempts/{attempt.id}/waive-step/", data=json.dumps(body), content_type="application/json"
    )


def test_support_staff_waive_one_step_for_one_candidate_with_a_reason(
    make_client, attempt, other_candidate, support_agent, monkeypatch
):
    attempt = require(attempt, requires_login_photo=True)
    other = factories.AttemptFactory(
        registration=factories.RegistrationFactory(candidate=other_candidate, session=attempt.session)
    )
    pushes = []
    monkeypatch.setattr("exams.live.send_on_commit", lambda group, message: pushes.append((group, message)))
    client = login(make_client, attempt)
    no_reason = waive(support_agent, attempt, {"step": "login_photo", "reason": " "})
    assert no_reason.status_code == 400
    with at(START - timedelta(minutes=3)):
        response = waive(support_agent, attempt, {"step": "login_photo", "reason": "摄像头损坏，已电话核实身份"})
    assert response.status_code == 200, response.content
    assert response.json()["steps"]["waived"] == ["login_photo"]
    audit = AttemptAudit.objects.get(attempt=attempt, action="step_waived")
    assert audit.actor == support_agent and audit.reason == "摄像头损坏，已电话核实身份"
    assert audit.details["step"] == "login_photo"
    assert ProctorEvent.objects.get(attempt=attempt, kind="step_waived").details["reason"]
    assert any(g == f"attempt.{attempt.id}" and m["payload"]["type"] == "steps" for g, m in pushes)
    assert any(g == f"monitor.{attempt.session_id}" for g, _m in pushes)
    with at(START + timedelta(minutes=1)):
        assert client.post("attempt/start/").status_code == 200
    assert steps.steps_missing(Attempt.objects.get(pk=other.pk)) == ["login_photo"]


def test_only_staff_with_the_permission_may_waive(attempt, db):
    nobody = factories.staff_user("viewer")
    assert waive(nobody, attempt, {"step": "login_photo", "reason": "x"}).status_code == 403
    assert Client().post(f"/api/v1/organizer/attempts/{attempt.id}/waive-step/").status_code in (401, 403)


def test_an_unknown_step_is_refused(attempt, organizer):
    response = waive(organizer, attempt, {"step": "retina_scan", "reason": "x"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


# --- load_batch, organizer API -------------------------------------------------------------


def test_load_batch_reads_the_step_rules_and_the_admission_ticket_flag(db):
    from exams.services.batches import batch_load

    data = {
        "batch": {"slug": "b14", "name": "批次", "login_requires_admission_ticket": True},
        "papers": [{"key": "p", "name": "卷", "questions": [{"kind": "essay", "text": "?"}]}],
        "sessions": [
            {"key": "f", "kind": "formal", "name": "正式", "paper": "p",
             "starts_at": "2023-07-30T09:00:00+08:00", "ends_at": "2023-07-30T11:00:00+08:00",
             "rules": {"requires_phone_monitor": True}},
            {"key": "d", "kind": "device_check", "name": "调试", "paper": "p",
             "starts_at": "2023-07-25T09:00:00+08:00", "ends_at": "2023-07-26T18:00:00+08:00"},
        ],
    }
    batch = batch_load(data=data, now=START - timedelta(days=10))
    assert batch.login_requires_admission_ticket is True
    formal, check = batch.sessions.get(key="f"), batch.sessions.get(key="d")
    assert (formal.requires_login_photo, formal.requires_phone_monitor, formal.requires_scratch_paper) == (
        True, True, False
    )
    assert (check.requires_login_photo, check.requires_phone_monitor) == (False, False)


def test_the_organizer_api_creates_sessions_with_the_kind_defaults(organizer, formal_session):
    body = {
        "batch": formal_session.batch_id, "kind": "mock", "name": "模拟", "paper": formal_session.paper_id,
        "starts_at": "2023-07-29T15:00:00+08:00", "ends_at": "2023-07-29T16:00:00+08:00",
        "min_answer_minutes": 30,  # shorter than the hour, or nobody could submit
    }
    response = staff_api(organizer).post("/api/v1/organizer/sessions/", data=json.dumps(body),
                                         content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["requires_login_photo"] is True
    assert response.json()["requires_phone_monitor"] is False


# --- review queue ----------------------------------------------------------------------------


def test_an_attempt_with_no_evidence_rises_to_the_top_of_the_review_queue(make_client, attempt, other_candidate):
    from proctoring.selectors import session_review_queue

    attempt = require(attempt, requires_login_photo=True)
    other = factories.AttemptFactory(
        registration=factories.RegistrationFactory(candidate=other_candidate, session=attempt.session)
    )
    Attempt.objects.filter(pk__in=[attempt.pk, other.pk]).update(state="submitted")
    from proctoring.services.events import evidence_store

    evidence_store(attempt=other, kind=Evidence.LOGIN_PHOTO, data=jpeg_bytes(), now=START, capture_id="a")
    evidence_store(attempt=other, kind=Evidence.SNAPSHOT, data=jpeg_bytes(), now=START, capture_id="b")
    ProctorEvent.objects.create(attempt=other, kind="screen_leave", at=START)
    ProctorEvent.objects.create(attempt=other, kind="phone_connected", at=START,
                                details={"resumed": True, "lost_seconds": 600})
    rows = session_review_queue(session_id=attempt.session_id)
    assert [r.attempt.id for r in rows] == [attempt.id, other.id]
    assert rows[0].counts == {"missing_evidence": 1, "no_snapshots": 1}
    assert rows[1].counts["phone_lost_minute"] == 10
    assert rows[0].score > rows[1].score > 0


def test_the_admin_edits_the_steps_and_the_admission_ticket_factor(organizer):
    client = staff_api(organizer)
    session_form = client.get("/admin/exams/examsession/add/").content.decode()
    for name in ("requires_login_photo", "requires_phone_monitor", "requires_scratch_paper"):
        assert f'name="{name}"' in session_form, name
    batch_form = client.get("/admin/exams/exambatch/add/").content.decode()
    assert 'name="login_requires_admission_ticket"' in batch_form


def test_a_phone_lost_until_the_end_counts_its_minutes_too(attempt):
    from proctoring.selectors import session_review_queue

    Attempt.objects.filter(pk=attempt.pk).update(state="collected", finished_at=START + timedelta(hours=2))
    ProctorEvent.objects.create(attempt=attempt, kind="phone_lost", at=START + timedelta(hours=1, minutes=30))
    row = session_review_queue(session_id=attempt.session_id, now=START + timedelta(hours=3))[0]
    assert row.counts["phone_lost_minute"] == 30
