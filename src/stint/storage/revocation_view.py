"""SqlRevocationView: is a JWT access token revoked, by its ``jti`` or its grant? One read."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Select, bindparam, select

from stint.protocol.access_tokens import AccessToken
from stint.storage.database import Database
from stint.storage.tables import grants, revoked_tokens

__all__ = ["SqlRevocationView"]

_JTI_REVOKED = select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == bindparam("jti")).exists()
_GRANT_LIVE = (
    select(grants.c.id)
    .where(grants.c.id == bindparam("grant_id"), grants.c.revoked_at.is_(None))
    .exists()
)
_BY_JTI = select(_JTI_REVOKED)
_BY_JTI_AND_GRANT = cast("Select[Any]", select(_JTI_REVOKED, _GRANT_LIVE))


class SqlRevocationView:
    """The stores' word at the moment of asking (introspection's), in one round trip where the
    two stores would take two."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def is_revoked(self, token: AccessToken) -> bool:
        if token.grant_id is None:
            row = await self._db.fetch_one(_BY_JTI, {"jti": token.jti})
            return row is not None and bool(row[0])
        row = await self._db.fetch_one(
            _BY_JTI_AND_GRANT, {"jti": token.jti, "grant_id": token.grant_id}
        )
        # A grant that no longer exists (its client was deleted) is as good as revoked.
        return row is None or bool(row[0]) or not row[1]
