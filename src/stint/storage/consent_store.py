"""SqlConsentStore: which scopes each user already approved for each client."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, select

from stint.storage.database import Database
from stint.storage.tables import consents

__all__ = ["SqlConsentStore"]

_SCOPES = select(consents.c.scopes).where(
    consents.c.user_id == bindparam("user_id"), consents.c.client_id == bindparam("client_id")
)


class SqlConsentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def scopes(self, user_id: int, client_id: str) -> frozenset[str]:
        row = await self._db.fetch_one(_SCOPES, {"user_id": user_id, "client_id": client_id})
        return frozenset(row[0].split()) if row is not None else frozenset()

    async def add(self, user_id: int, client_id: str, scopes: frozenset[str]) -> None:
        async with self._db.write() as conn:
            found = (
                await conn.execute(_SCOPES, {"user_id": user_id, "client_id": client_id})
            ).first()
            merged = scopes | (frozenset(found[0].split()) if found else frozenset())
            await conn.execute(
                delete(consents).where(
                    consents.c.user_id == user_id, consents.c.client_id == client_id
                )
            )
            await conn.execute(
                consents.insert().values(
                    user_id=user_id,
                    client_id=client_id,
                    scopes=" ".join(sorted(merged)),
                    granted_at=datetime.now(UTC),
                )
            )

    async def remove(self, user_id: int, client_id: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                delete(consents).where(
                    consents.c.user_id == user_id, consents.c.client_id == client_id
                )
            )
