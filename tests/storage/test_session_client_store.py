"""SqlSessionClientStore contract, on SQLite and PostgreSQL: which apps a browser session signed
in to, for the logout that reaches each of them."""

from __future__ import annotations

import asyncio

import pytest

from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database
from stint.storage.session_client_store import SqlSessionClientStore
from tests.support.clients import relying_party

pytestmark = pytest.mark.anyio


async def _clients(db: Database, *client_ids: str) -> None:
    for client_id in client_ids:
        await SqlClientStore(db, cache_seconds=0).add(relying_party(client_id=client_id))


async def test_each_app_of_a_session_is_listed_once(db: Database, user_id: int) -> None:
    await _clients(db, "a", "b")
    store = SqlSessionClientStore(db)
    for client_id in ["a", "b", "a"]:
        await store.add("sid-1", client_id, user_id)
    await store.add("sid-2", "b", user_id)
    assert sorted(await store.clients("sid-1")) == ["a", "b"]
    assert await store.clients("sid-2") == ["b"]
    assert await store.clients("sid-3") == []


async def test_workers_recording_the_same_sign_in_at_once_all_succeed(
    db: Database, user_id: int
) -> None:
    await _clients(db, "a")
    workers = [SqlSessionClientStore(db) for _ in range(6)]
    await asyncio.gather(*(store.add("sid-1", "a", user_id) for store in workers))
    assert await workers[0].clients("sid-1") == ["a"]


async def test_a_session_signed_out_forgets_its_apps_and_records_them_again(
    db: Database, user_id: int
) -> None:
    await _clients(db, "a")
    store = SqlSessionClientStore(db)
    await store.add("sid-1", "a", user_id)
    await store.add("sid-2", "a", user_id)
    await store.remove_session("sid-1")
    assert await store.clients("sid-1") == []
    assert await store.clients("sid-2") == ["a"]
    await store.add("sid-1", "a", user_id)  # the same worker does not skip it as known
    assert await store.clients("sid-1") == ["a"]
