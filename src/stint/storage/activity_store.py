"""SqlActivityStore: the time-tracking ActivityStore on SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from stint.storage.database import Database, is_unique_violation
from stint.storage.records import record_maker
from stint.storage.tables import activities, time_entries
from stint.timetracking.errors import (
    ActivityHasEntriesError,
    ActivityNameTakenError,
    NotFoundError,
    StaleVersionError,
)
from stint.timetracking.models import Activity, ActivityFields

__all__ = ["SqlActivityStore"]

_COLUMNS = (
    activities.c.id,
    activities.c.user_id,
    activities.c.name,
    activities.c.description,
    activities.c.colour,
    activities.c.archived,
    activities.c.created_at,
    activities.c.updated_at,
    activities.c.version,
)


_GET = select(*_COLUMNS).where(
    activities.c.id == bindparam("activity_id"), activities.c.user_id == bindparam("user_id")
)
_LIST = (
    select(*_COLUMNS)
    .where(activities.c.user_id == bindparam("user_id"), activities.c.id > bindparam("after_id"))
    .order_by(activities.c.id)
    .limit(bindparam("limit"))
)


_new_activity = record_maker(Activity)


def _activity(row: Any) -> Activity:
    return _new_activity(*row)


def _name_key(name: str) -> str:
    return name.casefold()


def _name_taken(exc: IntegrityError) -> bool:
    return is_unique_violation(
        exc, "uq_activities_user_id_name_key", "activities", "user_id", "name_key"
    )


class SqlActivityStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user_id: int, fields: ActivityFields) -> Activity:
        now = datetime.now(UTC)
        statement = (
            activities.insert()
            .values(
                user_id=user_id,
                name=fields.name,
                name_key=_name_key(fields.name),
                description=fields.description,
                colour=fields.colour,
                archived=fields.archived,
                created_at=now,
                updated_at=now,
                version=1,
            )
            .returning(*_COLUMNS)
        )
        try:
            async with self._db.write() as conn:
                return _activity((await conn.execute(statement)).one())
        except IntegrityError as exc:
            if _name_taken(exc):
                raise ActivityNameTakenError(fields.name) from None
            raise

    async def get(self, user_id: int, activity_id: int) -> Activity | None:
        row = await self._db.fetch_one(_GET, {"activity_id": activity_id, "user_id": user_id})
        return _activity(row) if row is not None else None

    async def page(self, user_id: int, *, after_id: int, limit: int) -> list[Activity]:
        params = {"user_id": user_id, "after_id": after_id, "limit": limit}
        return [_activity(row) for row in await self._db.fetch_all(_LIST, params)]

    async def update(
        self, user_id: int, activity_id: int, fields: ActivityFields, expected_version: int
    ) -> Activity:
        # Compare-and-set on the version: a concurrent write in between makes this one stale.
        statement = (
            update(activities)
            .where(
                activities.c.id == activity_id,
                activities.c.user_id == user_id,
                activities.c.version == expected_version,
            )
            .values(
                name=fields.name,
                name_key=_name_key(fields.name),
                description=fields.description,
                colour=fields.colour,
                archived=fields.archived,
                updated_at=datetime.now(UTC),
                version=activities.c.version + 1,
            )
            .returning(*_COLUMNS)
        )
        try:
            async with self._db.write() as conn:
                row = (await conn.execute(statement)).first()
                if row is None:
                    raise await self._missing_or_stale(conn, user_id, activity_id)
                return _activity(row)
        except IntegrityError as exc:
            if _name_taken(exc):
                raise ActivityNameTakenError(fields.name) from None
            raise

    async def delete(
        self, user_id: int, activity_id: int, *, cascade: bool, expected_version: int | None
    ) -> None:
        async with self._db.write() as conn:
            conditions = [activities.c.id == activity_id, activities.c.user_id == user_id]
            if expected_version is not None:
                conditions.append(activities.c.version == expected_version)
            # Locked (PostgreSQL; SQLite writes one at a time anyway): an entry being added to
            # this activity holds a key-share lock on it, so the count below includes it, and one
            # added after it waits here and then finds the activity gone, rather than being
            # deleted with it by ON DELETE CASCADE while its 201 is on the way.
            locked = select(activities.c.id).where(*conditions).with_for_update()
            exists = (await conn.execute(locked)).first()
            if exists is None:
                raise await self._missing_or_stale(conn, user_id, activity_id)
            entries = time_entries.c.activity_id == activity_id
            count = (
                await conn.execute(select(func.count()).select_from(time_entries).where(entries))
            ).scalar_one()
            if count and not cascade:
                raise ActivityHasEntriesError(count)
            await conn.execute(delete(time_entries).where(entries))
            deleted = await conn.execute(delete(activities).where(*conditions))
            if deleted.rowcount != 1:
                # Changed (or deleted) since the check above, on PostgreSQL's read committed:
                # roll back rather than answer 204 with the activity still there.
                raise await self._missing_or_stale(conn, user_id, activity_id)

    @staticmethod
    async def _missing_or_stale(conn: Any, user_id: int, activity_id: int) -> Exception:
        query = select(activities.c.id).where(
            activities.c.id == activity_id, activities.c.user_id == user_id
        )
        found = (await conn.execute(query)).first()
        return StaleVersionError() if found is not None else NotFoundError()
