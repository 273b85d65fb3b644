"""SqlUserStore contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from stint.accounts.ports import UsernameTakenError
from stint.storage.database import Database
from stint.storage.user_store import SqlUserStore

pytestmark = pytest.mark.anyio


async def test_add_and_find_by_id_and_key(db: Database) -> None:
    store = SqlUserStore(db)
    user = await store.add(username="Alice", username_key="alice", password_hash="h")
    assert await store.by_id(user.id) == user
    assert await store.by_username_key("alice") == user
    assert user.created_at.tzinfo is not None
    assert await store.by_id(user.id + 1) is None


async def test_concurrent_registrations_of_one_name_admit_exactly_one(db: Database) -> None:
    store = SqlUserStore(db)
    results = await asyncio.gather(
        *(store.add(username=f"Name{i}", username_key="name", password_hash="h") for i in range(6)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, UsernameTakenError) for r in results if isinstance(r, BaseException))


async def test_disable_update_hash_and_page(db: Database) -> None:
    store = SqlUserStore(db)
    users = [
        await store.add(username=f"u{i}", username_key=f"u{i}", password_hash="h") for i in range(5)
    ]
    assert await store.set_disabled(users[0].id, True)
    assert not await store.set_disabled(10_000, True)
    await store.update_password_hash(users[1].id, "new")
    found = await store.by_id(users[1].id)
    assert found is not None and found.password_hash == "new"
    disabled = await store.by_id(users[0].id)
    assert disabled is not None and disabled.disabled
    first = await store.page(after_id=0, limit=3)
    rest = await store.page(after_id=first[-1].id, limit=3)
    assert [u.username for u in first + rest] == [f"u{i}" for i in range(5)]
