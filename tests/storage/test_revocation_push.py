"""RevocationPush: a revocation committed by one worker wakes the others, through PostgreSQL
LISTEN/NOTIFY or Redis pub/sub, and again after the connection was lost."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text

from stint.protocol.revocations import RevocationKind
from stint.storage.database import Database
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.revocation_push import RevocationPush, redis_publisher
from tests.conftest import IN_CI

pytestmark = pytest.mark.anyio

REDIS_URL = os.environ.get("STINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]


class Woken:
    """The catch-up a push runs: counts its calls; the first ``failures`` of them fail."""

    def __init__(self, failures: int = 0) -> None:
        self.calls = 0
        self.failures = failures
        self._called = asyncio.Condition()

    async def __call__(self) -> None:
        async with self._called:
            self.calls += 1
            self._called.notify_all()
        if self.calls <= self.failures:
            raise ConnectionError("the database went away")

    async def called(self, times: int) -> None:
        """Return once it was called ``times`` times in all."""
        async with self._called:
            await asyncio.wait_for(self._called.wait_for(lambda: self.calls >= times), 5)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError):
        await client.aclose()
        if IN_CI:
            pytest.fail(f"CI=true needs Redis, and none answers at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL} (set STINT_TEST_REDIS_URL)")
    yield client
    await client.aclose()


async def _listening(database_url: str, woken: Woken) -> RevocationPush:
    push = RevocationPush(woken)
    push.start(database_url=database_url)
    await asyncio.wait_for(push.listening.wait(), timeout=5)
    await woken.called(1)  # the catch-up after subscribing
    return push


@pytest.mark.parametrize("backend", POSTGRES)
@pytest.mark.parametrize(
    "failures",
    [0, 1],
    ids=["first-catch-up-succeeds", "a-failed-catch-up-does-not-stop-it"],
)
async def test_a_commit_on_another_connection_wakes_the_listener(
    db: Database, database_url: str, failures: int
) -> None:
    woken = Woken(failures=failures)  # a failure: the catch-up after subscribing raises
    push = await _listening(database_url, woken)
    try:
        await SqlRevocationLog(db).record(RevocationKind.GRANT, "g1")
        await woken.called(2)
    finally:
        await push.aclose()


@pytest.mark.parametrize("backend", POSTGRES)
async def test_a_listener_whose_connection_was_cut_listens_again_and_catches_up(
    db: Database, database_url: str
) -> None:
    woken = Woken()
    push = await _listening(database_url, woken)
    try:
        async with db.read() as conn:
            cut = await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
            assert cut.all() == [(True,)]
        await woken.called(2)  # reconnected: catches up on what it may have missed
        await SqlRevocationLog(db).record(RevocationKind.GRANT, "g1")
        await woken.called(3)
    finally:
        await push.aclose()


@pytest.mark.parametrize("source", ["postgres", "redis"])
async def test_a_listener_that_cannot_connect_says_so_and_keeps_trying(
    source: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1: the first attempt fails at once, the next waits its back-off.
    push = RevocationPush(Woken())
    redis = Redis.from_url("redis://127.0.0.1:1/0") if source == "redis" else None
    nowhere = "postgresql://postgres@127.0.0.1:1/stint" if source == "postgres" else None
    push.start(database_url=nowhere, redis=redis)
    try:

        def warned() -> bool:
            expected = "on PostgreSQL" if source == "postgres" else "on Redis"
            return any(f"{expected} failed; reconnecting" in r.message for r in caplog.records)

        deadline = asyncio.get_running_loop().time() + 5
        while not warned():
            assert asyncio.get_running_loop().time() < deadline, "no warning"
            await asyncio.sleep(0.01)
        assert not any(task.done() for task in push._tasks), "a listener gave up"
        assert not push.listening.is_set()
    finally:
        await push.aclose()
        if redis is not None:
            await redis.aclose()


async def test_on_sqlite_nothing_listens(database_url: str) -> None:
    push = RevocationPush(Woken())
    push.start(database_url=database_url)
    assert not push.listening.is_set()
    await push.aclose()


@pytest.mark.redis
async def test_a_redis_publication_wakes_the_listener(redis: Redis) -> None:
    woken = Woken()
    push = RevocationPush(woken)
    push.start(redis=redis)
    try:
        await asyncio.wait_for(push.listening.wait(), timeout=5)
        await woken.called(1)
        await redis_publisher(redis)(42)
        await woken.called(2)
    finally:
        await push.aclose()
