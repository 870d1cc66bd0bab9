"""The real stack for the multi-process and fault tests, started by ``examsite.launcher``.

Each stack gets its own database (a fresh PostgreSQL database when DATABASE_URL points at
PostgreSQL, else a SQLite file) and its own private Redis server on a unix socket, so a test
may stop and restart it.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

from examsite import launcher
from examsite.launcher import wait_for
from tests.helpers import resident_id

ROOT = Path(__file__).resolve().parents[2]


class Stack(launcher.Stack):
    """The launcher's stack with its own database: a fresh PostgreSQL database when DATABASE_URL
    points at PostgreSQL, else a SQLite file in ``workdir``; logs in ``workdir``."""

    def __init__(self, workdir: Path, *, debug: bool = True, env: dict[str, str] | None = None) -> None:
        self._pg_admin_url: str | None = None
        self._pg_db: str | None = None
        base = os.environ.get("DATABASE_URL", "")
        if base.startswith(("postgres://", "postgresql://")):
            self._pg_admin_url = base
            self._pg_db = f"exam_stack_{uuid.uuid4().hex[:10]}"
            database_url = urlunparse(urlparse(base)._replace(path=f"/{self._pg_db}"))
        else:
            database_url = f"sqlite:///{workdir / 'stack.sqlite3'}"
        super().__init__(
            workdir, database_url=database_url, debug=debug, logs=workdir,
            env={"SWEEP_INTERVAL_SECONDS": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost", **(env or {})},
        )

    def create_database(self) -> None:
        """A fresh database, migrated (and static files collected when DEBUG is off)."""
        if self._pg_admin_url:
            import psycopg

            with psycopg.connect(self._pg_admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self._pg_db}"')
        self.prepare()

    def drop_database(self) -> None:
        if self._pg_admin_url:
            import psycopg

            with psycopg.connect(self._pg_admin_url, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    [self._pg_db],
                )
                conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_db}"')

    def load_batch(self, *, starts_at: datetime, ends_at: datetime, candidates: int) -> dict:
        """A formal session open now, with ``candidates`` registered candidates."""
        ids = [resident_id(n) for n in range(1, candidates + 1)]
        password = f"{uuid.uuid4().int % 900000 + 100000:06d}"
        data = {
            "batch": {"slug": f"stack-{uuid.uuid4().hex[:8]}", "name": "多进程测试批次"},
            "papers": [{
                "key": "p", "name": "测试卷",
                "questions": [
                    {"kind": "single_choice", "text": "一", "points": 2,
                     "choices": [{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}], "correct": "A"},
                    {"kind": "fill_in", "text": "二", "correct": ["119"]},
                ],
            }],
            "sessions": [{
                "key": "formal", "kind": "formal", "name": "正式考试", "password": password, "paper": "p",
                "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
                "rules": {"exam_day_gate": None, "min_answer_minutes": None,
                          # API clients without a camera: the login photo stays off here.
                          "requires_login_photo": False},
            }],
            "candidates": [
                {"name": f"考生{n}", "id_number": id_number, "sessions": ["formal"]}
                for n, id_number in enumerate(ids, 1)
            ],
        }
        path = self.workdir / "batch.json"
        path.write_text(json.dumps(data, ensure_ascii=False))
        self.manage("load_batch", str(path))
        return {"password": password, "id_numbers": ids}

    def start_worker(self, name: str = "worker", *, beat: bool = True, concurrency: int = 1,
                     loglevel: str = "info") -> None:
        super().start_worker(name, beat=beat, concurrency=concurrency, loglevel=loglevel)

    def close(self, *, timeout: float = 15.0) -> None:
        super().close(timeout=timeout)
        self.drop_database()


def utcnow() -> datetime:
    return datetime.now(UTC)


def candidate_login(port: int, password: str, id_number: str) -> httpx.Client:
    """Log a candidate in over HTTP the way the page does; returns the client with cookies."""
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    client.get("/api/v1/candidate/csrf/").raise_for_status()
    response = client.post(
        "/api/v1/candidate/login/",
        json={"password": password, "id_number": id_number},
        headers={"X-CSRFToken": client.cookies["csrftoken"]},
    )
    assert response.status_code == 200, response.text
    return client


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


__all__ = ["Stack", "candidate_login", "cookie_header", "utcnow", "wait_for", "timedelta"]
