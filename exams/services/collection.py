"""The proactive side of the clock: the sweep Celery beat runs every few seconds.

Each step is one conditional UPDATE per session, so running the sweep twice, or two
sweeps at once, changes nothing the second time. Collection of N attempts costs the same
number of queries at 100 and at 10,000.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet

from exams import answer_rules, live, signals, statuses
from exams.audit import AuditAction
from exams.models import Answer, Attempt, AttemptAudit, ExamSession
from exams.paper_cache import paper_questions

logger = logging.getLogger(__name__)

@dataclass
class SweepReport:
    collected: dict[int, int] = field(default_factory=dict)
    late: int = 0
    absent: int = 0
    passwords_published: int = 0
    sessions_expired: int = 0
    # What the apps above did on the same sweep (``signals.sweep_ran``): {"phones_lost": 2}.
    others: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "collected": sum(self.collected.values()),
            "late": self.late,
            "absent": self.absent,
            "passwords_published": self.passwords_published,
            "sessions_expired": self.sessions_expired,
            **self.others,
        }


def _audit_from_select(*, where_sql: str, params: list[Any], action: AuditAction, to_state: str, now: datetime) -> None:
    """One INSERT .. SELECT writes the audit rows of a bulk transition."""
    audit, attempt = AttemptAudit._meta.db_table, Attempt._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {audit} (attempt_id, action, from_state, to_state, reason, details, at) "  # noqa: S608
            f"SELECT id, %s, prior_state, %s, '', %s, %s FROM {attempt} WHERE {where_sql}",
            [action.value, to_state, "{}", now, *params],
        )


def session_collect(*, session_id: int, now: datetime) -> int:
    """Collect every open attempt of a session past its deadline, score and receipt it."""
    with transaction.atomic():
        collected = Attempt.objects.filter(
            session_id=session_id, state__in=statuses.OPEN, deadline__lte=now
        ).update(prior_state=F("state"), state=statuses.COLLECTED, finished_at=now, updated_at=now)
        if collected:
            _finish_collected(session_id=session_id, now=now)
            live.session_collected(session_id)
            live.monitor_changed(session_id)
    return collected


def _finish_collected(*, session_id: int, now: datetime) -> None:
    """Receipts, scores and audit rows for attempts collected but not yet receipted."""
    pending = Q(session_id=session_id, state=statuses.COLLECTED, receipt="")
    ids = list(Attempt.objects.filter(pending).values_list("id", flat=True))
    if not ids:
        return
    table = Attempt._meta.db_table
    _audit_from_select(
        where_sql=f"{table}.session_id = %s AND {table}.state = %s AND {table}.receipt = ''",
        params=[session_id, statuses.COLLECTED], action=AuditAction.COLLECT, to_state=statuses.COLLECTED,
        now=now,
    )
    held: dict[int, dict[int, tuple[Any, int]]] = {attempt_id: {} for attempt_id in ids}
    rows = Answer.objects.filter(
        attempt__session_id=session_id, attempt__state=statuses.COLLECTED, attempt__receipt=""
    ).values_list("attempt_id", "question_id", "value", "seq")
    for attempt_id, question_id, value, seq in rows.iterator(chunk_size=5000):
        held.setdefault(attempt_id, {})[question_id] = (value, seq)
    paper_id = ExamSession.objects.filter(pk=session_id).values_list("paper_id", flat=True).first()
    questions = paper_questions(paper_id)
    results: dict[str, list[Any]] = {}
    for attempt_id, answers in held.items():
        score, needs_marking = answer_rules.score(questions, {q: v for q, (v, _s) in answers.items()})
        results[str(attempt_id)] = [answer_rules.receipt(attempt_id, answers), str(score), needs_marking]
    _write_results(results)


def _write_results(results: dict[str, list[Any]]) -> None:
    """One UPDATE sets every receipt and score from a JSON document of id -> values."""
    table = Attempt._meta.db_table
    payload = json.dumps(results)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS a SET receipt = v.value->>0, score = (v.value->>1)::numeric, "  # noqa: S608
                f"needs_marking = (v.value->>2)::boolean "
                f"FROM jsonb_each(%s::jsonb) AS v WHERE a.id = v.key::bigint",
                [payload],
            )
        else:
            row = f"FROM json_each(%s) WHERE key = CAST({table}.id AS TEXT)"
            cursor.execute(
                f"UPDATE {table} SET "  # noqa: S608
                f"receipt = (SELECT json_extract(value, '$[0]') {row}), "
                f"score = (SELECT json_extract(value, '$[1]') {row}), "
                f"needs_marking = (SELECT json_extract(value, '$[2]') {row}) "
                f"WHERE id IN (SELECT CAST(key AS INTEGER) FROM json_each(%s))",
                [payload, payload, payload, payload],
            )


def deadlines_within(*, now: datetime, within: timedelta) -> list[tuple[int, datetime]]:
    """(session id, deadline) of open attempts due in (now, now + within]: usually the session's
    end, plus one per distinct extra-time deadline. The sweep schedules a collection for each
    instant instead of waiting for its own next run."""
    return list(
        Attempt.objects.filter(state__in=statuses.OPEN, deadline__gt=now, deadline__lte=now + within)
        .order_by("deadline", "session_id")
        .values_list("session_id", "deadline")
        .distinct()
    )


def attempts_collect_due(*, now: datetime) -> dict[int, int]:
    session_ids = list(
        Attempt.objects.filter(state__in=statuses.OPEN, deadline__lte=now)
        .order_by("session_id")
        .values_list("session_id", flat=True)
        .distinct()
    )
    return {session_id: session_collect(session_id=session_id, now=now) for session_id in session_ids}


def _bulk_transition(*, queryset: QuerySet[Attempt], to_state: str, action: AuditAction, now: datetime) -> int:
    """Move many never-logged-in attempts at once, with their audit rows.

    The rows are locked first, so a candidate logging in at the same instant either wins
    (and is skipped here) or waits and is refused by the clock.
    """
    with transaction.atomic():
        ids = list(queryset.select_for_update(of=("self",)).values_list("id", flat=True)[:10000])
        if not ids:
            return 0
        moved = Attempt.objects.filter(id__in=ids).update(
            prior_state=F("state"), state=to_state, updated_at=now
        )
        table = Attempt._meta.db_table
        placeholders = ", ".join(["%s"] * len(ids))
        _audit_from_select(
            where_sql=f"{table}.id IN ({placeholders})", params=ids, action=action,
            to_state=to_state, now=now,
        )
        for session_id in set(Attempt.objects.filter(id__in=ids).order_by().values_list("session_id", flat=True)):
            live.monitor_changed(session_id)
    return moved


def attempts_mark_late(*, now: datetime) -> int:
    """Never logged in by the cutoff: late (无法参加本场考试)."""
    due = Attempt.objects.filter(
        state=statuses.REGISTERED,
        readmitted_at__isnull=True,  # re-admitted by an organizer: may log in after the cutoff
        session__late_after__isnull=False,
        session__ends_at__gt=now,
    ).filter(session__starts_at__lte=now - F("session__late_after"))
    return _bulk_transition(queryset=due, to_state=statuses.LATE, action=AuditAction.LATE, now=now)


def attempts_mark_absent(*, now: datetime) -> int:
    """Never logged in by the end of the session (or by their own deadline, when an organizer
    re-admitted them or gave them extra time): absent (缺考)."""
    due = Attempt.objects.filter(
        state__in=statuses.NEVER_LOGGED_IN, session__ends_at__lte=now, deadline__lte=now
    )
    return _bulk_transition(queryset=due, to_state=statuses.ABSENT, action=AuditAction.ABSENT, now=now)


def sessions_publish_passwords(*, now: datetime) -> int:
    return ExamSession.objects.filter(
        kind=ExamSession.FORMAL, password_announced_at__isnull=True, password_published_at__lte=now
    ).update(password_announced_at=now)


def sessions_expire(*, now: datetime) -> int:
    return ExamSession.objects.filter(expired_at__isnull=True, ends_at__lte=now).update(expired_at=now)


def sweep(*, now: datetime) -> SweepReport:
    """Everything the clock makes due at ``now``; safe to run twice or concurrently."""
    report = SweepReport()
    report.collected = attempts_collect_due(now=now)
    report.late = attempts_mark_late(now=now)
    report.absent = attempts_mark_absent(now=now)
    report.passwords_published = sessions_publish_passwords(now=now)
    report.sessions_expired = sessions_expire(now=now)
    for _receiver, counts in signals.sweep_ran.send(sender=None, now=now):
        if counts:
            report.others.update(cast(dict[str, int], counts))
    return report
