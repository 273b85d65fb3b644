"""SqlHintedUsers: the users a CIBA hint can name (CIBA Core §7.1), for the HintedUsers port."""

from __future__ import annotations

import orjson
from sqlalchemy import bindparam, select

from stint.accounts.profile import email_key
from stint.accounts.usernames import username_key
from stint.storage.database import Database
from stint.storage.tables import grants, users

__all__ = ["SqlHintedUsers"]

_u = users.c
_BY_USERNAME = select(_u.id).where(_u.username_key == bindparam("key"), _u.disabled.is_(False))
_BY_EMAIL = (
    select(_u.id, _u.profile)
    .where(_u.email_key == bindparam("key"), _u.disabled.is_(False))
    .limit(2)
)
_OF_CLIENT = (
    select(grants.c.user_id)
    .where(grants.c.client_id == bindparam("client_id"), grants.c.user_id.is_not(None))
    .distinct()
    .limit(100_000)
)


class SqlHintedUsers:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_login_hint(self, hint: str) -> int | None:
        """A username, else an email address that exactly one active account holds, verified."""
        if "\x00" in hint:
            return None
        row = await self._db.fetch_one(_BY_USERNAME, {"key": username_key(hint)})
        if row is not None:
            return int(row[0])
        rows = await self._db.fetch_all(_BY_EMAIL, {"key": email_key(hint)})
        if len(rows) != 1:
            return None  # nobody, or ambiguous: a hint must name one person
        verified = orjson.loads(rows[0][1] or "{}").get("email_verified") is True
        return int(rows[0][0]) if verified else None

    async def users_of_client(self, client_id: str) -> list[int]:
        rows = await self._db.fetch_all(_OF_CLIENT, {"client_id": client_id})
        return [int(row[0]) for row in rows]
