"""A sweep killed mid-transaction, and sweeps running concurrently, collect exactly once."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.integration.stack import ROOT, timedelta, utcnow, wait_for

pytestmark = pytest.mark.services

LOGIN_ALL = """
from django.utils import timezone
from exams.models import Attempt
from exams.services import journey
for a in Attempt.objects.select_related("registration__candidate", "session"):
    journey.candidate_login(password=a.session.password, id_number=a.registration.candidate.id_number,
                            now=timezone.now())
"""

REPORT = """
from exams.models import Attempt, AttemptAudit
print(Attempt.objects.filter(state="collected").exclude(receipt="").count(),
      AttemptAudit.objects.filter(action="collect").count(),
      Attempt.objects.count())
"""


def _sweep_process(stack, now_iso: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "sweep", "--now", now_iso], cwd=ROOT, env=stack.env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _hold_write_lock(stack):
    """Block the sweep inside its transaction: a row lock (PostgreSQL) or the write lock (SQLite)."""
    if stack.database_url.startswith("sqlite"):
        conn = sqlite3.connect(stack.database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return conn
    import psycopg

    conn = psycopg.connect(stack.database_url)
    conn.execute("SELECT id FROM exams_attempt ORDER BY id DESC LIMIT 1 FOR UPDATE")
    return conn


def _prepare(stack, count=6):
    now = utcnow()
    stack.load_batch(starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(minutes=30), candidates=count)
    stack.manage("shell", "-v", "0", "-c", LOGIN_ALL)
    return (now + timedelta(minutes=31)).isoformat()


def _report(stack):
    collected, audits, total = map(int, stack.manage("shell", "-v", "0", "-c", REPORT).stdout.split()[-3:])
    return collected, audits, total


def test_a_sweep_killed_inside_its_transaction_is_completed_once_by_the_next(stack):
    after_deadline = _prepare(stack)
    lock = _hold_write_lock(stack)
    victim = _sweep_process(stack, after_deadline)
    time.sleep(1.5)  # let it start and block on the lock (bounded; nothing is polled on time)
    assert victim.poll() is None, victim.communicate()
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    lock.rollback() if hasattr(lock, "rollback") else lock.execute("ROLLBACK")
    lock.close()
    assert _report(stack)[:2] == (0, 0)
    finished = _sweep_process(stack, after_deadline)
    out, err = finished.communicate(timeout=120)
    assert finished.returncode == 0, err
    assert "collected=6" in out
    assert _report(stack) == (6, 6, 6)


def test_two_sweeps_at_once_collect_every_attempt_exactly_once(stack):
    after_deadline = _prepare(stack, count=8)
    lock = _hold_write_lock(stack)
    sweeps = [_sweep_process(stack, after_deadline) for _ in range(2)]
    time.sleep(1.5)
    lock.rollback() if hasattr(lock, "rollback") else lock.execute("ROLLBACK")
    lock.close()
    outputs = [p.communicate(timeout=120) for p in sweeps]
    assert all(p.returncode == 0 for p in sweeps), outputs
    collected_counts = sorted(int(out.split("collected=")[1].split()[0]) for out, _err in outputs)
    assert collected_counts == [0, 8]
    assert _report(stack) == (8, 8, 8)


def test_beat_collects_by_itself_on_time(stack):
    now = utcnow()
    stack.load_batch(starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(seconds=20), candidates=3)
    stack.manage("shell", "-v", "0", "-c", LOGIN_ALL)
    stack.start_worker()
    wait_for(lambda: _report(stack)[0] == 3, timeout=60, interval=1, what="beat collection")
    assert _report(stack) == (3, 3, 3)
