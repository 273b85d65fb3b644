"""SqlClientStore contract, on SQLite and PostgreSQL: clients read back whole, changes reach
every worker through the revocation log, and the per-worker cache never makes a request wait."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from stint.protocol.clients import ClientType
from stint.protocol.registration import ClientSpec, new_client
from stint.protocol.revocations import RevocationKind
from stint.protocol.secrets import SecretHasher
from stint.storage.client_store import ClientIdTakenError, SqlClientStore
from stint.storage.database import Database
from stint.storage.revocation_log import SqlRevocationLog
from tests.support.clients import relying_party

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

    gate, reloaded, reads, fetch_one = asyncio.Event(), asyncio.Event(), [], db.fetch_one

    async def slow_fetch_one(statement: Any, params: Mapping[str, Any]) -> Any:
        reads.append(params)
        await gate.wait()  # the database answers slowly from now on
        try:
            return await fetch_one(statement, params)
        finally:
            reloaded.set()

    monkeypatch.setattr(db, "fetch_one", slow_fetch_one)
    clock.now += 6
    for _ in range(16):  # the requests in flight when the copy expired
        found = await asyncio.wait_for(store.get(client.client_id), timeout=5)
        assert found is not None and found.client_id == client.client_id
    assert len(reads) == 1  # one reload, in the background
    gate.set()
    await asyncio.wait_for(reloaded.wait(), timeout=5)  # before the database is closed


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


async def test_a_client_reads_back_whole(db: Database, user_id: int) -> None:
    store = SqlClientStore(db, cache_seconds=0)
    client = relying_party(
        client_type=ClientType.PUBLIC,
        redirect_uris=("https://rp.example/cb", "https://rp.example/other"),
        grant_types=frozenset({"authorization_code", "refresh_token"}),
        scopes=frozenset({"openid", "profile"}),
        token_endpoint_auth_method="none",
        owner_id=user_id,
        opaque_access_tokens=True,
        may_introspect=True,
        metadata={"post_logout_redirect_uris": ["https://rp.example/bye"]},
        registration_token_hash="r" * 64,
        pairwise_sector="rp.example",
    )
    stored = await store.add(client)
    assert stored.created_at is not None
    assert stored == replace(client, created_at=stored.created_at)
    assert await store.get(client.client_id) == stored
    assert await store.get("missing") is None
    assert await store.get("rp\x00") is None  # PostgreSQL text cannot even hold it


async def test_a_client_id_is_registered_once(db: Database) -> None:
    store = SqlClientStore(db, cache_seconds=0)
    await store.add(relying_party())
    with pytest.raises(ClientIdTakenError):
        await store.add(relying_party(name="Impostor"))
    found = await store.get("rp")
    assert found is not None and found.name == "RP"


async def test_a_change_or_a_deletion_reaches_every_worker_through_the_log(db: Database) -> None:
    log = SqlRevocationLog(db)
    mine, theirs = SqlClientStore(db, revocation_log=log), SqlClientStore(db)
    await mine.add(relying_party())
    assert await theirs.get("rp") is not None  # cached on their side
    await mine.update(relying_party(name="Renamed", redirect_uris=("https://rp.example/new",)))
    changed = await mine.get("rp")
    assert changed is not None and changed.redirect_uris == ("https://rp.example/new",)
    assert await mine.delete("rp")
    assert not await mine.delete("rp")
    events = await log.since(0, 10)
    assert [(e.revocation.kind, e.revocation.value) for e in events] == [
        (RevocationKind.CLIENT, "rp"),
        (RevocationKind.CLIENT, "rp"),
    ]  # what makes their copy go: theirs.forget("rp") on each event
    theirs.forget("rp")
    assert await theirs.get("rp") is None


async def test_clients_are_listed_oldest_first_all_or_by_owner(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlClientStore(db, cache_seconds=0)
    for client_id, owner in [("a", user_id), ("b", other_user_id), ("c", user_id), ("d", None)]:
        await store.add(relying_party(client_id=client_id, owner_id=owner))
    assert [c.client_id for c in await store.by_owner(user_id)] == ["a", "c"]
    assert [c.client_id for c in await store.all()] == ["a", "b", "c", "d"]
