"""SqlPasskeyStore: the WebAuthn credentials of accounts, found by their credential id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from stint.accounts.passkeys import NewPasskey, Passkey, PasskeyTakenError
from stint.storage.database import Database, is_unique_violation
from stint.storage.tables import passkeys

__all__ = ["SqlPasskeyStore"]

_p = passkeys.c
_COLUMNS = (
    _p.id,
    _p.user_id,
    _p.credential_id,
    _p.public_key,
    _p.sign_count,
    _p.transports,
    _p.name,
    _p.device_bound,
    _p.created_at,
    _p.last_used_at,
)
_FOR_USER = select(*_COLUMNS).where(_p.user_id == bindparam("user_id")).order_by(_p.id)
_BY_CREDENTIAL = select(*_COLUMNS).where(_p.credential_id == bindparam("credential_id"))


def _passkey(row: Any) -> Passkey:
    values = list(row)
    values[5] = tuple(values[5].split())
    values[7] = bool(values[7])
    return Passkey(*values)


class SqlPasskeyStore:
    def __init__(
        self, db: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._db = db
        self._clock = clock

    async def add(self, passkey: NewPasskey) -> Passkey:
        values = {
            "user_id": passkey.user_id,
            "credential_id": passkey.credential_id,
            "public_key": passkey.public_key,
            "sign_count": passkey.sign_count,
            "transports": " ".join(passkey.transports)[:255],
            "name": passkey.name[:64],
            "device_bound": passkey.device_bound,
            "created_at": self._clock(),
        }
        try:
            async with self._db.write() as conn:
                statement = passkeys.insert().values(**values).returning(*_COLUMNS)
                return _passkey((await conn.execute(statement)).one())
        except IntegrityError as exc:
            if is_unique_violation(exc, "uq_passkeys_credential_id", "passkeys", "credential_id"):
                raise PasskeyTakenError from None
            raise

    async def for_user(self, user_id: int) -> list[Passkey]:
        return [_passkey(row) for row in await self._db.fetch_all(_FOR_USER, {"user_id": user_id})]

    async def by_credential_id(self, credential_id: bytes) -> Passkey | None:
        if not credential_id or len(credential_id) > 1023:
            return None
        row = await self._db.fetch_one(_BY_CREDENTIAL, {"credential_id": credential_id})
        return _passkey(row) if row is not None else None

    async def record_use(
        self, passkey_id: int, seen_count: int, new_count: int, used_at: datetime
    ) -> bool:
        # Compare and set: of two sign-ins that read the same count, one moves it.
        async with self._db.write() as conn:
            result = await conn.execute(
                update(passkeys)
                .where(_p.id == passkey_id, _p.sign_count == seen_count)
                .values(sign_count=new_count, last_used_at=used_at)
            )
        return result.rowcount == 1

    async def remove(self, user_id: int, passkey_id: int) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                delete(passkeys).where(_p.id == passkey_id, _p.user_id == user_id)
            )
        return result.rowcount == 1
