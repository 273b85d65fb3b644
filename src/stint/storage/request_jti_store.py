"""SqlRequestJtiStore: the jti of each signed request until it expires (CIBA Core §7.1.1)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete

from stint.storage.database import Database, dialect_insert
from stint.storage.tables import request_jtis

__all__ = ["SqlRequestJtiStore"]

_j = request_jtis.c


class SqlRequestJtiStore:
    def __init__(
        self, db: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._db = db
        self._clock = clock

    async def first_use(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        # Hashed: a fixed-length key, whatever the client put in jti (and no NUL to bind).
        key = hashlib.sha256(f"{issuer}\x00{jti}".encode()).hexdigest()
        async with self._db.write() as conn:
            # Expired ids go as new ones arrive; an expired JWT is refused before it gets here.
            await conn.execute(delete(request_jtis).where(_j.expires_at <= self._clock()))
            insert = dialect_insert(self._db.dialect)(request_jtis).values(
                jti_key=key, expires_at=expires_at
            )
            result = await conn.execute(insert.on_conflict_do_nothing())
        return bool(result.rowcount == 1)
