"""Signing keys: created once however many workers start together, sealed at rest."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from stint.storage.database import Database
from stint.storage.key_store import KeySealer, SqlSigningKeyStore
from stint.storage.tables import signing_keys

pytestmark = pytest.mark.anyio

SECRET = b"k" * 48


async def test_workers_starting_together_agree_on_one_key(database_url: str) -> None:
    # Each "worker" has its own engine and pool, as separate processes would.
    workers = [Database(database_url) for _ in range(8)]
    try:
        results = await asyncio.gather(
            *(SqlSigningKeyStore(db, KeySealer(SECRET)).load_or_create() for db in workers)
        )
    finally:
        for db in workers:
            await db.dispose()
    kids = {keys[0].kid for keys in results}
    assert len(kids) == 1
    assert all(len(keys) == 1 for keys in results)


async def test_private_key_is_sealed_at_rest(db: Database) -> None:
    keys = await SqlSigningKeyStore(db, KeySealer(SECRET)).load_or_create()
    async with db.read() as conn:
        sealed = (await conn.execute(select(signing_keys.c.sealed_private_jwk))).scalar_one()
    private_d = keys[0].private_jwk()["d"].encode()
    assert private_d not in sealed
    with pytest.raises(InvalidTag):
        KeySealer(b"another secret entirely, 32+ bytes").open(keys[0].kid, sealed)


async def test_loading_again_returns_the_same_key(db: Database) -> None:
    store = SqlSigningKeyStore(db, KeySealer(SECRET))
    first = await store.load_or_create()
    again = await store.load_or_create()
    assert [k.kid for k in again] == [k.kid for k in first]
    assert again[0].public_jwk()["kid"] == first[0].kid
