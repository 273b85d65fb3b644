"""The CounterStore contract, on SQLite, PostgreSQL, Redis and the in-process fake.

Time is the store's injected clock; Redis keeps its own, so there "the window passes" means the
key's expiry, after checking it is the window the first increment set.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from stint.accounts.memory_counters import MemoryCounterStore
from stint.accounts.ports import CounterStore
from stint.storage.counter_store import SqlCounterStore
from stint.storage.database import Database
from stint.storage.redis_counters import RedisCounterStore
from tests.conftest import BACKENDS, IN_CI

pytestmark = pytest.mark.anyio

REDIS_URL = os.environ.get("STINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WINDOW = 60


@dataclass
class Counters:
    """Two handles on one store (two workers), and a way to let time pass."""

    one: CounterStore
    two: CounterStore
    advance: Callable[[float], Awaitable[None]]


@pytest.fixture(params=["memory", *BACKENDS, pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def counters(backend: str, sql_db: Database | None) -> AsyncIterator[Counters]:
    if backend == "redis":
        async for made in _redis_counters():
            yield made
        return
    start = datetime(2026, 12, 6, tzinfo=UTC)
    elapsed = [0.0]

    async def advance(seconds: float) -> None:
        elapsed[0] += seconds

    if backend == "memory":
        memory = MemoryCounterStore(clock=lambda: elapsed[0])
        yield Counters(memory, memory, advance)
        return

    def clock() -> datetime:
        return start + timedelta(seconds=elapsed[0])

    assert sql_db is not None
    yield Counters(
        SqlCounterStore(sql_db, clock=clock, purge_every=3),
        SqlCounterStore(sql_db, clock=clock),
        advance,
    )


async def _redis_counters() -> AsyncIterator[Counters]:
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except (RedisConnectionError, OSError):
        await redis.aclose()
        if IN_CI:
            pytest.fail(f"CI=true needs Redis, and none answers at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL} (set STINT_TEST_REDIS_URL)")
    prefix = f"test:{secrets.token_hex(4)}:"

    async def advance(seconds: float) -> None:
        async for name in redis.scan_iter(match=prefix + "*"):
            ttl = await redis.pttl(name)
            assert 0 < ttl <= WINDOW * 1000  # the window set by the first increment
            if seconds * 1000 >= ttl:
                await redis.delete(name)  # what Redis does once the TTL runs out
            else:
                await redis.pexpire(name, ttl - int(seconds * 1000))

    try:
        yield Counters(RedisCounterStore(redis, prefix), RedisCounterStore(redis, prefix), advance)
    finally:
        async for name in redis.scan_iter(match=prefix + "*"):
            await redis.delete(name)
        await redis.aclose()


async def test_increment_returns_the_new_count(counters: Counters) -> None:
    assert [await counters.one.increment("k", WINDOW) for _ in range(3)] == [1, 2, 3]
    assert await counters.one.increment("other", WINDOW) == 1


async def test_get_reads_the_live_count_without_changing_it(counters: Counters) -> None:
    assert await counters.one.get("k") == 0
    await counters.one.increment("k", WINDOW)
    await counters.one.increment("k", WINDOW)
    assert await counters.two.get("k") == 2
    assert await counters.two.get("k") == 2
    await counters.advance(WINDOW)
    assert await counters.two.get("k") == 0


async def test_a_count_starts_again_after_the_window_set_by_its_first_increment(
    counters: Counters,
) -> None:
    assert await counters.one.increment("k", WINDOW) == 1
    await counters.advance(WINDOW - 10)
    assert await counters.one.increment("k", 10 * WINDOW) == 2  # does not extend the window
    await counters.advance(10)
    assert await counters.one.increment("k", WINDOW) == 1


async def test_workers_share_one_count(counters: Counters) -> None:
    await asyncio.gather(*(counters.one.increment("ip", WINDOW) for _ in range(10)))
    await asyncio.gather(*(counters.two.increment("ip", WINDOW) for _ in range(10)))
    assert await counters.one.increment("ip", WINDOW) == 21


async def test_concurrent_increments_each_see_a_distinct_count(counters: Counters) -> None:
    seen = await asyncio.gather(
        *(store.increment("burst", WINDOW) for store in [counters.one, counters.two] * 10)
    )
    assert sorted(seen) == list(range(1, 21))


async def test_decrement_takes_one_back_and_never_goes_below_zero(counters: Counters) -> None:
    await counters.one.increment("k", WINDOW)
    await counters.one.increment("k", WINDOW)
    await counters.two.decrement("k")
    assert await counters.one.increment("k", WINDOW) == 2
    for _ in range(3):
        await counters.two.decrement("k")
    assert await counters.one.increment("k", WINDOW) == 1
    await counters.one.decrement("missing")
    assert await counters.one.increment("missing", WINDOW) == 1


async def test_decrement_after_the_window_leaves_the_count_expired(counters: Counters) -> None:
    await counters.one.increment("k", WINDOW)
    await counters.advance(WINDOW)
    await counters.one.decrement("k")
    assert await counters.one.increment("k", WINDOW) == 1


async def test_reset_forgets_the_count(counters: Counters) -> None:
    for _ in range(3):
        await counters.one.increment("k", WINDOW)
    await counters.two.reset("k")
    assert await counters.one.increment("k", WINDOW) == 1


async def test_long_keys_of_any_text_are_counted_apart(counters: Counters) -> None:
    long_key, other = "login:ü" + "x" * 500, "login:ü" + "x" * 499 + "y"
    assert await counters.one.increment(long_key, WINDOW) == 1
    assert await counters.one.increment(other, WINDOW) == 1
    assert await counters.one.increment(long_key, WINDOW) == 2
