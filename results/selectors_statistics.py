"""The data of the statistics page, aggregated in the database: a fixed number of queries and
no row per answer in Python, whatever the number of candidates.

- the finished attempts' objective scores, and their decided marks summed per attempt (one row
  per attempt each): the totals, the histogram;
- the answers to the auto-scored questions grouped by (question, value) with how many gave that
  value and the sum of their totals (one row per distinct answer: a handful for a choice question);
- the decided marks (essays, free text marked by hand) summed per question: sum, sum of squares
  and sum of the products with the totals.

The two groupings read every answer of the session (500,000 rows for 5,000 candidates and 100
questions: about a second), so their few hundred rows are kept in the cache under a fingerprint of
everything they depend on: the finished attempts (state, objective score and receipt, which
changes whenever an answer changes after collection), their marks (count, sum, last change) and
the paper's questions. A collection, a late answer, a mark or a re-mark changes the fingerprint
and the next render groups again; every other render costs the two per-attempt reads.

A right/wrong question's figures follow from its groups (how many got it right and the sum of
their totals); a marked question's from the marks. Both feed ``statistics.item_from_sums``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Sum

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
    # Changes whenever anything the figures depend on changes (what the charts are cached under).
    fingerprint: str = ""


CACHE_SECONDS = 7 * 24 * 3600
Grouped = tuple[list[tuple[int, Any, int, float]], list[tuple[int, float, float, float]]]


def _tables() -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    return quote(Answer._meta.db_table), quote(Attempt._meta.db_table), quote(MarkingTask._meta.db_table)


def _marks_per_attempt_sql(task: str, attempt: str) -> str:
    return (
        f"(SELECT t.attempt_id, SUM(t.final_points) AS points FROM {task} t "
        f"JOIN {attempt} a2 ON a2.id = t.attempt_id WHERE a2.session_id = %s AND t.final_points IS NOT NULL "
        f"GROUP BY t.attempt_id) mk"
    )


def _grouped(*, session_id: int, question_ids: list[int]) -> Grouped:
    """The answers to ``question_ids`` as (question id, value, how many, sum of their totals), and
    the marks as (question id, sum, sum of squares, sum of mark x total), over finished attempts."""
    answer, attempt, task = _tables()
    finished = sorted(statuses.FINISHED)
    states = ", ".join(["%s"] * len(finished))
    answers: list[tuple[int, Any, int, float]] = []
    with connection.cursor() as cursor:
        if question_ids:
            cursor.execute(
                f"SELECT ans.question_id, CAST(ans.value AS TEXT), COUNT(*), "
                f"SUM(COALESCE(att.score, 0) + COALESCE(mk.points, 0)) "
                f"FROM {answer} ans JOIN {attempt} att ON att.id = ans.attempt_id "
                f"LEFT JOIN {_marks_per_attempt_sql(task, attempt)} ON mk.attempt_id = ans.attempt_id "
                f"WHERE att.session_id = %s AND att.state IN ({states}) "
                f"AND ans.question_id IN ({', '.join(['%s'] * len(question_ids))}) AND ans.value IS NOT NULL "
                f"GROUP BY ans.question_id, CAST(ans.value AS TEXT)",
                [session_id, session_id, *finished, *question_ids],
            )
            answers = [
                (qid, json.loads(text) if text is not None else None, int(n), float(total or 0))
                for qid, text, n, total in cursor.fetchall()
            ]
        cursor.execute(
            f"SELECT t.question_id, SUM(t.final_points), SUM(t.final_points * t.final_points), "
            f"SUM(t.final_points * (COALESCE(att.score, 0) + mk.points)) "
            f"FROM {task} t JOIN {attempt} att ON att.id = t.attempt_id "
            f"JOIN {_marks_per_attempt_sql(task, attempt)} ON mk.attempt_id = t.attempt_id "
            f"WHERE att.session_id = %s AND att.state IN ({states}) AND t.final_points IS NOT NULL "
            f"GROUP BY t.question_id",
            [session_id, session_id, *finished],
        )
        marks = [(qid, float(x or 0), float(xx or 0), float(xy or 0)) for qid, x, xx, xy in cursor.fetchall()]
    return answers, marks


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, separators=(",", ":")).encode()).hexdigest()


def _grouped_cached(*, session_id: int, question_ids: list[int], fingerprint: str) -> Grouped:
    key = f"results:statistics:{session_id}:{fingerprint}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache is an optimization: read the database
        cached = None
    if cached is not None:
        return cached
    grouped = _grouped(session_id=session_id, question_ids=question_ids)
    with contextlib.suppress(Exception):  # the cache is an optimization
        cache.set(key, grouped, CACHE_SECONDS)
    return grouped


def _picked_keys(value: Any) -> list[str]:
    chosen = value if isinstance(value, list) else [value] if value is not None else []
    return [str(key).lower() if isinstance(key, bool) else str(key) for key in chosen]


def session_statistics(*, session: ExamSession) -> SessionStatistics:
    questions = paper_questions(session.paper_id)
    by_id = {q["id"]: q for q in questions}
    attempts = list(
        Attempt.objects.filter(session=session, state__in=statuses.FINISHED)
        .order_by("id").values_list("id", "state", "score", "receipt")
    )
    marked = list(
        MarkingTask.objects.filter(
            attempt__session=session, attempt__state__in=statuses.FINISHED, final_points__isnull=False
        ).order_by("attempt_id").values("attempt_id")
        .annotate(n=Count("id"), points=Sum("final_points"), last=Max("updated_at"))
        .values_list("attempt_id", "n", "points", "last")
    )
    totals = {attempt_id: float(score or 0) for attempt_id, _state, score, _receipt in attempts}
    for attempt_id, _n, points, _last in marked:
        if attempt_id in totals:
            totals[attempt_id] += float(points or 0)
    n = len(totals)
    sum_y = sum(totals.values())
    sum_yy = sum(y * y for y in totals.values())

    auto_ids = [q["id"] for q in questions if q["kind"] != answer_rules.ESSAY]
    fingerprint = _fingerprint(questions, attempts, marked)
    answers, marks = _grouped_cached(session_id=session.pk, question_ids=auto_ids, fingerprint=fingerprint)
    # x on a question = automatic points (right answers) + decided marks (hand-marked answers);
    # an answer has one or the other, so the squares add up too.
    sx: dict[int, float] = defaultdict(float)
    sxx: dict[int, float] = defaultdict(float)
    sxy: dict[int, float] = defaultdict(float)
    for question_id, x, xx, xy in marks:
        sx[question_id] += x
        sxx[question_id] += xx
        sxy[question_id] += xy
    picks: dict[int, dict[str, int]] = defaultdict(dict)
    for question_id, value, count, sum_totals in answers:
        question = by_id.get(question_id)
        if question is None:
            continue
        if answer_rules.is_correct(kind=question["kind"], correct=question["correct"], value=value):
            points = float(question["points"])
            sx[question_id] += points * count
            sxx[question_id] += points * points * count
            sxy[question_id] += points * sum_totals
        if question["kind"] in statistics.CHOICE_KINDS:
            for key in _picked_keys(value):
                picks[question_id][key] = picks[question_id].get(key, 0) + count

    max_score = float(sum(Decimal(q["points"]) for q in questions))
    values = list(totals.values())
    return SessionStatistics(
        candidates=n,
        max_score=max_score,
        totals=values,
        histogram=statistics.histogram(values, maximum=max_score),
        items=[
            statistics.item_from_sums(
                question=q,
                sums=statistics.Sums(n=n, x=sx[q["id"]], xx=sxx[q["id"]], xy=sxy[q["id"]], y=sum_y, yy=sum_yy),
                choices_picked=picks.get(q["id"]),
            )
            for q in questions
        ],
        fingerprint=fingerprint,
    )
