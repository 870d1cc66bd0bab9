"""Blind marking of essay answers: the queue, a marker's points, the decision (results.marking_rules).

A marker fetches one answer at a time (``marking_next``) and holds it for ``CLAIM`` so that two
markers do not mark the same answer at once; ``mark_give`` records the points, decides the final
points when the marks allow it, releases the hold and writes the attempt's audit row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, DateTimeField, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from exams import answer_rules, statuses
from exams.audit import AuditAction
from exams.models import Answer, ExamSession, Paper, Question
from exams.services.attempts import attempt_audit
from results import marking_rules
from results.exceptions import AlreadyMarked, ClaimedByOther, InvalidPoints, MarkingComplete, NotMarkable
from results.models import Mark, MarkingTask
from results.tasks import statistics_warm_soon

AUDIT_MARK = AuditAction.MARK
CLAIM = timedelta(minutes=20)


MARKED_KINDS = (Question.ESSAY, Question.FILL_IN)


def _required_first(paper: Paper) -> int:
    return 2 if paper.marking == marking_rules.DOUBLE else 1


def _with_text(answers: Any) -> Any:
    return answers.filter(attempt__state__in=statuses.FINISHED).exclude(value__isnull=True).exclude(value="")


def fill_in_needs_marking(*, correct: Any, value: Any) -> bool:
    """A free-text answer no accepted answer matches: automatic scoring cannot tell a wrong
    answer from a right one written differently, so a marker decides (a match is scored at
    collection and needs no mark)."""
    return isinstance(value, str) and bool(value.strip()) and not answer_rules.is_correct(
        kind=answer_rules.FILL_IN, correct=correct, value=value
    )


def marking_tasks_ensure_for(
    *, question_id: int | None = None, session_id: int | None = None, attempt_id: int | None = None
) -> int:
    """Create the missing tasks of the answers in scope that need a mark (idempotent, one pass):
    essays with text, and free-text answers no accepted answer matches. Returns how many."""
    scope: dict[str, int] = {}
    if question_id is not None:
        scope["question_id"] = question_id
    if session_id is not None:
        scope["attempt__session_id"] = session_id
    if attempt_id is not None:
        scope["attempt_id"] = attempt_id
    made = _essay_tasks_insert(
        _with_text(Answer.objects.filter(question__kind=Question.ESSAY, marking__isnull=True, **scope))
    )
    missing = _with_text(Answer.objects.filter(question__kind=Question.FILL_IN, marking__isnull=True, **scope))
    # The distinct free-text values first (one grouped query: the matched answers never get a
    # task, so they are read again each time, but as a few hundred distinct values, not rows).
    distinct = list(missing.order_by().values_list("question_id", "value").distinct())
    if not distinct:
        return made
    questions = {
        q.pk: q for q in Question.objects.filter(pk__in={qid for qid, _v in distinct}).select_related("paper")
    }
    unmatched = [
        (qid, value) for qid, value in distinct if fill_in_needs_marking(correct=questions[qid].correct, value=value)
    ]
    for start in range(0, len(unmatched), 200):
        which = Q()
        for qid, value in unmatched[start:start + 200]:
            which |= Q(question_id=qid, value=value)
        tasks = [
            MarkingTask(answer_id=answer_id, attempt_id=attempt, question_id=qid,
                        required=_required_first(questions[qid].paper))
            for answer_id, attempt, qid in missing.filter(which).values_list("id", "attempt_id", "question_id")
        ]
        MarkingTask.objects.bulk_create(tasks, ignore_conflicts=True, batch_size=1000)
        made += len(tasks)
    return made


def _essay_tasks_insert(answers: Any) -> int:
    """One INSERT ... SELECT for the essays' tasks, whatever their number (the SELECT compiled by
    the ORM, so JSON comparisons are right on every database)."""
    select = answers.annotate(
        required_=Case(When(question__paper__marking=marking_rules.DOUBLE, then=Value(2)), default=Value(1)),
        now_=Value(timezone.now(), output_field=DateTimeField()),
    ).order_by("id").values_list("id", "attempt_id", "question_id", "required_", "now_")  # queue in answer order
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("answer_id", "attempt_id", "question_id", "required", "updated_at"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(MarkingTask._meta.db_table)} ({columns}) {sql} ON CONFLICT DO NOTHING", params
        )
        return max(int(cursor.rowcount), 0)


def marking_tasks_ensure_unpublished() -> int:
    """Make the free-text tasks of every session whose results are not yet published (the marking
    overview lists them; an essay's queue makes its own when opened)."""
    sessions = (
        ExamSession.objects.filter(
            paper__questions__kind=Question.FILL_IN, attempts__state__in=statuses.FINISHED,
            result_publications__isnull=True,
        ).values_list("id", flat=True).distinct()
    )
    return sum(marking_tasks_ensure_for(session_id=session_id) for session_id in list(sessions))


def marking_tasks_ensure(*, question_id: int) -> int:
    """Create the missing tasks of a question's answers (idempotent); returns how many were made."""
    return marking_tasks_ensure_for(question_id=question_id)


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
    answer = (
        _with_text(Answer.objects.filter(pk=answer_id, question__kind__in=MARKED_KINDS))
        .values_list("attempt_id", flat=True).first()
    )
    if answer is None:
        raise NotMarkable()
    marking_tasks_ensure_for(attempt_id=answer)
    task = (
        MarkingTask.objects.select_for_update(of=("self",))
        .select_related("question__paper", "attempt")
        .filter(answer_id=answer_id).first()
    )
    if task is None:  # a free-text answer an accepted answer matches: scored automatically
        raise NotMarkable()
    return task


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
        if final != previous:  # the statistics change: recompute them in the background
            statistics_warm_soon(session_id=task.attempt.session_id)
    return task
