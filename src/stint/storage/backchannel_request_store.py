"""SqlBackchannelRequestStore: CIBA requests by the keyed hash of their auth_req_id.

Every change of status is one conditional UPDATE, so of racing approvals, denials, polls and
redemptions exactly one wins. The auth_req_id and client_notification_token of ping and push
requests are sealed (the client is called back with them), bound to their row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, select, update

from stint.protocol.ciba.ports import BackchannelRequest, BackchannelStatus, Poll
from stint.protocol.polling import polled_too_soon
from stint.protocol.ports import Approval
from stint.storage.approval_store import write_approval
from stint.storage.database import Database
from stint.storage.sealing import BACKCHANNEL_NOTIFICATIONS, Sealer
from stint.storage.tables import backchannel_requests

__all__ = ["KEPT_AFTER_EXPIRY", "SqlBackchannelRequestStore"]

_b = backchannel_requests.c
_COLUMNS = (
    _b.auth_req_id_hash,
    _b.handle,
    _b.client_id,
    _b.user_id,
    _b.scopes,
    _b.delivery_mode,
    _b.created_at,
    _b.expires_at,
    _b.poll_interval,
    _b.binding_message,
    _b.acr_values,
    _b.claims,
    _b.sealed_notification,
    _b.status,
    _b.grant_id,
    _b.oidc,
    _b.last_polled_at,
    _b.decided_at,
)
_GET = select(*_COLUMNS).where(_b.auth_req_id_hash == bindparam("hash"))
_BY_HANDLE = select(*_COLUMNS).where(_b.handle == bindparam("handle"))
_PENDING = (
    select(*_COLUMNS)
    .where(
        _b.user_id == bindparam("user_id"),
        _b.status == BackchannelStatus.PENDING.value,
        _b.expires_at > bindparam("now"),
    )
    .order_by(_b.created_at, _b.handle)
    .limit(100)
)
_PENDING_STATUS = BackchannelStatus.PENDING.value
# Expired requests stay this long, so a late poll hears expired_token (§11), not invalid_grant.
KEPT_AFTER_EXPIRY = timedelta(hours=1)


class SqlBackchannelRequestStore:
    def __init__(self, db: Database, instance_secret: bytes) -> None:
        self._db = db
        self._sealer = Sealer(instance_secret, BACKCHANNEL_NOTIFICATIONS)

    async def add(self, request: BackchannelRequest) -> None:
        sealed = None
        if request.auth_req_id is not None or request.client_notification_token is not None:
            secret = {
                "auth_req_id": request.auth_req_id,
                "token": request.client_notification_token,
            }
            sealed = self._sealer.seal(request.auth_req_id_hash, orjson.dumps(secret))
        async with self._db.write() as conn:
            # Long-expired requests go as new ones arrive: the table holds hours' worth.
            gone = request.created_at - KEPT_AFTER_EXPIRY
            await conn.execute(delete(backchannel_requests).where(_b.expires_at <= gone))
            await conn.execute(
                backchannel_requests.insert().values(
                    auth_req_id_hash=request.auth_req_id_hash,
                    handle=request.handle,
                    client_id=request.client_id,
                    user_id=request.user_id,
                    scopes=" ".join(sorted(request.scopes)),
                    delivery_mode=request.delivery_mode,
                    binding_message=request.binding_message,
                    acr_values=" ".join(request.acr_values),
                    claims=_json(request.claims),
                    sealed_notification=sealed,
                    status=request.status.value,
                    grant_id=request.grant_id,
                    oidc=_json(request.oidc),
                    poll_interval=request.interval,
                    last_polled_at=request.last_polled_at,
                    decided_at=request.decided_at,
                    created_at=request.created_at,
                    expires_at=request.expires_at,
                )
            )

    async def get(self, auth_req_id_hash: str) -> BackchannelRequest | None:
        row = await self._db.fetch_one(_GET, {"hash": auth_req_id_hash})
        return self._request(row) if row is not None else None

    async def by_handle(self, handle: str) -> BackchannelRequest | None:
        if "\x00" in handle:  # no handle holds one (base64url); PostgreSQL could not bind it
            return None
        row = await self._db.fetch_one(_BY_HANDLE, {"handle": handle})
        return self._request(row) if row is not None else None

    async def pending_for(self, user_id: int, now: datetime) -> list[BackchannelRequest]:
        rows = await self._db.fetch_all(_PENDING, {"user_id": user_id, "now": now})
        return [self._request(row) for row in rows]

    async def decide(
        self, handle: str, user_id: int, now: datetime, approval: Approval | None
    ) -> BackchannelRequest | None:
        if "\x00" in handle:
            return None
        status = BackchannelStatus.APPROVED if approval is not None else BackchannelStatus.DENIED
        oidc = approval.grant.oidc if approval is not None else None
        async with self._db.write() as conn:
            result = await conn.execute(
                update(backchannel_requests)
                .where(
                    _b.handle == handle,
                    _b.user_id == user_id,
                    _b.status == _PENDING_STATUS,
                    _b.expires_at > now,
                )
                .values(status=status.value, decided_at=now, oidc=_json(oidc))
            )
            if result.rowcount != 1:
                return None
            if approval is not None:
                # The grant first (the request points at it), all in this one transaction.
                await write_approval(conn, self._db.dialect, approval)
                await conn.execute(
                    update(backchannel_requests)
                    .where(_b.handle == handle)
                    .values(grant_id=approval.grant.id)
                )
            row = (await conn.execute(select(*_COLUMNS).where(_b.handle == handle))).first()
        return self._request(row) if row is not None else None

    async def poll(
        self, auth_req_id_hash: str, now: datetime, slow_down_seconds: int
    ) -> Poll | None:
        async with self._db.write() as conn:
            # FOR UPDATE on PostgreSQL; SQLite's write transaction already holds the lock.
            row = (
                await conn.execute(
                    select(*_COLUMNS)
                    .where(_b.auth_req_id_hash == auth_req_id_hash)
                    .with_for_update()
                )
            ).first()
            if row is None:
                return None
            request = self._request(row)
            last = request.last_polled_at
            too_fast = polled_too_soon(last, now, request.interval)
            values: dict[str, Any] = {"last_polled_at": now}
            if too_fast:
                values["poll_interval"] = _b.poll_interval + slow_down_seconds
            await conn.execute(
                update(backchannel_requests)
                .where(_b.auth_req_id_hash == auth_req_id_hash)
                .values(**values)
            )
        return Poll(request, too_fast)

    async def redeem(self, auth_req_id_hash: str, now: datetime) -> BackchannelRequest | None:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(backchannel_requests)
                .where(
                    _b.auth_req_id_hash == auth_req_id_hash,
                    _b.status == BackchannelStatus.APPROVED.value,
                    _b.expires_at > now,
                )
                .values(status=BackchannelStatus.ISSUED.value)
            )
            if result.rowcount != 1:
                return None
            row = (
                await conn.execute(select(*_COLUMNS).where(_b.auth_req_id_hash == auth_req_id_hash))
            ).first()
        return self._request(row) if row is not None else None

    async def prune(self, now: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(delete(backchannel_requests).where(_b.expires_at <= now))
        return int(result.rowcount)

    def _request(self, row: Any) -> BackchannelRequest:
        auth_req_id = token = None
        if row[12] is not None:
            secret = orjson.loads(self._sealer.open(row[0], row[12]))
            auth_req_id, token = secret.get("auth_req_id"), secret.get("token")
        return BackchannelRequest(
            auth_req_id_hash=row[0],
            handle=row[1],
            client_id=row[2],
            user_id=row[3],
            scopes=frozenset(row[4].split()),
            delivery_mode=row[5],
            created_at=row[6],
            expires_at=row[7],
            interval=row[8],
            binding_message=row[9],
            acr_values=tuple(row[10].split()),
            claims=orjson.loads(row[11]) if row[11] else None,
            auth_req_id=auth_req_id,
            client_notification_token=token,
            status=BackchannelStatus(row[13]),
            grant_id=row[14],
            oidc=orjson.loads(row[15]) if row[15] else None,
            last_polled_at=row[16],
            decided_at=row[17],
        )


def _json(value: dict[str, Any] | None) -> str | None:
    return orjson.dumps(value).decode() if value is not None else None
