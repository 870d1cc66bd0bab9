"""The real stack in child processes: Redis, PostgreSQL or SQLite, Daphne, Celery with beat.

Used by the multi-process and fault tests. Each stack gets its own database (a fresh
PostgreSQL database when DATABASE_URL points at PostgreSQL, else a SQLite file) and its own
private Redis server on a unix socket, so a test may stop and restart it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

from candidates.idnumbers import resident_check_char
from examsite import embedded

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


def resident_id(n: int) -> str:
    first17 = f"11010119900101{n % 1000:03d}"
    return first17 + resident_check_char(first17)


class Stack:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: dict[str, subprocess.Popen] = {}
        self.redis_socket = workdir / "redis.sock"
        self.redis_url = f"unix://{self.redis_socket}"
        self._pg_admin_url: str | None = None
        self._pg_db: str | None = None
        base = os.environ.get("DATABASE_URL", "")
        if base.startswith(("postgres://", "postgresql://")):
            self._pg_admin_url = base
            self._pg_db = f"exam_stack_{uuid.uuid4().hex[:10]}"
            self.database_url = urlunparse(urlparse(base)._replace(path=f"/{self._pg_db}"))
        else:
            self.database_url = f"sqlite:///{workdir / 'stack.sqlite3'}"

    # --- environment ------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
        env.update(
            DJANGO_SETTINGS_MODULE="examsite.settings",
            DEBUG="1",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SWEEP_INTERVAL_SECONDS="1",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True,
            text=True, check=check, timeout=timeout,
        )

    # --- services -----------------------------------------------------------------

    def start_redis(self) -> None:
        if self.redis_socket.exists():
            self.redis_socket.unlink()
        self.processes["redis"] = subprocess.Popen(
            [embedded.redis_binary(), "--port", "0", "--unixsocket", str(self.redis_socket),
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
        )
        import redis

        wait_for(lambda: self._redis_ping(redis), timeout=10, what="redis")

    def _redis_ping(self, redis) -> bool:
        try:
            return redis.Redis(unix_socket_path=str(self.redis_socket)).ping()
        except (redis.ConnectionError, FileNotFoundError):
            return False

    def stop_redis(self) -> None:
        self.stop("redis")

    def create_database(self) -> None:
        if self._pg_admin_url:
            import psycopg

            with psycopg.connect(self._pg_admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self._pg_db}"')
        self.manage("migrate", "--noinput", "-v", "0", timeout=300)

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
                "rules": {"exam_day_gate": None, "min_answer_minutes": None},
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

    def start_daphne(self, name: str, *, port: int | None = None) -> int:
        port = port or free_port()
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "examsite.asgi:application"],
            cwd=ROOT, env=self.env(), stdout=subprocess.DEVNULL, stderr=open(self.workdir / f"{name}.log", "w"),  # noqa: SIM115
        )
        wait_for(lambda: self._port_open(port), timeout=30, what=f"daphne {name}")
        return port

    def start_worker(self, name: str = "worker", *, beat: bool = True) -> None:
        args = [sys.executable, "-m", "celery", "-A", "examsite", "worker", "-l", "info",
                "--concurrency", "1", "-n", f"{name}@%h"]
        if beat:
            args += ["-B", "-s", str(self.workdir / f"{name}-beat")]
        self.processes[name] = subprocess.Popen(
            args, cwd=ROOT, env=self.env(), stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / f"{name}.log", "w"),  # noqa: SIM115
        )

    @staticmethod
    def _port_open(port: int) -> bool:
        with closing(socket.socket()) as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def close(self) -> None:
        for name in [n for n in self.processes if n != "redis"]:
            self.stop(name)
        self.stop("redis")
        self.drop_database()

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text() if path.exists() else ""


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
