"""SqlRevocationLog on SQLite and PostgreSQL: events come back by sequence, only once committed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.revocations import Revocation, RevocationKind
from stint.storage.database import Database
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.revoked_token_store import SqlRevokedTokenStore

pytestmark = pytest.mark.anyio

JTI = RevocationKind.ACCESS_TOKEN


async def test_events_are_read_back_after_the_last_id_in_the_order_they_committed(
    db: Database,
) -> None:
    log = SqlRevocationLog(db)
    for value in ("a", "b", "c"):
        await log.record(JTI, value)
    everything = await log.since(0, 100)
    assert [e.revocation.value for e in everything] == ["a", "b", "c"]
    assert [e.id for e in everything] == sorted(e.id for e in everything)
    newer = await log.since(everything[0].id, 100)
    assert [e.revocation.value for e in newer] == ["b", "c"]
    assert await log.since(everything[-1].id, 100) == []
    assert [e.revocation.value for e in await log.since(0, 2)] == ["a", "b"]


async def test_listeners_hear_of_a_revocation_once_it_committed_and_never_of_a_rollback(
    db: Database,
) -> None:
    log = SqlRevocationLog(db)
    heard: list[Revocation] = []
    log.on_commit(lambda revocation, _expires_at: heard.append(revocation))

    async def failing_change() -> None:
        async with log.write() as tx:
            tx.revoke(JTI, "rolled-back")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    assert heard == []
    assert await log.since(0, 10) == []

    await SqlRevokedTokenStore(db, log).add("jti-1", datetime.now(UTC) + timedelta(minutes=5))
    assert heard == [Revocation(JTI, "jti-1")]
    await SqlRevokedTokenStore(db, log).add("jti-1", datetime.now(UTC) + timedelta(minutes=5))
    assert heard == [Revocation(JTI, "jti-1")], "revoked already: nothing new"


async def test_concurrent_revocations_each_get_their_own_id(db: Database) -> None:
    log = SqlRevocationLog(db)
    await asyncio.gather(*(log.record(JTI, f"jti-{n}") for n in range(20)))
    events = await log.since(0, 100)
    assert sorted(e.revocation.value for e in events) == sorted(f"jti-{n}" for n in range(20))
    assert len({e.id for e in events}) == 20


async def test_pruning_forgets_only_events_whose_tokens_expired(db: Database) -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    log = SqlRevocationLog(db, keep_seconds=600, clock=lambda: now)
    async with log.write() as tx:
        tx.revoke(JTI, "expired", now - timedelta(hours=2))
        tx.revoke(RevocationKind.GRANT, "live")  # kept for keep_seconds
    assert await log.prune(now - timedelta(hours=1)) == 1
    assert [e.revocation.value for e in await log.since(0, 10)] == ["live"]


async def test_the_last_id_is_the_newest_events(db: Database) -> None:
    log = SqlRevocationLog(db)
    assert await log.last_id() == 0
    await log.record(JTI, "a")
    await log.record(JTI, "b")
    assert await log.last_id() == (await log.since(0, 10))[-1].id


async def test_after_a_commit_the_publishers_get_its_last_id_and_a_failing_one_is_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    log = SqlRevocationLog(db)
    published: list[int] = []

    async def failing(_last_id: int) -> None:
        raise ConnectionError("Redis went away")

    async def publish(last_id: int) -> None:
        published.append(last_id)

    log.publish_with(failing)
    log.publish_with(publish)
    async with log.write() as tx:
        tx.revoke(JTI, "a")
        tx.revoke(JTI, "b")
    async with log.write():
        pass  # nothing revoked: nothing published
    assert published == [await log.last_id()]
    assert [r.message for r in caplog.records] == ["publishing a revocation failed"]


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_on_postgresql_ids_are_handed_out_in_commit_order(db: Database) -> None:
    # A transaction that took its id but has not committed must not let a later one commit a
    # higher id first: a worker reading in between would move past the lower id for good.
    from sqlalchemy import text

    from stint.storage.revocation_log import _ORDER_LOCK_KEY
    from stint.storage.tables import revocation_events

    log = SqlRevocationLog(db)
    async with db.writer.begin() as first:
        await first.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ORDER_LOCK_KEY})
        await first.execute(
            revocation_events.insert().values(
                kind="jti", value="first", expires_at=datetime.now(UTC)
            )
        )
        second = asyncio.ensure_future(log.record(JTI, "second"))

        async def second_is_waiting() -> bool:
            async with db.read() as conn:
                found = await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        " AND NOT granted AND database ="
                        " (SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                )
                return bool(found.scalar())

        deadline = asyncio.get_running_loop().time() + 5
        while not await second_is_waiting():
            assert asyncio.get_running_loop().time() < deadline, "the second never waited"
            await asyncio.sleep(0.01)
        assert await log.since(0, 10) == [], "nothing is visible before the first commits"
    await second
    events = await log.since(0, 10)
    assert [e.revocation.value for e in events] == ["first", "second"]
    assert events[0].id < events[1].id
