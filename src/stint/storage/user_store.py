"""SqlUserStore: the accounts domain's UserStore on SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from stint.accounts.models import User
from stint.accounts.ports import UsernameTakenError
from stint.accounts.profile import email_key
from stint.protocol.ports import RevokedBecause
from stint.protocol.revocations import RevocationKind
from stint.storage.database import Database, is_unique_violation
from stint.storage.grant_store import revoke_grants
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.tables import grants, users

__all__ = ["SqlUserStore"]

_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.password_hash,
    users.c.disabled,
    users.c.created_at,
)


# Built once: the inline SQLite reader prepares each statement object a single time.
_BY_ID = select(*_COLUMNS).where(users.c.id == bindparam("user_id"))
_PROFILE = select(users.c.username, users.c.profile, users.c.profile_updated_at).where(
    users.c.id == bindparam("user_id"), users.c.disabled.is_(False)
)
_BY_KEY = select(*_COLUMNS).where(users.c.username_key == bindparam("key"))
_BY_EMAIL_KEY = (
    select(*_COLUMNS, users.c.profile)
    .where(users.c.email_key == bindparam("key"))
    .order_by(users.c.id)
)


def _user(row: Any) -> User:
    return User(
        id=row[0], username=row[1], password_hash=row[2], disabled=row[3], created_at=row[4]
    )


class SqlUserStore:
    def __init__(self, db: Database, revocation_log: SqlRevocationLog | None = None) -> None:
        self._db = db
        self._log = revocation_log or SqlRevocationLog(db)

    async def add(
        self,
        *,
        username: str,
        username_key: str,
        password_hash: str,
        profile: dict[str, Any] | None = None,
    ) -> User:
        created_at = datetime.now(UTC)
        profile_values = _profile_values(profile, created_at) if profile else {}
        try:
            async with self._db.write() as conn:
                result = await conn.execute(
                    users.insert()
                    .values(
                        username=username,
                        username_key=username_key,
                        password_hash=password_hash,
                        disabled=False,
                        created_at=created_at,
                        **profile_values,
                    )
                    .returning(*_COLUMNS)
                )
                return _user(result.one())
        except IntegrityError as exc:
            if is_unique_violation(exc, "uq_users_username_key", "users", "username_key"):
                raise UsernameTakenError(username) from None
            raise

    async def delete(self, user_id: int) -> bool:
        async with self._log.write() as tx:
            result = await tx.conn.execute(delete(users).where(users.c.id == user_id))
            if result.rowcount == 1:
                # Its rows went with it (ON DELETE CASCADE); workers forget what they cached.
                tx.revoke(RevocationKind.USER, str(user_id))
        return result.rowcount == 1

    async def by_id(self, user_id: int) -> User | None:
        row = await self._db.fetch_one(_BY_ID, {"user_id": user_id})
        return _user(row) if row is not None else None

    async def by_username_key(self, username_key: str) -> User | None:
        if "\x00" in username_key:  # no username holds one: PostgreSQL text cannot even bind it
            return None
        row = await self._db.fetch_one(_BY_KEY, {"key": username_key})
        return _user(row) if row is not None else None

    async def update_password_hash(self, user_id: int, password_hash: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=password_hash)
            )

    async def replace_password(self, user_id: int, password_hash: str) -> None:
        """A new password chosen by the user: every grant they gave ends with the old one."""
        async with self._log.write() as tx:
            await tx.conn.execute(
                update(users).where(users.c.id == user_id).values(password_hash=password_hash)
            )
            await revoke_grants(
                tx, grants.c.user_id == user_id, reason=RevokedBecause.PASSWORD_CHANGED
            )
            # Every worker forgets the Basic credentials and status it cached for the user.
            tx.revoke(RevocationKind.USER, str(user_id))

    async def set_disabled(self, user_id: int, disabled: bool) -> bool:
        async with self._log.write() as tx:
            result = await tx.conn.execute(
                update(users).where(users.c.id == user_id).values(disabled=disabled)
            )
            if result.rowcount == 1:
                tx.revoke(RevocationKind.USER, str(user_id))
        return result.rowcount == 1

    async def profile(self, user_id: int) -> tuple[str, dict[str, Any], datetime | None] | None:
        """(username, profile claims, when the profile last changed), or None for no user."""
        row = await self._db.fetch_one(_PROFILE, {"user_id": user_id})
        if row is None:
            return None
        return row[0], orjson.loads(row[1] or "{}"), row[2]

    async def set_profile(self, user_id: int, profile: dict[str, Any]) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(**_profile_values(profile, datetime.now(UTC)))
            )

    async def by_email_key(self, email_key: str) -> list[tuple[User, bool]]:
        if "\x00" in email_key:  # as in by_username_key
            return []
        rows = await self._db.fetch_all(_BY_EMAIL_KEY, {"key": email_key})
        return [
            (_user(row), orjson.loads(row[5] or "{}").get("email_verified") is True) for row in rows
        ]

    async def page(self, *, after_id: int = 0, limit: int = 100) -> list[User]:
        query = select(*_COLUMNS).where(users.c.id > after_id).order_by(users.c.id).limit(limit)
        async with self._db.read() as conn:
            return [_user(row) for row in await conn.execute(query)]


def _profile_values(profile: dict[str, Any], updated_at: datetime) -> dict[str, Any]:
    """The columns a profile sets: the claims, when they changed, and the email's key."""
    email = profile.get("email")
    return {
        "profile": orjson.dumps(profile).decode(),
        "profile_updated_at": updated_at,
        "email_key": email_key(email) if isinstance(email, str) and email else None,
    }
