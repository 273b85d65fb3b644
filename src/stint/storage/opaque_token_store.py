"""SqlOpaqueTokenStore: opaque access tokens by hash, for clients that want instant revocation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select

from stint.protocol.ports import OpaqueAccessToken
from stint.storage.database import Database
from stint.storage.tables import opaque_access_tokens

__all__ = ["SqlOpaqueTokenStore", "opaque_token_row"]

_o = opaque_access_tokens.c
_GET = select(
    _o.token_hash, _o.grant_id, _o.client_id, _o.user_id, _o.username, _o.scopes, _o.expires_at
).where(_o.token_hash == bindparam("token_hash"))


def _token(row: Any) -> OpaqueAccessToken:
    values = list(row)
    values[5] = frozenset(values[5].split())
    return OpaqueAccessToken(*values)


def opaque_token_row(token: OpaqueAccessToken) -> dict[str, Any]:
    """The ``opaque_access_tokens`` row for ``token``."""
    return {
        "token_hash": token.token_hash,
        "grant_id": token.grant_id,
        "client_id": token.client_id,
        "user_id": token.user_id,
        "username": token.username,
        "scopes": " ".join(sorted(token.scopes)),
        "expires_at": token.expires_at,
    }


class SqlOpaqueTokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, token: OpaqueAccessToken) -> None:
        async with self._db.write() as conn:
            await conn.execute(opaque_access_tokens.insert().values(**opaque_token_row(token)))

    async def get(self, token_hash: str) -> OpaqueAccessToken | None:
        row = await self._db.fetch_one(_GET, {"token_hash": token_hash})
        return _token(row) if row is not None else None

    async def delete(self, token_hash: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(opaque_access_tokens).where(_o.token_hash == token_hash))
