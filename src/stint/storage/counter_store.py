"""SqlCounterStore: sign-in throttling counters in the database, when no Redis is configured.

Every worker and host sharing the database shares the counts. An increment is one upsert that
returns the new count (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on SQLite and PostgreSQL),
so concurrent attempts each see a distinct count and a burst cannot overshoot the limit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from stint.storage.database import Database
from stint.storage.tables import login_counters

__all__ = ["SqlCounterStore"]

_c = login_counters.c
_GET = select(_c.count).where(
    (_c.key_hash == bindparam("key_hash")) & (_c.expires_at > bindparam("now"))
)


def _key_hash(key: str) -> str:
    """Keys hold usernames and addresses of any length: the table keeps a fixed-size digest."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class SqlCounterStore:
    """Fixed-window counters, one row per key; expired rows are purged every ``purge_every``
    increments of this process."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        purge_every: int = 1000,
    ) -> None:
        self._db = db
        self._clock = clock
        self._insert: Any = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        self._purge_every = purge_every
        self._since_purge = 0

    async def increment(self, key: str, window_seconds: int) -> int:
        now = self._clock()
        expires_at = now + timedelta(seconds=window_seconds)
        insert = self._insert(login_counters).values(
            key_hash=_key_hash(key), count=1, expires_at=expires_at
        )
        expired = _c.expires_at <= now
        # Both right-hand sides read the row as it was before this update (SQL SET semantics).
        upsert = insert.on_conflict_do_update(
            index_elements=[_c.key_hash],
            set_={
                "count": case((expired, 1), else_=_c.count + 1),
                "expires_at": case((expired, expires_at), else_=_c.expires_at),
            },
        ).returning(_c.count)
        self._since_purge += 1
        purge = self._since_purge >= self._purge_every
        async with self._db.write() as conn:
            count = (await conn.execute(upsert)).scalar_one()
            if purge:
                self._since_purge = 0
                await conn.execute(delete(login_counters).where(expired))
        return int(count)

    async def get(self, key: str) -> int:
        row = await self._db.fetch_one(_GET, {"key_hash": _key_hash(key), "now": self._clock()})
        return int(row[0]) if row is not None else 0

    async def decrement(self, key: str) -> None:
        live = (_c.key_hash == _key_hash(key)) & (_c.count > 0) & (_c.expires_at > self._clock())
        async with self._db.write() as conn:
            await conn.execute(update(login_counters).where(live).values(count=_c.count - 1))

    async def reset(self, key: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(login_counters).where(_c.key_hash == _key_hash(key)))
