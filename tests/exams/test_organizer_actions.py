from datetime import timedelta

import pytest
from django.utils import timezone

from exams import statuses
from exams.models import Attempt, AttemptAudit
from tests import factories


@pytest.fixture
def live_attempt(db):
    now = timezone.now()
    session = factories.SessionFactory(starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=1))
    registration = factories.RegistrationFactory(session=session)
    return factories.AttemptFactory(registration=registration, state=statuses.IN_PROGRESS, client_id="c1")


def test_an_organizer_grants_extra_minutes_with_a_reason(client, live_attempt, organizer):
    client.force_login(organizer)
    url = f"/monitor/attempt/{live_attempt.id}/"
    refused = client.post(url, {"action": "extra_time", "minutes": 10, "reason": ""})
    assert refused.status_code == 200
    assert "该字段是必填项。" in refused.content.decode()
    assert Attempt.objects.get(pk=live_attempt.pk).extra_minutes == 0
    response = client.post(url, {"action": "extra_time", "minutes": 10, "reason": "听障考生，考务批准"})
    assert response.status_code == 302
    attempt = Attempt.objects.get(pk=live_attempt.pk)
    assert attempt.extra_minutes == 10
    assert attempt.deadline == live_attempt.deadline + timedelta(minutes=10)
    audit = AttemptAudit.objects.get(attempt=attempt, action="extra_time")
    assert audit.actor == organizer and audit.reason == "听障考生，考务批准"


def test_unlock_needs_a_reason_and_is_audited(client, live_attempt, proctor):
    Attempt.objects.filter(pk=live_attempt.pk).update(locked=True, leaves_used=5)
    client.force_login(proctor)
    url = f"/monitor/attempt/{live_attempt.id}/"
    assert "解锁作答" in client.get(url).content.decode()
    client.post(url, {"action": "unlock", "reason": "   "})
    assert Attempt.objects.get(pk=live_attempt.pk).locked
    client.post(url, {"action": "unlock", "reason": "网络故障导致多次重新登录"})
    attempt = Attempt.objects.get(pk=live_attempt.pk)
    assert not attempt.locked and attempt.leaves_used == 5
    assert AttemptAudit.objects.filter(attempt=attempt, action="unlock", actor=proctor).exists()


def test_a_proctor_cannot_grant_extra_time(client, live_attempt, proctor):
    client.force_login(proctor)
    response = client.post(
        f"/monitor/attempt/{live_attempt.id}/", {"action": "extra_time", "minutes": 5, "reason": "x"}
    )
    assert response.status_code == 403
    assert Attempt.objects.get(pk=live_attempt.pk).extra_minutes == 0


def test_a_session_message_is_recorded_on_every_open_attempt(client, live_attempt, organizer):
    client.force_login(organizer)
    response = client.post(f"/monitor/{live_attempt.session_id}/message/", {"text": "请保持摄像头开启"})
    assert response.status_code == 302
    assert AttemptAudit.objects.filter(action="message", details__text="请保持摄像头开启").count() == 1


def test_support_cannot_reach_the_actions_page_without_view_permission(client, live_attempt, support_agent):
    client.force_login(support_agent)
    assert client.get(f"/monitor/attempt/{live_attempt.id}/").status_code in (200, 403)
    assert client.post(f"/monitor/attempt/{live_attempt.id}/",
                       {"action": "extra_time", "minutes": 5, "reason": "x"}).status_code == 403


def test_the_api_grants_time_unlocks_and_messages(client, live_attempt, organizer):
    client.force_login(organizer)
    base = f"/api/v1/organizer/attempts/{live_attempt.id}"
    no_reason = client.post(f"{base}/extra-time/", {"minutes": 5}, content_type="application/json")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "invalid"
    granted = client.post(f"{base}/extra-time/", {"minutes": 5, "reason": "设备故障经考务确认"},
                          content_type="application/json")
    assert granted.status_code == 200 and granted.json()["extra_minutes"] == 5
    Attempt.objects.filter(pk=live_attempt.pk).update(locked=True)
    unlocked = client.post(f"{base}/unlock/", {"reason": "考务核实"}, content_type="application/json")
    assert unlocked.json()["locked"] is False
    sent = client.post(f"/api/v1/organizer/sessions/{live_attempt.session_id}/message/", {"text": "注意时间"},
                       content_type="application/json")
    assert sent.json() == {"sent": 1}
    assert client.post("/api/v1/organizer/attempts/999999/unlock/", {"reason": "x"},
                       content_type="application/json").status_code == 404


