"""Signing keys in the database, sealed with AES-256-GCM under a key derived from the secret."""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import Insert, delete, select, update
from sqlalchemy.exc import IntegrityError

from stint.protocol.keys import (
    SIGNING_ALGORITHMS,
    SigningKey,
    generate_signing_key,
    signing_key_from_private_jwk,
)
from stint.storage.database import Database
from stint.storage.sealing import SIGNING_KEYS, Sealer
from stint.storage.tables import signing_keys

__all__ = ["KeySealer", "RotationInProgressError", "RotationPlan", "SqlSigningKeyStore"]

_k = signing_keys.c


class KeySealer(Sealer):
    """Encrypts private keys at rest (the row's kid bound in), so a database dump alone yields no
    signing key."""

    def __init__(self, instance_secret: bytes) -> None:
        super().__init__(instance_secret, SIGNING_KEYS)


class RotationInProgressError(Exception):
    """A key of this algorithm is still waiting to activate: finish that rotation first."""


@dataclass(frozen=True, slots=True)
class RotationPlan:
    alg: str
    new_kid: str
    activates_at: datetime
    retiring: tuple[str, ...]  # kids of the keys the new one replaces
    retires_at: datetime


class SqlSigningKeyStore:
    """Signing keys by kid. Each worker reloads them periodically; a kid names its key material
    (RFC 7638 thumbprint), so a key imported once is reused and only its dates are re-read:
    importing an RSA private key costs ~100 ms of CPU with the GIL held, a stall of every
    request in flight if it were redone on each reload."""

    def __init__(self, db: Database, sealer: KeySealer) -> None:
        self._db = db
        self._sealer = sealer
        self._imported: dict[str, SigningKey] = {}

    async def load_or_create(self) -> list[SigningKey]:
        """Every stored key; creates the first key of each algorithm exactly once.

        Workers that start together may each generate a key; the unique ``active_slot`` lets one
        insert win and the others read the winner's key.
        """
        keys = await self.load()
        missing = [alg for alg in SIGNING_ALGORITHMS if not any(k.alg == alg for k in keys)]
        for alg in missing:
            candidate = generate_signing_key(alg)
            with contextlib.suppress(IntegrityError):  # another worker's key won the slot
                await self._insert(candidate, active_slot=alg)
        return await self.load() if missing else keys

    async def load(self) -> list[SigningKey]:
        query = select(
            _k.kid, _k.alg, _k.sealed_private_jwk, _k.created_at, _k.activates_at, _k.retires_at
        ).order_by(_k.created_at.desc())
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        keys = []
        for kid, alg, sealed, created_at, activates_at, retires_at in rows:
            dates = {
                "created_at": created_at,
                "activates_at": activates_at,
                "retires_at": retires_at,
            }
            known = self._imported.get(kid)
            if known is not None and known.alg == alg:
                keys.append(dataclasses.replace(known, **dates))
            else:
                opened = orjson.loads(self._sealer.open(kid, sealed))
                keys.append(signing_key_from_private_jwk(opened, alg, **dates))
        self._imported = {k.kid: k for k in keys}  # purged keys are forgotten
        return keys

    async def rotate(
        self, alg: str, *, publish_seconds: int, retire_after_seconds: int
    ) -> RotationPlan:
        """Add the next key of ``alg``: published now, signing after ``publish_seconds``; the keys
        it replaces leave the JWKS ``retire_after_seconds`` after that (when their tokens expired).
        """
        now = datetime.now(UTC)
        activates_at = now + timedelta(seconds=publish_seconds)
        retires_at = activates_at + timedelta(seconds=retire_after_seconds)
        candidate = generate_signing_key(alg, created_at=now)
        async with self._db.write() as conn:
            # Lock this algorithm's rows first (PostgreSQL; SQLite's BEGIN IMMEDIATE already
            # serialises writers), so of two rotations at once the second waits, then sees the
            # first one's pending key below and refuses.
            await conn.execute(select(_k.kid).where(_k.alg == alg).with_for_update())
            pending = await conn.execute(
                select(_k.kid).where(_k.alg == alg, _k.activates_at > now).limit(1)
            )
            if pending.first() is not None:
                raise RotationInProgressError(f"an {alg} key is already waiting to activate")
            live = await conn.execute(
                select(_k.kid).where(
                    _k.alg == alg, (_k.retires_at.is_(None)) | (_k.retires_at > retires_at)
                )
            )
            retiring = tuple(row[0] for row in live)
            await conn.execute(
                update(signing_keys).where(_k.kid.in_(retiring)).values(retires_at=retires_at)
            )
            await conn.execute(self._insert_statement(candidate, None, activates_at))
        return RotationPlan(alg, candidate.kid, activates_at, retiring, retires_at)

    async def purge_retired(self, before: datetime) -> int:
        """Delete keys that left the JWKS before ``before``; returns how many."""
        async with self._db.write() as conn:
            result = await conn.execute(delete(signing_keys).where(_k.retires_at < before))
        return result.rowcount

    async def _insert(self, key: SigningKey, *, active_slot: str | None) -> None:
        async with self._db.write() as conn:
            await conn.execute(self._insert_statement(key, active_slot, None))

    def _insert_statement(
        self, key: SigningKey, active_slot: str | None, activates_at: datetime | None
    ) -> Insert:
        sealed = self._sealer.seal(key.kid, orjson.dumps(key.private_jwk()))
        return signing_keys.insert().values(
            kid=key.kid,
            alg=key.alg,
            sealed_private_jwk=sealed,
            active_slot=active_slot,
            created_at=key.created_at,
            activates_at=activates_at,
        )
