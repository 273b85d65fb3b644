"""SqlClientStore's per-worker cache: no request waits for an expired client to reload."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from stint.protocol.registration import ClientSpec, new_client
from stint.protocol.secrets import SecretHasher
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_an_expired_client_is_answered_without_waiting_for_the_database(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    store = SqlClientStore(db, cache_seconds=5, clock=clock)
    spec = ClientSpec(name="RP", redirect_uris=("https://rp.example/cb",))
    client, _ = new_client(spec, SecretHasher(b"s" * 32), allow_http=False)
    await store.add(client)
    assert (await store.get(client.client_id)) is not None

    gate, reads, fetch_one = asyncio.Event(), [], db.fetch_one

    async def slow_fetch_one(statement: Any, params: Mapping[str, Any]) -> Any:
        reads.append(params)
        await gate.wait()  # the database answers slowly from now on
        return await fetch_one(statement, params)

    monkeypatch.setattr(db, "fetch_one", slow_fetch_one)
    clock.now += 6
    for _ in range(16):  # the requests in flight when the copy expired
        found = await asyncio.wait_for(store.get(client.client_id), timeout=5)
        assert found is not None and found.client_id == client.client_id
    assert len(reads) == 1  # one reload, in the background
    gate.set()


async def test_a_deleted_client_is_gone_at_once_on_the_worker_that_deleted_it(
    db: Database,
) -> None:
    store = SqlClientStore(db, cache_seconds=5, clock=Clock())
    spec = ClientSpec(name="RP", redirect_uris=("https://rp.example/cb",))
    client, _ = new_client(spec, SecretHasher(b"s" * 32), allow_http=False)
    await store.add(client)
    assert await store.get(client.client_id) is not None
    assert await store.delete(client.client_id)
    assert await store.get(client.client_id) is None