def test_the_action_api_refuses_anonymous_and_candidates(client, live_attempt):
    response = client.post(f"/api/v1/organizer/attempts/{live_attempt.id}/unlock/", {"reason": "x"},
                           content_type="application/json")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_logged_in"


# --- recovery actions on the staff pages (issue 13) -------------------------------------------------


def test_the_monitor_grants_a_session_wide_credit_with_a_reason(client, live_attempt, organizer):
    client.force_login(organizer)
    page = client.get(f"/monitor/{live_attempt.session_id}/").content.decode()
    assert "全场补时" in page and f'action="/monitor/{live_attempt.session_id}/extra-time/"' in page
    url = f"/monitor/{live_attempt.session_id}/extra-time/"
    refused = client.post(url, {"minutes": 10, "reason": ""}, follow=True)
    assert "请填写" in refused.content.decode()
    assert Attempt.objects.get(pk=live_attempt.pk).deadline == live_attempt.deadline
    done = client.post(url, {"minutes": 10, "reason": "平台故障"}, follow=True)
    assert "已为 1 位正在考试的考生延长 10 分钟。" in done.content.decode()
    assert Attempt.objects.get(pk=live_attempt.pk).deadline == live_attempt.deadline + timedelta(minutes=10)


def test_a_proctor_sees_no_credit_form_and_may_not_post_it(client, live_attempt, proctor):
    client.force_login(proctor)
    assert "全场补时" not in client.get(f"/monitor/{live_attempt.session_id}/").content.decode()
    response = client.post(f"/monitor/{live_attempt.session_id}/extra-time/", {"minutes": 5, "reason": "x"})
    assert response.status_code == 403


def test_the_actions_page_reopens_a_collected_attempt_and_re_admits_an_absent_one(client, live_attempt, organizer):
    client.force_login(organizer)
    url = f"/monitor/attempt/{live_attempt.id}/"
    assert "重开作答" not in client.get(url).content.decode()  # still answering: nothing to reopen
    Attempt.objects.filter(pk=live_attempt.pk).update(state=statuses.COLLECTED, receipt="r" * 64)
    page = client.get(url).content.decode()
    assert "重开作答" in page and "准予补录" not in page
    response = client.post(url, {"action": "reopen", "reason": "误收卷", "minutes": 20})
    assert response.status_code == 302
    attempt = Attempt.objects.get(pk=live_attempt.pk)
    assert attempt.state == statuses.IN_PROGRESS and attempt.receipt == ""
    assert AttemptAudit.objects.get(attempt=attempt, action="reopen").details["old_receipt"] == "r" * 64

    absent = factories.AttemptFactory(registration=factories.RegistrationFactory(session=live_attempt.session),
                                      state=statuses.ABSENT)
    url = f"/monitor/attempt/{absent.id}/"
    assert "准予补录" in client.get(url).content.decode()
    assert client.post(url, {"action": "readmit", "reason": "考生家中停电"}).status_code == 302
    absent.refresh_from_db()
    assert absent.state == statuses.REGISTERED and absent.readmitted_at is not None


def test_the_actions_page_refuses_a_strange_backup_file_with_its_reason(client, live_attempt, organizer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(organizer)
    response = client.post(f"/monitor/attempt/{live_attempt.id}/", {
        "action": "backup", "file": SimpleUploadedFile("x.json", b'{"format": "nope"}'),
    })
    assert response.status_code == 200
    assert "这不是作答备份文件" in response.content.decode()
