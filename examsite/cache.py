"""Django's Redis cache with one client per process.

Django keeps cache objects per async context, so under ASGI every request and every websocket
consumer builds its own ``RedisCache`` and with it a new Redis connection pool that is never
reused: one Daphne process that had served 10,000 sockets held 3,795 Redis connections
(bench/results.md). This backend hands every ``RedisCache`` of the same configuration the same
client, whose connection pool is thread-safe and bounded by use.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from django.core.cache.backends.redis import RedisCache

_clients: dict[str, Any] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
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
