"""RevocationCache against an in-memory log: what a worker refuses, and when it learns of it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.access_tokens import AccessToken
from stint.protocol.revocation_cache import RevocationCache
from stint.protocol.revocations import Revocation, RevocationEvent, RevocationKind

pytestmark = pytest.mark.anyio

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def token(jti: str = "jti-1", grant_id: str | None = "grant-1") -> AccessToken:
    return AccessToken("1", "alice", "app", frozenset(), 2_000_000_000, jti, grant_id=grant_id)


class MemoryLog:
    """The log as the database keeps it: ids in commit order, read after a given id."""

    def __init__(self) -> None:
        self.events: list[RevocationEvent] = []
        self.reads: list[int] = []
        self.gate: asyncio.Event | None = None  # when set, reads wait for it

    def record(self, kind: RevocationKind, value: str, expires_at: datetime = LATER) -> None:
        self.events.append(
            RevocationEvent(len(self.events) + 1, Revocation(kind, value), expires_at)
        )

    async def since(self, after_id: int, limit: int) -> list[RevocationEvent]:
        self.reads.append(after_id)
        found = [e for e in self.events if e.id > after_id][:limit]
        if self.gate is not None:
            await self.gate.wait()
        return found


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_a_revocation_applied_at_commit_is_refused_without_reading_the_log() -> None:
    log, clock = MemoryLog(), Clock()
    cache = RevocationCache(log, poll_seconds=60, monotonic=clock)
    await cache.catch_up()
    assert not await cache.is_revoked(token())

    cache.apply(Revocation(RevocationKind.ACCESS_TOKEN, "jti-1"), LATER)

    assert await cache.is_revoked(token())
    assert log.reads == [0], "no read was needed"


async def test_a_revoked_grant_refuses_every_token_issued_under_it() -> None:
    cache = RevocationCache(MemoryLog(), poll_seconds=60, monotonic=Clock())
    cache.apply(Revocation(RevocationKind.GRANT, "grant-1"), LATER)
    assert await cache.is_revoked(token("any", "grant-1"))
    assert not await cache.is_revoked(token("any", "grant-2"))
    assert not await cache.is_revoked(token("any", None))


async def test_the_poll_reads_only_events_after_the_last_one_read() -> None:
    log, clock = MemoryLog(), Clock()
    cache = RevocationCache(log, poll_seconds=1, monotonic=clock)
    log.record(RevocationKind.ACCESS_TOKEN, "old")
    await cache.catch_up()
    log.record(RevocationKind.ACCESS_TOKEN, "jti-1")

    clock.now += 0.5
    assert not await cache.is_revoked(token()), "the poll is not due yet"
    clock.now += 0.5
    await cache.is_revoked(token())  # due: starts the read
    await cache.settle()
    assert await cache.is_revoked(token())
    assert log.reads == [0, 1]
    assert cache.last_id == 2


async def test_a_due_poll_reads_in_the_background_while_requests_answer_from_memory() -> None:
    log, clock = MemoryLog(), Clock()
    cache = RevocationCache(log, poll_seconds=1, monotonic=clock)
    await cache.catch_up()
    cache.apply(Revocation(RevocationKind.ACCESS_TOKEN, "known"), LATER)
    log.record(RevocationKind.ACCESS_TOKEN, "jti-1")
    log.gate = asyncio.Event()  # the database is slow to answer
    clock.now += 1

    # Neither the request that finds the poll due nor the ones after it wait for the read.
    answers = [
        await asyncio.wait_for(cache.is_revoked(token(jti)), timeout=1)
        for jti in ("jti-1", "known", "jti-1")
    ]
    assert answers == [False, True, False]
    assert log.reads == [0, 0], "one read under way, not one per request"

    log.gate.set()
    await cache.settle()
    assert await cache.is_revoked(token())


async def test_a_host_whose_clock_runs_ahead_does_not_miss_a_revocation() -> None:
    # The event was stamped by a host an hour behind this one: only its id decides it is new.
    log = MemoryLog()
    ahead = Clock(datetime.now(UTC).timestamp() + 3600)
    cache = RevocationCache(log, poll_seconds=0, monotonic=Clock(), wall=ahead)
    await cache.catch_up()
    behind = datetime.now(UTC) - timedelta(hours=1)
    log.record(RevocationKind.ACCESS_TOKEN, "jti-1", expires_at=behind + timedelta(minutes=10))
    assert await cache.is_revoked(token())


async def test_catch_ups_that_overlap_lose_nothing() -> None:
    log = MemoryLog()
    cache = RevocationCache(log, poll_seconds=60, monotonic=Clock())
    log.record(RevocationKind.ACCESS_TOKEN, "first")
    log.gate = asyncio.Event()
    slow = asyncio.ensure_future(cache.catch_up())
    await asyncio.sleep(0)
    log.record(RevocationKind.ACCESS_TOKEN, "jti-1")
    second = asyncio.ensure_future(cache.catch_up())
    await asyncio.sleep(0)
    log.gate.set()
    await asyncio.gather(slow, second)
    assert await cache.is_revoked(token("first"))
    assert await cache.is_revoked(token("jti-1"))
    assert cache.last_id == 2


async def test_client_and_account_events_reach_their_subscribers() -> None:
    log = MemoryLog()
    cache = RevocationCache(log, poll_seconds=60, monotonic=Clock())
    forgotten: list[tuple[str, str]] = []
    cache.subscribe(RevocationKind.CLIENT, lambda v: forgotten.append(("client", v)))
    cache.subscribe(RevocationKind.USER, lambda v: forgotten.append(("user", v)))
    log.record(RevocationKind.CLIENT, "app")
    log.record(RevocationKind.USER, "7")
    await cache.catch_up()
    assert forgotten == [("client", "app"), ("user", "7")]


async def test_an_unreadable_log_keeps_what_is_known_and_tries_again() -> None:
    class Broken(MemoryLog):
        fail = True

        async def since(self, after_id: int, limit: int) -> list[RevocationEvent]:
            if self.fail:
                raise OSError("database unreachable")
            return await super().since(after_id, limit)

    log, clock = Broken(), Clock()
    cache = RevocationCache(log, poll_seconds=1, monotonic=clock)
    cache.apply(Revocation(RevocationKind.ACCESS_TOKEN, "jti-1"), LATER)
    assert await cache.is_revoked(token())  # answered, no exception
    log.fail = False
    log.record(RevocationKind.GRANT, "grant-2")
    clock.now += 1
    await cache.is_revoked(token("other", "grant-2"))  # due: starts the read
    await cache.settle()
    assert await cache.is_revoked(token("other", "grant-2"))


async def test_entries_are_forgotten_long_after_their_tokens_expired() -> None:
    wall, mono = Clock(datetime.now(UTC).timestamp()), Clock()
    cache = RevocationCache(MemoryLog(), poll_seconds=0, monotonic=mono, wall=wall)
    expired = datetime.now(UTC) - timedelta(hours=2)
    cache.apply(Revocation(RevocationKind.ACCESS_TOKEN, "jti-1"), expired)
    cache.apply(Revocation(RevocationKind.ACCESS_TOKEN, "jti-2"), LATER)
    await cache.catch_up()
    assert not await cache.is_revoked(token("jti-1", None))
    assert await cache.is_revoked(token("jti-2", None))


async def test_a_log_that_stays_unreadable_is_reported_once_per_interval_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Down(MemoryLog):
        async def since(self, after_id: int, limit: int) -> list[RevocationEvent]:
            raise ConnectionRefusedError(111, "Connect call failed")

    cache = RevocationCache(Down(), poll_seconds=0, monotonic=Clock())
    with caplog.at_level(logging.ERROR, logger="stint.revocations"):
        for _ in range(50):  # every check reads the log: every one fails
            assert not await cache.is_revoked(token())
    assert len(caplog.records) == 1
    assert caplog.records[0].exc_info is None
