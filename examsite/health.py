"""``GET /healthz``: can this process reach the database and Redis?

For the load balancer and the operator (deploy/README.md). Answers 200 ``{"db": "ok", "redis":
"ok"}``, or 503 with ``"down"`` for what failed. It reads nothing from the session, writes
nothing, and runs one query (``SELECT 1``), so a probe every few seconds per process costs
nothing. The load balancer probes the backend over plain HTTP: settings exempt this path from
``SECURE_SSL_REDIRECT``.

Timeouts: Redis gets its own short-lived client with short socket timeouts, so a Redis that is
gone or hung answers "down" within about ``REDIS_TIMEOUT_SECONDS`` (the cache's shared pool
would wait for a free connection first). The database check goes through Django's own
connection, as every request does: it waits at most the pool's ``DB_POOL_TIMEOUT`` for a
connection, and a new connection at most the ``connect_timeout`` of ``DATABASE_URL``.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
OK = "ok"
DOWN = "down"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        # One line per probe, not a traceback: the load balancer asks every few seconds.
        logger.warning("health check: database unreachable: %s", error)
        return DOWN
    return OK


def redis_status(*, url: str | None = None, timeout: float = REDIS_TIMEOUT_SECONDS) -> str:
    """PING the Redis of the cache and channel layer on a connection of its own."""
    client = redis.Redis.from_url(
        url or settings.REDIS_URL,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry_on_timeout=False,
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        logger.warning("health check: redis unreachable: %s", error)
        return DOWN
    finally:
        client.close()
    return OK


@never_cache
@require_safe
def healthz(request):
    checks = {"db": database_status(), "redis": redis_status()}
    healthy = all(state == OK for state in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
