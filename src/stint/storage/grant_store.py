"""SqlGrantStore: authorizations, and their revocation (one transaction for all it ends)."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, bindparam, delete, func, select, update

from stint.protocol.ports import AuthorizedClient, Grant, RevokedBecause
from stint.protocol.revocations import RevocationKind
from stint.protocol.scopes import API_SCOPES, FIRST_PARTY_CLIENT_ID
from stint.storage.database import Database
from stint.storage.revocation_log import RevocationWrite, SqlRevocationLog
from stint.storage.tables import consents, grants, refresh_tokens

__all__ = ["SqlGrantStore", "grant_row", "revoke_grants"]

log = logging.getLogger("stint.revocations")

_g = grants.c
_GET = select(
    _g.id, _g.client_id, _g.user_id, _g.scopes, _g.created_at, _g.revoked_at, _g.oidc
).where(_g.id == bindparam("grant_id"))
_IS_REVOKED = select(grants.c.revoked_at).where(grants.c.id == bindparam("grant_id"))
_OIDC = select(grants.c.oidc).where(grants.c.id == bindparam("grant_id"))
# The first-party client (/api/token) is no row of ``clients``: its grants have no client_id.
_FIRST_PARTY = (
    select(grants.c.id)
    .where(
        grants.c.user_id == bindparam("user_id"),
        grants.c.client_id.is_(None),
        grants.c.revoked_at.is_(None),
    )
    .limit(1)
)


async def revoke_grants(
    tx: RevocationWrite, *where: ColumnElement[bool], reason: RevokedBecause
) -> list[str]:
    """Revoke the live grants matching ``where`` in ``tx``: each is marked revoked, its refresh
    tokens deleted and its revocation recorded, all in ``tx``; their ids."""
    result = await tx.conn.execute(
        update(grants)
        .where(*where, grants.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
        .returning(grants.c.id)
    )
    ids = [row[0] for row in result]
    if ids:
        # Opaque access tokens are not deleted: grant_id has no index there, and every reader
        # of one (bearer validation, introspection) refuses it once its grant is revoked.
        await tx.conn.execute(delete(refresh_tokens).where(refresh_tokens.c.grant_id.in_(ids)))
    for grant_id in ids:
        tx.revoke(RevocationKind.GRANT, grant_id)
        log.info("grant %s revoked: %s", grant_id, reason.value)
    return ids


def grant_row(grant: Grant) -> dict[str, Any]:
    """The ``grants`` row for ``grant``."""
    return {
        "id": grant.id,
        # The first-party client (/api/token) is no row of ``clients``.
        "client_id": None if grant.client_id == FIRST_PARTY_CLIENT_ID else grant.client_id,
        "user_id": grant.user_id,
        "scopes": " ".join(sorted(grant.scopes)),
        "created_at": grant.created_at,
        "oidc": orjson.dumps(grant.oidc).decode() if grant.oidc is not None else None,
    }


class SqlGrantStore:
    def __init__(self, db: Database, revocation_log: SqlRevocationLog | None = None) -> None:
        self._db = db
        self._log = revocation_log or SqlRevocationLog(db)

    async def add(self, grant: Grant) -> None:
        async with self._db.write() as conn:
            await conn.execute(grants.insert().values(**grant_row(grant)))

    async def get(self, grant_id: str) -> Grant | None:
        row = await self._db.fetch_one(_GET, {"grant_id": grant_id})
        if row is None:
            return None
        return Grant(
            id=row[0],
            client_id=row[1] or FIRST_PARTY_CLIENT_ID,  # stored as NULL: no clients row
            user_id=row[2],
            scopes=frozenset(row[3].split()),
            created_at=row[4],
            revoked_at=row[5],
            oidc=orjson.loads(row[6]) if row[6] else None,
        )

    async def oidc_context(self, grant_id: str) -> dict[str, Any] | None:
        row = await self._db.fetch_one(_OIDC, {"grant_id": grant_id})
        if row is None or row[0] is None:
            return None
        value = orjson.loads(row[0])
        return value if isinstance(value, dict) else None

    async def revoke(self, grant_id: str, reason: RevokedBecause) -> None:
        async with self._log.write() as tx:
            await revoke_grants(tx, grants.c.id == grant_id, reason=reason)

    async def revoke_for(self, user_id: int, client_id: str) -> list[str]:
        """Revoke every grant a user gave a client and forget the consent, in one transaction
        (the account page's revoke button: the app must ask again)."""
        async with self._log.write() as tx:
            revoked = await revoke_grants(
                tx,
                grants.c.user_id == user_id,
                grants.c.client_id == client_id,
                reason=RevokedBecause.USER_REVOKED,
            )
            await tx.conn.execute(
                delete(consents).where(
                    consents.c.user_id == user_id, consents.c.client_id == client_id
                )
            )
            return revoked

    async def first_party_grant(self, user_id: int) -> str:
        """The user's live first-party grant (/api/token), created when there is none."""
        row = await self._db.fetch_one(_FIRST_PARTY, {"user_id": user_id})
        if row is not None:
            return str(row[0])
        grant_id = secrets.token_urlsafe(16)
        created = Grant(grant_id, FIRST_PARTY_CLIENT_ID, user_id, API_SCOPES, datetime.now(UTC))
        await self.add(created)
        return grant_id

    async def revoke_first_party(self, user_id: int) -> None:
        """Revoke the user's first-party grants: every token /api/token gave out stops."""
        async with self._log.write() as tx:
            await revoke_grants(
                tx,
                grants.c.user_id == user_id,
                grants.c.client_id.is_(None),
                reason=RevokedBecause.FIRST_PARTY_REVOKED,
            )

    async def is_revoked(self, grant_id: str) -> bool:
        row = await self._db.fetch_one(_IS_REVOKED, {"grant_id": grant_id})
        # A grant that does not exist (its client was deleted) is as good as revoked.
        return row is None or row[0] is not None

    async def authorized_clients(self, user_id: int) -> list[AuthorizedClient]:
        """One entry per client this user has live grants for, the last used first."""
        rt = refresh_tokens.c
        query = (
            select(
                _g.client_id,
                _g.scopes,
                _g.created_at,
                func.max(rt.created_at),
                func.max(rt.rotated_at),
            )
            .select_from(grants.outerjoin(refresh_tokens, rt.grant_id == _g.id))
            # First-party grants (/api/token) have no client_id: no app to list.
            .where(_g.user_id == user_id, _g.revoked_at.is_(None), _g.client_id.is_not(None))
            .group_by(_g.id, _g.client_id, _g.scopes, _g.created_at)
        )
        async with self._db.read() as conn:
            rows: Any = await conn.execute(query)
            found: dict[str, AuthorizedClient] = {}
            for client_id, scopes, created_at, issued, rotated in rows:
                used = max(t for t in (created_at, issued, rotated) if t is not None)
                seen = found.get(client_id)
                if seen is None:
                    found[client_id] = AuthorizedClient(
                        client_id, frozenset(scopes.split()), created_at, used
                    )
                    continue
                found[client_id] = AuthorizedClient(
                    client_id,
                    seen.scopes | frozenset(scopes.split()),
                    max(seen.granted_at, created_at),
                    max(seen.last_used_at, used),
                )
        return sorted(found.values(), key=lambda c: (c.last_used_at, c.client_id), reverse=True)
