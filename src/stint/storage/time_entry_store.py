"""SqlTimeEntryStore: the time-tracking TimeEntryStore on SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from stint.storage.database import Database, is_unique_violation
from stint.storage.records import record_maker
from stint.storage.tables import activities, time_entries
from stint.timetracking.errors import (
    NotFoundError,
    StaleVersionError,
    TimerAlreadyRunningError,
    UnknownActivityError,
)
from stint.timetracking.models import EntryFields, EntryOrdering, EntryQuery, TimeEntry

__all__ = ["SqlTimeEntryStore"]

_COLUMNS = (
    time_entries.c.id,
    time_entries.c.user_id,
    time_entries.c.activity_id,
    time_entries.c.started_at,
    time_entries.c.ended_at,
    time_entries.c.note,
    time_entries.c.created_at,
    time_entries.c.updated_at,
    time_entries.c.version,
)
_t = time_entries.c


_new_entry = record_maker(TimeEntry)


def _entry(row: Any) -> TimeEntry:
    return _new_entry(*row)


def _second_timer(exc: IntegrityError) -> bool:
    return is_unique_violation(
        exc, "uq_time_entries_one_running_per_user", "time_entries", "user_id"
    )


def _activity_gone(exc: IntegrityError) -> bool:
    # Deleted by another transaction between _require_activity and the write (PostgreSQL).
    return "fk_time_entries_activity_id_activities" in str(exc.orig)


def _overlapping(since: bool, until: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if until:
        conditions.append(_t.started_at < bindparam("until"))
    if since:
        conditions.append(or_(_t.ended_at.is_(None), _t.ended_at > bindparam("since")))
    return conditions


_GET = select(*_COLUMNS).where(_t.id == bindparam("entry_id"), _t.user_id == bindparam("user_id"))
_RUNNING = select(*_COLUMNS).where(_t.user_id == bindparam("user_id"), _t.ended_at.is_(None))
_OVERLAPPING = select(*_COLUMNS).where(
    _t.user_id == bindparam("user_id"), *_overlapping(True, True)
)


@cache
def _list_statement(
    ascending: bool, since: bool, until: bool, activity: bool, after: bool
) -> Select[Any]:
    """One statement per combination of filters, built once and reused."""
    conditions = [_t.user_id == bindparam("user_id"), *_overlapping(since, until)]
    if activity:
        conditions.append(_t.activity_id == bindparam("activity_id"))
    if after:
        start: BindParameter[datetime] = bindparam("after_start", type_=_t.started_at.type)
        last_id: BindParameter[int] = bindparam("after_id", type_=_t.id.type)
        if ascending:
            conditions.append(
                or_(_t.started_at > start, and_(_t.started_at == start, _t.id > last_id))
            )
        else:
            conditions.append(
                or_(_t.started_at < start, and_(_t.started_at == start, _t.id < last_id))
            )
    order = (_t.started_at, _t.id) if ascending else (_t.started_at.desc(), _t.id.desc())
    return select(*_COLUMNS).where(*conditions).order_by(*order).limit(bindparam("limit"))


class SqlTimeEntryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user_id: int, fields: EntryFields) -> TimeEntry:
        now = datetime.now(UTC)
        statement = (
            time_entries.insert()
            .values(
                user_id=user_id,
                activity_id=fields.activity_id,
                started_at=fields.start,
                ended_at=fields.end,
                note=fields.note,
                created_at=now,
                updated_at=now,
                version=1,
            )
            .returning(*_COLUMNS)
        )
        try:
            async with self._db.write() as conn:
                await self._require_activity(conn, user_id, fields.activity_id)
                return _entry((await conn.execute(statement)).one())
        except IntegrityError as exc:
            if _second_timer(exc):
                raise TimerAlreadyRunningError(await self._running_id(user_id)) from None
            if _activity_gone(exc):
                raise UnknownActivityError from None
            raise

    async def get(self, user_id: int, entry_id: int) -> TimeEntry | None:
        row = await self._db.fetch_one(_GET, {"entry_id": entry_id, "user_id": user_id})
        return _entry(row) if row is not None else None

    async def running(self, user_id: int) -> TimeEntry | None:
        row = await self._db.fetch_one(_RUNNING, {"user_id": user_id})
        return _entry(row) if row is not None else None

    async def page(self, user_id: int, query: EntryQuery) -> list[TimeEntry]:
        statement = _list_statement(
            query.ordering is EntryOrdering.START_ASC,
            query.since is not None,
            query.until is not None,
            query.activity_id is not None,
            query.after is not None,
        )
        params: dict[str, Any] = {"user_id": user_id, "limit": query.limit}
        params.update(since=query.since, until=query.until, activity_id=query.activity_id)
        if query.after is not None:
            params["after_start"], params["after_id"] = query.after
        return [_entry(row) for row in await self._db.fetch_all(statement, params)]

    async def update(
        self, user_id: int, entry_id: int, fields: EntryFields, expected_version: int
    ) -> TimeEntry:
        statement = (
            update(time_entries)
            .where(_t.id == entry_id, _t.user_id == user_id, _t.version == expected_version)
            .values(
                activity_id=fields.activity_id,
                started_at=fields.start,
                ended_at=fields.end,
                note=fields.note,
                updated_at=datetime.now(UTC),
                version=_t.version + 1,
            )
            .returning(*_COLUMNS)
        )
        try:
            async with self._db.write() as conn:
                await self._require_activity(conn, user_id, fields.activity_id)
                row = (await conn.execute(statement)).first()
                if row is None:
                    raise await self._missing_or_stale(conn, user_id, entry_id)
                return _entry(row)
        except IntegrityError as exc:
            if _second_timer(exc):
                raise TimerAlreadyRunningError(await self._running_id(user_id)) from None
            if _activity_gone(exc):
                raise UnknownActivityError from None
            raise

    async def delete(self, user_id: int, entry_id: int, expected_version: int | None) -> None:
        conditions = [_t.id == entry_id, _t.user_id == user_id]
        if expected_version is not None:
            conditions.append(_t.version == expected_version)
        async with self._db.write() as conn:
            result = await conn.execute(delete(time_entries).where(*conditions))
            if result.rowcount != 1:
                raise await self._missing_or_stale(conn, user_id, entry_id)

    async def overlapping(self, user_id: int, since: datetime, until: datetime) -> list[TimeEntry]:
        # Unbounded in size, so it goes through the async pool rather than the inline reader.
        params = {"user_id": user_id, "since": since, "until": until}
        async with self._db.read() as conn:
            return [_entry(row) for row in await conn.execute(_OVERLAPPING, params)]

    async def _running_id(self, user_id: int) -> int | None:
        running = await self.running(user_id)
        return running.id if running is not None else None

    @staticmethod
    async def _require_activity(conn: AsyncConnection, user_id: int, activity_id: int) -> None:
        query = select(activities.c.id).where(
            activities.c.id == activity_id, activities.c.user_id == user_id
        )
        if (await conn.execute(query)).first() is None:
            raise UnknownActivityError

    @staticmethod
    async def _missing_or_stale(conn: AsyncConnection, user_id: int, entry_id: int) -> Exception:
        query = select(_t.id).where(_t.id == entry_id, _t.user_id == user_id)
        found = (await conn.execute(query)).first()
        return StaleVersionError() if found is not None else NotFoundError()
