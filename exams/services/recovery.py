"""Organizer recovery actions for an interrupted exam: a session-wide time credit, re-admit,
reopen. Each needs a reason, is audited, and reaches the candidate's page and the monitor live.

The state rules are pure (``statuses.ORGANIZER_TRANSITIONS``, ``rules.recovery_deadline``);
every action locks the attempt row (``attempt_lock``) and changes it through
``attempt_transition`` with its ``organizer_action``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from exams import live, rules, statuses
from exams.audit import AuditAction
from exams.exceptions import IllegalTransition, InvalidInput
from exams.models import Attempt, AttemptAudit, ExamSession
from exams.services.attempts import attempt_lock, attempt_transition
from exams.services.organizer import check_minutes, deadline_alert, reason_text

MAX_ATTEMPT_IDS = 10_000


def _id_list(value: object) -> bool:
    return (
        isinstance(value, list) and 0 < len(value) <= MAX_ATTEMPT_IDS
        and all(isinstance(i, int) and not isinstance(i, bool) for i in value)
    )


def session_grant_extra_minutes(
    *, session_id: int, minutes: int, reason: str, actor: User | None, now: datetime,
    attempt_ids: list[int] | None = None,
) -> list[int]:
    """A credit for an interruption that hit many candidates: their deadlines move by ``minutes``.

    ``attempt_ids``: only these attempts of the session (each must be open); omitted: every open
    attempt (logged in, not finished). Returns the ids of the attempts that moved.
    """
    reason = reason_text(reason)
    check_minutes(minutes)
    if attempt_ids is not None and not _id_list(attempt_ids):
        raise InvalidInput({"attempts": _("attempts 必须是作答编号的列表；省略则为本场所有正在考试的作答。")})
    with transaction.atomic():
        session = ExamSession.objects.select_for_update().get(pk=session_id)
        targets = Attempt.objects.select_for_update().filter(session=session, state__in=statuses.OPEN)
        if attempt_ids is not None:
            targets = targets.filter(pk__in=attempt_ids)
        rows = list(targets.order_by("id").values_list("id", "deadline"))
        if attempt_ids is not None:
            missing = sorted(set(attempt_ids) - {attempt_id for attempt_id, _d in rows})
            if missing:
                raise InvalidInput({"attempts": _(
                    "以下作答不属于本场次或不在考试中（未登录或已结束），不能延长：%(ids)s。"
                    "已结束的作答请使用“重开作答”，缺考或迟到的请使用“准予补录”。"
                ) % {"ids": ", ".join(str(i) for i in missing)}})
        ids = [attempt_id for attempt_id, _d in rows]
        if not ids:
            return []
        Attempt.objects.filter(pk__in=ids).update(
            deadline=F("deadline") + timedelta(minutes=minutes),
            extra_minutes=F("extra_minutes") + minutes,
            updated_at=now,
        )
        AttemptAudit.objects.bulk_create(
            AttemptAudit(
                attempt_id=attempt_id, action=AuditAction.SESSION_EXTRA_TIME, actor=actor, reason=reason, at=now,
                details={"minutes": minutes, "previous": previous.isoformat(),
                         "deadline": rules.shifted_deadline(previous, minutes=minutes).isoformat(),
                         "to": "session" if attempt_ids is None else "attempts"},
            )
            for attempt_id, previous in rows
        )
        live.session_deadlines_changed(session.id, kind=live.DEADLINE_SESSION_CREDIT, reason=reason)
        live.monitor_changed(session.id, deadline_alert(None, minutes, now, count=len(ids)))
    return ids


def attempt_readmit(
    *, attempt_id: int, reason: str, actor: User | None, now: datetime, minutes: int | None = None
) -> Attempt:
    """A candidate marked late or absent (a power cut at home...) may log in after the late
    cutoff, and after the session's end until their own deadline (``minutes`` from now)."""
    reason = reason_text(reason)
    minutes = check_minutes(minutes, required=False)
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        target = statuses.organizer_target(statuses.READMIT, attempt.state)
        if target is None:
            raise IllegalTransition(
                _("只有迟到或缺考的作答可以准予补录；当前状态为“%(state)s”。") % {"state": attempt.get_state_display()}
            )
        if attempt.deadline <= now and not minutes:
            raise InvalidInput({"minutes": _(
                "本场考试已结束（截止时间已过），补录时必须给出考生可作答的分钟数（minutes）。"
            )})
        previous = attempt.deadline
        deadline = rules.recovery_deadline(previous, now, minutes=minutes)
        attempt_transition(
            attempt=attempt, to_state=target, now=now, action=AuditAction.READMIT, actor=actor, reason=reason,
            organizer_action=statuses.READMIT,
            details={"minutes": minutes, "previous": previous.isoformat(), "deadline": deadline.isoformat()},
            fields={"readmitted_at": now, "deadline": deadline,
                    "extra_minutes": attempt.extra_minutes + minutes},
        )
        if deadline != previous:
            live.deadline_changed(attempt.id, deadline=deadline, previous=previous,
                                  kind=live.DEADLINE_READMIT, reason=reason)
        live.monitor_changed(attempt.session_id, {"kind": "readmit", "attempt": attempt.id, "at": now.isoformat()})
    return attempt


def attempt_reopen(*, attempt_id: int, reason: str, minutes: int, actor: User | None, now: datetime) -> Attempt:
    """A wrongly finished attempt goes back to answering until ``minutes`` from now (or its own
    later deadline). The old receipt is kept in the audit row only, so that collection and
    submit work again and give a new one."""
    reason = reason_text(reason)
    minutes = check_minutes(minutes)
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        target = statuses.organizer_target(statuses.REOPEN, attempt.state)
        if target is None:
            raise IllegalTransition(
                _("只有已交卷或已收卷的作答可以重开；当前状态为“%(state)s”。") % {"state": attempt.get_state_display()}
            )
        previous = attempt.deadline
        deadline = rules.recovery_deadline(previous, now, minutes=minutes)
        attempt_transition(
            attempt=attempt, to_state=target, now=now, action=AuditAction.REOPEN, actor=actor, reason=reason,
            organizer_action=statuses.REOPEN,
            details={"minutes": minutes, "old_state": attempt.state, "old_receipt": attempt.receipt,
                     "old_score": None if attempt.score is None else str(attempt.score),
                     "old_finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
                     "previous": previous.isoformat(), "deadline": deadline.isoformat()},
            fields={"deadline": deadline, "receipt": "", "score": None, "needs_marking": False,
                    "finished_at": None, "extra_minutes": attempt.extra_minutes + minutes},
        )
        live.deadline_changed(attempt.id, deadline=deadline, previous=previous,
                              kind=live.DEADLINE_REOPEN, reason=reason)
        live.monitor_changed(attempt.session_id, {"kind": "reopen", "attempt": attempt.id, "at": now.isoformat()})
    return attempt
