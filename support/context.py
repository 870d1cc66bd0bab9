"""What a ticket carries automatically: the attempt as the server sees it, and the browser.

The server reads the attempt itself; the page only adds what the server cannot know (screen,
full screen, online, language), kept as short scalar values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from candidates import idnumbers
from exams import rules, statuses
from exams.models import Attempt

CLIENT_MAX_KEYS = 20
CLIENT_MAX_VALUE = 200
USER_AGENT_MAX = 400
DEVICE_CHECK_MAX_CHARS = 4000


def time_left_seconds(attempt: Attempt, now: datetime) -> int | None:
    if attempt.state not in statuses.OPEN:
        return None
    return max(0, int((attempt.deadline - now).total_seconds()))


def _device_check(registration) -> dict[str, Any]:
    import json

    result = registration.device_check or {}
    if len(json.dumps(result, ensure_ascii=False, default=str)) > DEVICE_CHECK_MAX_CHARS:
        return {"truncated": True}
    return result


def _question_position(attempt: Attempt) -> int | None:
    """The question the page last reported being on, by its number in the paper."""
    paper_id = attempt.session.paper_id
    if attempt.current_question is None or paper_id is None:
        return None
    from exams.models import Question

    position = (
        Question.objects.filter(pk=attempt.current_question, paper_id=paper_id)
        .values_list("position", flat=True).first()
    )
    return int(position) if position is not None else None


def attempt_context(attempt: Attempt, now: datetime) -> dict[str, Any]:
    session = attempt.session
    registration = attempt.registration
    candidate = registration.candidate
    return {
        "session": {"id": session.id, "name": session.name, "kind": session.kind},
        "candidate": {
            "name": candidate.name,
            "id_number_masked": idnumbers.mask(candidate.id_number),
            "admission_ticket": registration.admission_ticket,
        },
        "attempt": {"id": attempt.id, "state": attempt.state, "locked": attempt.locked},
        "deadline": attempt.deadline.isoformat(),
        "time_left_seconds": time_left_seconds(attempt, now),
        "leaves_used": attempt.leaves_used,
        "leaves_max": rules.leaves_max(session.rules(), extra_leaves=attempt.extra_leaves),
        "last_seq": attempt.last_seq,
        "question": _question_position(attempt),
        "login_count": attempt.login_count,
        "device_check": _device_check(registration),
        "device_checked_at": (
            registration.device_checked_at.isoformat() if registration.device_checked_at else None
        ),
    }


def client_details(raw: Any, *, user_agent: str) -> dict[str, Any]:
    """The browser: the request's user agent plus a few scalar facts the page reported."""
    reported: dict[str, Any] = {}
    if isinstance(raw, dict):
        for key, value in list(raw.items())[:CLIENT_MAX_KEYS]:
            if not isinstance(key, str) or len(key) > 40:
                continue
            if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
                reported[key] = value
            elif isinstance(value, str):
                reported[key] = value[:CLIENT_MAX_VALUE]
    return {"user_agent": (user_agent or "")[:USER_AGENT_MAX], "reported": reported}
