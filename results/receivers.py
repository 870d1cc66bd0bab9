"""What results does when exams announces a change (exams/signals.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count

from exams import signals
from exams.audit import AuditAction
from exams.models import Attempt
from exams.paper_cache import paper_questions
from exams.services.attempts import attempt_audit
from results.models import MarkingTask
from results.services.marking import MARKED_KINDS, marking_tasks_ensure_for
from results.tasks import statistics_warm_soon


def marks_discard_changed(*, attempt: Attempt, now: datetime, question_ids: list[int]) -> int:
    """A finished attempt's answers changed after marking began (grace, accepted late answers):
    a mark given to the old text no longer stands. The tasks of the answers written in this
    operation go (their marks with them, kept in the audit row) and the answers that still need a
    mark get a fresh task; a free-text answer that now matches an accepted answer is scored
    automatically and needs none. Returns how many tasks were discarded."""
    marked = {q["id"] for q in paper_questions(attempt.session.paper_id) if q["kind"] in MARKED_KINDS}
    question_ids = [q for q in question_ids if q in marked]
    if not question_ids:  # objective questions only: nothing was marked by hand, no query
        return 0
    changed = MarkingTask.objects.filter(
        attempt_id=attempt.id, question_id__in=question_ids, answer__saved_at=now
    )
    discarded = [
        {"question": question_id, "final_points": str(points) if points is not None else None, "marks": marks}
        for question_id, points, marks in _with_mark_counts(changed)
    ]
    if not discarded:
        return 0
    changed.delete()
    attempt_audit(
        attempt=attempt, action=AuditAction.MARKS_DISCARDED, now=now, details={"discarded": discarded}
    )
    marking_tasks_ensure_for(attempt_id=attempt.id)
    return len(discarded)


def _with_mark_counts(tasks: Any) -> list[tuple[int, Any, int]]:
    counted = tasks.annotate(n=Count("marks")).values_list("question_id", "final_points", "n")
    return list(counted.order_by("question_id"))


def _on_rescored(sender: object, *, attempt: Attempt, now: datetime, question_ids: list[int], **_kw: Any) -> None:
    marks_discard_changed(attempt=attempt, now=now, question_ids=question_ids)
    statistics_warm_soon(session_id=attempt.session_id)


def _on_collected(sender: object, *, session_id: int, **_kw: Any) -> None:
    """The statistics page's figures are computed in the background right after collection, so
    the organizer's first look at them does not wait for 500,000 answers to be grouped."""
    statistics_warm_soon(session_id=session_id)


def connect() -> None:
    signals.attempt_rescored.connect(_on_rescored, dispatch_uid="results.marks_discard_changed")
    signals.session_collected.connect(_on_collected, dispatch_uid="results.statistics_after_collection")
