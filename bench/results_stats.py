"""How long the statistics page of a big session takes (issue 15: under 1 s, flat queries).

    python -m bench.results_stats [--candidates 5000] [--questions 100] [--runs 5]

Builds a session of N collected candidates and a paper of Q questions of every kind (every
candidate answered every question; essays and non-matching free-text answers marked) in a scratch
PostgreSQL database created for the run on the server of ``BENCH_DATABASE_URL`` or
``DATABASE_URL`` (dropped at the end), then renders the admin's statistics page with Django's
test client: the first render (an empty cache), then ``--runs`` timed renders. The cache is a
private in-process one. Prints the times and the number of SQL
statements of a render. Self-contained: it starts no server and touches no other database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from urllib.parse import urlparse, urlunparse

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _scratch_url() -> tuple[str, str, str]:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench.results_stats needs PostgreSQL (BENCH_DATABASE_URL or DATABASE_URL)")
    name = f"bench_results_{uuid.uuid4().hex[:10]}"
    return base, name, urlunparse(urlparse(base)._replace(path=f"/{name}"))


def _admin(base: str, sql: str, params: list[str] | None = None) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql, params)


def build(*, candidates: int, questions: int) -> int:
    """The session to measure; returns its id."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.db import connection, transaction

    from candidates.models import Candidate, Registration
    from exams import statuses
    from exams.models import Attempt, ExamBatch, ExamSession, Paper, Question
    from tests.helpers import distinct_resident_id

    start = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    choices = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]
    with transaction.atomic():
        batch = ExamBatch.objects.create(name="统计基准", slug="bench-results")
        paper = Paper.objects.create(batch=batch, key="p", name="统计基准试卷", pass_mark=Decimal(60))
        kinds = (
            [Question.SINGLE] * 50 + [Question.MULTIPLE] * 20 + [Question.TRUE_FALSE] * 15
            + [Question.FILL_IN] * 10 + [Question.ESSAY] * 5
        )
        kinds = [kinds[(i * len(kinds)) // questions] for i in range(questions)]
        correct = {
            Question.SINGLE: "A", Question.MULTIPLE: ["A", "C"], Question.TRUE_FALSE: True,
            Question.FILL_IN: ["119"], Question.ESSAY: None,
        }
        Question.objects.bulk_create([
            Question(paper=paper, position=i + 1, kind=kind, text=f"第{i + 1}题",
                     choices=choices if kind in (Question.SINGLE, Question.MULTIPLE) else [],
                     points=Decimal(10 if kind == Question.ESSAY else 1), correct=correct[kind])
            for i, kind in enumerate(kinds)
        ])
        session = ExamSession.objects.create(
            batch=batch, key="s", name="统计基准场次", paper=paper, password="731001",
            starts_at=start, ends_at=start + timedelta(hours=2),
        )
        people = Candidate.objects.bulk_create(
            [Candidate(name=f"考生{i}", id_number=distinct_resident_id(300_000 + i)) for i in range(candidates)],
            batch_size=2000,
        )
        registrations = Registration.objects.bulk_create(
            [Registration(candidate=c, session=session, admission_ticket=f"T{i:06d}") for i, c in enumerate(people)],
            batch_size=2000,
        )
        Attempt.objects.bulk_create(
            [Attempt(registration=r, session=session, state=statuses.COLLECTED, deadline=session.ends_at,
                     started_at=start, finished_at=session.ends_at, receipt=f"{r.pk:064x}") for r in registrations],
            batch_size=2000,
        )
        # Every answer from one INSERT ... SELECT; candidate a picks by a hash of (a, q), skewed
        # towards the right answer for stronger candidates so that discrimination is not zero.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO exams_answer (attempt_id, question_id, value, seq, saved_at)
                SELECT a.id, q.id,
                  CASE q.kind
                    WHEN 'single_choice' THEN to_jsonb((ARRAY['A','B','C','D'])[1 + (h %% 4)])
                    WHEN 'multiple_choice'
                      THEN (ARRAY['["A", "C"]','["A"]','["B", "D"]','["A", "C"]'])[1 + (h %% 4)]::jsonb
                    WHEN 'true_false' THEN to_jsonb(h %% 3 <> 0)
                    WHEN 'fill_in' THEN to_jsonb((ARRAY['119','一一九','120','119'])[1 + (h %% 4)])
                    ELSE to_jsonb('答案' || a.id || '-' || q.id)
                  END,
                  q.position, %s
                FROM exams_attempt a CROSS JOIN exams_question q
                CROSS JOIN LATERAL (SELECT (abs(hashtext(a.id || ':' || q.id)) %% 97
                                            + (a.id %% 5) * 2) AS h) r
                WHERE a.session_id = %s AND q.paper_id = %s
                """,
                [start, session.pk, paper.pk],
            )
            cursor.execute(
                """
                UPDATE exams_attempt a SET score = s.points FROM (
                  SELECT ans.attempt_id, SUM(q.points) AS points FROM exams_answer ans
                  JOIN exams_question q ON q.id = ans.question_id
                  WHERE q.paper_id = %s AND q.kind <> 'essay' AND (ans.value = q.correct
                     OR (q.kind = 'fill_in' AND ans.value = q.correct -> 0))
                  GROUP BY ans.attempt_id) s
                WHERE s.attempt_id = a.id
                """,
                [paper.pk],
            )
            # Essays and the free-text answers no accepted answer matches: marked by hand.
            cursor.execute(
                """
                INSERT INTO results_markingtask (answer_id, attempt_id, question_id, required, final_points,
                                                 updated_at)
                SELECT ans.id, ans.attempt_id, ans.question_id, 1,
                       CASE WHEN q.kind = 'essay' THEN (ans.id %% 21) / 2.0 ELSE (ans.id %% 2) END, %s
                FROM exams_answer ans JOIN exams_question q ON q.id = ans.question_id
                WHERE q.paper_id = %s AND (q.kind = 'essay' OR (q.kind = 'fill_in' AND ans.value = '"120"'))
                """,
                [start, paper.pk],
            )
            cursor.execute("ANALYZE")
    return session.pk


def measure(*, session_id: int, runs: int) -> tuple[float, list[float], int, int]:
    """The first render (empty cache: the answers are grouped), then ``runs`` renders."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = User.objects.create_superuser("bench-organizer", password=uuid.uuid4().hex)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    url = f"/admin/results/sessionresult/{session_id}/statistics/"
    begin = time.perf_counter()
    first = client.get(url)
    cold = time.perf_counter() - begin
    if first.status_code != 200:
        raise SystemExit(f"statistics page answered {first.status_code}")
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            begin = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - begin)
        assert response.status_code == 200
    return cold, times, len(queries), len(response.content)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    base, name, url = _scratch_url()
    _admin(base, f'CREATE DATABASE "{name}"')
    try:
        os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="examsite.settings", DB_POOL="0")
        os.environ.setdefault("DEBUG", "1")
        import django
        from django.core.management import call_command

        django.setup()
        from django.test.utils import override_settings

        # A private in-process cache: nothing shared is read or flushed, and the first render
        # finds it empty.
        override_settings(CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name},
        }).enable()
        call_command("migrate", verbosity=0)
        begin = time.perf_counter()
        session_id = build(candidates=args.candidates, questions=args.questions)
        built = time.perf_counter() - begin
        cold, times, queries, size = measure(session_id=session_id, runs=args.runs)
        print(f"data: {args.candidates} candidates x {args.questions} questions, built in {built:.1f} s")
        print(f"statistics page, first render (answers grouped, cache empty): {cold:.3f} s")
        print(f"statistics page: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
              f"max {max(times):.3f} s over {len(times)} renders; {queries} SQL statements; {size // 1024} KiB")
        print(f"goal < 1 s: {'met' if statistics.median(times) < 1 else 'MISSED'}")
    finally:
        from django.db import connections

        connections.close_all()
        _admin(base, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        _admin(base, f'DROP DATABASE IF EXISTS "{name}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
