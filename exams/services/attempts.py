"""The attempt state machine: one transition function, always audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from candidates.models import Registration
from exams import rules, statuses
from exams.audit import AuditAction
from exams.exceptions import IllegalTransition, Superseded
from exams.models import Attempt, AttemptAudit


def attempt_lock(*, attempt_id: int, with_candidate: bool = False) -> Attempt:
    """Load an attempt under a row lock (call inside ``transaction.atomic``); ``with_candidate``
    joins the registration and the candidate too (a login answers with them)."""
    related = ("session__batch", "registration__candidate") if with_candidate else ("session__batch",)
    return Attempt.objects.select_for_update(of=("self",)).select_related(*related).get(pk=attempt_id)


def attempt_for_writer(*, attempt_id: int, client_id: str) -> Attempt:
    """The attempt a candidate page (``client_id``) wants to write to, if that page may.

    Every candidate write goes through here. Inside ``transaction.atomic`` the row is locked
    (``attempt_lock``); outside it is read as is (a check before a write that locks later, or a
    socket connecting). Raises ``Superseded`` when the attempt is open and a newer login holds it;
    the other refusals (finished, locked, not started) depend on the write and stay with it.
    """
    if transaction.get_connection().in_atomic_block:
        attempt = attempt_lock(attempt_id=attempt_id)
    else:
        attempt = Attempt.objects.select_related("session__batch").get(pk=attempt_id)
    if attempt.is_superseded_for(client_id):
        raise Superseded()
    return attempt


def attempt_audit(
    *,
    attempt: Attempt,
    action: AuditAction,
    now: datetime,
    actor: User | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    from_state: str = "",
    to_state: str = "",
) -> AttemptAudit:
    return AttemptAudit.objects.create(
        attempt=attempt,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        reason=reason,
        details=details or {},
        at=now,
    )


def attempt_transition(
    *,
    attempt: Attempt,
    to_state: str,
    now: datetime,
    action: AuditAction,
    actor: User | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    organizer_action: str | None = None,
    device_check_again: bool = False,
) -> Attempt:
    """Move a locked attempt to ``to_state`` and write its audit row, in one transaction.

    ``attempt`` must come from ``attempt_lock`` in the caller's transaction; ``fields``
    are saved with the state (timestamps, receipt, score). ``organizer_action`` (re-admit,
    reopen: ``statuses.ORGANIZER_TRANSITIONS``) allows its moves, with an actor and a reason;
    ``device_check_again`` allows a device-check run to start again (``statuses.DEVICE_CHECK_AGAIN``).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("attempt_transition must run inside transaction.atomic")
    from_state = attempt.state
    if device_check_again:
        legal = statuses.DEVICE_CHECK_AGAIN.get(from_state) == to_state
    elif organizer_action is not None:
        legal = statuses.organizer_target(organizer_action, from_state) == to_state
        if legal and (actor is None or not reason.strip()):
            raise IllegalTransition(_("考务人员的恢复操作必须由考务人员执行并填写原因。"))
    else:
        legal = statuses.is_legal(from_state, to_state)
    if not legal:
        raise IllegalTransition(
            _("作答状态不能从 %(from)s 变为 %(to)s。") % {"from": from_state, "to": to_state}
        )
    attempt.prior_state = from_state
    attempt.state = to_state
    update = ["state", "prior_state", "updated_at"]
    for name, value in (fields or {}).items():
        setattr(attempt, name, value)
        update.append(name)
    attempt.save(update_fields=update)
    attempt_audit(
        attempt=attempt,
        action=action,
        now=now,
        actor=actor,
        reason=reason,
        details=details,
        from_state=from_state,
        to_state=to_state,
    )
    return attempt


def attempt_create_for_registration(*, registration: Registration, now: datetime) -> Attempt:
    """Every registration has its attempt from the start, in state ``registered``."""
    session = registration.session
    attempt, created = Attempt.objects.get_or_create(
        registration=registration,
        defaults={
            "session": session,
            "deadline": rules.deadline(session.rules()),
        },
    )
    if created:
        attempt_audit(attempt=attempt, action=AuditAction.REGISTERED, now=now, to_state=attempt.state)
    return attempt
