"""Organizer actions on live attempts: audited, and pushed to the page at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from exams import live, rules, statuses
from exams.audit import AuditAction
from exams.exceptions import IllegalTransition
from exams.models import Attempt, AttemptAudit, ExamSession
from exams.services.attempts import attempt_audit, attempt_lock
from examsite.exceptions import InvalidInput

MAX_EXTRA_MINUTES = 240
MAX_MESSAGE = 500


def reason_text(reason: str) -> str:
    if not (reason or "").strip():
        raise InvalidInput({"reason": _("必须填写原因。")})
    return reason.strip()[:1000]


def attempt_grant_extra_minutes(
    *, attempt_id: int, minutes: int, reason: str, actor: User | None, now: datetime
) -> Attempt:
    """An accommodation: this candidate's deadline moves; everyone else's stays."""
    reason = reason_text(reason)
    check_minutes(minutes)
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        if attempt.state in statuses.FINISHED or attempt.state == statuses.ABSENT:
            raise IllegalTransition(_("该作答已结束，不能延长时间。"))
        previous = attempt.deadline
        attempt.extra_minutes += minutes
        attempt.deadline = rules.shifted_deadline(previous, minutes=minutes)
        attempt.save(update_fields=["extra_minutes", "deadline", "updated_at"])
        attempt_audit(
            attempt=attempt, action=AuditAction.EXTRA_TIME, now=now, actor=actor, reason=reason,
            details={"minutes": minutes, "total": attempt.extra_minutes,
                     "previous": previous.isoformat(), "deadline": attempt.deadline.isoformat()},
        )
        live.deadline_changed(attempt.id, deadline=attempt.deadline, previous=previous,
                              kind=live.DEADLINE_EXTRA_TIME, reason=reason)
        live.monitor_changed(attempt.session_id, deadline_alert(attempt.id, minutes, now))
    return attempt


def deadline_alert(attempt_id: int | None, minutes: int, now: datetime, count: int = 1) -> dict[str, Any]:
    """The monitor's alert for a moved deadline."""
    return {"kind": "deadline", "attempt": attempt_id, "minutes": minutes, "count": count, "at": now.isoformat()}


def check_minutes(minutes: object, *, required: bool = True) -> int:
    if minutes in (None, "") and not required:
        return 0
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_EXTRA_MINUTES:
        raise InvalidInput({"minutes": _("延长时间必须是 1 到 %(max)d 分钟。") % {"max": MAX_EXTRA_MINUTES}})
    return minutes


def _message_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput({"text": _("消息内容不能为空。")})
    if len(text) > MAX_MESSAGE:
        raise InvalidInput({"text": _("消息最多 %(max)d 字。") % {"max": MAX_MESSAGE}})
    return text


def attempt_send_message(*, attempt_id: int, text: str, actor: User | None, now: datetime, source: str = "") -> Attempt:
    text = _message_text(text)
    with transaction.atomic():
        attempt = Attempt.objects.get(pk=attempt_id)
        attempt_audit(
            attempt=attempt, action=AuditAction.MESSAGE, now=now, actor=actor, details={"text": text, "source": source}
        )
        live.push_to_attempt(attempt.id, {"type": "message", "text": text, "at": now.isoformat()})
    return attempt


def session_send_message(*, session_id: int, text: str, actor: User | None, now: datetime) -> int:
    """To every open attempt of a session; each attempt's history records it."""
    text = _message_text(text)
    with transaction.atomic():
        session = ExamSession.objects.get(pk=session_id)
        targets = list(
            Attempt.objects.filter(session=session, state__in=statuses.OPEN).values_list("id", flat=True)
        )
        AttemptAudit.objects.bulk_create(
            AttemptAudit(attempt_id=a, action=AuditAction.MESSAGE, actor=actor, details={"text": text, "to": "session"},
                         at=now)
            for a in targets
        )
        live.push_to_session(session.id, {"type": "message", "text": text, "at": now.isoformat()})
    return len(targets)
