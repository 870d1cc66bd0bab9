"""The candidate's way in: session password, then ID number (SPEC.md "Candidate journey")."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from candidates import idnumbers
from exams import exceptions as exc
from exams import live, rules, signals, statuses
from exams.audit import AuditAction
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
    # A re-login during the exam counted one screen leave (the page shows leaves used).
    counted_as_leave: bool = False
    # Another page of this attempt was live when this login replaced it.
    relogin_elsewhere: bool = False


# Audit action of a re-login that reached the leave limit (an alert, never a lock).
AUDIT_LEAVE_LIMIT_BY_LOGIN = AuditAction.LEAVE_LIMIT_BY_LOGIN


def normalized_admission_ticket(value: object) -> str:
    return "".join(value.split()).upper()[:64] if isinstance(value, str) else ""


def candidate_login(
    *,
    password: object,
    id_number: object,
    now: datetime,
    admission_ticket: object = None,
    address: str = "",
    user_agent: str = "",
    page_is_live: Callable[[int, str], bool] | None = None,
) -> LoginResult:
    """Log a candidate in to their attempt; a new login supersedes any other live page.

    A login never locks an attempt: before the start it never counts a leave; during the exam a
    re-login counts one leave (in sessions with a lock screen), and reaching the limit this way
    raises an alert for the proctor instead of locking — only leaves seen on the candidate's live
    page lock. A locked attempt still refuses logins. A submitted or collected attempt logs in
    to its result, except a submitted device check: it starts a new run (repeatable until the
    session ends). ``page_is_live(attempt_id, client_id)`` says whether the replaced page is
    still connected (a ``relogin_elsewhere`` record).
    """
    session = session_for_password(password=password, now=now)
    needs_ticket = session.batch.login_requires_admission_ticket
    ticket = normalized_admission_ticket(admission_ticket)
    if needs_ticket and not ticket:
        raise exc.AdmissionTicketRequired()
    try:
        normalized = idnumbers.normalize_for_login(id_number)
    except idnumbers.InvalidIdNumber as error:
        raise InvalidIdNumberError(error.message) from None
    found = (
        Attempt.objects.filter(session=session, registration__candidate__id_number=normalized)
        .values_list("id", "registration__admission_ticket")
        .first()
    )
    if found is None:
        raise exc.NotRegistered()
    attempt_id, registered_ticket = found
    if needs_ticket and not secrets.compare_digest(
        normalized_admission_ticket(registered_ticket or "").encode(), ticket.encode()
    ):
        raise exc.NotRegistered()  # counted as a failed login, like a wrong ID number
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id, with_candidate=True)
        s = attempt.session.rules()
        client_id = secrets.token_hex(16)
        if rules.is_expired(s, now) and not (
            attempt.state in STILL_RUNNING and rules.extends_past_window(attempt.deadline, s, now)
        ):
            raise exc.SessionExpired()
        if attempt.state == statuses.SUBMITTED and session.kind == rules.DEVICE_CHECK:
            # The device check is repeatable until its session ends: a new run, from the start.
            attempt.login_count += 1
            attempt_transition(
                attempt=attempt, to_state=statuses.CHECKED_IN, now=now, action=AuditAction.DEVICE_CHECK_AGAIN,
                device_check_again=True,
                details={"old_receipt": attempt.receipt,
                         "old_finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None},
                fields={"client_id": client_id, "login_count": attempt.login_count, "receipt": "",
                        "score": None, "needs_marking": False, "finished_at": None, "started_at": None},
            )
            signals.attempt_logged_in.send(
                sender=Attempt, attempt=attempt, now=now, first=False, elsewhere=False, address=address,
                user_agent=user_agent[:300], counted_as_leave=False, leave_limit_reached=False,
            )
            live.monitor_changed(attempt.session_id)
            return LoginResult(attempt=attempt, client_id=client_id, first_login=False)
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
        elsewhere = bool(
            previous_client and page_is_live is not None and page_is_live(attempt.id, previous_client)
        )
        attempt.client_id = client_id
        attempt.login_count += 1
        counts_leave = limit_reached = False
        if first_login:
            attempt_transition(
                attempt=attempt, to_state=statuses.CHECKED_IN, now=now, action=AuditAction.LOGIN,
                fields={"checked_in_at": now, "client_id": client_id,
                        "login_count": attempt.login_count},
            )
        else:
            # Before the start nothing is being answered: a login then is never a leave.
            counts_leave = bool(s.lock_screen and s.max_screen_leaves is not None and rules.has_started(s, now))
            if counts_leave:
                attempt.leaves_used += 1
            attempt.save(update_fields=["client_id", "login_count", "leaves_used", "updated_at"])
            limit_reached = counts_leave and rules.leaves_exhausted(
                s, attempt.leaves_used, extra_leaves=attempt.extra_leaves
            )
            attempt_audit(
                attempt=attempt, action=AuditAction.RELOGIN, now=now,
                details={"leaves_used": attempt.leaves_used, "counted_as_leave": counts_leave,
                         "elsewhere": elsewhere, "address": address, "user_agent": user_agent[:300]},
            )
            if elsewhere:
                # Both pages are told: the old one before it is superseded, the new one at login.
                live.push_to_attempt(
                    attempt.id, {"type": "relogin_elsewhere", "at": now.isoformat()}
                )
            if previous_client:
                live.superseded(attempt.id, client_id)
            if limit_reached:
                attempt_audit(
                    attempt=attempt, action=AUDIT_LEAVE_LIMIT_BY_LOGIN, now=now,
                    details={"leaves_used": attempt.leaves_used},
                )
        signals.attempt_logged_in.send(
            sender=Attempt, attempt=attempt, now=now, first=first_login,
            elsewhere=elsewhere, address=address, user_agent=user_agent[:300],
            counted_as_leave=counts_leave,
            leave_limit_reached=limit_reached,
        )
        live.monitor_changed(attempt.session_id)
    return LoginResult(
        attempt=attempt, client_id=client_id, first_login=first_login,
        counted_as_leave=counts_leave, relogin_elsewhere=elsewhere,
    )


def attempt_record_lock(*, attempt: Attempt, now: datetime, reason: str) -> None:
    """The leave limit was reached on a locked attempt row: audit, announce, tell the pages."""
    attempt_audit(attempt=attempt, action=AuditAction.LOCK, now=now, details={"cause": reason})
    signals.attempt_locked.send(sender=Attempt, attempt=attempt, now=now, cause=reason)
    live.push_to_attempt(attempt.id, {"type": "locked"})
    live.monitor_changed(
        attempt.session_id,
        {"kind": "lock", "attempt": attempt.id, "at": now.isoformat()},
    )
