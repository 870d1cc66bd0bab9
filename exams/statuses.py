"""Attempt states: lowercase, never translated, with one table of legal transitions.

registered -> checked_in (first login) -> in_progress (answering from starts_at on)
-> submitted (candidate) | collected (forced at the deadline).
A candidate who never logs in becomes late after the cutoff and absent when the session ends.

Two organizer recovery actions, never the candidate's or the clock's, each audited with a reason
(``ORGANIZER_TRANSITIONS``; services in ``exams/services/recovery.py``):
re-admit (late | absent -> registered, may log in after the late cutoff) and
reopen (submitted | collected -> in_progress, with a new deadline and without its old receipt).
"""

from __future__ import annotations

REGISTERED = "registered"
CHECKED_IN = "checked_in"
IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"
COLLECTED = "collected"
LATE = "late"
ABSENT = "absent"

ALL = (REGISTERED, CHECKED_IN, IN_PROGRESS, SUBMITTED, COLLECTED, LATE, ABSENT)
# Logged in and not finished: these are collected at the deadline.
OPEN = (CHECKED_IN, IN_PROGRESS)
FINISHED = (SUBMITTED, COLLECTED)
NEVER_LOGGED_IN = (REGISTERED, LATE)

TRANSITIONS: dict[str, frozenset[str]] = {
    REGISTERED: frozenset({CHECKED_IN, LATE, ABSENT}),
    LATE: frozenset({ABSENT}),
    CHECKED_IN: frozenset({IN_PROGRESS, SUBMITTED, COLLECTED}),
    IN_PROGRESS: frozenset({SUBMITTED, COLLECTED}),
    SUBMITTED: frozenset(),
    COLLECTED: frozenset(),
    ABSENT: frozenset(),
}

# What an organizer's recovery action may do, with a reason, audited (never the clock or the page).
READMIT = "readmit"
REOPEN = "reopen"
ORGANIZER_TRANSITIONS: dict[str, dict[str, str]] = {
    READMIT: {LATE: REGISTERED, ABSENT: REGISTERED},
    REOPEN: {SUBMITTED: IN_PROGRESS, COLLECTED: IN_PROGRESS},
}


# A device-check session (设备调试) runs again at each login until it ends: a submitted
# device-check attempt logs in to a new run (never a real exam's attempt; exams.services.journey).
DEVICE_CHECK_AGAIN: dict[str, str] = {SUBMITTED: CHECKED_IN}


def is_legal(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def organizer_target(action: str, from_state: str) -> str | None:
    """The state an organizer's recovery ``action`` moves ``from_state`` to; None: not allowed."""
    return ORGANIZER_TRANSITIONS.get(action, {}).get(from_state)


# Review decisions recorded by proctors; a void takes effect only when confirmed.
DECISION_NONE = ""
DECISION_CLEAR = "clear"
DECISION_WARNING = "warning"
DECISION_VOIDED = "voided"
