"""Django's Redis cache with one client per process.

Django keeps cache objects per async context, so under ASGI every request and every websocket
consumer builds its own ``RedisCache`` and with it a new Redis connection pool that is never
reused: one Daphne process that had served 10,000 sockets held 3,795 Redis connections
(bench/results.md). This backend hands every ``RedisCache`` of the same configuration the same
client, whose connection pool is thread-safe and bounded by use.

Django's client also builds a new ``redis.Redis`` object for every cache operation (its
constructor fills a table of response callbacks: 7 % of a login's CPU under the bench's login
burst, on the session, the throttles and the presence key). A ``redis.Redis`` object is
thread-safe (each command takes a connection from the pool), so this client keeps one per pool.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients: dict[str, Any] = {}
_lock = threading.Lock()


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis_clients: dict[int, Any] = {}  # id of a pool (kept for the process) -> client

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._redis_clients.get(id(pool))
        if client is None:
            client = self._redis_clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class SharedRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    @cached_property
    def _cache(self):
        key = repr((self._servers, sorted(self._options.items(), key=lambda item: item[0])))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = self._class(self._servers, **self._options)
                    _clients[key] = client
        return client
