"""Appeals (复核): a candidate asks for a re-mark of named questions within the appeal period
after publication; a marker who has not marked the answer re-marks it (audited); an organizer
resolves the appeal with an outcome the candidate sees on /results/."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from exams import statuses
from exams.audit import AuditAction
from exams.models import Answer, Attempt, Question
from exams.services.attempts import attempt_audit
from examsite.exceptions import InvalidInput
from results import selectors
from results.exceptions import AppealClosed, AppealExists, NotMarkable
from results.models import Appeal, Mark, ResultPublication
from results.services.marking import mark_give

AUDIT_APPEAL = AuditAction.APPEAL
AUDIT_APPEAL_RESOLVED = AuditAction.APPEAL_RESOLVED
AUDIT_PUBLISH = AuditAction.RESULTS_PUBLISH
MAX_REASON = 2000


def appeal_days() -> int:
    return int(settings.RESULTS_APPEAL_DAYS)


def appeal_closes_at(*, attempt: Attempt, now: datetime) -> datetime | None:
    """When appeals close for this attempt's session; None while results are not published."""
    publication = selectors.publication_for_appeals(session_id=attempt.session_id)
    if publication is None or publication.publishes_at > now:
        return None
    return publication.publishes_at + timedelta(days=appeal_days())


def appeal_create(*, attempt: Attempt, questions: Any, reason: Any, now: datetime) -> Appeal:
    closes = appeal_closes_at(attempt=attempt, now=now)
    if attempt.state not in statuses.FINISHED or closes is None or now > closes:
        raise AppealClosed(
            _("现在不能申请复核：复核须在成绩公布后 %(days)d 天内提出。如有疑问，请联系考务人员。")
            % {"days": appeal_days()}
        )
    errors: dict[str, str] = {}
    paper_ids = set(Question.objects.filter(paper_id=attempt.session.paper_id).values_list("id", flat=True))
    if (
        not isinstance(questions, list) or not questions
        or not all(isinstance(q, int) and not isinstance(q, bool) and q in paper_ids for q in questions)
    ):
        errors["questions"] = _("请选择本场试卷中需要复核的试题。")
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = _("请填写申请复核的理由。")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _("理由最多 %(n)d 字。") % {"n": MAX_REASON}
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                attempt=attempt, questions=sorted(set(questions)), reason=reason.strip(), created_at=now
            )
            attempt_audit(attempt=attempt, action=AUDIT_APPEAL, now=now, reason=appeal.reason,
                          details={"appeal": appeal.pk, "questions": appeal.questions})
    except IntegrityError:
        raise AppealExists() from None
    return appeal


def appeal_remark(*, appeal: Appeal, question_id: int, marker: Any, points: object, comment: str,
                  now: datetime) -> None:
    """A re-mark of one appealed essay by a marker who has not marked that answer."""
    if appeal.status != Appeal.OPEN or question_id not in appeal.questions:
        raise NotMarkable()
    answer_id = (
        Answer.objects.filter(attempt_id=appeal.attempt_id, question_id=question_id)
        .values_list("id", flat=True).first()
    )
    if answer_id is None:
        raise NotMarkable()
    mark_give(answer_id=answer_id, marker=marker, points=points, comment=comment, now=now, kind=Mark.APPEAL)


def appeal_resolve(*, appeal_id: int, actor: Any, outcome: str, now: datetime) -> Appeal:
    """Close an appeal with the outcome the candidate sees, and re-publish the session's results
    from ``now``: a new publication row naming the appeal (the earlier rows stay), audited on the
    candidate's attempt. The appeal period still runs from the organizers' own publication."""
    if not isinstance(outcome, str) or not outcome.strip():
        raise InvalidInput({"outcome": _("请填写复核结果，考生将在成绩查询页面看到。")})
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update(of=("self",)).select_related("attempt").get(pk=appeal_id)
        if appeal.status != Appeal.OPEN:
            raise AppealClosed(_("该复核申请已经处理。"))
        appeal.status, appeal.outcome = Appeal.RESOLVED, outcome.strip()
        appeal.resolved_by, appeal.resolved_at = actor, now
        appeal.save(update_fields=["status", "outcome", "resolved_by", "resolved_at"])
        attempt_audit(attempt=appeal.attempt, action=AUDIT_APPEAL_RESOLVED, now=now, actor=actor,
                      reason=appeal.outcome, details={"appeal": appeal.pk})
        republished = ResultPublication.objects.create(
            session_id=appeal.attempt.session_id, publishes_at=now, published_by=actor, appeal=appeal, at=now,
        )
        attempt_audit(attempt=appeal.attempt, action=AUDIT_PUBLISH, now=now, actor=actor, reason=appeal.outcome,
                      details={"publication": republished.pk, "publishes_at": now.isoformat(), "appeal": appeal.pk})
    return appeal


def latest_appeal(*, attempt_id: int) -> Appeal | None:
    return Appeal.objects.filter(attempt_id=attempt_id).order_by("-created_at", "-id").first()
