"""The time rules of SPEC.md, as pure functions.

No ORM and no clock in here: callers read the clock once per operation and pass ``now``
(an aware datetime). Each rule has one named function and a table-driven test that hits
one second before, at, and one second after its boundary.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta

DEVICE_CHECK = "device_check"
MOCK = "mock"
FORMAL = "formal"

PASSWORD_PUBLISH_BEFORE = timedelta(days=7)

# Rule-field defaults by session kind. Device check: no late cutoff, no minimum time,
# no lock screen, no exam-day gate.
KIND_DEFAULTS: dict[str, dict[str, object]] = {
    FORMAL: {
        "login_opens_before": timedelta(minutes=30),
        "late_after": timedelta(minutes=30),
        "min_answer_time": timedelta(minutes=60),
        "exam_day_gate": time(8, 0),
        "max_screen_leaves": 5,
        "lock_screen": True,
        "requires_login_photo": True,
        "requires_phone_monitor": False,
        "recording": "video",
    },
    MOCK: {
        "login_opens_before": timedelta(minutes=30),
        "late_after": timedelta(minutes=30),
        "min_answer_time": timedelta(minutes=60),
        "exam_day_gate": None,
        "max_screen_leaves": 5,
        "lock_screen": True,
        "requires_login_photo": True,
        "requires_phone_monitor": False,
        "recording": "video",
    },
    DEVICE_CHECK: {
        "login_opens_before": timedelta(minutes=30),
        "late_after": None,
        "min_answer_time": None,
        "exam_day_gate": None,
        "max_screen_leaves": None,
        "lock_screen": False,
        "requires_login_photo": False,
        "requires_phone_monitor": False,
        # The device-check page still offers a local 10-second test recording.
        "recording": "off",
    },
}


@dataclass(frozen=True)
class SessionRules:
    kind: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str = "Asia/Shanghai"
    login_opens_before: timedelta = timedelta(minutes=30)
    late_after: timedelta | None = timedelta(minutes=30)
    min_answer_time: timedelta | None = timedelta(minutes=60)
    exam_day_gate: time | None = time(8, 0)
    password_published_at: datetime | None = None
    max_screen_leaves: int | None = 5
    lock_screen: bool = True
    # Required steps (exams.services.steps): no time rule reads them; here so the kind's
    # defaults describe a whole session.
    requires_login_photo: bool = True
    requires_phone_monitor: bool = False
    # Full-exam recording (off | snapshots | video): no time rule reads it either.
    recording: str = "video"


# --- instants ---------------------------------------------------------------------


def login_opens_at(s: SessionRules) -> datetime:
    """信息确认 opens ``login_opens_before`` ahead of the start."""
    return s.starts_at - s.login_opens_before


def late_cutoff(s: SessionRules) -> datetime | None:
    """From this instant a candidate who never logged in is late; None: no cutoff."""
    return None if s.late_after is None else s.starts_at + s.late_after


def submit_opens_at(s: SessionRules) -> datetime:
    """Submitting is refused before the minimum answering time has passed."""
    return s.starts_at + (s.min_answer_time or timedelta(0))


def deadline(s: SessionRules, *, extra_minutes: int = 0) -> datetime:
    """The same end for everyone, plus organizer-granted extra minutes for one candidate."""
    return s.ends_at + timedelta(minutes=extra_minutes)


def exam_day_gate_at(s: SessionRules) -> datetime | None:
    """The gate (08:00 by default) on the local day of the start, in the batch's zone."""
    if s.kind != FORMAL or s.exam_day_gate is None:
        return None
    tz = zoneinfo.ZoneInfo(s.time_zone)
    local_day = s.starts_at.astimezone(tz).date()
    return datetime.combine(local_day, s.exam_day_gate, tzinfo=tz)


def password_published_at(s: SessionRules) -> datetime | None:
    """When the password appears on the public notice; None: public at once."""
    if s.password_published_at is not None:
        return s.password_published_at
    if s.kind == FORMAL:
        return s.starts_at - PASSWORD_PUBLISH_BEFORE
    return None


# --- decisions ----------------------------------------------------------------------


def is_password_published(s: SessionRules, now: datetime) -> bool:
    published = password_published_at(s)
    return published is None or now >= published


def is_expired(s: SessionRules, now: datetime) -> bool:
    """The window has ended: the password now answers 场次已过期."""
    return now >= s.ends_at


def is_before_exam_day_gate(s: SessionRules, now: datetime) -> bool:
    gate = exam_day_gate_at(s)
    return gate is not None and now < gate


def is_login_open(s: SessionRules, now: datetime) -> bool:
    return now >= login_opens_at(s)


