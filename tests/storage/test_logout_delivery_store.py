"""SqlLogoutDeliveryStore contract, on SQLite and PostgreSQL: claims, retries, giving up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.registration import ClientSpec, new_client
from stint.protocol.secrets import SecretHasher
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database
from stint.storage.logout_delivery_store import SqlLogoutDeliveryStore

pytestmark = pytest.mark.anyio

URI = "https://rp.example/backchannel"
LEASE = timedelta(seconds=30)
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


async def _client(db: Database) -> str:
    spec = ClientSpec(name="RP", redirect_uris=("https://rp.example/cb",))
    client, _ = new_client(spec, SecretHasher(b"s" * 32), allow_http=False)
    await SqlClientStore(db).add(client)
    return client.client_id


async def test_an_enqueued_delivery_is_claimed_for_its_first_attempt(db: Database) -> None:
    store = SqlLogoutDeliveryStore(db, max_attempts=3)
    client_id = await _client(db)
    delivery = await store.enqueue(client_id, URI, "token-1", now=T0, lease=LEASE)
    assert (delivery.client_id, delivery.uri, delivery.logout_token) == (client_id, URI, "token-1")
    assert delivery.attempts == 1
    # Its sender holds it for the lease: nobody else may send it meanwhile.
    assert not await store.any_due(T0 + LEASE - timedelta(seconds=1))
    assert await store.claim_due(T0 + LEASE - timedelta(seconds=1), lease=LEASE) == []
    # A sender that died lets the lease run out: another worker takes it over.
    later = T0 + LEASE
    assert await store.any_due(later)
    [again] = await store.claim_due(later, lease=LEASE)
    assert (again.id, again.attempts) == (delivery.id, 2)


async def test_a_failed_attempt_is_retried_at_the_time_given(db: Database) -> None:
    store = SqlLogoutDeliveryStore(db, max_attempts=3)
    delivery = await store.enqueue(await _client(db), URI, "t", now=T0, lease=LEASE)
    retry_at = T0 + timedelta(seconds=2)
    assert await store.failed(delivery, "answered 500", retry_at=retry_at)
    assert await store.status(delivery.id) == (1, None, "answered 500")
    assert await store.claim_due(retry_at - timedelta(milliseconds=1), lease=LEASE) == []
    [claimed] = await store.claim_due(retry_at, lease=LEASE)
    assert claimed.attempts == 2
    await store.delivered(claimed.id, retry_at)
    assert await store.status(delivery.id) == (2, retry_at, "")
    assert await store.pending() == []
    assert not await store.any_due(retry_at + timedelta(days=1))


async def test_it_gives_up_after_the_attempt_limit(db: Database) -> None:
    store = SqlLogoutDeliveryStore(db, max_attempts=2)
    delivery = await store.enqueue(await _client(db), URI, "t", now=T0, lease=LEASE)
    assert await store.failed(delivery, "timed out", retry_at=T0)
    [second] = await store.claim_due(T0, lease=LEASE)
    assert second.attempts == 2
    assert not await store.failed(second, "timed out", retry_at=T0), "the last attempt"
    assert await store.claim_due(T0 + timedelta(days=1), lease=LEASE) == []
    assert await store.pending() == []
    assert await store.status(delivery.id) == (2, None, "timed out")


async def test_concurrent_workers_never_claim_the_same_delivery(database_url: str) -> None:
    setup = Database(database_url)
    workers = [Database(database_url) for _ in range(6)]  # as separate processes would be
    try:
        store = SqlLogoutDeliveryStore(setup, max_attempts=5)
        client_id = await _client(setup)
        ids = []
        for n in range(30):
            delivery = await store.enqueue(client_id, URI, f"t{n}", now=T0, lease=timedelta(0))
            ids.append(delivery.id)
        claims = await asyncio.gather(
            *(
                SqlLogoutDeliveryStore(db, max_attempts=5).claim_due(T0, lease=LEASE, limit=7)
                for db in workers
                for _ in range(2)
            )
        )
    finally:
        for db in [setup, *workers]:
            await db.dispose()
    claimed = [d.id for batch in claims for d in batch]
    assert len(claimed) == len(set(claimed)), "a delivery was claimed twice"
    assert sorted(claimed) == sorted(ids)
    assert all(d.attempts == 2 for batch in claims for d in batch)


async def test_finished_deliveries_are_forgotten_after_a_while(db: Database) -> None:
    store = SqlLogoutDeliveryStore(db, max_attempts=1)
    client_id = await _client(db)
    made = await store.enqueue(client_id, URI, "made", now=T0, lease=LEASE)
    await store.delivered(made.id, T0)
    given_up = await store.enqueue(client_id, URI, "given up", now=T0, lease=LEASE)
    assert not await store.failed(given_up, "answered 404", retry_at=T0)
    recent = await store.enqueue(client_id, URI, "recent", now=T0 + timedelta(days=8), lease=LEASE)
    await store.delivered(recent.id, T0 + timedelta(days=8))
    assert await store.delete_finished(T0 + timedelta(days=1)) == 2
    assert await store.status(made.id) is None
    assert await store.status(given_up.id) is None
    assert await store.status(recent.id) is not None
