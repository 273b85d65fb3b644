"""What time tracking needs from storage. Every call is scoped to one user."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from stint.timetracking.models import Activity, ActivityFields, EntryFields, EntryQuery, TimeEntry

__all__ = ["ActivityStore", "TimeEntryStore"]


class ActivityStore(Protocol):
    async def add(self, user_id: int, fields: ActivityFields) -> Activity:
        """Raises ActivityNameTakenError."""
        ...

    async def get(self, user_id: int, activity_id: int) -> Activity | None: ...

    async def page(self, user_id: int, *, after_id: int, limit: int) -> list[Activity]: ...

    async def update(
        self, user_id: int, activity_id: int, fields: ActivityFields, expected_version: int
    ) -> Activity:
        """Raises NotFoundError, StaleVersionError, ActivityNameTakenError."""
        ...

    async def delete(
        self, user_id: int, activity_id: int, *, cascade: bool, expected_version: int | None
    ) -> None:
        """Raises NotFoundError, StaleVersionError, ActivityHasEntriesError (unless cascade)."""
        ...


class TimeEntryStore(Protocol):
    async def add(self, user_id: int, fields: EntryFields) -> TimeEntry:
        """Raises UnknownActivityError, TimerAlreadyRunningError (at most one running per user)."""
        ...

    async def get(self, user_id: int, entry_id: int) -> TimeEntry | None: ...

    async def running(self, user_id: int) -> TimeEntry | None: ...

    async def page(self, user_id: int, query: EntryQuery) -> list[TimeEntry]: ...

    async def update(
        self, user_id: int, entry_id: int, fields: EntryFields, expected_version: int
    ) -> TimeEntry:
        """Raises NotFoundError, StaleVersionError, UnknownActivityError,
        TimerAlreadyRunningError."""
        ...

    async def delete(self, user_id: int, entry_id: int, expected_version: int | None) -> None:
        """Raises NotFoundError, StaleVersionError."""
        ...

    async def overlapping(self, user_id: int, since: datetime, until: datetime) -> list[TimeEntry]:
        """Every entry that overlaps [since, until), running ones included."""
        ...
