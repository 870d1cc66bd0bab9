"""Review decisions: a reviewer's conclusion on an attempt; a void needs a second reviewer."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext as _

from exams import statuses
from exams.audit import AuditAction
from exams.models import Attempt
from exams.services.attempts import attempt_audit, attempt_lock
from examsite.exceptions import InvalidInput
from proctoring import exceptions as exc
from proctoring.models import ReviewDecision

ATTEMPT_DECISION = {
    ReviewDecision.CLEAR: statuses.DECISION_CLEAR,
    ReviewDecision.WARNING: statuses.DECISION_WARNING,
    ReviewDecision.VOID: statuses.DECISION_VOIDED,
}
MAX_REASON = 2000


def can_decide(user: User | AnonymousUser | None) -> bool:
    return bool(
        user is not None and getattr(user, "is_active", False) and getattr(user, "is_staff", False)
        and user.has_perm("proctoring.decide_attempt")
    )


def _require_reviewer(user: User | AnonymousUser | None) -> None:
    if not can_decide(user):
        raise exc.ReviewForbidden()


def _decision_takes_effect(*, attempt: Attempt, row: ReviewDecision, actor: User, now: datetime) -> None:
    """Set the attempt's decision (never its answers) and audit it."""
    value = ATTEMPT_DECISION[row.decision]
    Attempt.objects.filter(pk=attempt.id).update(decision=value, updated_at=now)
    attempt_audit(
        attempt=attempt, action=AuditAction.DECISION, now=now, actor=actor, reason=row.reason,
        details={
            "decision": value, "from": attempt.decision, "review_decision": row.id,
            "reviewer": row.reviewer.get_username(),
            "confirmed_by": actor.get_username() if row.decision == ReviewDecision.VOID else None,
        },
    )
    attempt.decision = value


def decision_record(
    *, attempt_id: int, decision: str, reason: str, reviewer: User, now: datetime
) -> ReviewDecision:
    """Record a reviewer's conclusion. Clear and warning take effect at once; a void waits
    for a second, different reviewer (``decision_confirm``). A newer decision withdraws a
    void still waiting for confirmation. A confirmed void is final here.
    """
    _require_reviewer(reviewer)
    if decision not in ATTEMPT_DECISION:
        raise InvalidInput({"decision": _("请选择审核结论：无异常、警告或取消成绩。")})
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if decision != ReviewDecision.CLEAR and not reason:
        raise InvalidInput({"reason": _("警告或取消成绩必须填写理由。")})
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": _("理由最多 %(max)d 个字。") % {"max": MAX_REASON}})
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        if attempt.decision == statuses.DECISION_VOIDED:
            raise exc.AlreadyVoided()
        for pending in ReviewDecision.objects.filter(attempt_id=attempt.id, status=ReviewDecision.PENDING):
            ReviewDecision.objects.filter(pk=pending.pk).update(
                status=ReviewDecision.WITHDRAWN, withdrawn_at=now
            )
            attempt_audit(
                attempt=attempt, action=AuditAction.VOID_WITHDRAWN, now=now, actor=reviewer,
                details={"review_decision": pending.id, "by_decision": decision},
            )
        row = ReviewDecision.objects.create(
            attempt=attempt, decision=decision, reason=reason, reviewer=reviewer, at=now,
            status=ReviewDecision.PENDING if decision == ReviewDecision.VOID else ReviewDecision.EFFECTIVE,
        )
        if decision == ReviewDecision.VOID:
            attempt_audit(
                attempt=attempt, action=AuditAction.VOID_PROPOSED, now=now, actor=reviewer, reason=reason,
                details={"review_decision": row.id},
            )
        else:
            _decision_takes_effect(attempt=attempt, row=row, actor=reviewer, now=now)
    return row


def decision_confirm(*, decision_id: int, confirmer: User, now: datetime) -> ReviewDecision:
    """A second, different reviewer confirms a void: only now is the result voided."""
    _require_reviewer(confirmer)
    attempt_id = ReviewDecision.objects.filter(pk=decision_id).values_list("attempt_id", flat=True).first()
    if attempt_id is None:
        raise exc.DecisionNotPending()
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        row = ReviewDecision.objects.select_related("reviewer").get(pk=decision_id)
        if row.status != ReviewDecision.PENDING or row.decision != ReviewDecision.VOID:
            raise exc.DecisionNotPending()
        if row.reviewer_id == confirmer.pk:
            raise exc.SameReviewer()
        ReviewDecision.objects.filter(pk=row.pk, status=ReviewDecision.PENDING).update(
            status=ReviewDecision.EFFECTIVE, confirmed_by=confirmer, confirmed_at=now
        )
        row.refresh_from_db()
        _decision_takes_effect(attempt=attempt, row=row, actor=confirmer, now=now)
    return row
