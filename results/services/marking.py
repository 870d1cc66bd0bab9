"""Blind marking of essay answers: the queue, a marker's points, the decision (results.marking_rules).

A marker fetches one answer at a time (``marking_next``) and holds it for ``CLAIM`` so that two
markers do not mark the same answer at once; ``mark_give`` records the points, decides the final
points when the marks allow it, releases the hold and writes the attempt's audit row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from exams import statuses
from exams.audit import AuditAction
from exams.models import Answer, Paper, Question
from exams.services.attempts import attempt_audit
from results import marking_rules
from results.exceptions import AlreadyMarked, ClaimedByOther, InvalidPoints, MarkingComplete, NotMarkable
from results.models import Mark, MarkingTask

AUDIT_MARK = AuditAction.MARK
CLAIM = timedelta(minutes=20)


def _required_first(paper: Paper) -> int:
    return 2 if paper.marking == marking_rules.DOUBLE else 1


def _markable_answers(*, question_id: int) -> Any:
    """Essay answers with text, in finished attempts: what needs a mark."""
    return (
        Answer.objects.filter(
            question_id=question_id, question__kind=Question.ESSAY, attempt__state__in=statuses.FINISHED
        )
        .exclude(value__isnull=True)
        .exclude(value="")
    )


def marking_tasks_ensure(*, question_id: int) -> int:
    """Create the missing tasks of a question's answers (idempotent); returns how many were made."""
    question = Question.objects.select_related("paper").filter(pk=question_id, kind=Question.ESSAY).first()
    if question is None:
        return 0
    missing = _markable_answers(question_id=question_id).filter(marking__isnull=True).values_list("id", "attempt_id")
    required = _required_first(question.paper)
    tasks = [
        MarkingTask(answer_id=answer_id, attempt_id=attempt_id, question_id=question_id, required=required)
        for answer_id, attempt_id in missing
    ]
    MarkingTask.objects.bulk_create(tasks, ignore_conflicts=True, batch_size=1000)
    return len(tasks)


def _open_for(*, question_id: int, marker_id: int, now: datetime) -> Any:
    return (
        MarkingTask.objects.filter(question_id=question_id, final_points__isnull=True)
        .exclude(marks__marker_id=marker_id)
        .annotate(given=Count("marks"))
        .filter(Q(claimed_by__isnull=True) | Q(claimed_by_id=marker_id) | Q(claimed_until__lte=now))
    )


def marking_next(*, question_id: int, marker: Any, now: datetime) -> MarkingTask | None:
    """The next answer to this question for this marker, held for them; None when none is left.

    An answer the marker already holds comes first (a reloaded page gets the same answer).
    """
    marking_tasks_ensure(question_id=question_id)
    open_tasks = _open_for(question_id=question_id, marker_id=marker.pk, now=now).filter(
        given__lt=F("required")
    )
    own = open_tasks.filter(claimed_by_id=marker.pk, claimed_until__gt=now).order_by("id").first()
    if own is not None:
        return MarkingTask.objects.select_related("answer", "question").get(pk=own.pk)
    for task_id in open_tasks.order_by("id").values_list("id", flat=True)[:20]:
        claimed = (
            MarkingTask.objects.filter(pk=task_id, final_points__isnull=True)
            .filter(Q(claimed_by__isnull=True) | Q(claimed_by_id=marker.pk) | Q(claimed_until__lte=now))
            .update(claimed_by=marker, claimed_until=now + CLAIM, updated_at=now)
        )
        if claimed:  # else another marker took it a moment ago: try the next one
            return MarkingTask.objects.select_related("answer", "question").get(pk=task_id)
    return None


def _task_for_answer(*, answer_id: int) -> MarkingTask:
    answer = _markable_answers_any().filter(pk=answer_id).values_list("question_id", flat=True).first()
    if answer is None:
        raise NotMarkable()
    marking_tasks_ensure(question_id=answer)
    return (
        MarkingTask.objects.select_for_update(of=("self",))
        .select_related("question__paper", "attempt")
        .get(answer_id=answer_id)
    )


def _markable_answers_any() -> Any:
    return (
        Answer.objects.filter(question__kind=Question.ESSAY, attempt__state__in=statuses.FINISHED)
        .exclude(value__isnull=True)
        .exclude(value="")
    )


def points_text(points: Decimal) -> str:
    """10.00 -> "10", 7.50 -> "7.5"."""
    return f"{points:f}".rstrip("0").rstrip(".") if "." in f"{points:f}" else f"{points:f}"


def points_refusal(reason: str, max_points: Decimal) -> InvalidPoints:
    texts = {
        "not_a_number": _("给分必须是数字。"),
        "out_of_range": _("给分必须在 0 到 %(max)s 分之间。") % {"max": points_text(max_points)},
        "not_half_step": _("给分只能是整数或半分（如 3.5）。"),
    }
    return InvalidPoints(texts[reason], extra={"errors": {"points": texts[reason]}})


def mark_give(
    *, answer_id: int, marker: Any, points: object, comment: str, now: datetime, kind: str = Mark.MARKING
) -> MarkingTask:
    """Record ``marker``'s points for an answer; decides the final points when the marks allow."""
    with transaction.atomic():
        task = _task_for_answer(answer_id=answer_id)
        question = task.question
        reason = marking_rules.points_error(points, question.points)
        if reason:
            raise points_refusal(reason, question.points)
        value = Decimal(str(points)).quantize(Decimal("0.01"))
        given = list(task.marks.order_by("at", "id").values_list("marker_id", "points", "kind"))
        if any(m == marker.pk for m, _p, _k in given):
            raise AlreadyMarked()
        if kind == Mark.MARKING:
            if task.final_points is not None or len(given) >= task.required:
                raise MarkingComplete()
            if task.claimed_by_id not in (None, marker.pk) and task.claimed_until and task.claimed_until > now:
                raise ClaimedByOther()
        mark = Mark.objects.create(task=task, marker=marker, points=value, comment=comment or "", kind=kind, at=now)
        if kind == Mark.APPEAL:
            final: Decimal | None = value
        else:
            decision = marking_rules.decide(
                mode=question.paper.marking,
                tolerance=question.paper.marking_tolerance,
                marks=[p for _m, p, k in given if k == Mark.MARKING] + [value],
            )
            task.required = decision.required
            final = decision.final_points
        previous = task.final_points
        task.final_points = final
        task.claimed_by = None
        task.claimed_until = None
        task.save(update_fields=["required", "final_points", "claimed_by", "claimed_until", "updated_at"])
        attempt_audit(
            attempt=task.attempt, action=AUDIT_MARK, now=now, actor=marker, reason=comment or "",
            details={"question": question.pk, "answer": answer_id, "mark": mark.pk, "points": str(value),
                     "kind": kind, "final_points": None if final is None else str(final),
                     "previous_final_points": None if previous is None else str(previous)},
        )
    return task
