"""SqlUpstreamSignInStore: sign-ins on their way through a provider, by the hash of their state.

Taking one deletes it in the same statement (DELETE ... RETURNING, on SQLite and PostgreSQL), so
a replayed /complete URL, or two requests racing with one state, finds it gone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete

from stint.connectors.ports import PendingSignIn
from stint.protocol.secrets import SecretHasher
from stint.storage.database import Database
from stint.storage.sealing import UPSTREAM_SIGN_INS, Sealer
from stint.storage.tables import upstream_sign_ins

__all__ = ["SqlUpstreamSignInStore"]

_s = upstream_sign_ins.c


class SqlUpstreamSignInStore:
    def __init__(
        self,
        db: Database,
        instance_secret: bytes,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._hasher = SecretHasher(instance_secret)
        self._sealer = Sealer(instance_secret, UPSTREAM_SIGN_INS)
        self._clock = clock

    async def put(self, state: str, pending: PendingSignIn, ttl_seconds: int) -> None:
        state_hash = self._hasher.hash(state)
        now = self._clock()
        async with self._db.write() as conn:
            # Abandoned sign-ins go as new ones arrive: the table holds minutes' worth.
            await conn.execute(delete(upstream_sign_ins).where(_s.expires_at <= now))
            await conn.execute(
                upstream_sign_ins.insert().values(
                    state_hash=state_hash,
                    provider=pending.provider,
                    purpose=pending.purpose,
                    user_id=pending.user_id,
                    next_url=pending.next_url,
                    sealed_session=self._sealer.seal(state_hash, orjson.dumps(pending.session)),
                    created_at=now,
                    expires_at=now + timedelta(seconds=ttl_seconds),
                )
            )

    async def take(self, state: str) -> PendingSignIn | None:
        if "\x00" in state:  # no state holds one (they are base64url)
            return None
        state_hash = self._hasher.hash(state)
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    delete(upstream_sign_ins)
                    .where(_s.state_hash == state_hash)
                    .returning(
                        _s.provider,
                        _s.purpose,
                        _s.user_id,
                        _s.next_url,
                        _s.sealed_session,
                        _s.expires_at,
                    )
                )
            ).first()
        if row is None or row[5] <= self._clock():
            return None
        session: dict[str, Any] = orjson.loads(self._sealer.open(state_hash, row[4]))
        return PendingSignIn(
            provider=row[0], purpose=row[1], session=session, next_url=row[3], user_id=row[2]
        )

    async def prune(self) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(upstream_sign_ins).where(_s.expires_at <= self._clock())
            )
        return result.rowcount
