"""SqlSessionStore: browser sign-in sessions, by the hash of their cookie value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from stint.accounts.sessions import Session
from stint.storage.database import Database
from stint.storage.tables import sessions

__all__ = ["SqlSessionStore"]

_s = sessions.c
_COLUMNS = (
    _s.id_hash,
    _s.user_id,
    _s.created_at,
    _s.auth_time,
    _s.expires_at,
    _s.user_agent,
    _s.sid,
    _s.amr,
    _s.acr,
)
_GET = select(*_COLUMNS).where(_s.id_hash == bindparam("id_hash"))
_FOR_USER = (
    select(*_COLUMNS).where(_s.user_id == bindparam("user_id")).order_by(_s.created_at.desc())
)
_BY_SID = select(*_COLUMNS).where(_s.sid == bindparam("sid"))
_ANY_EXPIRED = select(_s.id_hash).where(_s.expires_at <= bindparam("now")).limit(1)


def _session(row: Any) -> Session:
    values = list(row)
    values[6] = values[6] or ""
    return Session(*values)


class SqlSessionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, session: Session) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                sessions.insert().values(
                    id_hash=session.id_hash,
                    user_id=session.user_id,
                    created_at=session.created_at,
                    auth_time=session.auth_time,
                    expires_at=session.expires_at,
                    user_agent=session.user_agent,
                    sid=session.sid or None,
                    amr=session.amr,
                    acr=session.acr,
                )
            )

    async def get(self, id_hash: str) -> Session | None:
        row = await self._db.fetch_one(_GET, {"id_hash": id_hash})
        return _session(row) if row is not None else None

    async def delete(self, id_hash: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(sessions).where(_s.id_hash == id_hash))

    async def for_user(self, user_id: int) -> list[Session]:
        return [_session(r) for r in await self._db.fetch_all(_FOR_USER, {"user_id": user_id})]

    async def by_sid(self, sid: str) -> Session | None:
        row = await self._db.fetch_one(_BY_SID, {"sid": sid})
        return _session(row) if row is not None else None

    async def expire_for_user(self, user_id: int, now: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(sessions)
                .where(_s.user_id == user_id, _s.expires_at > now)
                .values(expires_at=now)
            )
            return int(result.rowcount)

    async def take_expired(self, now: datetime, limit: int) -> list[Session]:
        # A cheap read first, so an idle worker does not take the write lock to find nothing.
        if await self._db.fetch_one(_ANY_EXPIRED, {"now": now}) is None:
            return []
        candidates = (
            select(_s.id_hash)
            .where(_s.expires_at <= now)
            .order_by(_s.expires_at)
            .limit(limit)
            # PostgreSQL: skip rows another worker is taking (SQLite has one writer anyway).
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with self._db.write() as conn:
            # A row another worker deleted first is not returned here: each goes to one caller.
            result = await conn.execute(
                delete(sessions)
                .where(_s.id_hash.in_(candidates), _s.expires_at <= now)
                .returning(*_COLUMNS)
            )
            return [_session(row) for row in result]
