"""channels_redis with a bounded connection pool per event loop.

channels_redis gives each event loop an unbounded pool: when 5,000 attempt sockets connect at
once, every concurrent group_add opens a connection, and the pool keeps them all afterwards
(one Daphne process held 2,121 Redis connections after two cycles, bench/results.md). Here
commands beyond ``max_connections`` wait for a free connection instead; each is short.
"""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer
from django.conf import settings
from redis.asyncio import BlockingConnectionPool


class BoundedRedisChannelLayer(RedisChannelLayer):
    def create_pool(self, index: int):
        host = dict(self.hosts[index])
        address = host.pop("address", None)
        if address is None:  # host/port or sentinel entries: channels_redis's own pool
            return super().create_pool(index)
        host.setdefault("max_connections", settings.CHANNEL_LAYER_MAX_CONNECTIONS)
        host.setdefault("timeout", 10)  # seconds to wait for a free connection
        return BlockingConnectionPool.from_url(address, **host)
