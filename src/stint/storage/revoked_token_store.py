"""SqlRevokedTokenStore: the ``jti`` of JWT access tokens revoked before they expire."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from stint.storage.database import Database
from stint.storage.tables import revoked_tokens

__all__ = ["SqlRevokedTokenStore"]

_CONTAINS = select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == bindparam("jti"))
_SINCE = select(revoked_tokens.c.jti).where(revoked_tokens.c.revoked_at >= bindparam("since"))


class SqlRevokedTokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, jti: str, expires_at: datetime) -> None:
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    revoked_tokens.insert().values(
                        jti=jti, revoked_at=datetime.now(UTC), expires_at=expires_at
                    )
                )
        except IntegrityError:
            pass  # revoked already

    async def contains(self, jti: str) -> bool:
        return await self._db.fetch_one(_CONTAINS, {"jti": jti}) is not None

    async def added_since(self, since: datetime) -> list[str]:
        async with self._db.read() as conn:
            return [row[0] for row in await conn.execute(_SINCE, {"since": since})]
