"""Attempt states: lowercase, never translated, with one table of legal transitions.

registered -> checked_in (first login) -> in_progress (answering from starts_at on)
-> submitted (candidate) | collected (forced at the deadline).
A candidate who never logs in becomes late after the cutoff and absent when the session ends.
A finished attempt never reopens (re-admitting or reopening one is a later, audited organizer action).
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



def is_legal(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


# Review decisions recorded by proctors; a void takes effect only when confirmed.
DECISION_NONE = ""
DECISION_CLEAR = "clear"
DECISION_WARNING = "warning"
DECISION_VOIDED = "voided"
