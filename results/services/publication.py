"""Publishing a session's results, and what a candidate may see of their own result."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from candidates import idnumbers
from exams import statuses
from exams.audit import AuditAction
from exams.models import Attempt, ExamSession
from exams.services.attempts import attempt_audit
from exams.services.journey import normalized_admission_ticket
from examsite.exceptions import InvalidInput
from results import selectors
from results.exceptions import NoResult, ResultsNotReady, ResultTicketRequired
from results.models import ResultPublication

AUDIT_PUBLISH = AuditAction.RESULTS_PUBLISH
MAX_REASON = 2000


def missing_text(missing: dict[str, int]) -> str:
    parts = []
    if missing.get("unmarked_answers"):
        parts.append(
            _("%(n)d 份需人工评阅的答案（简答题、与标准答案不符的填空题）尚未评阅完成")
            % {"n": missing["unmarked_answers"]}
        )
    if missing.get("pending_reviews"):
        parts.append(_("%(n)d 份取消成绩的审核结论等待第二位审核人确认") % {"n": missing["pending_reviews"]})
    if missing.get("open_attempts"):
        parts.append(_("%(n)d 名考生仍在作答") % {"n": missing["open_attempts"]})
    return "；".join(parts)


def results_publish(
    *, session_id: int, actor: Any, now: datetime, at: datetime | None = None, override_reason: str = ""
) -> ResultPublication:
    """Publish (or re-publish) a session's results from ``at`` (default ``now``).

    Refused with ``results_not_ready`` while answers are unmarked, voids await their second
    reviewer or attempts are open, unless ``override_reason`` says why to publish anyway.
    """
    reason = (override_reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput({"override_reason": _("原因最多 %(n)d 字。") % {"n": MAX_REASON}})
    with transaction.atomic():
        session = ExamSession.objects.select_for_update(of=("self",)).select_related("paper").get(pk=session_id)
        missing = selectors.results_missing(session=session)
        if missing and not reason:
            raise ResultsNotReady(
                _("成绩尚不能发布：%(missing)s。请完成后再发布，或填写原因强制发布。")
                % {"missing": missing_text(missing)},
                extra={"missing": missing},
            )
        publication = ResultPublication.objects.create(
            session=session, publishes_at=at or now, published_by=actor,
            override_reason=reason if missing else "", missing=missing, at=now,
        )
        # One audit row per finished attempt: each candidate's history shows when their result went out.
        for attempt in Attempt.objects.filter(session=session, state__in=statuses.FINISHED).only("id", "state"):
            attempt_audit(
                attempt=attempt, action=AUDIT_PUBLISH, now=now, actor=actor, reason=publication.override_reason,
                details={"publication": publication.pk, "publishes_at": publication.publishes_at.isoformat(),
                         "missing": missing},
            )
    return publication


@dataclass(frozen=True)
class CandidateResult:
    published: bool
    publishes_at: datetime | None
    score: Decimal | None
    max_score: Decimal | None
    passed: bool | None
    decision: str | None
    receipt: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "publishes_at": self.publishes_at.isoformat() if self.publishes_at else None,
            "score": None if self.score is None else str(self.score),
            "max_score": None if self.max_score is None else str(self.max_score),
            "passed": self.passed,
            "decision": self.decision,
            "receipt": self.receipt,
        }


def result_for_attempt(*, attempt: Attempt, now: datetime) -> CandidateResult:
    """What the candidate of ``attempt`` may see at ``now``: scores only once published."""
    publication = selectors.publication_of(session_id=attempt.session_id)
    published = publication is not None and publication.publishes_at <= now
    receipt = attempt.receipt or None
    if not published:
        return CandidateResult(
            published=False, publishes_at=publication.publishes_at if publication else None,
            score=None, max_score=None, passed=None, decision=None, receipt=receipt,
        )
    session = attempt.session
    figures = selectors.session_figures_for_attempt(session=session, attempt_id=attempt.pk)
    row = selectors.result_row(attempt, figures)
    return CandidateResult(
        published=True,
        publishes_at=publication.publishes_at if publication else None,
        score=row.total,
        max_score=Decimal(session.paper.total_points).quantize(selectors.CENT) if session.paper_id else None,
        passed=row.passed,
        decision=row.decision,
        receipt=receipt,
    )


def attempt_for_credentials(*, password: object, id_number: object, admission_ticket: object) -> Attempt:
    """The attempt of the candidate with this ID number in the session of this password.

    Open at any time (not bound to the session's window). Where the session's batch asks for the
    admission ticket at login, it is required here too (``admission_ticket_required``, decided by
    the password alone so the refusal says nothing about the ID number) and must match; elsewhere
    a ticket given must match the registration's when it has one. A mismatch is ``no_result``.
    """
    if not isinstance(password, str) or not password.strip().isdigit() or len(password.strip()) != 6:
        raise NoResult()
    ticket = normalized_admission_ticket(admission_ticket)
    if not ticket and ExamSession.objects.filter(
        password=password.strip(), batch__login_requires_admission_ticket=True
    ).exists():
        raise ResultTicketRequired()
    try:
        normalized = idnumbers.normalize_for_login(id_number)
    except idnumbers.InvalidIdNumber:
        raise NoResult() from None
    attempt = (
        Attempt.objects.filter(session__password=password.strip(), registration__candidate__id_number=normalized)
        .select_related("session__paper", "session__batch", "registration__candidate")
        .order_by("-session__ends_at")
        .first()
    )
    if attempt is None:
        raise NoResult()
    registered = normalized_admission_ticket(attempt.registration.admission_ticket or "")
    required = attempt.session.batch.login_requires_admission_ticket
    if (required or (ticket and registered)) and not secrets.compare_digest(registered.encode(), ticket.encode()):
        raise NoResult()
    return attempt


def candidate_result(
    *, password: object, id_number: object, admission_ticket: object, now: datetime
) -> CandidateResult:
    """The result of the candidate with these credentials (``attempt_for_credentials``)."""
    attempt = attempt_for_credentials(password=password, id_number=id_number, admission_ticket=admission_ticket)
    return result_for_attempt(attempt=attempt, now=now)
