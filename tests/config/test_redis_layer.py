"""The scaled mode's channel layer survives a Redis restart without failing a command."""

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from config.settings import redis_channel_layer
from tests.servers import free_port, start_redis, stop


@pytest.fixture
def redis_port():
    port = free_port()
    path = settings.VAR_DIR / f"redis-layer-{port}.log"
    with path.open("a") as log:
        process = start_redis(port, log, path)
        try:
            yield port, (lambda: start_redis(port, log, path)), process
        finally:
            stop(process)


async def test_pooled_connections_recover_after_a_redis_restart(redis_port):
    """Connections pooled before a restart: every later command succeeds (redis-py 8 retries
    nothing by default and one stale connection failed with "Connection closed by server")."""
    port, start_again, first = redis_port
    config = redis_channel_layer(f"redis://127.0.0.1:{port}/0")["CONFIG"]
    layer = RedisChannelLayer(**config)
    await asyncio.gather(*(layer.group_add(f"g{i}", f"c{i}") for i in range(30)))
    await asyncio.to_thread(stop, first)
    second = await asyncio.to_thread(start_again)
    try:
        failures = []
        for i in range(30):
            try:
                await layer.group_add(f"g{i}", f"c{i}")
            except Exception as error:  # noqa: BLE001 - counted, the assertion says which
                failures.append(repr(error))
        assert failures == []
    finally:
        await layer.flush()
        await asyncio.to_thread(stop, second)
