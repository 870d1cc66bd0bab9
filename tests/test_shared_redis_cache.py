"""The Redis cache shares one client per process instead of one per request or socket."""

from __future__ import annotations

import asyncio
import threading

from asgiref.sync import sync_to_async

from examsite.cache import SharedRedisCache

SERVER = "redis://127.0.0.1:6379/15"  # never connected to: clients connect on first use


def test_caches_made_in_other_threads_and_contexts_share_one_client():
    made = []

    def in_a_thread():
        made.append(SharedRedisCache(SERVER, {"KEY_PREFIX": "a"})._cache)

    threads = [threading.Thread(target=in_a_thread) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def in_contexts():
        return await asyncio.gather(
            *[sync_to_async(lambda: SharedRedisCache(SERVER, {})._cache, thread_sensitive=False)()
              for _ in range(4)]
        )

    made += asyncio.run(in_contexts())
    assert len(made) == 12
    assert all(client is made[0] for client in made)


def test_another_server_or_other_options_get_their_own_client():
    one = SharedRedisCache(SERVER, {})._cache
    assert SharedRedisCache("redis://127.0.0.1:6379/14", {})._cache is not one
    assert SharedRedisCache(SERVER, {"OPTIONS": {"socket_timeout": 1}})._cache is not one


def test_every_cache_operation_uses_the_same_redis_client():
    # Django's client builds a redis.Redis object per operation (costly: its response-callback
    # table); this one keeps one per server, thread-safe like the pool under it.
    client = SharedRedisCache(SERVER, {})._cache
    assert client.get_client() is client.get_client(write=True)
    assert client.get_client().connection_pool is client.get_client().connection_pool
