"""Answers that came after the deadline's grace (network) or from an emergency backup file:
evidence until an organizer accepts them, with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from exams import live, statuses
from exams.audit import AuditAction
from exams.exceptions import InvalidInput
from exams.models import Attempt, LateAnswer
from exams.paper_cache import paper_questions
from exams.services.answering import attempt_rescore, latest_per_question, upsert_answers
from exams.services.attempts import attempt_audit, attempt_lock
from exams.services.organizer import reason_text


def late_answers_accept(
    *, attempt_id: int, reason: str, actor: User | None, now: datetime, ids: list[int] | None = None
) -> tuple[int, str]:
    """Apply late answers not applied yet (all, or ``ids``) as if they had arrived in time: the
    highest seq still wins per question; a finished attempt is re-scored and gets a new receipt
    (the old one in the audit row). Returns (rows applied, the attempt's receipt)."""
    reason = reason_text(reason)
    if ids is not None and (
        not isinstance(ids, list) or not ids or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)
    ):
        raise InvalidInput({"ids": _("ids 必须是截止后答案编号的列表；省略则采纳全部未采纳的答案。")})
    with transaction.atomic():
        attempt = attempt_lock(attempt_id=attempt_id)
        pending = LateAnswer.objects.select_for_update().filter(attempt=attempt, applied_at__isnull=True)
        if ids is not None:
            pending = pending.filter(pk__in=ids)
        rows = list(pending.order_by("seq", "id"))
        if ids is not None:
            missing = sorted(set(ids) - {row.id for row in rows})
            if missing:
                raise InvalidInput({"ids": _(
                    "以下编号不是本作答尚未采纳的截止后答案：%(ids)s。"
                ) % {"ids": ", ".join(str(i) for i in missing)}})
        if not rows:
            return 0, attempt.receipt
        known = {q["id"] for q in paper_questions(attempt.session.paper_id)}
        usable = [row for row in rows if row.question_id_sent in known]
        entries: list[dict[str, Any]] = [
            {"question": r.question_id_sent, "value": r.value, "seq": r.seq} for r in usable
        ]
        if entries:
            upsert_answers(attempt_id=attempt.id, entries=latest_per_question(entries), now=now)
            top = max(int(e["seq"]) for e in entries)
            if top > attempt.last_seq:
                attempt.last_seq = top
                Attempt.objects.filter(pk=attempt.id).update(last_seq=top)
        LateAnswer.objects.filter(pk__in=[row.id for row in rows]).update(applied_at=now)
        details = {
            "ids": [row.id for row in rows], "applied": len(rows),
            "sources": sorted({row.source for row in rows}),
            "unknown_questions": len(rows) - len(usable),
        }
        if attempt.state in statuses.FINISHED:
            receipt = attempt_rescore(
                attempt=attempt, now=now, action=AuditAction.ACCEPT_LATE_ANSWERS, actor=actor, reason=reason,
                details=details, question_ids=sorted({int(e["question"]) for e in entries}),
            )
        else:  # still answering (reopened): collection or submit gives the receipt
            receipt = attempt.receipt
            attempt_audit(attempt=attempt, action=AuditAction.ACCEPT_LATE_ANSWERS, now=now, actor=actor, reason=reason,
                          details=details)
        live.monitor_changed(attempt.session_id)
    return len(rows), receipt
