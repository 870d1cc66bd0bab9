"""Issue 17: what a login writes, counted. A first login reads the session and the attempt,
locks and moves the attempt with its audit row and proctoring event, and stores the new Django
session; nothing asks the database whether a fresh random session key already exists (a
collision makes the INSERT fail and Django draws another key)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from exams import statuses
from exams.models import Attempt
from tests.helpers import START, at


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_a_first_login_makes_no_session_key_lookup_and_at_most_eight_statements(browser_client, attempt):
    with at(START - timedelta(minutes=5)), CaptureQueriesContext(connection) as queries:
        response = browser_client.login_as(attempt)
    assert response.status_code == 200
    assert Attempt.objects.get(pk=attempt.pk).state == statuses.CHECKED_IN
    sql = statements(queries.captured_queries)
    session_reads = [s for s in sql if "django_session" in s and s.lstrip().upper().startswith("SELECT")]
    assert session_reads == []
    assert len(sql) <= 8, "\n".join(sql)  # the attempt is not read again for the answer


def test_the_new_session_carries_the_login_to_the_next_request(browser_client, attempt):
    with at(START - timedelta(minutes=5)):
        assert browser_client.login_as(attempt).status_code == 200
        assert browser_client.get("attempt/").status_code == 200


def test_a_colliding_session_key_is_drawn_again(db, monkeypatch):
    from examsite import session_store

    taken = session_store.SessionStore()
    taken["attempt_id"] = 1
    taken.create()
    draws = iter([taken.session_key, "b" * 32])
    monkeypatch.setattr(session_store, "get_random_string", lambda *a, **k: next(draws))
    fresh = session_store.SessionStore()
    fresh["attempt_id"] = 2
    fresh.create()
    assert fresh.session_key == "b" * 32
    assert session_store.SessionStore(taken.session_key).load()["attempt_id"] == 1  # untouched
