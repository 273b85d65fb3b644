"""SqlConsentStore: what each user already agreed to for each client (scopes and claims)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stint.protocol.consent import Consent
from stint.storage.database import Database, dialect_insert
from stint.storage.tables import consents

__all__ = ["SqlConsentStore", "add_consent"]

_GRANTED = select(consents.c.scopes, consents.c.claims).where(
    consents.c.user_id == bindparam("user_id"), consents.c.client_id == bindparam("client_id")
)


class SqlConsentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def granted(self, user_id: int, client_id: str) -> Consent:
        row = await self._db.fetch_one(_GRANTED, {"user_id": user_id, "client_id": client_id})
        return _consent(row) if row is not None else Consent()


async def add_consent(
    conn: AsyncConnection, dialect: str, user_id: int, client_id: str, consent: Consent
) -> None:
    """Add ``consent`` to what the user agreed to, in an approval's transaction ``conn``."""
    insert = dialect_insert(dialect)(consents).values(
        user_id=user_id,
        client_id=client_id,
        scopes=" ".join(sorted(consent.scopes)),
        claims=" ".join(sorted(consent.claims)),
        granted_at=datetime.now(UTC),
    )
    # One atomic upsert: it inserts, or locks the row a concurrent approval made and returns
    # what it holds (a delete-then-insert raced into a unique violation on PostgreSQL).
    upsert = insert.on_conflict_do_update(
        index_elements=[consents.c.user_id, consents.c.client_id],
        set_={"granted_at": insert.excluded.granted_at},
    ).returning(consents.c.scopes, consents.c.claims)
    stored = _consent((await conn.execute(upsert)).one())
    merged = stored | consent
    if merged != stored:  # the row was there already: keep what it holds, add this
        await conn.execute(
            update(consents)
            .where(consents.c.user_id == user_id, consents.c.client_id == client_id)
            .values(
                scopes=" ".join(sorted(merged.scopes)),
                claims=" ".join(sorted(merged.claims)),
            )
        )


def _consent(row: Sequence[Any]) -> Consent:
    return Consent(frozenset(row[0].split()), frozenset(row[1].split()))
