"""SqlTotpStore: TOTP secrets sealed at rest (bound to their user), recovery codes by hash.

A time-step and a recovery code are each used by one conditional UPDATE, so of two requests
racing with the same code exactly one wins (RFC 6238 §5.2: a code is accepted once).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stint.accounts.second_factor import TotpCredential
from stint.storage.database import Database
from stint.storage.sealing import TOTP_SECRETS, Sealer
from stint.storage.tables import recovery_codes, totp_credentials

__all__ = ["SqlTotpStore"]

_t = totp_credentials.c
_r = recovery_codes.c


class SqlTotpStore:
    def __init__(self, db: Database, instance_secret: bytes) -> None:
        self._db = db
        self._sealer = Sealer(instance_secret, TOTP_SECRETS)

    async def get(self, user_id: int) -> TotpCredential | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(_t.sealed_secret, _t.confirmed, _t.last_step).where(
                        _t.user_id == user_id
                    )
                )
            ).first()
        if row is None:
            return None
        secret = self._sealer.open(str(user_id), row[0]).decode()
        return TotpCredential(user_id, secret, bool(row[1]), int(row[2]))

    async def begin(self, user_id: int, secret: str, now: datetime) -> None:
        sealed = self._sealer.seal(str(user_id), secret.encode())
        async with self._db.write() as conn:
            # Only an unconfirmed one is replaced: an active secret is turned off first.
            await conn.execute(
                delete(totp_credentials).where(_t.user_id == user_id, _t.confirmed.is_(False))
            )
            active = (await conn.execute(select(_t.user_id).where(_t.user_id == user_id))).first()
            if active is None:
                await conn.execute(
                    totp_credentials.insert().values(
                        user_id=user_id, sealed_secret=sealed, confirmed=False, created_at=now
                    )
                )

    async def confirm(self, user_id: int, step: int, recovery_code_hashes: list[str]) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(totp_credentials)
                .where(_t.user_id == user_id, _t.confirmed.is_(False))
                .values(confirmed=True, last_step=step)
            )
            if result.rowcount != 1:
                return False
            await self._replace(conn, user_id, recovery_code_hashes)
        return True

    async def use_step(self, user_id: int, step: int) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(totp_credentials)
                .where(_t.user_id == user_id, _t.confirmed.is_(True), _t.last_step < step)
                .values(last_step=step)
            )
        return bool(result.rowcount == 1)

    async def use_recovery_code(self, user_id: int, code_hash: str, now: datetime) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(recovery_codes)
                .where(_r.user_id == user_id, _r.code_hash == code_hash, _r.used_at.is_(None))
                .values(used_at=now)
            )
        return bool(result.rowcount == 1)

    async def replace_recovery_codes(self, user_id: int, code_hashes: list[str]) -> None:
        async with self._db.write() as conn:
            await self._replace(conn, user_id, code_hashes)

    async def recovery_codes_left(self, user_id: int) -> int:
        async with self._db.read() as conn:
            count = await conn.scalar(
                select(func.count())
                .select_from(recovery_codes)
                .where(_r.user_id == user_id, _r.used_at.is_(None))
            )
        return int(count or 0)

    async def remove(self, user_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(recovery_codes).where(_r.user_id == user_id))
            await conn.execute(delete(totp_credentials).where(_t.user_id == user_id))

    @staticmethod
    async def _replace(conn: AsyncConnection, user_id: int, code_hashes: list[str]) -> None:
        await conn.execute(delete(recovery_codes).where(_r.user_id == user_id))
        if code_hashes:
            await conn.execute(
                recovery_codes.insert(),
                [{"user_id": user_id, "code_hash": h, "used_at": None} for h in code_hashes],
            )
