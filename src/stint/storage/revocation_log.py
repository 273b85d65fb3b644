"""SqlRevocationLog: revocations recorded with the change they announce, read back by sequence.

Each event gets an ``id`` from the database. On PostgreSQL two transactions could take ids 10 and
11 and commit 11 first; a worker reading then would move past 10 for good. So the events are
inserted last in their transaction, under a transaction-scoped advisory lock: ids are handed out
in commit order. (SQLite has one writer at a time, which orders them already.) On PostgreSQL the
same transaction sends NOTIFY, delivered at commit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from stint.protocol.revocations import Revocation, RevocationEvent, RevocationKind
from stint.storage.database import Database
from stint.storage.tables import revocation_events

__all__ = ["NOTIFY_CHANNEL", "RevocationWrite", "SqlRevocationLog"]

log = logging.getLogger("stint.revocations")

NOTIFY_CHANNEL = "stint_revocations"
# Any constant: the key of the advisory lock that orders event ids (pg_advisory_xact_lock).
_ORDER_LOCK_KEY = 0x5717_0008
_e = revocation_events.c
_SINCE = (
    select(_e.id, _e.kind, _e.value, _e.expires_at)
    .where(_e.id > bindparam("after_id"))
    .order_by(_e.id)
    .limit(bindparam("limit"))
)

Committed = Callable[[Revocation, datetime], None]
Publisher = Callable[[int], Awaitable[None]]


@dataclass
class RevocationWrite:
    """A write transaction that may record revocations; they are stored when it commits."""

    conn: AsyncConnection
    pending: list[tuple[Revocation, datetime | None]] = field(default_factory=list)

    def revoke(self, kind: RevocationKind, value: str, expires_at: datetime | None = None) -> None:
        """Record a revocation; without ``expires_at`` it is kept for the longest token life."""
        self.pending.append((Revocation(kind, value), expires_at))


class SqlRevocationLog:
    def __init__(
        self,
        db: Database,
        *,
        keep_seconds: int = 86400,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._keep = timedelta(seconds=keep_seconds)
        self._clock = clock
        self._committed: list[Committed] = []
        self._publishers: list[Publisher] = []

    def on_commit(self, listener: Committed) -> None:
        """Call ``listener`` for each revocation this process records, as soon as it commits."""
        self._committed.append(listener)

    def publish_with(self, publisher: Publisher) -> None:
        """After a commit, also call ``publisher(last_id)`` (Redis pub/sub)."""
        self._publishers.append(publisher)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[RevocationWrite]:
        """A write transaction whose recorded revocations commit with it."""
        async with self._db.write() as conn:
            tx = RevocationWrite(conn)
            yield tx
            if not tx.pending:
                return
            stored = [(r, at or self._clock() + self._keep) for r, at in tx.pending]
            last_id = await self._insert(conn, stored)
        if not tx.pending:
            return
        for revocation, expires_at in stored:
            for listener in self._committed:
                listener(revocation, expires_at)
        for publish in self._publishers:
            try:
                await publish(last_id)
            except Exception:  # the other workers' poll still brings it, within seconds
                log.exception("publishing a revocation failed")

    async def record(self, kind: RevocationKind, value: str) -> None:
        """Record one revocation in a transaction of its own."""
        async with self.write() as tx:
            tx.revoke(kind, value)

    async def _insert(
        self, conn: AsyncConnection, stored: list[tuple[Revocation, datetime]]
    ) -> int:
        postgres = self._db.dialect == "postgresql"
        if postgres:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ORDER_LOCK_KEY})
        rows = [{"kind": r.kind.value, "value": r.value, "expires_at": at} for r, at in stored]
        result = await conn.execute(revocation_events.insert().returning(_e.id), rows)
        last_id = max(row[0] for row in result)
        if postgres:
            await conn.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": str(last_id)},
            )
        return int(last_id)

    async def since(self, after_id: int, limit: int) -> list[RevocationEvent]:
        rows = await self._db.fetch_all(_SINCE, {"after_id": after_id, "limit": limit})
        return [
            RevocationEvent(row[0], Revocation(RevocationKind(row[1]), row[2]), row[3])
            for row in rows
        ]

    async def last_id(self) -> int:
        async with self._db.read() as conn:
            value = (await conn.execute(select(func.max(_e.id)))).scalar()
        return int(value or 0)

    async def prune(self, before: datetime) -> int:
        """Forget events whose tokens all expired before ``before``."""
        async with self._db.write() as conn:
            result = await conn.execute(delete(revocation_events).where(_e.expires_at < before))
        return result.rowcount
