"""The organizer API: batches and sessions (kind defaults, passwords, windows, changes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exams.models import ExamBatch, ExamSession
from tests import factories
from tests.exams.organizer_api.conftest import (
    ENDS_AT,
    NOW,
    STARTS_AT,
    get,
    patch,
    post,
    session_body,
)

pytestmark = pytest.mark.django_db


def test_it_creates_and_renames_a_batch(api):
    status, body = post(api, "batches/", {"name": "2023年7月30日批次", "slug": "2023-07-30"})
    assert status == 201, body
    assert body["notice_url"] == "/notice/2023-07-30/"
    assert body["time_zone"] == "Asia/Shanghai"

    status, body = patch(api, f"batches/{body['id']}/", {"name": "2023年7月30日批次（更新）"})
    assert status == 200
    assert ExamBatch.objects.get().name == "2023年7月30日批次（更新）"


def test_it_refuses_a_batch_whose_slug_is_taken_or_zone_unknown(api):
    factories.BatchFactory(slug="2023-07-30")

    status, body = post(api, "batches/", {"name": "x", "slug": "2023-07-30", "time_zone": "Mars/Base"})

    assert status == 400
    assert set(body["errors"]) == {"slug", "time_zone"}
    assert ExamBatch.objects.count() == 1


# --- sessions ----------------------------------------------------------------------------------


def test_it_creates_a_formal_session_with_the_kind_defaults_and_a_generated_password(api):
    batch = factories.BatchFactory()

    status, body = post(api, "sessions/", session_body(batch))

    assert status == 201, body
    session = ExamSession.objects.get()
    assert len(session.password) == 6 and session.password.isdigit()
    assert body["password"] == session.password
    assert (body["login_opens_before_minutes"], body["late_after_minutes"], body["min_answer_minutes"]) == (
        30,
        30,
        60,
    )
    assert body["exam_day_gate"] == "08:00"
    assert session.password_published_at == session.starts_at - timedelta(days=7)
    assert body["login_opens_at"].startswith("2023-07-30T08:30:00")


def test_it_gives_a_device_check_no_late_cutoff_no_minimum_time_and_no_lock(api):
    batch = factories.BatchFactory()

    status, body = post(api, "sessions/", session_body(batch, kind="device_check", name="设备调试"))

    assert status == 201, body
    session = ExamSession.objects.get()
    assert (session.late_after, session.min_answer_time, session.lock_screen) == (None, None, False)
    assert session.exam_day_gate is None
    assert body["late_cutoff"] is None


def test_it_keeps_the_rule_fields_it_is_given(api):
    batch = factories.BatchFactory()

    status, body = post(
        api,
        "sessions/",
        session_body(
            batch,
            password="246810",
            late_after_minutes=20,
            max_screen_leaves=3,
            requires_scratch_paper=True,
            exam_day_gate="07:30",
        ),
    )

    assert status == 201, body
    session = ExamSession.objects.get()
    assert session.password == "246810"
    assert session.late_after == timedelta(minutes=20)
    assert session.min_answer_time == timedelta(minutes=60)  # not given: the default
    assert (session.max_screen_leaves, session.requires_scratch_paper) == (3, True)
    assert session.exam_day_gate.strftime("%H:%M") == "07:30"


def test_it_refuses_a_window_that_ends_before_it_starts(api):
    batch = factories.BatchFactory()

    status, body = post(api, "sessions/", session_body(batch, starts_at=ENDS_AT, ends_at=STARTS_AT))

    assert status == 400
    assert body["code"] == "invalid"
    assert "ends_at" in body["errors"]
    assert "ends_at" in body["detail"]
    assert ExamSession.objects.count() == 0


@pytest.mark.parametrize("password", ["12345", "1234567", "abcdef", "12 456"])
def test_it_refuses_a_password_that_is_not_six_digits(api, password):
    batch = factories.BatchFactory()

    status, body = post(api, "sessions/", session_body(batch, password=password))

    assert status == 400
    assert body["errors"]["password"] == "考试口令必须是 6 位数字。"
    assert ExamSession.objects.count() == 0


def test_it_refuses_a_password_used_by_a_session_still_open(api, formal_session):
    status, body = post(
        api, "sessions/", session_body(formal_session.batch, password=formal_session.password)
    )

    assert status == 400
    assert formal_session.password in body["errors"]["password"]
    assert ExamSession.objects.count() == 1


def test_it_allows_the_password_of_a_session_that_has_ended(api):
    ended = factories.SessionFactory(
        password="283381", starts_at=NOW - timedelta(days=3), ends_at=NOW - timedelta(days=2)
    )

    status, body = post(api, "sessions/", session_body(ended.batch, password="283381"))

    assert status == 201, body


def test_it_refuses_a_paper_of_another_batch_and_a_minimum_time_longer_than_the_window(api):
    batch = factories.BatchFactory()
    other_paper = factories.PaperFactory()

    status, body = post(api, "sessions/", session_body(batch, paper=other_paper.pk, min_answer_minutes=150))

    assert status == 400
    assert set(body["errors"]) == {"paper", "min_answer_minutes"}


def test_it_refuses_a_session_of_a_missing_batch_or_with_a_garbled_time(api):
    status, body = post(
        api,
        "sessions/",
        {"batch": 999, "kind": "formal", "name": "x", "starts_at": "tomorrow", "ends_at": ENDS_AT},
    )

    assert status == 400
    assert set(body["errors"]) == {"batch", "starts_at"}
    assert "999" in body["errors"]["batch"]


def test_it_filters_sessions_by_batch_in_start_order(api):
    batch = factories.BatchFactory()
    late = factories.SessionFactory(batch=batch, starts_at=factories.FORMAL_START + timedelta(hours=4))
    early = factories.SessionFactory(batch=batch)
    factories.SessionFactory()  # another batch

    status, body = get(api, f"sessions/?batch={batch.pk}")

    assert status == 200
    assert [s["id"] for s in body["results"]] == [early.pk, late.pk]
    assert get(api, "sessions/?batch=abc")[1]["errors"] == {"batch": "必须是整数编号。"}


def test_it_changes_a_session_and_moves_the_attempt_deadlines(api, attempt):
    session = attempt.session
    new_end = session.ends_at + timedelta(minutes=30)

    status, body = patch(
        api, f"sessions/{session.pk}/", {"ends_at": new_end.isoformat(), "late_after_minutes": 15}
    )

    assert status == 200, body
    session.refresh_from_db()
    attempt.refresh_from_db()
    assert session.late_after == timedelta(minutes=15)
    assert attempt.deadline == new_end


def test_it_moves_a_default_password_publication_with_the_start(api, formal_session):
    new_start = formal_session.starts_at + timedelta(days=1)

    status, _body = patch(
        api,
        f"sessions/{formal_session.pk}/",
        {
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=2)).isoformat(),
        },
    )

    assert status == 200
    formal_session.refresh_from_db()
    assert formal_session.password_published_at == new_start - timedelta(days=7)


def test_it_refuses_a_change_that_ends_the_window_before_it_starts_and_keeps_the_session(api, formal_session):
    before = formal_session.starts_at - timedelta(minutes=1)

    status, body = patch(api, f"sessions/{formal_session.pk}/", {"ends_at": before.isoformat()})

    assert status == 400
    assert "ends_at" in body["errors"]
    formal_session.refresh_from_db()
    assert formal_session.ends_at == factories.FORMAL_START + timedelta(hours=2)


def test_it_refuses_a_device_check_that_locks_the_screen(api):
    batch = factories.BatchFactory()

    status, body = post(
        api, "sessions/", session_body(batch, kind="device_check", lock_screen=True, max_screen_leaves=3)
    )

    assert status == 400
    assert "lock_screen" in body["errors"]


def test_the_organizer_api_defaults_by_kind_and_keeps_a_given_mode(api):
    batch = factories.BatchFactory()

    status, formal = post(api, "sessions/", session_body(batch))
    assert status == 201, formal
    status, check = post(api, "sessions/", session_body(batch, kind="device_check", name="设备调试",
                                                       password="135791"))
    assert status == 201, check
    assert (formal["recording"], check["recording"]) == ("video", "off")

    status, changed = patch(api, f"sessions/{formal['id']}/", {"recording": "snapshots"})
    assert status == 200, changed
    assert ExamSession.objects.get(pk=formal["id"]).recording == "snapshots"

    status, body = patch(api, f"sessions/{formal['id']}/", {"recording": "loud"})
    assert status == 400
    assert "recording" in body["errors"]
    assert ExamSession.objects.get(pk=formal["id"]).recording == "snapshots"
