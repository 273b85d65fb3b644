"""PasskeyStore contract, on SQLite, PostgreSQL and the in-memory fake: a credential id is
registered once, found by its id, its sign count moves by compare-and-set, and an account
removes only its own passkeys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.accounts.passkeys import NewPasskey, PasskeyStore, PasskeyTakenError
from stint.storage.database import Database
from stint.storage.passkey_store import SqlPasskeyStore
from stint.storage.user_store import SqlUserStore
from tests.storage.conftest import WITH_MEMORY
from tests.support.clock import Clock
from tests.support.passkeys_memory import MemoryPasskeys

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def users(sql_db: Database | None) -> tuple[int, int]:
    if sql_db is None:
        return 1, 2
    store = SqlUserStore(sql_db)
    alice = await store.add(username="Alice", username_key="alice", password_hash="h")
    bob = await store.add(username="Bob", username_key="bob", password_hash="h")
    return alice.id, bob.id


@pytest.fixture
def store(sql_db: Database | None) -> PasskeyStore:
    clock = Clock(NOW)
    return MemoryPasskeys(clock) if sql_db is None else SqlPasskeyStore(sql_db, clock=clock)


def new(user_id: int, credential_id: bytes = b"\x01" * 16, **changes: object) -> NewPasskey:
    values: dict[str, object] = {
        "user_id": user_id,
        "credential_id": credential_id,
        "public_key": b"\xa5\x01\x02\x03\x26",
        "sign_count": 7,
        "transports": ("internal", "hybrid"),
        "name": "Laptop",
        "device_bound": True,
    }
    return NewPasskey(**(values | changes))  # type: ignore[arg-type]


async def test_a_passkey_reads_back_whole(store: PasskeyStore, users: tuple[int, int]) -> None:
    alice, _ = users
    added = await store.add(new(alice))
    assert added.user_id == alice
    assert (added.credential_id, added.public_key) == (b"\x01" * 16, b"\xa5\x01\x02\x03\x26")
    assert (added.sign_count, added.transports, added.name) == (7, ("internal", "hybrid"), "Laptop")
    assert (added.device_bound, added.created_at, added.last_used_at) == (True, NOW, None)
    assert await store.by_credential_id(b"\x01" * 16) == added
    assert await store.for_user(alice) == [added]


async def test_a_credential_id_is_registered_once(
    store: PasskeyStore, users: tuple[int, int]
) -> None:
    alice, bob = users
    await store.add(new(alice))
    with pytest.raises(PasskeyTakenError):
        await store.add(new(bob))
    assert await store.for_user(bob) == []


async def test_unknown_credential_ids_find_nothing(
    store: PasskeyStore, users: tuple[int, int]
) -> None:
    await store.add(new(users[0]))
    assert await store.by_credential_id(b"\x02" * 16) is None
    assert await store.by_credential_id(b"") is None
    assert await store.by_credential_id(b"\x01" * 2000) is None


async def test_the_sign_count_moves_only_from_the_count_seen(
    store: PasskeyStore, users: tuple[int, int]
) -> None:
    added = await store.add(new(users[0]))
    used_at = NOW + timedelta(minutes=5)
    assert await store.record_use(added.id, 7, 8, used_at)
    assert not await store.record_use(added.id, 7, 9, used_at)  # read 7 too: a clone's use
    stored = await store.by_credential_id(added.credential_id)
    assert stored is not None
    assert (stored.sign_count, stored.last_used_at) == (8, used_at)


async def test_of_sign_ins_racing_with_one_count_one_wins(
    store: PasskeyStore, users: tuple[int, int]
) -> None:
    added = await store.add(new(users[0]))
    results = await asyncio.gather(*(store.record_use(added.id, 7, 8, NOW) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_a_count_of_zero_may_stay_zero(store: PasskeyStore, users: tuple[int, int]) -> None:
    added = await store.add(new(users[0], sign_count=0))
    assert await store.record_use(added.id, 0, 0, NOW)  # synced passkeys never count
    assert await store.record_use(added.id, 0, 0, NOW)


async def test_an_account_removes_only_its_own_passkeys(
    store: PasskeyStore, users: tuple[int, int]
) -> None:
    alice, bob = users
    alices = await store.add(new(alice))
    bobs = await store.add(new(bob, b"\x02" * 16, name="Key"))
    assert not await store.remove(alice, bobs.id)
    assert await store.for_user(bob) == [bobs]
    assert await store.remove(alice, alices.id)
    assert not await store.remove(alice, alices.id)
    assert await store.for_user(alice) == []


async def test_passkeys_list_oldest_first(store: PasskeyStore, users: tuple[int, int]) -> None:
    alice, _ = users
    first = await store.add(new(alice, b"\x01" * 16, name="First"))
    second = await store.add(new(alice, b"\x02" * 16, name="Second"))
    assert [p.id for p in await store.for_user(alice)] == [first.id, second.id]
