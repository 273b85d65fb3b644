"""SqlRefreshTokenStore: refresh tokens by hash, rotated at most once even under concurrency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from stint.protocol.ports import RefreshToken, Rotation, rotation_of_rotated
from stint.storage.database import Database
from stint.storage.tables import refresh_tokens

__all__ = ["SqlRefreshTokenStore"]

_r = refresh_tokens.c
_COLUMNS = (
    _r.token_hash,
    _r.grant_id,
    _r.client_id,
    _r.user_id,
    _r.scopes,
    _r.created_at,
    _r.expires_at,
    _r.rotated_at,
)
_GET = select(*_COLUMNS).where(_r.token_hash == bindparam("token_hash"))


def _token(row: Any) -> RefreshToken:
    values = list(row)
    values[4] = frozenset(values[4].split())
    return RefreshToken(*values)


def _insert_values(token: RefreshToken) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "grant_id": token.grant_id,
        "client_id": token.client_id,
        "user_id": token.user_id,
        "scopes": " ".join(sorted(token.scopes)),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
    }


class SqlRefreshTokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, token: RefreshToken) -> None:
        async with self._db.write() as conn:
            await conn.execute(refresh_tokens.insert().values(**_insert_values(token)))

    async def get(self, token_hash: str) -> RefreshToken | None:
        row = await self._db.fetch_one(_GET, {"token_hash": token_hash})
        return _token(row) if row is not None else None

    async def rotate(
        self, token_hash: str, successor: RefreshToken, *, now: datetime, grace_seconds: int
    ) -> Rotation:
        async with self._db.write() as conn:
            # Only one of any number of concurrent rotations finds rotated_at still NULL.
            result = await conn.execute(
                update(refresh_tokens)
                .where(_r.token_hash == token_hash, _r.rotated_at.is_(None))
                .values(rotated_at=now)
            )
            if result.rowcount == 1:
                await conn.execute(refresh_tokens.insert().values(**_insert_values(successor)))
                return Rotation.ROTATED
            query = select(_r.rotated_at).where(_r.token_hash == token_hash)
            row = (await conn.execute(query)).first()
        if row is None or row[0] is None:
            return Rotation.UNKNOWN
        return rotation_of_rotated(row[0], now, grace_seconds)
