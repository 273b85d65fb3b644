"""RedisCounterStore: throttling counters shared by every worker and host."""

from __future__ import annotations

from redis.asyncio import Redis

__all__ = ["RedisCounterStore"]

# DECR on a missing key would create it at -1 with no expiry: only take back from a live count.
_DECREMENT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
"""


class RedisCounterStore:
    """Fixed-window counters: INCR, and the window's TTL set by the first increment only."""

    def __init__(self, redis: Redis, prefix: str = "stint:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._decrement = redis.register_script(_DECREMENT)

    async def increment(self, key: str, window_seconds: int) -> int:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def get(self, key: str) -> int:
        value = await self._redis.get(self._prefix + key)
        return int(value) if value is not None else 0

    async def decrement(self, key: str) -> None:
        await self._decrement(keys=[self._prefix + key])

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)
