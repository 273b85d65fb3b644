"""Signing keys: created once however many workers start together, sealed at rest, rotated."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from stint.protocol.keys import (
    SIGNING_ALGORITHMS,
    KeyRing,
    SigningKey,
    generate_signing_key,
    signing_key_from_private_jwk,
)
from stint.storage.database import Database
from stint.storage.key_store import KeySealer, RotationInProgressError, SqlSigningKeyStore
from stint.storage.tables import signing_keys

pytestmark = pytest.mark.anyio

SECRET = b"k" * 48
_GENERATED: dict[str, list[SigningKey]] = {alg: [] for alg in SIGNING_ALGORITHMS}


@pytest.fixture(autouse=True)
def reused_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets distinct fresh keys, made once for every test: an RSA key takes ~100 ms to
    generate, and the tests here generate dozens (every database starts empty, so none clash)."""
    handed_out = dict.fromkeys(SIGNING_ALGORITHMS, 0)

    def generate(alg: str = "ES256", created_at: datetime | None = None) -> SigningKey:
        n = handed_out[alg]
        handed_out[alg] += 1
        if n == len(_GENERATED[alg]):
            _GENERATED[alg].append(generate_signing_key(alg))
        return dataclasses.replace(_GENERATED[alg][n], created_at=created_at or datetime.now(UTC))

    monkeypatch.setattr("stint.storage.key_store.generate_signing_key", generate)


async def test_workers_starting_together_agree_on_one_key_per_algorithm(
    database_url: str,
) -> None:
    # Each "worker" has its own engine and pool, as separate processes would.
    workers = [Database(database_url) for _ in range(8)]
    try:
        results = await asyncio.gather(
            *(SqlSigningKeyStore(db, KeySealer(SECRET)).load_or_create() for db in workers)
        )
    finally:
        for db in workers:
            await db.dispose()
    assert len({tuple(sorted(k.kid for k in keys)) for keys in results}) == 1
    assert all(sorted(k.alg for k in keys) == sorted(SIGNING_ALGORITHMS) for keys in results)


async def test_private_key_is_sealed_at_rest(db: Database) -> None:
    keys = await SqlSigningKeyStore(db, KeySealer(SECRET)).load_or_create()
    es256 = next(k for k in keys if k.alg == "ES256")
    async with db.read() as conn:
        sealed = (
            await conn.execute(
                select(signing_keys.c.sealed_private_jwk).where(signing_keys.c.kid == es256.kid)
            )
        ).scalar_one()
    assert es256.private_jwk()["d"].encode() not in sealed
    with pytest.raises(InvalidTag):
        KeySealer(b"another secret entirely, 32+ bytes").open(es256.kid, sealed)


async def test_loading_again_returns_the_same_keys(db: Database) -> None:
    store = SqlSigningKeyStore(db, KeySealer(SECRET))
    first = await store.load_or_create()
    again = await store.load_or_create()
    assert sorted(k.kid for k in again) == sorted(k.kid for k in first)


async def test_rotation_publishes_first_then_signs_then_retires(db: Database) -> None:
    store = SqlSigningKeyStore(db, KeySealer(SECRET))
    now = [datetime.now(UTC)]
    ring = KeyRing(store.load_or_create, clock=lambda: now[0])
    await ring.reload()
    old = ring.current_for("ES256")

    plan = await store.rotate("ES256", publish_seconds=600, retire_after_seconds=900)
    await ring.reload()
    published = {k["kid"] for k in ring.public_jwks()["keys"]}
    assert {old.kid, plan.new_kid} <= published  # the next key is public before it signs
    assert ring.current_for("ES256").kid == old.kid
    assert plan.retiring == (old.kid,)

    now[0] = plan.activates_at + timedelta(seconds=1)
    assert ring.current_for("ES256").kid == plan.new_kid
    assert await ring.find(old.kid) is not None  # its tokens still verify

    now[0] = plan.retires_at + timedelta(seconds=1)
    assert old.kid not in {k["kid"] for k in ring.public_jwks()["keys"]}
    assert await ring.find(old.kid) is None
    # Other algorithms are untouched.
    assert ring.current_for("RS256").retires_at is None


async def test_a_second_rotation_waits_for_the_first(db: Database) -> None:
    store = SqlSigningKeyStore(db, KeySealer(SECRET))
    await store.load_or_create()
    await store.rotate("ES256", publish_seconds=600, retire_after_seconds=900)
    with pytest.raises(RotationInProgressError):
        await store.rotate("ES256", publish_seconds=600, retire_after_seconds=900)
    await store.rotate("RS256", publish_seconds=600, retire_after_seconds=900)


async def test_purging_removes_only_retired_keys(db: Database) -> None:
    store = SqlSigningKeyStore(db, KeySealer(SECRET))
    await store.load_or_create()
    plan = await store.rotate("ES256", publish_seconds=0, retire_after_seconds=0)
    assert await store.purge_retired(datetime.now(UTC) + timedelta(seconds=5)) == 1
    kids = {k.kid for k in await store.load()}
    assert plan.new_kid in kids
    assert not kids & set(plan.retiring)


async def test_rotations_racing_on_separate_workers_make_one_next_key(database_url: str) -> None:
    setup = Database(database_url)
    await SqlSigningKeyStore(setup, KeySealer(SECRET)).load_or_create()
    await setup.dispose()
    workers = [Database(database_url) for _ in range(5)]
    try:
        results = await asyncio.gather(
            *(
                SqlSigningKeyStore(db, KeySealer(SECRET)).rotate(
                    "ES256", publish_seconds=600, retire_after_seconds=900
                )
                for db in workers
            ),
            return_exceptions=True,
        )
    finally:
        for db in workers:
            await db.dispose()
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(
        isinstance(r, RotationInProgressError) for r in results if isinstance(r, BaseException)
    )


async def test_reloading_imports_only_keys_it_has_not_imported_yet(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Importing an RSA private key costs ~100 ms of CPU with the GIL held (cryptography checks
    # the key): redone on every periodic reload, it stalled every request of the worker.
    imported: list[str] = []

    def counting_import(jwk: dict[str, Any], alg: str, **dates: Any) -> SigningKey:
        imported.append(alg)
        return signing_key_from_private_jwk(jwk, alg, **dates)

    store = SqlSigningKeyStore(db, KeySealer(SECRET))
    first = {k.kid: k for k in await store.load_or_create()}
    monkeypatch.setattr("stint.storage.key_store.signing_key_from_private_jwk", counting_import)

    assert {k.kid for k in await store.load()} == set(first)
    assert imported == []

    plan = await store.rotate("RS256", publish_seconds=600, retire_after_seconds=900)
    reloaded = {k.kid: k for k in await store.load()}
    assert imported == ["RS256"]  # the new key only
    (old_kid,) = plan.retiring
    assert reloaded[old_kid].retires_at == plan.retires_at  # a changed date is still seen
    assert reloaded[old_kid].key is first[old_kid].key
    assert reloaded[plan.new_kid].activates_at == plan.activates_at
