"""The channel layer's Redis pool is bounded: a burst of group joins waits instead of opening a
connection each, and everything still arrives."""

from __future__ import annotations

import asyncio
import os

import pytest
from redis.asyncio import BlockingConnectionPool

from examsite.channel_layer import BoundedRedisChannelLayer

REDIS_URL = os.environ.get("REDIS_URL", "")


def test_the_pool_for_a_url_is_blocking_and_bounded(settings):
    settings.CHANNEL_LAYER_MAX_CONNECTIONS = 7
    layer = BoundedRedisChannelLayer(hosts=["redis://127.0.0.1:6379/15"])
    pool = layer.create_pool(0)
    assert isinstance(pool, BlockingConnectionPool)
    assert pool.max_connections == 7


@pytest.mark.services
@pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="needs REDIS_URL (run by .ci/run)")
def test_a_burst_of_joins_uses_at_most_the_bound_and_loses_nothing(settings):
    settings.CHANNEL_LAYER_MAX_CONNECTIONS = 4

    async def scenario():
        layer = BoundedRedisChannelLayer(hosts=[REDIS_URL], prefix="bounded-test")
        channels = [await layer.new_channel() for _ in range(200)]
        await asyncio.gather(*[layer.group_add("burst", c) for c in channels])
        await layer.group_send("burst", {"type": "hello"})
        received = await asyncio.gather(*[layer.receive(c) for c in channels])
        pool = layer._layers[asyncio.get_running_loop()]._connections[0].connection_pool
        opened = len(pool._available_connections) + len(pool._in_use_connections)
        await asyncio.gather(*[layer.group_discard("burst", c) for c in channels])
        await layer.flush()
        await layer.close_pools()
        return received, opened

    received, opened = asyncio.run(scenario())
    assert [m["type"] for m in received] == ["hello"] * 200
    assert opened <= 4