def is_late(s: SessionRules, now: datetime) -> bool:
    """True from the cutoff on, for a candidate who has never logged in."""
    cutoff = late_cutoff(s)
    return cutoff is not None and now >= cutoff


def has_started(s: SessionRules, now: datetime) -> bool:
    return now >= s.starts_at


def can_submit(s: SessionRules, now: datetime) -> bool:
    return now >= submit_opens_at(s)


def accepts_answers(attempt_deadline: datetime, now: datetime, *, grace: timedelta) -> bool:
    """Answers are accepted until the deadline plus a few seconds of network grace."""
    return now < attempt_deadline + grace


def extends_past_window(attempt_deadline: datetime, s: SessionRules, now: datetime) -> bool:
    """After the session's window an attempt with time of its own (extra time, re-admitted,
    reopened) may still log in, until its own deadline."""
    return is_expired(s, now) and now < attempt_deadline


def shifted_deadline(attempt_deadline: datetime, *, minutes: int) -> datetime:
    """Extra time (one candidate or a session-wide credit) moves a deadline by whole minutes."""
    return attempt_deadline + timedelta(minutes=minutes)


def recovery_deadline(attempt_deadline: datetime, now: datetime, *, minutes: int) -> datetime:
    """Re-admit or reopen: ``minutes`` from now, never earlier than the deadline already held."""
    return max(attempt_deadline, now + timedelta(minutes=minutes))


def recorded_before_deadline(client_ms: float, offset_ms: float, attempt_deadline: datetime) -> bool:
    """A backup entry counts when the page's clock, corrected by its offset to the server's clock
    (server = client + offset), says it was made no later than the deadline."""
    server_ms = client_ms + offset_ms
    return server_ms <= attempt_deadline.timestamp() * 1000


def leaves_max(s: SessionRules, *, extra_leaves: int = 0) -> int | None:
    """How many leaves (incl. re-logins) an attempt may use; None: no limit."""
    if not s.lock_screen or s.max_screen_leaves is None:
        return None
    return s.max_screen_leaves + extra_leaves


def leaves_exhausted(s: SessionRules, leaves_used: int, *, extra_leaves: int = 0) -> bool:
    """Reaching the limit locks the attempt (sessions without a limit never lock)."""
    limit = leaves_max(s, extra_leaves=extra_leaves)
    return limit is not None and leaves_used >= limit


# Why no candidate could sit a session (``session_problems``): field -> problem code.
NO_FIRST_LOGIN = "no_first_login"
MIN_ANSWER_NOT_SHORTER = "min_answer_not_shorter"


def first_login_window(s: SessionRules) -> tuple[datetime, datetime]:
    """When a first login is possible: from the later of login opening and the exam-day gate,
    until the earlier of the late cutoff and the end."""
    opens = login_opens_at(s)
    gate = exam_day_gate_at(s)
    if gate is not None:
        opens = max(opens, gate)
    cutoff = late_cutoff(s)
    closes = s.ends_at if cutoff is None else min(cutoff, s.ends_at)
    return opens, closes


def session_problems(s: SessionRules) -> dict[str, str]:
    """What makes a mock or formal session impossible to sit, by rule field; empty when none.

    - no first login is possible: the late cutoff (or the end) at or before the exam-day gate;
    - the minimum answering time is not shorter than the session, so nobody could ever submit.
    """
    problems: dict[str, str] = {}
    if s.kind not in (MOCK, FORMAL) or s.ends_at <= s.starts_at:
        return problems
    opens, closes = first_login_window(s)
    if closes <= opens:
        gate = exam_day_gate_at(s)
        problems["exam_day_gate" if gate is not None and gate >= opens else "late_after"] = NO_FIRST_LOGIN
    if s.min_answer_time is not None and s.min_answer_time >= s.ends_at - s.starts_at:
        problems["min_answer_time"] = MIN_ANSWER_NOT_SHORTER
    return problems


ENTRY_OK = "ok"
UNKNOWN_PASSWORD = "unknown_password"  # noqa: S105 - a refusal code, not a password
SESSION_EXPIRED = "session_expired"
EXAM_DAY_GATE = "exam_day_gate"
NOT_OPEN_YET = "not_open_yet"


def entry_decision(s: SessionRules, now: datetime) -> str:
    """What entering this session's password answers at ``now``, in SPEC.md's order."""
    if is_expired(s, now):
        return SESSION_EXPIRED
    if is_before_exam_day_gate(s, now):
        return EXAM_DAY_GATE
    if not is_login_open(s, now):
        return NOT_OPEN_YET
    return ENTRY_OK
