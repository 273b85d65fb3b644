"""Signing keys in the database, sealed with AES-256-GCM under a key derived from the secret."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from stint.protocol.keys import SigningKey, generate_signing_key, signing_key_from_private_jwk
from stint.storage.database import Database
from stint.storage.tables import signing_keys

__all__ = ["KeySealer", "SqlSigningKeyStore"]


class KeySealer:
    """Encrypts private keys at rest, so a database dump alone yields no signing key."""

    def __init__(self, instance_secret: bytes) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"stint/signing-key-sealing/v1"
        ).derive(instance_secret)
        self._aead = AESGCM(derived)

    def seal(self, kid: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, kid.encode())

    def open(self, kid: str, sealed: bytes) -> bytes:
        return self._aead.decrypt(sealed[:12], sealed[12:], kid.encode())


class SqlSigningKeyStore:
    def __init__(self, db: Database, sealer: KeySealer) -> None:
        self._db = db
        self._sealer = sealer

    async def load_or_create(self, alg: str = "ES256") -> list[SigningKey]:
        """The current key first, then any others; creates the first key exactly once.

        Workers that start together may each generate a key; the unique ``active_slot`` lets one
        insert win and the others read the winner's key.
        """
        keys = await self._load()
        if any(slot == alg for slot, _ in keys):
            return _current_first(keys, alg)
        candidate = generate_signing_key(alg)
        sealed = self._sealer.seal(candidate.kid, orjson.dumps(candidate.private_jwk()))
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    signing_keys.insert().values(
                        kid=candidate.kid,
                        alg=alg,
                        sealed_private_jwk=sealed,
                        active_slot=alg,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            pass  # another worker's key won the slot
        return _current_first(await self._load(), alg)

    async def _load(self) -> list[tuple[str | None, SigningKey]]:
        query = select(
            signing_keys.c.kid,
            signing_keys.c.alg,
            signing_keys.c.sealed_private_jwk,
            signing_keys.c.active_slot,
        ).order_by(signing_keys.c.created_at.desc())
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        loaded = []
        for kid, alg, sealed, slot in rows:
            jwk = orjson.loads(self._sealer.open(kid, sealed))
            loaded.append((slot, signing_key_from_private_jwk(jwk, alg)))
        return loaded


def _current_first(keys: list[tuple[str | None, SigningKey]], alg: str) -> list[SigningKey]:
    current = [key for slot, key in keys if slot == alg]
    return current + [key for slot, key in keys if slot != alg]
