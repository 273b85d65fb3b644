"""SqlConsentStore: what each user already agreed to for each client (scopes and claims)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select

from stint.protocol.consent import Consent
from stint.storage.database import Database
from stint.storage.tables import consents

__all__ = ["SqlConsentStore"]

_GRANTED = select(consents.c.scopes, consents.c.claims).where(
    consents.c.user_id == bindparam("user_id"), consents.c.client_id == bindparam("client_id")
)


class SqlConsentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def granted(self, user_id: int, client_id: str) -> Consent:
        row = await self._db.fetch_one(_GRANTED, {"user_id": user_id, "client_id": client_id})
        return _consent(row) if row is not None else Consent()

    async def add(self, user_id: int, client_id: str, consent: Consent) -> None:
        async with self._db.write() as conn:
            found = (
                await conn.execute(_GRANTED, {"user_id": user_id, "client_id": client_id})
            ).first()
            merged = consent | _consent(found) if found is not None else consent
            await conn.execute(
                delete(consents).where(
                    consents.c.user_id == user_id, consents.c.client_id == client_id
                )
            )
            await conn.execute(
                consents.insert().values(
                    user_id=user_id,
                    client_id=client_id,
                    scopes=" ".join(sorted(merged.scopes)),
                    claims=" ".join(sorted(merged.claims)),
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


def _consent(row: Sequence[Any]) -> Consent:
    return Consent(frozenset(row[0].split()), frozenset(row[1].split()))
