"""SqlAuthorizationCodeStore: codes by hash, consumed at most once even under concurrency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, select, update

from stint.protocol.ports import AuthorizationCode
from stint.storage.database import Database
from stint.storage.tables import authorization_codes

__all__ = ["SqlAuthorizationCodeStore", "code_row"]

_c = authorization_codes.c
_COLUMNS = (
    _c.code_hash,
    _c.grant_id,
    _c.client_id,
    _c.user_id,
    _c.redirect_uri,
    _c.scopes,
    _c.code_challenge,
    _c.code_challenge_method,
    _c.auth_time,
    _c.expires_at,
    _c.nonce,
    _c.oidc,
)

_GET = select(*_COLUMNS).where(_c.code_hash == bindparam("code_hash"))


def _code(row: Any) -> AuthorizationCode:
    values = list(row)
    values[5] = frozenset(values[5].split())
    values[11] = orjson.loads(values[11]) if values[11] else None
    return AuthorizationCode(*values)


def code_row(code: AuthorizationCode) -> dict[str, Any]:
    """The ``authorization_codes`` row for ``code``."""
    return {
        "code_hash": code.code_hash,
        "grant_id": code.grant_id,
        "client_id": code.client_id,
        "user_id": code.user_id,
        "redirect_uri": code.redirect_uri,
        "scopes": " ".join(sorted(code.scopes)),
        "code_challenge": code.code_challenge,
        "code_challenge_method": code.code_challenge_method,
        "nonce": code.nonce,
        "oidc": orjson.dumps(code.oidc).decode() if code.oidc is not None else None,
        "auth_time": code.auth_time,
        "expires_at": code.expires_at,
    }


class SqlAuthorizationCodeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, code: AuthorizationCode) -> None:
        async with self._db.write() as conn:
            await conn.execute(authorization_codes.insert().values(**code_row(code)))

    async def get(self, code_hash: str) -> AuthorizationCode | None:
        row = await self._db.fetch_one(_GET, {"code_hash": code_hash})
        return _code(row) if row is not None else None

    async def consume(self, code_hash: str) -> tuple[AuthorizationCode | None, bool]:
        # The conditional UPDATE is the arbiter: of many concurrent redemptions, one sets used_at.
        async with self._db.write() as conn:
            result = await conn.execute(
                update(authorization_codes)
                .where(_c.code_hash == code_hash, _c.used_at.is_(None))
                .values(used_at=datetime.now(UTC))
            )
            first = result.rowcount == 1
            row = (await conn.execute(select(*_COLUMNS).where(_c.code_hash == code_hash))).first()
        return (_code(row) if row is not None else None), first
