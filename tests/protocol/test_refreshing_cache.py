"""RefreshingCache: an expired value is served at once while one background load replaces it."""

from __future__ import annotations

import asyncio

import pytest

from stint.protocol.refreshing_cache import RefreshingCache

pytestmark = pytest.mark.anyio


class GatedSource:
    """Values by key; a load waits until ``gate`` is open, and every load is counted."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {"k": "v1"}
        self.loads = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def load(self, key: str) -> str:
        self.loads += 1
        await self.gate.wait()
        return self.values[key]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def answered_without_waiting(cache: RefreshingCache[str, str], key: str) -> str:
    """``cache.get(key)``, which must not wait for the (closed) gate: a hang fails the test."""
    return await asyncio.wait_for(cache.get(key), timeout=5)


async def test_an_expired_value_is_served_at_once_while_one_load_replaces_it() -> None:
    source, clock = GatedSource(), Clock()
    cache = RefreshingCache(source.load, ttl=5, clock=clock)
    assert await cache.get("k") == "v1"

    source.values["k"] = "v2"
    source.gate.clear()  # the database is slow now
    clock.now += 6
    answers = [await answered_without_waiting(cache, "k") for _ in range(10)]
    assert answers == ["v1"] * 10
    assert source.loads == 2  # ten readers, one background load

    source.gate.set()
    await asyncio.sleep(0)  # let the background load finish (no time passes)
    await asyncio.sleep(0)
    assert await cache.get("k") == "v2"
    assert source.loads == 2


async def test_a_value_older_than_twice_the_ttl_is_loaded_before_it_is_served() -> None:
    source, clock = GatedSource(), Clock()
    cache = RefreshingCache(source.load, ttl=5, clock=clock)
    await cache.get("k")
    source.values["k"] = "v2"
    clock.now += 10
    assert await cache.get("k") == "v2"


async def test_readers_of_a_missing_value_share_one_load() -> None:
    source = GatedSource()
    cache = RefreshingCache(source.load, ttl=5, clock=Clock())
    source.gate.clear()
    readers = [asyncio.ensure_future(cache.get("k")) for _ in range(5)]
    await asyncio.sleep(0)
    source.gate.set()
    assert await asyncio.gather(*readers) == ["v1"] * 5
    assert source.loads == 1


async def test_a_forgotten_key_is_loaded_again_and_a_load_in_flight_is_not_kept() -> None:
    source, clock = GatedSource(), Clock()
    cache = RefreshingCache(source.load, ttl=5, clock=clock)
    await cache.get("k")
    source.gate.clear()
    clock.now += 6
    await answered_without_waiting(cache, "k")  # starts a load that will read "v1"
    cache.forget("k")
    source.values["k"] = "v2"
    source.gate.set()
    assert await cache.get("k") == "v2"
    await asyncio.sleep(0)
    assert await cache.get("k") == "v2"  # the older load did not overwrite it


async def test_a_ttl_of_zero_loads_every_time() -> None:
    source = GatedSource()
    cache = RefreshingCache(source.load, ttl=0, clock=Clock())
    await cache.get("k")
    await cache.get("k")
    assert source.loads == 2
