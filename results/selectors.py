"""Reads of results shared by the admin console, the exports, the APIs and the candidate page.

Every read here costs a fixed number of queries whatever the number of candidates: per-attempt
figures come from one grouped query each and are joined in Python.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from exams import statuses
from exams.models import Attempt, ExamSession, LateAnswer
from proctoring.selectors import decisions_for_session
from results.models import MarkingTask, ResultPublication
from results.services import marking

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ResultRow:
    attempt_id: int
    registration_id: int
    subject: str
    name: str
    id_number: str
    admission_ticket: str
    state: str
    state_label: str
    objective_score: Decimal | None
    essays_marked: int
    essays_waiting: int
    marks: Decimal
    total: Decimal | None
    passed: bool | None
    decision: str
    decision_label: str
    pending_void: bool
    receipt: str
    checked_in_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    leaves_used: int
    late_answers: int


@dataclass
class SessionFigures:
    """Per-attempt aggregates of one session, each from one grouped query."""

    pass_mark: Decimal | None
    essays: dict[int, int] = field(default_factory=dict)
    marked: dict[int, tuple[int, Decimal]] = field(default_factory=dict)
    late: dict[int, int] = field(default_factory=dict)
    decisions: dict[int, dict[str, Any]] = field(default_factory=dict)


def answers_to_mark(*, session_id: int) -> Any:
    """The marking tasks of a session's finished attempts: essays with text and free-text answers
    no accepted answer matches (``marking.marking_tasks_ensure_for`` makes the missing ones)."""
    marking.marking_tasks_ensure_for(session_id=session_id)
    return MarkingTask.objects.filter(attempt__session_id=session_id, attempt__state__in=statuses.FINISHED)


def session_figures(*, session: ExamSession) -> SessionFigures:
    figures = SessionFigures(pass_mark=session.paper.pass_mark if session.paper is not None else None)
    for attempt_id, n, done, points in (
        answers_to_mark(session_id=session.pk)
        .order_by().values("attempt_id")
        .annotate(n=Count("id"), done=Count("id", filter=Q(final_points__isnull=False)), points=Sum("final_points"))
        .values_list("attempt_id", "n", "done", "points")
    ):
        figures.essays[attempt_id] = n
        figures.marked[attempt_id] = (done, points or Decimal(0))
    figures.late = dict(
        LateAnswer.objects.filter(attempt__session_id=session.pk)
        .order_by().values("attempt_id").annotate(n=Count("id")).values_list("attempt_id", "n")
    )
    figures.decisions = decisions_for_session(session.pk)
    return figures


def result_row(attempt: Attempt, figures: SessionFigures) -> ResultRow:
    essays = figures.essays.get(attempt.pk, 0)
    done, marks = figures.marked.get(attempt.pk, (0, Decimal(0)))
    waiting = max(essays - done, 0)
    finished = attempt.state in statuses.FINISHED
    total = (Decimal(attempt.score or 0) + marks).quantize(CENT) if finished else None
    decision = figures.decisions.get(attempt.pk, {})
    voided = attempt.decision == statuses.DECISION_VOIDED
    passed: bool | None = None
    if finished and figures.pass_mark is not None and not waiting:
        passed = False if voided else total is not None and total >= figures.pass_mark
    candidate = attempt.registration.candidate
    return ResultRow(
        attempt_id=attempt.pk,
        registration_id=attempt.registration_id,
        subject=attempt.registration.subject,
        name=candidate.name,
        id_number=candidate.id_number,
        admission_ticket=attempt.registration.admission_ticket,
        state=attempt.state,
        state_label=str(attempt.get_state_display()),
        objective_score=attempt.score if finished else None,
        essays_marked=done,
        essays_waiting=waiting,
        marks=marks.quantize(CENT),
        total=total,
        passed=passed,
        decision=attempt.decision or statuses.DECISION_NONE,
        decision_label=str(decision.get("label", "")),
        pending_void=bool(decision.get("pending_void")),
        receipt=attempt.receipt,
        checked_in_at=attempt.checked_in_at,
        started_at=attempt.started_at,
        finished_at=attempt.finished_at,
        leaves_used=attempt.leaves_used,
        late_answers=figures.late.get(attempt.pk, 0),
    )


def session_attempts_for_results(*, session: ExamSession) -> Any:
    return (
        Attempt.objects.filter(session=session)
        .select_related("registration__candidate")
        .order_by("registration__admission_ticket", "id")
    )


def session_result_rows(*, session: ExamSession, chunk_size: int = 2000) -> Iterator[ResultRow]:
    """One row per registration, streamed from the database in chunks."""
    figures = session_figures(session=session)
    for attempt in session_attempts_for_results(session=session).iterator(chunk_size=chunk_size):
        yield result_row(attempt, figures)


@dataclass(frozen=True)
class Summary:
    registered: int
    by_state: dict[str, int]
    finished: int
    mean: Decimal | None
    median: Decimal | None
    quartiles: tuple[Decimal, Decimal, Decimal] | None
    passed: int
    pass_rate: Decimal | None  # share of finished attempts with a pass/fail, 0..1
    essays_waiting: int
    pending_reviews: int


def _dec(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def summary_of(rows: list[ResultRow]) -> Summary:
    by_state: dict[str, int] = {}
    for row in rows:
        by_state[row.state] = by_state.get(row.state, 0) + 1
    totals = sorted(row.total for row in rows if row.total is not None)
    judged = [row for row in rows if row.passed is not None]
    passed = sum(1 for row in judged if row.passed)
    quartiles = None
    if len(totals) >= 2:
        q1, q2, q3 = statistics.quantiles(totals, n=4, method="inclusive")
        quartiles = (_dec(q1), _dec(q2), _dec(q3))
    return Summary(
        registered=len(rows),
        by_state=by_state,
        finished=len(totals),
        mean=_dec(statistics.fmean(totals)) if totals else None,
        median=_dec(statistics.median(totals)) if totals else None,
        quartiles=quartiles,
        passed=passed,
        pass_rate=(Decimal(passed) / len(judged)).quantize(Decimal("0.0001")) if judged else None,
        essays_waiting=sum(row.essays_waiting for row in rows),
        pending_reviews=sum(1 for row in rows if row.pending_void),
    )


# --- publication -------------------------------------------------------------------------


def publication_of(*, session_id: int) -> ResultPublication | None:
    """The publication that counts (the latest), or None."""
    return ResultPublication.objects.filter(session_id=session_id).order_by("-at", "-id").first()


def publication_for_appeals(*, session_id: int) -> ResultPublication | None:
    """The organizers' latest publication (re-publications after appeals do not reopen appeals)."""
    return (
        ResultPublication.objects.filter(session_id=session_id, appeal__isnull=True).order_by("-at", "-id").first()
    )


