"""Counters kept in this process: for unit tests and one-shot commands, never for a server."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["MemoryCounterStore"]


class MemoryCounterStore:
    """Fixed-window counters in a dict; bounded, so that spoofed keys cannot grow it forever."""

    def __init__(
        self, max_keys: int = 100_000, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._max_keys = max_keys
        self._clock = clock

    async def increment(self, key: str, window_seconds: int) -> int:
        now = self._clock()
        count, expires = self._counts.get(key, (0, 0.0))
        if expires <= now:
            count, expires = 0, now + window_seconds
        self._counts[key] = (count + 1, expires)
        if len(self._counts) > self._max_keys:
            self._evict(now)
        return count + 1

    async def get(self, key: str) -> int:
        count, expires = self._counts.get(key, (0, 0.0))
        return count if expires > self._clock() else 0

    async def decrement(self, key: str) -> None:
        count, expires = self._counts.get(key, (0, 0.0))
        if count > 0 and expires > self._clock():
            self._counts[key] = (count - 1, expires)

    async def reset(self, key: str) -> None:
        self._counts.pop(key, None)

    def _evict(self, now: float) -> None:
        live = {k: v for k, v in self._counts.items() if v[1] > now}
        if len(live) > self._max_keys:  # still full: drop the oldest half
            live = dict(list(live.items())[len(live) // 2 :])
        self._counts = live
