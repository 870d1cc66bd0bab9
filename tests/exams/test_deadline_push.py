"""Every change of an open attempt's deadline reaches its socket (issue 13): the session's end
changed in the admin form, the organizer API or load_batch; a session-wide credit; re-admit and
reopen. ``{"type": "deadline", "deadline", "reason", ...}``, within a couple of seconds."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt
from exams.services import batches, recovery
from tests import factories
from tests.exams.test_consumers import _live_attempt, _login_session, connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PUSH_WITHIN = 2.0


def _superuser_client() -> Client:
    client = Client()
    client.force_login(factories.staff_user("root", superuser=True))
    return client


def _end_by_admin_form(attempt: Attempt, new_end) -> None:
    session = attempt.session
    local = timezone.localtime(new_end, session.batch.tz)
    starts = timezone.localtime(session.starts_at, session.batch.tz)
    data = {
        "batch": str(session.batch_id), "kind": session.kind, "name": session.name, "subject": session.subject,
        "paper": str(session.paper_id), "password": session.password,
        "starts_at_0": starts.strftime("%Y-%m-%d"), "starts_at_1": starts.strftime("%H:%M:%S"),
        "ends_at_0": local.strftime("%Y-%m-%d"), "ends_at_1": local.strftime("%H:%M:%S"),
        "password_published_at_0": "", "password_published_at_1": "",
        "login_opens_before": "00:30:00", "late_after": "00:30:00", "min_answer_time": "00:10:00",
        "exam_day_gate": "", "max_screen_leaves": "5", "lock_screen": "on", "snapshot_interval_seconds": "30",
        "recording": session.recording,
    }
    response = _superuser_client().post(reverse("admin:exams_examsession_change", args=[session.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def _end_by_api(attempt: Attempt, new_end) -> None:
    response = _superuser_client().patch(
        f"/api/v1/organizer/sessions/{attempt.session_id}/", data=json.dumps({"ends_at": new_end.isoformat()}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def _end_by_load_batch(attempt: Attempt, new_end) -> None:
    session = attempt.session
    session.key = "formal"
    session.save(update_fields=["key"])
    batches.batch_load(now=timezone.now(), data={
        "batch": {"slug": session.batch.slug, "name": session.batch.name},
        "sessions": [{
            "key": "formal", "kind": "formal", "name": session.name, "password": session.password,
            "starts_at": session.starts_at.isoformat(), "ends_at": new_end.isoformat(),
            "rules": {"exam_day_gate": None, "min_answer_minutes": 10},
        }],
    })


async def _socket_for_live_attempt():
    attempt, client_id = await sync_to_async(_live_attempt)()
    await sync_to_async(Attempt.objects.filter(pk=attempt.pk).update)()  # committed
    key = await sync_to_async(_login_session)(attempt.id, client_id)
    ws, connected = await connect("/ws/attempt/", cookie=f"sessionid={key}")
    assert connected
    assert (await ws.receive_json_from())["type"] == "sync"
    return attempt, ws


@pytest.mark.parametrize("change", [_end_by_admin_form, _end_by_api, _end_by_load_batch])
async def test_changing_the_sessions_end_pushes_the_new_deadline(change):
    attempt, ws = await _socket_for_live_attempt()
    await sync_to_async(lambda: type(attempt.session).objects.filter(pk=attempt.session_id).update(
        min_answer_time=timedelta(minutes=10)))()
    new_end = (attempt.deadline + timedelta(minutes=10)).replace(microsecond=0)  # as the admin form has it
    await sync_to_async(change)(attempt, new_end)
    message = await ws.receive_json_from(timeout=PUSH_WITHIN)
    assert message["type"] == "deadline"
    assert message["deadline"] == new_end.isoformat()
    assert message["previous"] == attempt.deadline.isoformat()
    assert message["kind"] == "session_end" and message["reason"]
    status = await ws.receive_json_from(timeout=PUSH_WITHIN)
    assert status["type"] == "status" and status["deadline"] == new_end.isoformat()
    await ws.disconnect()


async def test_a_session_wide_credit_is_pushed_with_its_reason():
    attempt, ws = await _socket_for_live_attempt()
    user = await sync_to_async(factories.staff_user)("org", superuser=True)
    await sync_to_async(recovery.session_grant_extra_minutes)(
        session_id=attempt.session_id, minutes=10, reason="平台故障，全场补时", actor=user, now=timezone.now()
    )
    message = await ws.receive_json_from(timeout=PUSH_WITHIN)
    assert message == {
        "type": "deadline", "deadline": (attempt.deadline + timedelta(minutes=10)).isoformat(),
        "previous": attempt.deadline.isoformat(), "kind": "session_credit", "reason": "平台故障，全场补时",
    }
    await ws.disconnect()


async def test_a_reopened_attempt_is_pushed_to_its_page_and_collected_again_later():
    attempt, ws = await _socket_for_live_attempt()
    from exams.services import collection

    await sync_to_async(collection.sweep)(now=attempt.deadline)
    assert (await ws.receive_json_from(timeout=PUSH_WITHIN))["type"] == "collected"
    user = await sync_to_async(factories.staff_user)("org", superuser=True)
    reopened = await sync_to_async(recovery.attempt_reopen)(
        attempt_id=attempt.id, reason="误收卷", minutes=5, actor=user, now=attempt.deadline
    )
    message = await ws.receive_json_from(timeout=PUSH_WITHIN)
    assert message["type"] == "deadline" and message["kind"] == "reopen"
    assert message["deadline"] == reopened.deadline.isoformat()
    await sync_to_async(collection.sweep)(now=reopened.deadline)
    collected = await ws.receive_json_from(timeout=PUSH_WITHIN)
    assert collected["type"] == "collected" and len(collected["receipt"]) == 64
    await ws.disconnect()
