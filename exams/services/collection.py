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
    """Collect every open attempt of a session past its deadline, score and receipt it.

    On PostgreSQL the same four statements whatever the number of attempts (``_collect_in_sql``);
    elsewhere (SQLite) one UPDATE, one INSERT .. SELECT of the audit rows and one pass over a
    plain cursor in Python. Either way every receipt is ``answer_rules.receipt`` of the stored
    answers, byte for byte, and every score ``answer_rules.score``.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            collected = _collect_in_sql(session_id=session_id, now=now)
        else:
            collected = Attempt.objects.filter(
                session_id=session_id, state__in=statuses.OPEN, deadline__lte=now
            ).update(prior_state=F("state"), state=statuses.COLLECTED, finished_at=now, updated_at=now)
            if collected:
                _finish_collected(session_id=session_id, now=now)
        if collected:
            live.session_collected(session_id)
            live.monitor_changed(session_id)
            signals.session_collected.send(sender=ExamSession, session_id=session_id, now=now, collected=collected)
    return collected


# Kinds whose "right" is not jsonb equality with the paper's answer: judged in Python, once per
# distinct value, by answer_rules (a multiple choice in any order, a fill-in's normalization).
_JUDGED_IN_PYTHON = (answer_rules.MULTIPLE, answer_rules.FILL_IN)
# A stored value whose jsonb text is not Python's compact JSON once ", " between the strings of an
# array becomes ",": objects, numbers, arrays of anything but strings. Never valid answers (see
# answer_rules.answer_error); if one is stored anyway, Python receipts that attempt.
_NOT_PLAIN = (
    "(jsonb_typeof(an.value) NOT IN ('string', 'boolean', 'null', 'array') "
    "OR (jsonb_typeof(an.value) = 'array' AND an.value @? 'strict $[*] ? (@.type() != \"string\")'))"
)
# ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` of a plain value: a jsonb
# scalar's text is exactly that (the same escapes, UTF-8 kept); an array of strings only differs
# by its ", " separators, and the 4 characters '", "' can only be a separator (inside a string
# every '"' is escaped, and the second one here follows a space).
_COMPACT = (
    "CASE WHEN an.value IS NULL THEN 'null' WHEN jsonb_typeof(an.value) = 'array' "
    "THEN replace(an.value::text, '\", \"', '\",\"') ELSE an.value::text END"
)


def _collect_in_sql(*, session_id: int, now: datetime) -> int:
    """1. Lock the due attempts (an autosave in flight commits first, and its answers are read
    below; one arriving later finds the attempt collected and re-scores it in its grace).
    2. Read the distinct values of the questions judged in Python. 3. One statement computes every
    receipt (SHA-256 of the canonical JSON, built in SQL) and score from the answers, moves the
    attempts and writes their audit rows."""
    attempt, answer, audit = Attempt._meta.db_table, Answer._meta.db_table, AttemptAudit._meta.db_table
    due = "session_id = %s AND state = ANY(%s::text[]) AND deadline <= %s"
    due_params: list[Any] = [session_id, list(statuses.OPEN), now]
    paper_id = ExamSession.objects.filter(pk=session_id).values_list("paper_id", flat=True).first()
    questions = {q["id"]: q for q in paper_questions(paper_id)}
    judged = [qid for qid, q in questions.items() if q["kind"] in _JUDGED_IN_PYTHON]
    essays = [qid for qid, q in questions.items() if q["kind"] == answer_rules.ESSAY]
    # The paper's own answers of the kinds compared as JSON (single choice, true/false).
    paper_right = [
        [qid, json.dumps(q["correct"], ensure_ascii=False)]
        for qid, q in questions.items()
        if q["kind"] not in _JUDGED_IN_PYTHON and q["kind"] != answer_rules.ESSAY
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT id FROM {attempt} WHERE {due} FOR UPDATE) AS locked",  # noqa: S608
            due_params,
        )
        if not cursor.fetchone()[0]:
            return 0
        # The distinct stored values of the questions judged in Python, and the paper's answers
        # of the others, each as PostgreSQL's own jsonb text (the key compared below).
        cursor.execute(
            f"SELECT DISTINCT an.question_id, an.value::text, true FROM {answer} AS an "  # noqa: S608
            f"WHERE an.attempt_id IN (SELECT id FROM {attempt} WHERE {due}) "
            f"AND an.question_id = ANY(%s::bigint[]) AND an.value IS NOT NULL "
            f"UNION ALL SELECT (c->>0)::bigint, (c->>1)::jsonb::text, false "
            f"FROM jsonb_array_elements(%s::jsonb) AS c",
            [*due_params, judged, json.dumps(paper_right, ensure_ascii=False)],
        )
        # {question id: {value as jsonb text: points}} of every right answer.
        right: dict[str, dict[str, str]] = {}
        for qid, text, stored in cursor.fetchall():
            q = questions[qid]
            if not stored or answer_rules.is_correct(kind=q["kind"], correct=q["correct"], value=json.loads(text)):
                right.setdefault(str(qid), {})[text] = q["points"]
        # Per due attempt, its answers through the attempt's index: the receipt (SHA-256 of the
        # canonical JSON built in SQL), the score (a lookup of each value among the right
        # answers) and whether essays wait for marking.
        cursor.execute(
            f"WITH moved AS (UPDATE {attempt} AS t SET prior_state = t.state, state = %s, "  # noqa: S608
            f"finished_at = %s, updated_at = %s, (receipt, score, needs_marking) = (SELECT "
            f"CASE WHEN bool_or({_NOT_PLAIN}) THEN '' ELSE "
            f"encode(sha256(convert_to('{{\"answers\":[' || coalesce(string_agg('[' || an.question_id || ',' "
            f"|| {_COMPACT} || ',' || an.seq || ']', ',' ORDER BY an.question_id), '') "
            f"|| '],\"attempt\":' || t.id || '}}', 'UTF8')), 'hex') END, "
            f"coalesce(sum((%s::jsonb -> an.question_id::text ->> an.value::text)::numeric), 0), "
            f"coalesce(bool_or(an.question_id = ANY(%s::bigint[]) AND an.value IS NOT NULL "
            f"AND an.value NOT IN ('null'::jsonb, '\"\"'::jsonb)), false) "
            f"FROM {answer} AS an WHERE an.attempt_id = t.id) "
            f"WHERE t.session_id = %s AND t.state = ANY(%s::text[]) AND t.deadline <= %s "
            f"RETURNING t.id, t.prior_state, t.receipt), "
            f"audited AS (INSERT INTO {audit} (attempt_id, action, from_state, to_state, reason, details, at) "
            f"SELECT id, %s, prior_state, %s, '', %s, %s FROM moved RETURNING attempt_id) "
            f"SELECT (SELECT count(*) FROM audited), (SELECT count(*) FROM moved WHERE receipt = '')",
            [statuses.COLLECTED, now, now, json.dumps(right, ensure_ascii=False), essays, *due_params,
             AuditAction.COLLECT.value, statuses.COLLECTED, "{}", now],
        )
        collected, odd = cursor.fetchone()
    if odd:
        _receipt_pending(session_id=session_id)
    return int(collected)


def _finish_collected(*, session_id: int, now: datetime) -> None:
    """Audit rows, receipts and scores for attempts collected but not yet receipted."""
    table = Attempt._meta.db_table
    _audit_from_select(
        where_sql=f"{table}.session_id = %s AND {table}.state = %s AND {table}.receipt = ''",
        params=[session_id, statuses.COLLECTED], action=AuditAction.COLLECT, to_state=statuses.COLLECTED,
        now=now,
    )
    _receipt_pending(session_id=session_id)


def _receipt_pending(*, session_id: int) -> None:
    """Receipts and scores in Python for collected attempts without a receipt: one pass over a
    plain cursor, the values as JSON text decoded here (what the ORM's JSONField would do,
    without building a row object per answer)."""
    table = Attempt._meta.db_table
    pending = Q(session_id=session_id, state=statuses.COLLECTED, receipt="")
    ids = list(Attempt.objects.filter(pending).values_list("id", flat=True))
    if not ids:
        return
    held: dict[int, dict[int, tuple[Any, int]]] = {attempt_id: {} for attempt_id in ids}
    value = "an.value::text" if connection.vendor == "postgresql" else "an.value"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT an.attempt_id, an.question_id, {value}, an.seq FROM {Answer._meta.db_table} AS an "  # noqa: S608
            f"JOIN {table} AS at ON at.id = an.attempt_id "
            f"WHERE at.session_id = %s AND at.state = %s AND at.receipt = ''",
            [session_id, statuses.COLLECTED],
        )
        loads = json.loads
        for attempt_id, question_id, text, seq in cursor:
            held.setdefault(attempt_id, {})[question_id] = (None if text is None else loads(text), seq)
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
