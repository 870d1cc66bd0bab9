"""What proctoring does when exams announces something (``exams.signals``); connected in
``ProctoringConfig.ready()``.

Each receiver runs inside the transaction of the change it hears about, so the event row
commits with the attempt's new state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from exams import live, signals
from exams.models import Attempt
from proctoring.models import ProctorEvent
from proctoring.services.events import event_record_server
from proctoring.services.phone import phones_flag_lost


def record_login(
    *,
    attempt: Attempt,
    now: datetime,
    first: bool,
    elsewhere: bool = False,
    address: str = "",
    user_agent: str = "",
    counted_as_leave: bool = False,
    leave_limit_reached: bool = False,
    **kwargs: Any,
) -> None:
    who = {"address": address, "user_agent": user_agent}
    event_record_server(
        attempt=attempt, kind="login" if first else "relogin", now=now,
        details={**who, "counted_as_leave": counted_as_leave, "leaves_used": attempt.leaves_used},
    )
    if elsewhere:
        event_record_server(attempt=attempt, kind=ProctorEvent.RELOGIN_ELSEWHERE, now=now, details=who)
        live.monitor_changed(
            attempt.session_id,
            {"kind": ProctorEvent.RELOGIN_ELSEWHERE, "attempt": attempt.id, "at": now.isoformat(), **who},
        )
    if leave_limit_reached:
        # Logins never lock (a stranger with the ID number could lock the candidate out): the
        # proctor sees the alert on the wall and decides.
        event_record_server(
            attempt=attempt, kind=ProctorEvent.LEAVE_LIMIT_BY_LOGIN, now=now,
            details={"leaves_used": attempt.leaves_used, **who},
        )
        live.monitor_changed(
            attempt.session_id,
            {"kind": ProctorEvent.LEAVE_LIMIT_BY_LOGIN, "attempt": attempt.id, "at": now.isoformat()},
        )


def record_lock(*, attempt: Attempt, now: datetime, cause: str, **kwargs: Any) -> None:
    event_record_server(attempt=attempt, kind="lock", now=now, details={"cause": cause})


def record_step_waived(
    *, attempt: Attempt, now: datetime, step: str, reason: str, actor: Any = None, **kwargs: Any
) -> None:
    event_record_server(
        attempt=attempt, kind=ProctorEvent.STEP_WAIVED, now=now,
        details={"step": step, "reason": reason, "by": getattr(actor, "username", "")},
    )


def record_unlock(*, attempt: Attempt, now: datetime, reason: str, **kwargs: Any) -> None:
    event_record_server(attempt=attempt, kind="unlock", now=now, details={"reason": reason})


def record_submit(*, attempt: Attempt, now: datetime, **kwargs: Any) -> None:
    event_record_server(attempt=attempt, kind="submit", now=now)


def flag_lost_phones(*, now: datetime, **kwargs: Any) -> dict[str, int]:
    return {"phones_lost": phones_flag_lost(now=now)}


def connect() -> None:
    signals.attempt_logged_in.connect(record_login, dispatch_uid="proctoring.record_login")
    signals.attempt_locked.connect(record_lock, dispatch_uid="proctoring.record_lock")
    signals.attempt_unlocked.connect(record_unlock, dispatch_uid="proctoring.record_unlock")
    signals.attempt_step_waived.connect(record_step_waived, dispatch_uid="proctoring.record_step_waived")
    signals.attempt_submitted.connect(record_submit, dispatch_uid="proctoring.record_submit")
    signals.sweep_ran.connect(flag_lost_phones, dispatch_uid="proctoring.flag_lost_phones")
