"""RedisCounterStore against a real Redis: the throttle state every worker shares."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from stint.storage.redis_counters import RedisCounterStore

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

REDIS_URL = os.environ.get("STINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError):
        await client.aclose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true needs Redis, and none answers at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL} (set STINT_TEST_REDIS_URL)")
    yield client
    await client.aclose()


async def test_counts_expire_after_the_window(redis: Redis) -> None:
    counters = RedisCounterStore(redis, prefix=f"test:{secrets.token_hex(4)}:")
    assert await counters.increment("k", 1) == 1
    assert await counters.increment("k", 100) == 2  # the first increment set the window
    assert await counters.get("k") == 2
    await asyncio.sleep(1.2)
    assert await counters.get("k") == 0


async def test_workers_share_one_count(redis: Redis) -> None:
    prefix = f"test:{secrets.token_hex(4)}:"
    one, two = RedisCounterStore(redis, prefix), RedisCounterStore(redis, prefix)
    await asyncio.gather(*(one.increment("ip", 60) for _ in range(10)))
    await asyncio.gather(*(two.increment("ip", 60) for _ in range(10)))
    assert await one.get("ip") == 20
    await two.reset("ip")
    assert await one.get("ip") == 0
