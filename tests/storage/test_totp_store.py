"""SqlTotpStore, on SQLite and PostgreSQL: the secret sealed at rest and bound to its user, a
time-step and a recovery code each used once however many requests race for them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, update

from stint.storage.database import Database
from stint.storage.tables import totp_credentials
from stint.storage.totp_store import SqlTotpStore
from tests.conftest import SECRET_KEY

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def store(db: Database) -> SqlTotpStore:
    return SqlTotpStore(db, SECRET_KEY.encode())


async def test_the_secret_is_sealed_at_rest_and_reads_back(
    store: SqlTotpStore, db: Database, user_id: int
) -> None:
    await store.begin(user_id, SECRET, NOW)
    async with db.read() as conn:
        sealed = (await conn.execute(select(totp_credentials.c.sealed_secret))).scalar_one()
    assert SECRET.encode() not in sealed
    credential = await store.get(user_id)
    assert credential is not None
    assert (credential.secret, credential.confirmed) == (SECRET, False)


async def test_a_sealed_secret_copied_to_another_user_does_not_open(
    store: SqlTotpStore, db: Database, user_id: int, other_user_id: int
) -> None:
    await store.begin(user_id, SECRET, NOW)
    await store.begin(other_user_id, "A" * 32, NOW)
    async with db.write() as conn:
        sealed = (
            await conn.execute(
                select(totp_credentials.c.sealed_secret).where(
                    totp_credentials.c.user_id == user_id
                )
            )
        ).scalar_one()
        await conn.execute(
            update(totp_credentials)
            .where(totp_credentials.c.user_id == other_user_id)
            .values(sealed_secret=sealed)
        )
    with pytest.raises(InvalidTag):
        await store.get(other_user_id)


async def test_an_active_secret_is_not_replaced_by_a_new_enrolment(
    store: SqlTotpStore, user_id: int
) -> None:
    await store.begin(user_id, SECRET, NOW)
    assert await store.confirm(user_id, 100, ["h1", "h2"])
    assert not await store.confirm(user_id, 101, [])  # confirmed once only
    await store.begin(user_id, "B" * 32, NOW)
    credential = await store.get(user_id)
    assert credential is not None
    assert (credential.secret, credential.confirmed, credential.last_step) == (SECRET, True, 100)


async def test_a_time_step_is_used_once_however_many_race(
    store: SqlTotpStore, user_id: int
) -> None:
    await store.begin(user_id, SECRET, NOW)
    await store.confirm(user_id, 100, [])
    results = await asyncio.gather(*(store.use_step(user_id, 101) for _ in range(8)))
    assert results.count(True) == 1
    assert not await store.use_step(user_id, 100)  # older than the last used


async def test_a_recovery_code_is_used_once_however_many_race(
    store: SqlTotpStore, user_id: int
) -> None:
    await store.begin(user_id, SECRET, NOW)
    await store.confirm(user_id, 100, ["h1", "h2"])
    results = await asyncio.gather(*(store.use_recovery_code(user_id, "h1", NOW) for _ in range(8)))
    assert results.count(True) == 1
    assert await store.recovery_codes_left(user_id) == 1
    await store.replace_recovery_codes(user_id, ["h3"])
    assert not await store.use_recovery_code(user_id, "h2", NOW)
    assert await store.use_recovery_code(user_id, "h3", NOW)


async def test_removing_forgets_the_secret_and_the_codes(store: SqlTotpStore, user_id: int) -> None:
    await store.begin(user_id, SECRET, NOW)
    await store.confirm(user_id, 100, ["h1"])
    await store.remove(user_id)
    assert await store.get(user_id) is None
    assert await store.recovery_codes_left(user_id) == 0
