"""The candidate's way in: session password, then ID number (SPEC.md "Candidate journey")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from candidates import idnumbers
from exams import exceptions as exc
from exams import live, rules, signals, statuses
from exams.models import Attempt, ExamSession
from exams.services.attempts import attempt_audit, attempt_lock, attempt_transition
from examsite.exceptions import DomainError


class InvalidIdNumberError(DomainError):
    code = "invalid_id_number"
    status = 400


def local_time_text(session: ExamSession, instant: datetime) -> str:
    local = timezone.localtime(instant, session.batch.tz)
    return formats.date_format(local, "n月j日 H:i") if local else ""


def session_for_password(*, password: object, now: datetime) -> ExamSession:
    """The session a password opens at ``now``, or the refusal SPEC.md names."""
    if not isinstance(password, str) or len(password.strip()) != 6 or not password.strip().isdigit():
        raise exc.UnknownPassword()
    session = (
        ExamSession.objects.select_related("batch")
        .filter(password=password.strip())
        .order_by("-ends_at")
        .first()
    )
    if session is None:
        raise exc.UnknownPassword()
    decision = rules.entry_decision(session.rules(), now)
    if decision == rules.SESSION_EXPIRED:
        if _has_time_of_its_own(session=session, now=now):
            return session  # the ID number step decides (``candidate_login``)
        raise exc.SessionExpired()
    if decision == rules.EXAM_DAY_GATE:
        raise exc.ExamDayGate()
    if decision == rules.NOT_OPEN_YET:
        opens = rules.login_opens_at(session.rules())
        raise exc.NotOpenYet(
            _("登录尚未开放。本场考试于 %(when)s 开放登录（开考前 %(minutes)d 分钟），请届时再进入。")
            % {
                "when": local_time_text(session, opens),
                "minutes": int(session.login_opens_before.total_seconds() // 60),
            },
            extra={"login_opens_at": opens.isoformat()},
        )
    return session


STILL_RUNNING = (statuses.REGISTERED, *statuses.OPEN)


def _has_time_of_its_own(*, session: ExamSession, now: datetime) -> bool:
    """After the window, a password still opens for candidates with time of their own
    (extra time, re-admitted, reopened): some attempt not finished has its deadline ahead."""
    return Attempt.objects.filter(session=session, state__in=STILL_RUNNING, deadline__gt=now).exists()


@dataclass
class LoginResult:
    attempt: Attempt
    client_id: str
    first_login: bool


def candidate_login(*, password: object, id_number: object, now: datetime) -> LoginResult:
    """Log a candidate in to their attempt; a new login supersedes any other live page.

    A re-login counts one screen leave in sessions with a lock screen; reaching the limit
    locks the attempt. A submitted or collected attempt logs in to its result.
    """
    session = session_for_password(password=password, now=now)
    try:
        normalized = idnumbers.normalize_for_login(id_number)
    except idnumbers.InvalidIdNumber as error:
        raise InvalidIdNumberError(error.message) from None
    attempt_id = (
        Attempt.objects.filter(session=session, registration__candidate__id_number=normalized)
        .values_list("id", flat=True)
        .first()
    )
    if attempt_id is None:
        raise exc.NotRegistered()
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        s = attempt.session.rules()
        client_id = secrets.token_hex(16)
        if rules.is_expired(s, now) and not (
            attempt.state in STILL_RUNNING and rules.extends_past_window(attempt.deadline, s, now)
        ):
            raise exc.SessionExpired()
        if attempt.state in statuses.FINISHED:
            return LoginResult(attempt=attempt, client_id=attempt.client_id or client_id, first_login=False)
        if attempt.state in (statuses.LATE, statuses.ABSENT):
            raise exc.Late()
        if attempt.state == statuses.REGISTERED and rules.is_late(s, now) and attempt.readmitted_at is None:
            raise exc.Late()
        if attempt.locked:
            raise exc.Locked()
        first_login = attempt.state == statuses.REGISTERED
        previous_client = attempt.client_id
        attempt.client_id = client_id
        attempt.login_count += 1
        if first_login:
            attempt_transition(
                attempt=attempt, to_state=statuses.CHECKED_IN, now=now, action="login",
                fields={"checked_in_at": now, "client_id": client_id,
                        "login_count": attempt.login_count},
            )
        else:
            counts_leave = s.lock_screen and s.max_screen_leaves is not None
            if counts_leave:
                attempt.leaves_used += 1
            locked = rules.leaves_exhausted(s, attempt.leaves_used, extra_leaves=attempt.extra_leaves)
            attempt.locked = locked
            attempt.save(update_fields=["client_id", "login_count", "leaves_used", "locked", "updated_at"])
            attempt_audit(
                attempt=attempt, action="relogin", now=now,
                details={"leaves_used": attempt.leaves_used, "counted_as_leave": counts_leave},
            )
            if previous_client:
                live.superseded(attempt.id, client_id)
            if locked:
                attempt_record_lock(attempt=attempt, now=now, reason="relogin")
        signals.attempt_logged_in.send(sender=Attempt, attempt=attempt, now=now, first=first_login)
        live.monitor_changed(attempt.session_id)
    if attempt.locked:
        raise exc.Locked()
    return LoginResult(attempt=attempt, client_id=client_id, first_login=first_login)


def attempt_record_lock(*, attempt: Attempt, now: datetime, reason: str) -> None:
    """The leave limit was reached on a locked attempt row: audit, announce, tell the pages."""
    attempt_audit(attempt=attempt, action="lock", now=now, details={"cause": reason})
    signals.attempt_locked.send(sender=Attempt, attempt=attempt, now=now, cause=reason)
    live.push_to_attempt(attempt.id, {"type": "locked"})
    live.monitor_changed(
        attempt.session_id,
        {"kind": "lock", "attempt": attempt.id, "at": now.isoformat()},
    )
