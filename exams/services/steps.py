"""Required steps before answering (SPEC.md "Proctoring: Required steps").

A session says which evidence it requires (login photo, phone monitor, A4 sheet photo). Each
step's state lives on the attempt, so a login from any browser knows what is already done;
the server refuses to start answering (``attempt/start/`` and the first answers) until every
required step is done, or waived for this candidate by support staff (reason required, audited,
pushed live). Proctoring marks a step done when its evidence arrives (``attempt_step_done``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exams import exceptions as exc
from exams import live, signals, statuses
from exams.audit import AuditAction
from exams.models import Attempt, ExamSession
from exams.services.attempts import attempt_audit, attempt_lock

LOGIN_PHOTO = "login_photo"
PHONE_MONITOR = "phone_monitor"
SCRATCH_PAPER = "scratch_paper"
STEPS = (LOGIN_PHOTO, PHONE_MONITOR, SCRATCH_PAPER)
STEP_LABELS = {
    LOGIN_PHOTO: gettext_lazy("登录拍照"),
    PHONE_MONITOR: gettext_lazy("手机监控（鹰眼）"),
    SCRATCH_PAPER: gettext_lazy("展示 A4 草稿纸"),
}

# Audit actions (strings, as every audit row today).
AUDIT_STEP_DONE = AuditAction.STEP_DONE
AUDIT_STEP_WAIVED = AuditAction.STEP_WAIVED

# The attempt field that records a step as done, and the session field that requires it.
_DONE_FIELD = {
    LOGIN_PHOTO: "login_photo_at",
    PHONE_MONITOR: "phone_paired_at",
    SCRATCH_PAPER: "scratch_paper_at",
}
_REQUIRED_FIELD = {
    LOGIN_PHOTO: "requires_login_photo",
    PHONE_MONITOR: "requires_phone_monitor",
    SCRATCH_PAPER: "requires_scratch_paper",
}
_ERRORS: dict[str, type[exc.DomainError]] = {
    LOGIN_PHOTO: exc.PhotoRequired,
    PHONE_MONITOR: exc.PhoneRequired,
    SCRATCH_PAPER: exc.SheetRequired,
}


def steps_required(session: ExamSession) -> list[str]:
    """The steps a session requires, in the order the candidate meets them."""
    if session.kind == ExamSession.DEVICE_CHECK:
        return []
    return [step for step in STEPS if getattr(session, _REQUIRED_FIELD[step])]


def step_is_done(attempt: Attempt, step: str) -> bool:
    return getattr(attempt, _DONE_FIELD[step]) is not None


def steps_missing(attempt: Attempt) -> list[str]:
    """Required steps neither done nor waived."""
    waived = set(attempt.waived_steps or [])
    return [
        step for step in steps_required(attempt.session)
        if not step_is_done(attempt, step) and step not in waived
    ]


def steps_state(attempt: Attempt) -> dict[str, Any]:
    """What the pages (and the wall) show: required, done, waived, missing."""
    required = steps_required(attempt.session)
    return {
        "required": required,
        "done": [step for step in STEPS if step_is_done(attempt, step)],
        "waived": [step for step in STEPS if step in (attempt.waived_steps or [])],
        "missing": steps_missing(attempt),
    }


def steps_check_before_answering(attempt: Attempt) -> None:
    """Refuse to start answering while a required step is missing (the first missing one)."""
    missing = steps_missing(attempt)
    if missing:
        raise _ERRORS[missing[0]](extra={"missing_steps": missing})


def attempt_step_done(*, attempt: Attempt, step: str, now: datetime) -> bool:
    """Record a step done on a locked attempt row (call inside its transaction).

    Returns True when this call recorded it (the first evidence of the step), so a repeated
    photo changes nothing.
    """
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}")
    field = _DONE_FIELD[step]
    if getattr(attempt, field) is not None:
        return False
    setattr(attempt, field, now)
    attempt.save(update_fields=[field, "updated_at"])
    attempt_audit(attempt=attempt, action=AUDIT_STEP_DONE, now=now, details={"step": step})
    live.push_to_attempt(attempt.id, {"type": "steps", **steps_state(attempt)})
    live.monitor_changed(attempt.session_id)
    return True


def attempt_step_waive(
    *, attempt_id: int, step: str, actor: Any, reason: str, now: datetime, source: str = ""
) -> Attempt:
    """Support staff waive one required step for one candidate: reason required, audited, pushed."""
    if step not in STEPS:
        raise exc.InvalidInput({"step": _("未知的步骤：%(step)s。") % {"step": step}})
    if not (reason or "").strip():
        raise exc.InvalidInput({"reason": _("免除步骤必须填写原因。")})
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        if attempt.state in statuses.FINISHED:
            raise exc.InvalidInput({"step": _("该作答已结束，无需免除步骤。")})
        waived = list(attempt.waived_steps or [])
        if step in waived:
            return attempt
        attempt.waived_steps = [*waived, step]
        attempt.save(update_fields=["waived_steps", "updated_at"])
        attempt_audit(
            attempt=attempt, action=AUDIT_STEP_WAIVED, now=now, actor=actor, reason=reason.strip(),
            details={"step": step, "source": source},
        )
        signals.attempt_step_waived.send(
            sender=Attempt, attempt=attempt, now=now, step=step, reason=reason.strip(), actor=actor
        )
        live.push_to_attempt(attempt.id, {"type": "steps", **steps_state(attempt)})
        live.monitor_changed(
            attempt.session_id,
            {"kind": AUDIT_STEP_WAIVED, "attempt": attempt.id, "at": now.isoformat(), "step": step},
        )
        return attempt
