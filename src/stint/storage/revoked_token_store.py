"""SqlRevokedTokenStore: the ``jti`` of JWT access tokens revoked before they expire."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from stint.protocol.revocations import RevocationKind
from stint.storage.database import Database
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.tables import revoked_tokens

__all__ = ["SqlRevokedTokenStore"]

_CONTAINS = select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == bindparam("jti"))


class SqlRevokedTokenStore:
    def __init__(self, db: Database, revocation_log: SqlRevocationLog | None = None) -> None:
        self._db = db
        self._log = revocation_log or SqlRevocationLog(db)

    async def add(self, jti: str, expires_at: datetime) -> None:
        try:
            async with self._log.write() as tx:
                await tx.conn.execute(
                    revoked_tokens.insert().values(
                        jti=jti, revoked_at=datetime.now(UTC), expires_at=expires_at
                    )
                )
                tx.revoke(RevocationKind.ACCESS_TOKEN, jti, expires_at)
        except IntegrityError:
            pass  # revoked already

    async def contains(self, jti: str) -> bool:
        return await self._db.fetch_one(_CONTAINS, {"jti": jti}) is not None
