"""SqlChallengeStore: WebAuthn challenges by their hash, each taken once (DELETE ... RETURNING).

A replayed response, or two racing with one challenge, finds it gone (WebAuthn L3 §13.4.3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from stint.accounts.passkeys import Challenge
from stint.protocol.secrets import SecretHasher
from stint.storage.database import Database
from stint.storage.tables import webauthn_challenges

__all__ = ["SqlChallengeStore"]

_c = webauthn_challenges.c


class SqlChallengeStore:
    def __init__(
        self,
        db: Database,
        instance_secret: bytes,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._hasher = SecretHasher(instance_secret)
        self._clock = clock

    def _hash(self, challenge: bytes) -> str:
        return self._hasher.hash(challenge.hex())

    async def put(
        self, challenge: bytes, purpose: str, user_id: int | None, ttl_seconds: int
    ) -> None:
        now = self._clock()
        async with self._db.write() as conn:
            # Abandoned ceremonies go as new ones begin: the table holds minutes' worth.
            await conn.execute(delete(webauthn_challenges).where(_c.expires_at <= now))
            await conn.execute(
                webauthn_challenges.insert().values(
                    challenge_hash=self._hash(challenge),
                    purpose=purpose,
                    user_id=user_id,
                    expires_at=now + timedelta(seconds=ttl_seconds),
                )
            )

    async def take(self, challenge: bytes) -> Challenge | None:
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    delete(webauthn_challenges)
                    .where(_c.challenge_hash == self._hash(challenge))
                    .returning(_c.purpose, _c.user_id, _c.expires_at)
                )
            ).first()
        if row is None or row[2] <= self._clock():
            return None
        return Challenge(purpose=row[0], user_id=row[1], expires_at=row[2])
