"""Django-side steps of the bench, run in child processes with the bench's environment:

    python -m bench.djtasks prep OUT.json ARGS.json
    python -m bench.djtasks collect OUT.json ARGS.json

``prep`` turns loaded registrations into logged-in candidates for the socket and autosave
benchmarks (bench fixture data written with SQL and bulk inserts, not through the login API,
to stay in the time budget; the login API itself is measured by the login storm).
``collect`` times ``session_collect`` against a raw UPDATE of the same rows and counts its
queries with ``connection.execute_wrapper``.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path


def _setup() -> None:
    import django

    django.setup()


def _tables() -> dict[str, str]:
    from django.contrib.sessions.models import Session

    from exams.models import Answer, Attempt, AttemptAudit, ExamSession, Question

    return {
        "attempt": Attempt._meta.db_table,
        "audit": AttemptAudit._meta.db_table,
        "answer": Answer._meta.db_table,
        "question": Question._meta.db_table,
        "session": ExamSession._meta.db_table,
        "django_session": Session._meta.db_table,
    }


def _sessions_by_key(slugs: list[str]) -> dict[str, dict]:
    from exams.models import ExamSession

    found = {}
    for s in ExamSession.objects.filter(batch__slug__in=slugs):
        found[s.key] = {"id": s.id, "paper_id": s.paper_id, "password": s.password}
    return found


def prep(args: dict) -> dict:
    """Log in the autosave session's candidates and the first ``sockets`` candidates of the
    collect session (state in_progress, a client id, a Django session in DB and cache), and
    give every attempt of the collect and c100 sessions an answer to every question."""
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from django.utils.module_loading import import_string

    from exams.models import Attempt, Question

    t = _tables()
    sessions = _sessions_by_key(args["slugs"])
    now = timezone.now()
    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    cache = caches[settings.SESSION_CACHE_ALIAS]
    expire = now + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    logged_in: dict[str, list[dict]] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for key in ("save", "collect", "c100"):
            session_id = sessions[key]["id"]
            cursor.execute(
                f"UPDATE {t['attempt']} SET state = 'in_progress', prior_state = 'checked_in', "
                f"client_id = md5(id::text || 'bench'), login_count = 1, checked_in_at = %s, "
                f"started_at = %s WHERE session_id = %s",
                [now, now, session_id],
            )
        for key, count in (("save", args["save_sessions"]), ("collect", args["sockets"])):
            rows = list(
                Attempt.objects.filter(session_id=sessions[key]["id"])
                .order_by("id")
                .values_list("id", "client_id")[:count]
            )
            objects, cached, out = [], {}, []
            for attempt_id, client_id in rows:
                session_key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
                data = {"attempt_id": attempt_id, "client_id": client_id}
                store = store_class(session_key)
                objects.append(
                    Session(session_key=session_key, session_data=store.encode(data), expire_date=expire)
                )
                cached[store.cache_key] = data
                out.append({"attempt": attempt_id, "session": session_key})
            Session.objects.bulk_create(objects, batch_size=2000)
            cache.set_many(cached, settings.SESSION_COOKIE_AGE)
            logged_in[key] = out
        # Every question answered, seq 1, for the attempts that will be collected.
        for key in ("collect", "c100"):
            cursor.execute(
                f"INSERT INTO {t['answer']} (attempt_id, question_id, value, seq, saved_at) "
                f"SELECT a.id, q.id, CASE q.kind WHEN 'single_choice' THEN '\"A\"'::jsonb "
                f"WHEN 'multiple_choice' THEN '[\"A\", \"C\"]'::jsonb WHEN 'true_false' THEN 'true'::jsonb "
                f"WHEN 'fill_in' THEN '\"119\"'::jsonb "
                f"ELSE '\"这是一段简答题的作答文字。\"'::jsonb END, 1, %s "
                f"FROM {t['attempt']} a JOIN {t['question']} q ON q.paper_id = %s WHERE a.session_id = %s",
                [now, sessions[key]["paper_id"], sessions[key]["id"]],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    single = list(
        Question.objects.filter(paper_id=sessions["save"]["paper_id"], kind="single_choice")
        .order_by("position")
        .values_list("id", flat=True)
    )
    collect_single = list(
        Question.objects.filter(paper_id=sessions["collect"]["paper_id"], kind="single_choice")
        .order_by("position")
        .values_list("id", flat=True)
    )
    return {"tables": t, "sessions": sessions, "logged_in": logged_in, "single_choice_questions": single,
            "collect_questions": collect_single}


class _Counter:
    def __init__(self) -> None:
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((" ".join(sql.split())[:90], time.perf_counter() - t0))


def collect(args: dict) -> dict:
    """A: session_collect of every open attempt of the session; B: a raw SQL UPDATE of the
    same rows to the same state. Reset (not timed) before each; alternated ``reps`` times."""
    from django.db import connection, transaction
    from django.utils import timezone

    from exams.paper_cache import paper_questions
    from exams.services.collection import session_collect

    t = _tables()
    sessions = _sessions_by_key(args["slugs"])
    big, small = sessions["collect"], sessions["c100"]
    for session in (big, small):
        paper_questions(session["paper_id"])  # the paper cache is warm on exam day

    def reset(session_id: int, deadline) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {t['attempt']} SET state = 'in_progress', prior_state = 'checked_in', receipt = '', "
                f"score = NULL, needs_marking = false, finished_at = NULL, deadline = %s "
                f"WHERE session_id = %s",
                [deadline, session_id],
            )

    def run_collect(session_id: int) -> dict:
        counter = _Counter()
        now = timezone.now()
        with connection.execute_wrapper(counter):
            t0 = time.perf_counter()
            collected = session_collect(session_id=session_id, now=now)
            seconds = time.perf_counter() - t0
        return {
            "seconds": seconds,
            "collected": collected,
            "queries": len(counter.queries),
            "sql_seconds": sum(d for _s, d in counter.queries),
            "statements": [[s, round(d * 1000, 2)] for s, d in counter.queries],
        }

    def run_raw(session_id: int) -> dict:
        now = timezone.now()
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {t['attempt']} SET prior_state = state, state = 'collected', finished_at = %s, "
                f"updated_at = %s WHERE session_id = %s AND state IN ('checked_in', 'in_progress') "
                f"AND deadline <= %s",
                [now, now, session_id, now],
            )
            rows = cursor.rowcount
        return {"seconds": time.perf_counter() - t0, "collected": rows}

    def run_floor(session_id: int) -> dict:
        """What any collection that keeps the product's guarantees must write, without computing
        a receipt or a score: lock the due rows (an autosave in flight commits first), move them,
        and write their audit rows, in one transaction. The measured alternative to the ratio."""
        now = timezone.now()
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            due = "session_id = %s AND state IN ('checked_in', 'in_progress') AND deadline <= %s"
            cursor.execute(
                f"SELECT count(*) FROM (SELECT id FROM {t['attempt']} WHERE {due} FOR UPDATE) AS locked",
                [session_id, now],
            )
            cursor.execute(
                f"WITH moved AS (UPDATE {t['attempt']} SET prior_state = state, state = 'collected', "
                f"finished_at = %s, updated_at = %s WHERE {due} RETURNING id, prior_state) "
                f"INSERT INTO {t['audit']} (attempt_id, action, from_state, to_state, reason, details, at) "
                f"SELECT id, 'collect', prior_state, 'collected', '', '{{}}', %s FROM moved",
                [now, now, session_id, now, now],
            )
            rows = cursor.rowcount
        return {"seconds": time.perf_counter() - t0, "collected": rows}

    reps = []
    for _ in range(args["reps"]):
        reset(big["id"], timezone.now() - timedelta(seconds=1))
        a = run_collect(big["id"])
        reset(big["id"], timezone.now() - timedelta(seconds=1))
        b = run_raw(big["id"])
        reset(big["id"], timezone.now() - timedelta(seconds=1))
        f = run_floor(big["id"])
        reps.append({"collect": a, "raw": b, "floor": f})
    reset(small["id"], timezone.now() - timedelta(seconds=1))
    at_100 = run_collect(small["id"])
    profile = None
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        reset(big["id"], timezone.now() - timedelta(seconds=1))
        profiler = Profiler(interval=0.001)
        profiler.start()
        session_collect(session_id=big["id"], now=timezone.now())
        profiler.stop()
        profile = profiler.output_text(unicode=True, color=False, show_all=False)
    # Open again, deadline far away: the sockets and the fan-out use these attempts next.
    reset(big["id"], timezone.now() + timedelta(hours=3))
    return {"reps": reps, "at_100": at_100, "profile": profile}


def main() -> None:
    command, out, args_file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    _setup()
    args = json.loads(args_file.read_text())
    result = {"prep": prep, "collect": collect}[command](args)
    out.write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
