"""Pushing revocations to every worker: PostgreSQL LISTEN/NOTIFY and Redis pub/sub.

A push carries no revocation itself: it wakes the worker, which reads the log after the last
``id`` it read (``RevocationCache.catch_up``). So a lost or duplicated message costs nothing but
a read, and after every (re)connection the worker catches up on what it may have missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from stint.failure_log import FailureLog
from stint.storage.revocation_log import NOTIFY_CHANNEL

__all__ = ["REDIS_CHANNEL", "RevocationPush", "redis_publisher"]

log = logging.getLogger("stint.revocations")

REDIS_CHANNEL = "stint:revocations"
_RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)


def redis_publisher(redis: Any) -> Callable[[int], Awaitable[None]]:
    """What the revocation log calls after a commit when Redis is configured."""

    async def publish(last_id: int) -> None:
        await redis.publish(REDIS_CHANNEL, str(last_id))

    return publish


class RevocationPush:
    """Listens on the configured channels and runs ``catch_up`` once per burst of messages."""

    def __init__(self, catch_up: Callable[[], Awaitable[None]]) -> None:
        self._catch_up = catch_up
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.listening = asyncio.Event()  # set once every channel is subscribed (tests wait on it)
        self._pending = 0
        self._failures = FailureLog(log, "catching up on revocations failed")

    def start(self, *, database_url: str | None = None, redis: Any = None) -> None:
        """Listen to PostgreSQL (a ``postgresql`` URL) and/or Redis; nothing when neither."""
        sources = []
        if database_url is not None and make_url(database_url).get_backend_name() == "postgresql":
            sources.append(self._postgres(database_url))
        if redis is not None:
            sources.append(self._redis(redis))
        if not sources:
            return
        self._pending = len(sources)
        self._tasks = [asyncio.create_task(self._follow())]
        self._tasks += [asyncio.create_task(source) for source in sources]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _woken(self, *_args: Any) -> None:
        self._wake.set()

    def _subscribed(self, first: bool) -> None:
        if first:
            self._pending -= 1
            if self._pending == 0:
                self.listening.set()
        self._wake.set()  # catch up on whatever was recorded while not listening

    async def _follow(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._catch_up()
            except Exception as exc:  # the poll retries soon; the next push too
                self._failures.failed(exc)

    async def _postgres(self, database_url: str) -> None:
        dsn = make_url(database_url).set(drivername="postgresql")
        first, attempt = True, 0
        while True:
            try:
                conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
                try:
                    await conn.add_listener(NOTIFY_CHANNEL, self._woken)
                    self._subscribed(first)
                    first, attempt = False, 0
                    await _until_closed(conn)
                finally:
                    conn.terminate()  # synchronous: safe while being cancelled
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("listening for revocations on PostgreSQL failed; reconnecting")
            await asyncio.sleep(_RECONNECT_SECONDS[min(attempt, len(_RECONNECT_SECONDS) - 1)])
            attempt += 1

    async def _redis(self, redis: Any) -> None:
        first, attempt = True, 0
        while True:
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.subscribe(REDIS_CHANNEL)
                    self._subscribed(first)
                    first, attempt = False, 0
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("listening for revocations on Redis failed; reconnecting")
            await asyncio.sleep(_RECONNECT_SECONDS[min(attempt, len(_RECONNECT_SECONDS) - 1)])
            attempt += 1


async def _until_closed(conn: Any) -> None:
    """Return when the server or the network closes ``conn``."""
    closed = asyncio.Event()
    conn.add_termination_listener(lambda _conn: closed.set())
    await closed.wait()
