"""Review: the timeline, the queue, decisions (a void needs two different reviewers), unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from exams import statuses
from exams.models import Answer, Attempt, AttemptAudit
from proctoring import selectors
from proctoring.exceptions import ReviewForbidden, SameReviewer
from proctoring.models import Evidence, ProctorEvent, ReviewDecision
from proctoring.services.events import event_record_server, evidence_store
from proctoring.services.reviews import decision_confirm, decision_record
from tests import factories
from tests.helpers import START, at
from tests.proctoring.conftest import jpeg_bytes

T1 = START + timedelta(minutes=20)


def staff(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(user, attempt, query: str = "") -> str:
    response = staff(user).get(f"/proctoring/review/attempt/{attempt.id}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def decide(user, attempt, decision: str, reason: str = ""):
    return staff(user).post(
        f"/proctoring/review/attempt/{attempt.id}/decide/",
        {"decision": decision, "reason": reason},
        follow=True,
    )


# --- what the timeline shows ----------------------------------------------------------


def test_camera_black_and_loud_sound_from_the_page_reach_the_timeline(logged_in, attempt, proctor):
    with at(T1):
        response = logged_in.events(
            {
                "kind": "camera_black",
                "client_time": "2023-07-30T01:19:58+00:00",
                "details": {"brightness": 3.2},
            },
            {"kind": "loud_sound", "details": {"level_db": -12.5, "seconds": 3}},
        )
    assert response.status_code == 200
    html = page(proctor, attempt)
    assert "摄像头黑屏" in html and "brightness: 3.2" in html
    assert "持续声音" in html and "level_db: -12.5" in html and "seconds: 3" in html


def test_the_timeline_puts_both_cameras_and_every_event_on_one_time_axis(attempt, proctor):
    def ev(minutes, kind, **details):
        event_record_server(
            attempt=attempt, kind=kind, now=START + timedelta(minutes=minutes), details=details
        )

    def shot(minutes, kind, capture):
        evidence_store(
            attempt=attempt,
            kind=kind,
            data=jpeg_bytes(),
            now=START + timedelta(minutes=minutes),
            capture_id=capture,
        )

    ev(-10, ProctorEvent.LOGIN)
    shot(-9, Evidence.LOGIN_PHOTO, "login")
    shot(1, Evidence.SNAPSHOT, "pc-1")
    shot(2, Evidence.PHONE_SNAPSHOT, "phone-1")
    ev(3, ProctorEvent.SCREEN_LEAVE)
    ev(4, ProctorEvent.NETWORK_LOST)
    ev(5, ProctorEvent.NETWORK_RESTORED)
    ev(6, ProctorEvent.PHONE_LOST, silent_seconds=50)
    ev(7, ProctorEvent.RELOGIN)
    ev(8, ProctorEvent.SUBMIT)
    timeline = selectors.attempt_timeline(attempt_id=attempt.id)
    assert [i.kind for i in timeline.items] == [
        "login",
        "login_photo",
        "snapshot",
        "phone_snapshot",
        "screen_leave",
        "network_lost",
        "network_restored",
        "phone_lost",
        "relogin",
        "submit",
    ]
    assert [i.source for i in timeline.items][2:4] == ["computer", "phone"]
    html = page(proctor, attempt)
    axis = html[html.index('id="timeline"') :]
    assert (
        axis.index("电脑摄像头抓拍")
        < axis.index("手机监控抓拍")
        < axis.index("网络断开")
        < axis.index("交卷")
    )
    assert "登录照片" in html and "未导入报名照片" in html


def test_the_timeline_filters_by_kind_on_the_server(attempt, proctor):
    event_record_server(attempt=attempt, kind=ProctorEvent.FOCUS_LOSS, now=START)
    event_record_server(attempt=attempt, kind=ProctorEvent.LOUD_SOUND, now=START, details={"level_db": -9})
    html = page(proctor, attempt, "?kind=loud_sound")
    timeline = html[html.index('id="timeline"') :]
    assert "持续声音" in timeline and "失去焦点" not in timeline
    assert 'value="loud_sound" checked' in html


def test_the_login_photo_is_shown_beside_the_registered_photo(attempt, proctor):
    from proctoring.services.registered_photos import registered_photos_import

    candidate = attempt.registration.candidate
    registered_photos_import(files=[(f"{candidate.id_number}.jpg", jpeg_bytes())], actor=None, now=START)
    login = evidence_store(
        attempt=attempt, kind=Evidence.LOGIN_PHOTO, data=jpeg_bytes(), now=START, capture_id="l"
    )
    html = page(proctor, attempt)
    assert f"/proctoring/evidence/{login.id}/" in html
    assert f"/proctoring/registered-photo/{candidate.id}/" in html


def test_the_collection_by_the_sweep_shows_on_the_timeline(attempt, proctor):
    from exams.services.collection import sweep

    Attempt.objects.filter(pk=attempt.pk).update(state=statuses.IN_PROGRESS)
    sweep(now=attempt.deadline)
    assert "统一收卷" in page(proctor, attempt, "?kind=audit")


# --- the queue ------------------------------------------------------------------------


def test_the_queue_puts_the_most_suspicious_attempt_first(
    formal_session, attempt, other_attempt, proctor, settings
):
    event_record_server(attempt=attempt, kind=ProctorEvent.FOCUS_LOSS, now=START)
    for _ in range(2):
        event_record_server(attempt=other_attempt, kind=ProctorEvent.CAMERA_BLACK, now=START)
    rows = selectors.session_review_queue(session_id=formal_session.id)
    assert [r.attempt.id for r in rows] == [other_attempt.id, attempt.id]
    assert rows[0].score == 8
    html = staff(proctor).get(f"/proctoring/review/session/{formal_session.id}/").content.decode()
    assert html.index("李四") < html.index("张三")

    settings.PROCTORING_SUSPICION_WEIGHTS = {"focus_loss": 100}
    rows = selectors.session_review_queue(session_id=formal_session.id)
    assert [r.attempt.id for r in rows] == [attempt.id, other_attempt.id]


# --- decisions --------------------------------------------------------------------------


def test_a_void_takes_effect_only_when_a_second_different_reviewer_confirms(attempt, proctor, second_proctor):
    Attempt.objects.filter(pk=attempt.pk).update(state=statuses.SUBMITTED)
    question = attempt.session.paper.questions.first()
    Answer.objects.create(attempt=attempt, question=question, value="B", seq=1, saved_at=START)

    response = decide(proctor, attempt, "void", "手机画面中出现他人代答")
    assert "需另一位审核人确认" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.decision == statuses.DECISION_NONE
    pending = ReviewDecision.objects.get(attempt=attempt)
    assert pending.status == ReviewDecision.PENDING

    same = staff(proctor).post(f"/proctoring/review/attempt/{attempt.id}/confirm/{pending.id}/", follow=True)
    assert "不能由提出人本人确认" in same.content.decode()
    attempt.refresh_from_db()
    assert attempt.decision == statuses.DECISION_NONE

    confirmed = staff(second_proctor).post(f"/proctoring/review/attempt/{attempt.id}/confirm/{pending.id}/")
    assert confirmed.status_code == 302
    attempt.refresh_from_db()
    assert attempt.decision == statuses.DECISION_VOIDED
    pending.refresh_from_db()
    assert (pending.status, pending.confirmed_by) == (ReviewDecision.EFFECTIVE, second_proctor)
    audit = AttemptAudit.objects.get(attempt=attempt, action="decision")
    assert audit.actor == second_proctor
    assert audit.details["decision"] == "voided" and audit.details["reviewer"] == "proctor"
    assert AttemptAudit.objects.filter(attempt=attempt, action="void_proposed", actor=proctor).exists()
    # answers are never changed by review
    assert list(Answer.objects.filter(attempt=attempt).values_list("value", "seq")) == [("B", 1)]
    assert attempt.state == statuses.SUBMITTED


def test_the_same_reviewer_cannot_confirm_their_own_void_in_the_service_either(attempt, proctor):
    row = decision_record(attempt_id=attempt.id, decision="void", reason="证据确凿", reviewer=proctor, now=T1)
    with pytest.raises(SameReviewer):
        decision_confirm(decision_id=row.id, confirmer=proctor, now=T1)


def test_clear_and_warning_take_effect_at_once_and_are_audited(attempt, proctor, organizer):
    decide(proctor, attempt, "warning", "多次离屏")
    attempt.refresh_from_db()
    assert attempt.decision == statuses.DECISION_WARNING
    decide(organizer, attempt, "clear")
    attempt.refresh_from_db()
    assert attempt.decision == statuses.DECISION_CLEAR
    assert list(
        AttemptAudit.objects.filter(attempt=attempt, action="decision").values_list(
            "actor__username", flat=True
        )
    ) == ["proctor", "organizer"]


def test_a_warning_or_void_needs_a_reason(attempt, proctor):
    response = decide(proctor, attempt, "void", "   ")
    assert "必须填写理由" in response.content.decode()
    assert ReviewDecision.objects.count() == 0


def test_a_newer_decision_withdraws_a_pending_void(attempt, proctor, second_proctor):
    decide(proctor, attempt, "void", "疑似替考")
    decide(second_proctor, attempt, "warning", "复核后为光线问题")
    void = ReviewDecision.objects.get(decision="void")
    assert void.status == ReviewDecision.WITHDRAWN
    attempt.refresh_from_db()
    assert attempt.decision == statuses.DECISION_WARNING
    assert selectors.decisions_for_session(attempt.session_id)[attempt.id]["pending_void"] is False


def test_a_confirmed_void_is_final_on_the_review_page(attempt, proctor, second_proctor):
    row = decision_record(attempt_id=attempt.id, decision="void", reason="替考", reviewer=proctor, now=T1)
    decision_confirm(decision_id=row.id, confirmer=second_proctor, now=T1)
    response = decide(proctor, attempt, "clear")
    assert "成绩已取消" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.decision == statuses.DECISION_VOIDED


def test_support_cannot_decide_or_void(attempt, support_agent, proctor):
    response = staff(support_agent).post(
        f"/proctoring/review/attempt/{attempt.id}/decide/", {"decision": "void", "reason": "x"}
    )
    assert response.status_code == 403
    row = decision_record(attempt_id=attempt.id, decision="void", reason="替考", reviewer=proctor, now=T1)
    confirm = staff(support_agent).post(f"/proctoring/review/attempt/{attempt.id}/confirm/{row.id}/")
    assert confirm.status_code == 403
    with pytest.raises(ReviewForbidden):
        decision_record(attempt_id=attempt.id, decision="clear", reason="", reviewer=support_agent, now=T1)
    with pytest.raises(ReviewForbidden):
        decision_confirm(decision_id=row.id, confirmer=support_agent, now=T1)
    attempt.refresh_from_db()
    assert attempt.decision == statuses.DECISION_NONE


def test_a_proctor_reviews_but_cannot_change_a_paper(attempt, proctor):
    paper = attempt.session.paper
    client = staff(proctor)
    assert client.get(f"/proctoring/review/attempt/{attempt.id}/").status_code == 200
    response = client.post(f"/admin/exams/paper/{paper.id}/change/", {"name": "被改过的试卷", "subject": "x"})
    assert response.status_code == 403
    assert client.get("/admin/exams/paper/add/").status_code == 403
    paper.refresh_from_db()
    assert paper.name != "被改过的试卷"


def test_decisions_for_session_feeds_the_results_export(attempt, other_attempt, proctor, second_proctor):
    row = decision_record(attempt_id=attempt.id, decision="void", reason="替考", reviewer=proctor, now=T1)
    decision_confirm(decision_id=row.id, confirmer=second_proctor, now=T1 + timedelta(minutes=1))
    decision_record(attempt_id=other_attempt.id, decision="void", reason="待查", reviewer=proctor, now=T1)
    result = selectors.decisions_for_session(attempt.session_id)
    assert result[attempt.id] == {
        "decision": "voided",
        "label": "取消成绩",
        "reason": "替考",
        "reviewer": "proctor",
        "confirmed_by": "proctor2",
        "decided_at": T1 + timedelta(minutes=1),
        "pending_void": False,
    }
    assert result[other_attempt.id]["decision"] == "" and result[other_attempt.id]["pending_void"] is True


# --- unlock -------------------------------------------------------------------------------


def test_an_organizer_unlocks_a_locked_attempt_with_a_reason_from_the_timeline(attempt, organizer, pushes):
    Attempt.objects.filter(pk=attempt.pk).update(state=statuses.IN_PROGRESS, locked=True, leaves_used=5)
    html = page(organizer, attempt)
    assert 'id="unlock-form"' in html
    refused = staff(organizer).post(
        f"/proctoring/review/attempt/{attempt.id}/unlock/", {"reason": ""}, follow=True
    )
    assert "解锁必须填写原因" in refused.content.decode()
    staff(organizer).post(
        f"/proctoring/review/attempt/{attempt.id}/unlock/", {"reason": "考生电脑死机，已核实"}
    )
    attempt.refresh_from_db()
    assert attempt.locked is False
    audit = AttemptAudit.objects.get(attempt=attempt, action="unlock")
    assert (audit.actor, audit.reason, audit.details["source"]) == (
        organizer,
        "考生电脑死机，已核实",
        "review",
    )
    assert ProctorEvent.objects.filter(attempt=attempt, kind="unlock").exists()
    assert (f"attempt.{attempt.id}", {"type": "attempt.push", "payload": {"type": "unlocked"}}) in pushes


def test_a_proctor_and_support_cannot_unlock_from_the_review_page(attempt, proctor, support_agent):
    Attempt.objects.filter(pk=attempt.pk).update(state=statuses.IN_PROGRESS, locked=True)
    assert 'id="unlock-form"' not in page(proctor, attempt)
    for user in (proctor, support_agent):
        response = staff(user).post(f"/proctoring/review/attempt/{attempt.id}/unlock/", {"reason": "x"})
        assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.locked is True


def test_the_review_index_lists_sessions_with_pending_voids(attempt, proctor):
    decision_record(attempt_id=attempt.id, decision="void", reason="替考", reviewer=proctor, now=T1)
    html = staff(proctor).get("/proctoring/review/").content.decode()
    assert attempt.session.name in html
    assert f"/proctoring/review/session/{attempt.session_id}/" in html


def test_an_unknown_attempt_is_404(proctor):
    assert staff(proctor).get("/proctoring/review/attempt/424242/").status_code == 404


_ = factories
