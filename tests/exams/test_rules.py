"""Every time rule of SPEC.md, at one second before, at, and one second after its boundary."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from exams import rules
from tests.helpers import START

S = timedelta(seconds=1)
# Formal session on 30 July 2023, 09:00-11:00 Beijing time (01:00-03:00 UTC).
END = START + timedelta(hours=2)
FORMAL = rules.SessionRules(kind=rules.FORMAL, starts_at=START, ends_at=END)
DEVICE_DEFAULTS: dict[str, Any] = {
    k: v for k, v in rules.KIND_DEFAULTS[rules.DEVICE_CHECK].items() if k != "exam_day_gate"
}
DEVICE = rules.SessionRules(
    kind=rules.DEVICE_CHECK,
    starts_at=datetime(2023, 7, 25, 1, 0, tzinfo=UTC),
    ends_at=datetime(2023, 7, 26, 10, 0, tzinfo=UTC),
    **DEVICE_DEFAULTS,
    exam_day_gate=None,
)
OPENS = START - timedelta(minutes=30)
CUTOFF = START + timedelta(minutes=30)
SUBMIT = START + timedelta(minutes=60)
GATE = datetime(2023, 7, 30, 0, 0, tzinfo=UTC)  # 08:00 in Asia/Shanghai
PUBLISHED = START - timedelta(days=7)


def around(instant, before, at, after):
    return [(instant - S, before), (instant, at), (instant + S, after)]


@pytest.mark.parametrize(("now", "expected"), around(OPENS, False, True, True))
def test_login_opens_thirty_minutes_before_the_start(now, expected):
    assert rules.is_login_open(FORMAL, now) is expected


@pytest.mark.parametrize(("now", "expected"), around(CUTOFF, False, True, True))
def test_a_candidate_who_never_logged_in_is_late_thirty_minutes_after_the_start(now, expected):
    assert rules.is_late(FORMAL, now) is expected


@pytest.mark.parametrize("now", [START, CUTOFF, END - S])
def test_device_check_has_no_late_cutoff(now):
    assert rules.late_cutoff(DEVICE) is None
    assert rules.is_late(DEVICE, now) is False


@pytest.mark.parametrize(("now", "expected"), around(SUBMIT, False, True, True))
def test_submitting_opens_after_the_minimum_answering_time(now, expected):
    assert rules.submit_opens_at(FORMAL) == SUBMIT
    assert rules.can_submit(FORMAL, now) is expected


def test_device_check_can_be_submitted_at_any_time():
    assert rules.can_submit(DEVICE, DEVICE.starts_at) is True


@pytest.mark.parametrize(
    ("extra", "expected"),
    [(0, END), (1, END + timedelta(minutes=1)), (15, END + timedelta(minutes=15))],
)
def test_the_deadline_is_the_session_end_plus_granted_extra_minutes(extra, expected):
    assert rules.deadline(FORMAL, extra_minutes=extra) == expected


@pytest.mark.parametrize(
    ("now", "expected"), around(END + timedelta(seconds=5), True, False, False)
)
def test_answers_are_accepted_until_the_deadline_plus_the_network_grace(now, expected):
    assert rules.accepts_answers(END, now, grace=timedelta(seconds=5)) is expected


@pytest.mark.parametrize(("now", "expected"), around(GATE, True, False, False))
def test_a_formal_password_is_gated_until_eight_on_the_exam_day_in_the_batch_zone(now, expected):
    assert rules.exam_day_gate_at(FORMAL) == GATE
    assert rules.is_before_exam_day_gate(FORMAL, now) is expected


def test_the_gate_follows_the_batch_time_zone():
    utc_batch = rules.SessionRules(
        kind=rules.FORMAL, starts_at=START, ends_at=END, time_zone="UTC", exam_day_gate=time(8, 0)
    )
    assert rules.exam_day_gate_at(utc_batch) == datetime(2023, 7, 30, 8, 0, tzinfo=UTC)


def test_mock_and_device_check_have_no_exam_day_gate():
    mock = rules.SessionRules(kind=rules.MOCK, starts_at=START, ends_at=END)
    assert rules.exam_day_gate_at(mock) is None
    assert rules.exam_day_gate_at(DEVICE) is None


@pytest.mark.parametrize(("now", "expected"), around(PUBLISHED, False, True, True))
def test_a_formal_password_is_published_one_week_before_the_start(now, expected):
    assert rules.is_password_published(FORMAL, now) is expected


def test_an_explicit_publication_instant_wins():
    at = START - timedelta(days=2)
    session = rules.SessionRules(kind=rules.FORMAL, starts_at=START, ends_at=END, password_published_at=at)
    assert rules.is_password_published(session, at - S) is False
    assert rules.is_password_published(session, at) is True


def test_device_check_and_mock_passwords_are_public_at_once():
    assert rules.is_password_published(DEVICE, datetime(2020, 1, 1, tzinfo=UTC)) is True


@pytest.mark.parametrize(("now", "expected"), around(END, False, True, True))
def test_a_session_expires_at_its_end(now, expected):
    assert rules.is_expired(FORMAL, now) is expected


@pytest.mark.parametrize(
    ("now", "decision"),
    [
        (GATE - S, rules.EXAM_DAY_GATE),
        (GATE, rules.NOT_OPEN_YET),  # 08:00, but this session's login opens at 08:30
        (OPENS - S, rules.NOT_OPEN_YET),
        (OPENS, rules.ENTRY_OK),
        (OPENS + S, rules.ENTRY_OK),
        (END - S, rules.ENTRY_OK),
        (END, rules.SESSION_EXPIRED),
        (END + S, rules.SESSION_EXPIRED),
    ],
)
def test_entry_decision_gives_each_refusal_in_order(now, decision):
    assert rules.entry_decision(FORMAL, now) == decision


def test_entry_before_the_gate_on_an_early_session_says_gate_not_opening_time():
    early = rules.SessionRules(
        kind=rules.FORMAL,
        starts_at=datetime(2023, 7, 30, 0, 15, tzinfo=UTC),  # 08:15 local, login opens 07:45
        ends_at=datetime(2023, 7, 30, 2, 0, tzinfo=UTC),
    )
    assert rules.entry_decision(early, GATE - S) == rules.EXAM_DAY_GATE
    assert rules.entry_decision(early, GATE) == rules.ENTRY_OK


@pytest.mark.parametrize(
    ("leaves", "expected"), [(4, False), (5, True), (6, True)]
)
def test_reaching_the_screen_leave_limit_locks(leaves, expected):
    assert rules.leaves_exhausted(FORMAL, leaves) is expected


def test_device_check_never_locks():
    assert rules.leaves_exhausted(DEVICE, 1000) is False
