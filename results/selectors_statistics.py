"""The data of the statistics page: four queries whatever the number of candidates."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from exams import answer_rules, statuses
from exams.models import Answer, Attempt, ExamSession
from exams.paper_cache import paper_questions
from results import statistics
from results.models import MarkingTask


@dataclass
class SessionStatistics:
    candidates: int
    max_score: float
    totals: list[float]
    histogram: list[tuple[float, float, int]]
    items: list[statistics.ItemStats]


def session_statistics(*, session: ExamSession) -> SessionStatistics:
    questions = paper_questions(session.paper_id)
    by_id = {q["id"]: q for q in questions}
    objective_scores = dict(
        Attempt.objects.filter(session=session, state__in=statuses.FINISHED).values_list("id", "score")
    )
    points: dict[int, dict[int, float]] = {q["id"]: {} for q in questions}
    picks: dict[int, dict[str, int]] = {q["id"]: {} for q in questions}
    marks: dict[int, float] = {attempt_id: 0.0 for attempt_id in objective_scores}
    for attempt_id, question_id, final in MarkingTask.objects.filter(
        attempt__session=session, attempt__state__in=statuses.FINISHED, final_points__isnull=False
    ).values_list("attempt_id", "question_id", "final_points"):
        if question_id in points and final is not None:
            points[question_id][attempt_id] = float(final)
            marks[attempt_id] += float(final)
    answers = Answer.objects.filter(attempt__session=session, attempt__state__in=statuses.FINISHED).values_list(
        "attempt_id", "question_id", "value"
    )
    for attempt_id, question_id, value in answers.iterator(chunk_size=5000):
        question = by_id.get(question_id)
        if question is None or question["kind"] == answer_rules.ESSAY:
            continue
        if answer_rules.is_correct(kind=question["kind"], correct=question["correct"], value=value):
            points[question_id][attempt_id] = float(question["points"])
        chosen = value if isinstance(value, list) else [value] if value is not None else []
        for key in chosen:
            key = str(key).lower() if isinstance(key, bool) else str(key)
            picks[question_id][key] = picks[question_id].get(key, 0) + 1
    totals = {a: float(score or 0) + marks[a] for a, score in objective_scores.items()}
    max_score = float(sum(Decimal(q["points"]) for q in questions))
    return SessionStatistics(
        candidates=len(totals),
        max_score=max_score,
        totals=list(totals.values()),
        histogram=statistics.histogram(list(totals.values()), maximum=max_score),
        items=[
            statistics.item_stats(question=q, points_by_attempt=points[q["id"]], totals=totals,
                                  choices_picked=picks[q["id"]])
            for q in questions
        ],
    )
