"""SqlClientStore: registered OAuth clients, with a short per-process cache for the token path."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from stint.protocol.clients import Client, ClientType
from stint.protocol.refreshing_cache import RefreshingCache
from stint.protocol.revocations import RevocationKind
from stint.storage.database import Database
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.tables import clients

__all__ = ["ClientIdTakenError", "SqlClientStore"]

_COLUMNS = (
    clients.c.client_id,
    clients.c.name,
    clients.c.client_type,
    clients.c.redirect_uris,
    clients.c.grant_types,
    clients.c.scopes,
    clients.c.token_endpoint_auth_method,
    clients.c.secret_hash,
    clients.c.owner_id,
    clients.c.opaque_access_tokens,
    clients.c.may_introspect,
    clients.c.created_at,
    clients.c.client_metadata,
    clients.c.registration_token_hash,
    clients.c.pairwise_sector,
)
_GET = select(*_COLUMNS).where(clients.c.client_id == bindparam("client_id"))
_BY_OWNER = (
    select(*_COLUMNS)
    .where(clients.c.owner_id == bindparam("owner_id"))
    .order_by(clients.c.created_at)
    .limit(bindparam("limit"))
)


class ClientIdTakenError(Exception):
    pass


def _client(row: Any) -> Client:
    return Client(
        client_id=row[0],
        name=row[1],
        client_type=ClientType(row[2]),
        redirect_uris=tuple(row[3].split()),
        grant_types=frozenset(row[4].split()),
        scopes=frozenset(row[5].split()),
        token_endpoint_auth_method=row[6],
        secret_hash=row[7],
        owner_id=row[8],
        opaque_access_tokens=bool(row[9]),
        may_introspect=bool(row[10]),
        created_at=row[11],
        metadata=orjson.loads(row[12]) if row[12] and row[12] != "{}" else {},
        registration_token_hash=row[13],
        pairwise_sector=row[14],
    )


def _values(client: Client) -> dict[str, Any]:
    return {
        "name": client.name,
        "client_type": client.client_type.value,
        "redirect_uris": " ".join(client.redirect_uris),
        "grant_types": " ".join(sorted(client.grant_types)),
        "scopes": " ".join(sorted(client.scopes)),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "secret_hash": client.secret_hash,
        "owner_id": client.owner_id,
        "opaque_access_tokens": client.opaque_access_tokens,
        "may_introspect": client.may_introspect,
        "client_metadata": orjson.dumps(client.metadata).decode(),
        "registration_token_hash": client.registration_token_hash,
        "pairwise_sector": client.pairwise_sector,
    }


class SqlClientStore:
    """Clients by id. ``get`` is cached for ``cache_seconds``; a change or a deletion is recorded
    in the revocation log, whose followers ``forget`` the cached copy (every worker, at once).
    An expired copy is reloaded in the background while requests go on with it, so no request
    waits for that read."""

    def __init__(
        self,
        db: Database,
        *,
        cache_seconds: float = 5.0,
        revocation_log: SqlRevocationLog | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._cache: RefreshingCache[str, Client | None] = RefreshingCache(
            self._load, ttl=cache_seconds, clock=clock
        )
        self._log = revocation_log or SqlRevocationLog(db)

    def forget(self, client_id: str) -> None:
        """Drop the cached copy: the next ``get`` reads the database."""
        self._cache.forget(client_id)

    async def get(self, client_id: str) -> Client | None:
        if "\x00" in client_id:  # no client id holds one: PostgreSQL text cannot even bind it
            return None
        return await self._cache.get(client_id)

    async def _load(self, client_id: str) -> Client | None:
        row = await self._db.fetch_one(_GET, {"client_id": client_id})
        return _client(row) if row is not None else None

    async def add(self, client: Client) -> Client:
        created_at = datetime.now(UTC)
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    clients.insert().values(
                        client_id=client.client_id, created_at=created_at, **_values(client)
                    )
                )
        except IntegrityError:
            raise ClientIdTakenError(client.client_id) from None
        self._cache.forget(client.client_id)
        found = await self.get(client.client_id)
        if found is None:
            raise RuntimeError("the client vanished after it was added")
        return found

    async def update(self, client: Client) -> None:
        async with self._log.write() as tx:
            await tx.conn.execute(
                update(clients)
                .where(clients.c.client_id == client.client_id)
                .values(**_values(client))
            )
            # A rotated secret or a changed redirect URI must not live on in any worker's cache.
            tx.revoke(RevocationKind.CLIENT, client.client_id)
        self._cache.forget(client.client_id)

    async def delete(self, client_id: str) -> bool:
        async with self._log.write() as tx:
            result = await tx.conn.execute(delete(clients).where(clients.c.client_id == client_id))
            if result.rowcount == 1:
                tx.revoke(RevocationKind.CLIENT, client_id)
        self._cache.forget(client_id)
        return result.rowcount == 1

    async def by_owner(self, owner_id: int) -> list[Client]:
        rows = await self._db.fetch_all(_BY_OWNER, {"owner_id": owner_id, "limit": 500})
        return [_client(row) for row in rows]

    async def all(self) -> list[Client]:
        async with self._db.read() as conn:
            rows = await conn.execute(select(*_COLUMNS).order_by(clients.c.created_at))
            return [_client(row) for row in rows]
