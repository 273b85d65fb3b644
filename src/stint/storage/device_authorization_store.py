"""SqlDeviceAuthorizationStore: device authorization requests (RFC 8628) by the hashes of their
codes; every change of status is one conditional UPDATE, so concurrent polls and answers each
take effect at most once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, select, update

from stint.protocol.device.ports import (
    SLOW_DOWN_SECONDS,
    DeviceAuthorization,
    DeviceStatus,
    Poll,
)
from stint.protocol.polling import polled_too_soon
from stint.protocol.ports import Approval
from stint.storage.approval_store import write_approval
from stint.storage.database import Database, dialect_insert
from stint.storage.tables import device_authorizations

__all__ = ["SqlDeviceAuthorizationStore"]

# A request stays this long after it expired, so a late poll hears expired_token, not
# invalid_grant; then it goes as new requests arrive.
KEPT_AFTER_EXPIRY = timedelta(hours=1)

_d = device_authorizations.c
_COLUMNS = (
    _d.device_code_hash,
    _d.user_code_hash,
    _d.client_id,
    _d.scopes,
    _d.interval,
    _d.created_at,
    _d.expires_at,
    _d.status,
    _d.user_id,
    _d.grant_id,
    _d.oidc,
    _d.last_polled_at,
)
_BY_DEVICE_CODE = select(*_COLUMNS).where(_d.device_code_hash == bindparam("code_hash"))
_BY_USER_CODE = select(*_COLUMNS).where(_d.user_code_hash == bindparam("code_hash"))


def _record(row: Any) -> DeviceAuthorization:
    return DeviceAuthorization(
        device_code_hash=row[0],
        user_code_hash=row[1],
        client_id=row[2],
        scopes=frozenset(row[3].split()),
        interval=row[4],
        created_at=row[5],
        expires_at=row[6],
        status=DeviceStatus(row[7]),
        user_id=row[8],
        grant_id=row[9],
        oidc=orjson.loads(row[10]) if row[10] else None,
        last_polled_at=row[11],
    )


class SqlDeviceAuthorizationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, authorization: DeviceAuthorization) -> bool:
        a = authorization
        row = {
            "device_code_hash": a.device_code_hash,
            "user_code_hash": a.user_code_hash,
            "client_id": a.client_id,
            "scopes": " ".join(sorted(a.scopes)),
            "status": a.status.value,
            "user_id": a.user_id,
            "grant_id": a.grant_id,
            "oidc": orjson.dumps(a.oidc).decode() if a.oidc is not None else None,
            "interval": a.interval,
            "last_polled_at": a.last_polled_at,
            "created_at": a.created_at,
            "expires_at": a.expires_at,
        }
        insert = dialect_insert(self._db.dialect)(device_authorizations).values(**row)
        async with self._db.write() as conn:
            await conn.execute(
                delete(device_authorizations).where(
                    _d.expires_at <= a.created_at - KEPT_AFTER_EXPIRY
                )
            )
            # A user code in use (about one draw in 10**9) stores nothing: the caller draws again.
            result = await conn.execute(insert.on_conflict_do_nothing())
        return result.rowcount == 1

    async def get(self, device_code_hash: str) -> DeviceAuthorization | None:
        row = await self._db.fetch_one(_BY_DEVICE_CODE, {"code_hash": device_code_hash})
        return _record(row) if row is not None else None

    async def by_user_code(self, user_code_hash: str) -> DeviceAuthorization | None:
        row = await self._db.fetch_one(_BY_USER_CODE, {"code_hash": user_code_hash})
        return _record(row) if row is not None else None

    async def poll(
        self, device_code_hash: str, *, now: datetime, slow_down_seconds: int = SLOW_DOWN_SECONDS
    ) -> Poll | None:
        where = _d.device_code_hash == device_code_hash
        async with self._db.write() as conn:
            # The row lock (PostgreSQL; SQLite's write lock is the whole database) orders
            # concurrent polls, so the second of two at once counts as too fast.
            row = (
                await conn.execute(
                    select(_d.last_polled_at, _d.interval).where(where).with_for_update()
                )
            ).first()
            if row is None:
                return None
            last, interval = row
            too_fast = polled_too_soon(last, now, interval)
            if too_fast:
                interval += slow_down_seconds  # RFC 8628 §3.5: for this and every later poll
            await conn.execute(
                update(device_authorizations)
                .where(where)
                .values(last_polled_at=now, interval=interval)
            )
        return Poll(too_fast=too_fast, interval=interval)

    async def approve(self, device_code_hash: str, approval: Approval, *, now: datetime) -> bool:
        grant = approval.grant
        async with self._db.write() as conn:
            # The conditional UPDATE decides; only then is the approval written, in the same
            # transaction, and the request linked to its grant (which now exists).
            claimed = await conn.execute(
                update(device_authorizations)
                .where(
                    _d.device_code_hash == device_code_hash,
                    _d.status == DeviceStatus.PENDING.value,
                    _d.expires_at > now,
                )
                .values(status=DeviceStatus.APPROVED.value, user_id=grant.user_id)
            )
            if claimed.rowcount != 1:
                return False
            await write_approval(conn, self._db.dialect, approval)
            await conn.execute(
                update(device_authorizations)
                .where(_d.device_code_hash == device_code_hash)
                .values(
                    grant_id=grant.id,
                    oidc=orjson.dumps(grant.oidc).decode() if grant.oidc is not None else None,
                )
            )
        return True

    async def deny(self, device_code_hash: str, user_id: int, *, now: datetime) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(device_authorizations)
                .where(
                    _d.device_code_hash == device_code_hash,
                    _d.status == DeviceStatus.PENDING.value,
                    _d.expires_at > now,
                )
                .values(status=DeviceStatus.DENIED.value, user_id=user_id)
            )
        return result.rowcount == 1

    async def issue(self, device_code_hash: str, *, now: datetime) -> bool:
        # Of many polls at once, the one whose UPDATE matches an approved row gets the tokens.
        async with self._db.write() as conn:
            result = await conn.execute(
                update(device_authorizations)
                .where(
                    _d.device_code_hash == device_code_hash,
                    _d.status == DeviceStatus.APPROVED.value,
                    _d.expires_at > now,
                )
                .values(status=DeviceStatus.ISSUED.value)
            )
        return result.rowcount == 1
