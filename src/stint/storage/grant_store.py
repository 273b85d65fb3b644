"""SqlGrantStore: authorizations, and their revocation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, select, update

from stint.protocol.ports import Grant
from stint.storage.database import Database
from stint.storage.tables import grants

__all__ = ["SqlGrantStore"]

_IS_REVOKED = select(grants.c.revoked_at).where(grants.c.id == bindparam("grant_id"))
_OIDC = select(grants.c.oidc).where(grants.c.id == bindparam("grant_id"))
_REVOKED_SINCE = select(grants.c.id).where(grants.c.revoked_at >= bindparam("since"))


class SqlGrantStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, grant: Grant) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                grants.insert().values(
                    id=grant.id,
                    client_id=grant.client_id,
                    user_id=grant.user_id,
                    scopes=" ".join(sorted(grant.scopes)),
                    created_at=grant.created_at,
                    oidc=orjson.dumps(grant.oidc).decode() if grant.oidc is not None else None,
                )
            )

    async def oidc_context(self, grant_id: str) -> dict[str, Any] | None:
        row = await self._db.fetch_one(_OIDC, {"grant_id": grant_id})
        if row is None or row[0] is None:
            return None
        value = orjson.loads(row[0])
        return value if isinstance(value, dict) else None

    async def revoke(self, grant_id: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(grants)
                .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )

    async def revoke_for(self, user_id: int, client_id: str) -> list[str]:
        """Revoke every grant a user gave a client (the account page's revoke button)."""
        async with self._db.write() as conn:
            result = await conn.execute(
                update(grants)
                .where(
                    grants.c.user_id == user_id,
                    grants.c.client_id == client_id,
                    grants.c.revoked_at.is_(None),
                )
                .values(revoked_at=datetime.now(UTC))
                .returning(grants.c.id)
            )
            return [row[0] for row in result]

    async def is_revoked(self, grant_id: str) -> bool:
        row = await self._db.fetch_one(_IS_REVOKED, {"grant_id": grant_id})
        # A grant that does not exist (its client was deleted) is as good as revoked.
        return row is None or row[0] is not None

    async def revoked_since(self, since: datetime) -> list[str]:
        async with self._db.read() as conn:
            rows = await conn.execute(_REVOKED_SINCE, {"since": since})
            return [row[0] for row in rows]

    async def active_client_ids(self, user_id: int) -> list[tuple[str, datetime]]:
        """Clients this user has live grants for, with the newest grant's time."""
        query = (
            select(grants.c.client_id, grants.c.created_at)
            .where(grants.c.user_id == user_id, grants.c.revoked_at.is_(None))
            .order_by(grants.c.created_at.desc())
        )
        async with self._db.read() as conn:
            rows: Any = await conn.execute(query)
            seen: dict[str, datetime] = {}
            for client_id, created_at in rows:
                if client_id is not None:
                    seen.setdefault(client_id, created_at)
        return list(seen.items())
