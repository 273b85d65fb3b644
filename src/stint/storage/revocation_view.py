"""SqlRevocationView: is a JWT access token revoked, by its ``jti`` or its grant? One read."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from stint.protocol.access_tokens import AccessToken
from stint.storage.database import Database
from stint.storage.tables import grants, revoked_tokens

__all__ = ["SqlRevocationView"]

_BY_JTI = select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == bindparam("jti"))
# A row when the grant is live and the jti not revoked; none when the token is revoked.
_LIVE = select(grants.c.id).where(
    grants.c.id == bindparam("grant_id"), grants.c.revoked_at.is_(None), ~_BY_JTI.exists()
)


class SqlRevocationView:
    """The stores' word at the moment of asking (introspection's), in one round trip where the
    two stores would take two."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def is_revoked(self, token: AccessToken) -> bool:
        if token.grant_id is None:
            return await self._db.fetch_one(_BY_JTI, {"jti": token.jti}) is not None
        # A grant that no longer exists (its client was deleted) is as good as revoked.
        params = {"jti": token.jti, "grant_id": token.grant_id}
        return await self._db.fetch_one(_LIVE, params) is None
