"""SqlEmailLinkStore: links sent by mail, kept as the HMAC of their token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from stint.accounts.email_links import EmailLink, LinkPurpose
from stint.storage.database import Database
from stint.storage.tables import email_links

__all__ = ["SqlEmailLinkStore"]

_e = email_links.c
_COLUMNS = (_e.token_hash, _e.purpose, _e.user_id, _e.email, _e.created_at, _e.expires_at)
# A used or expired link is kept a day, so following it says "used or expired", not "unknown".
_KEEP = timedelta(days=1)
_FIND = select(*_COLUMNS, _e.used_at).where(_e.token_hash == bindparam("token_hash"))


class SqlEmailLinkStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, link: EmailLink) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(email_links).where(_e.expires_at < link.created_at - _KEEP))
            await conn.execute(
                insert(email_links).values(
                    token_hash=link.token_hash,
                    purpose=link.purpose.value,
                    user_id=link.user_id,
                    email=link.email,
                    created_at=link.created_at,
                    expires_at=link.expires_at,
                    used_at=link.used_at,
                )
            )

    async def find(self, token_hash: str) -> EmailLink | None:
        row = await self._db.fetch_one(_FIND, {"token_hash": token_hash})
        return _link(row) if row is not None else None

    async def use(self, token_hash: str, now: datetime) -> EmailLink | None:
        async with self._db.write() as conn:
            # One conditional UPDATE: of two concurrent uses, only one changes the row.
            used = await conn.execute(
                update(email_links)
                .where((_e.token_hash == token_hash) & _e.used_at.is_(None) & (_e.expires_at > now))
                .values(used_at=now)
            )
            if used.rowcount != 1:
                return None
            row = (await conn.execute(select(*_COLUMNS).where(_e.token_hash == token_hash))).one()
            # The user's other links for the same purpose die with it (an older reset mail).
            await conn.execute(
                update(email_links)
                .where((_e.user_id == row[2]) & (_e.purpose == row[1]) & _e.used_at.is_(None))
                .values(used_at=now)
            )
        return _link((*row, now))


def _link(row: Any) -> EmailLink:
    token_hash, purpose, user_id, email, created_at, expires_at, used_at = row
    return EmailLink(
        token_hash=token_hash,
        purpose=LinkPurpose(purpose),
        user_id=user_id,
        email=email,
        created_at=created_at,
        expires_at=expires_at,
        used_at=used_at,
    )