def results_missing(*, session: ExamSession) -> dict[str, int]:
    """What stops publication: unmarked essay answers, voids awaiting their second reviewer,
    attempts still open. Empty when the results are ready."""
    unmarked = answers_to_mark(session_id=session.pk).filter(final_points__isnull=True).count()
    pending = sum(1 for d in decisions_for_session(session.pk).values() if d["pending_void"])
    open_attempts = Attempt.objects.filter(session=session, state__in=statuses.OPEN).count()
    missing = {"unmarked_answers": unmarked, "pending_reviews": pending, "open_attempts": open_attempts}
    return {key: value for key, value in missing.items() if value}


def receipt_lookup(*, code: str) -> Attempt | None:
    """The finished attempt a receipt code belongs to, or None."""
    if not isinstance(code, str) or len(code) != 64:
        return None
    return (
        Attempt.objects.filter(receipt=code.lower(), state__in=statuses.FINISHED)
        .select_related("session")
        .first()
    )


def session_figures_for_attempt(*, session: ExamSession, attempt_id: int) -> SessionFigures:
    """The figures of one attempt only (the candidate's own result)."""
    figures = SessionFigures(pass_mark=session.paper.pass_mark if session.paper is not None else None)
    marking.marking_tasks_ensure_for(attempt_id=attempt_id)
    agg = MarkingTask.objects.filter(attempt_id=attempt_id).aggregate(
        n=Count("id"), done=Count("id", filter=Q(final_points__isnull=False)), points=Sum("final_points")
    )
    figures.essays = {attempt_id: agg["n"] or 0}
    figures.marked = {attempt_id: (agg["done"] or 0, agg["points"] or Decimal(0))}
    figures.late = {attempt_id: LateAnswer.objects.filter(attempt_id=attempt_id).count()}
    pending = decisions_for_session(session.pk).get(attempt_id, {})
    figures.decisions = {attempt_id: pending}
    return figures
