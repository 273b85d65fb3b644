"""Time-tracking use cases: the rules that hold whatever stores or web layer sit around them."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from stint.timetracking.errors import (
    NotFoundError,
    StaleVersionError,
    TimerAlreadyRunningError,
    ValidationProblem,
)
from stint.timetracking.models import Activity, ActivityFields, EntryFields, EntryQuery, TimeEntry
from stint.timetracking.ports import ActivityStore, TimeEntryStore
from stint.timetracking.reports import DayAndWeek, GroupBy, Summary, summarise, week_of

__all__ = ["MAX_REPORT_SPAN", "TimeTracking"]

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")
MAX_NAME = 100
MAX_TEXT = 2000
MAX_REPORT_SPAN = timedelta(days=366 * 5)
# PostgreSQL text cannot hold U+0000 (SQLite can): refuse it on both, the same way.
_NO_NUL = "must not contain the NUL character (U+0000)"

# The versions an If-Match header allows; None: no precondition.
Versions = Collection[int] | None
P = ParamSpec("P")
T = TypeVar("T")
# Rounds a write without If-Match may lose to concurrent writers; each round one of them wins.
_RETRIES = 16


def _retried_without_precondition(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[T]]:
    """Retry a read-check-write that lost a race, when the client sent no If-Match.

    The write compares and sets the version it read. With If-Match, a concurrent change is the
    client's failed precondition (412). Without it the client asked for no condition, so the
    write is done again on the new state (a second stop finds the entry stopped) instead of
    answering 412 to a request that had none.
    """
    signature = inspect.signature(method)

    @functools.wraps(method)
    async def retrying(*args: P.args, **kwargs: P.kwargs) -> T:
        if signature.bind(*args, **kwargs).arguments["if_versions"] is None:
            for _ in range(_RETRIES):
                try:
                    return await method(*args, **kwargs)
                except StaleVersionError:
                    continue
        return await method(*args, **kwargs)

    return retrying


class TimeTracking:
    """Activities, entries, the timer and reports for one deployment; every call names its user."""

    def __init__(
        self,
        activities: ActivityStore,
        entries: TimeEntryStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._activities = activities
        self._entries = entries
        self._clock = clock

    # Activities

    async def create_activity(self, user_id: int, fields: ActivityFields) -> Activity:
        return await self._activities.add(user_id, _checked_activity(fields))

    async def activity(self, user_id: int, activity_id: int) -> Activity:
        found = await self._activities.get(user_id, activity_id)
        if found is None:
            raise NotFoundError
        return found

    async def activities(self, user_id: int, *, after_id: int, limit: int) -> list[Activity]:
        return await self._activities.page(user_id, after_id=after_id, limit=limit)

    @_retried_without_precondition
    async def replace_activity(
        self, user_id: int, activity_id: int, fields: ActivityFields, if_versions: Versions
    ) -> Activity:
        current = await self.activity(user_id, activity_id)
        version = _expected(current.version, if_versions)
        return await self._activities.update(
            user_id, activity_id, _checked_activity(fields), version
        )

    @_retried_without_precondition
    async def patch_activity(
        self, user_id: int, activity_id: int, changes: dict[str, object], if_versions: Versions
    ) -> Activity:
        current = await self.activity(user_id, activity_id)
        version = _expected(current.version, if_versions)
        base = ActivityFields(current.name, current.description, current.colour, current.archived)
        merged = replace(base, **changes)  # type: ignore[arg-type]
        return await self._activities.update(
            user_id, activity_id, _checked_activity(merged), version
        )

    @_retried_without_precondition
    async def delete_activity(
        self, user_id: int, activity_id: int, *, cascade: bool, if_versions: Versions
    ) -> None:
        current = await self.activity(user_id, activity_id)
        version = _expected(current.version, if_versions)
        await self._activities.delete(
            user_id, activity_id, cascade=cascade, expected_version=version
        )

    # Time entries

    async def create_entry(self, user_id: int, fields: EntryFields) -> TimeEntry:
        return await self._entries.add(user_id, _checked_entry(fields))

    async def entry(self, user_id: int, entry_id: int) -> TimeEntry:
        found = await self._entries.get(user_id, entry_id)
        if found is None:
            raise NotFoundError
        return found

    async def entries(self, user_id: int, query: EntryQuery) -> list[TimeEntry]:
        if query.since and query.until and query.until <= query.since:
            raise ValidationProblem({"to": "must be after 'from'"})
        return await self._entries.page(user_id, query)

    @_retried_without_precondition
    async def replace_entry(
        self, user_id: int, entry_id: int, fields: EntryFields, if_versions: Versions
    ) -> TimeEntry:
        current = await self.entry(user_id, entry_id)
        version = _expected(current.version, if_versions)
        return await self._entries.update(user_id, entry_id, _checked_entry(fields), version)

    @_retried_without_precondition
    async def patch_entry(
        self, user_id: int, entry_id: int, changes: dict[str, object], if_versions: Versions
    ) -> TimeEntry:
        current = await self.entry(user_id, entry_id)
        version = _expected(current.version, if_versions)
        base = EntryFields(current.activity_id, current.start, current.end, current.note)
        merged = replace(base, **changes)  # type: ignore[arg-type]
        return await self._entries.update(user_id, entry_id, _checked_entry(merged), version)

    @_retried_without_precondition
    async def delete_entry(self, user_id: int, entry_id: int, if_versions: Versions) -> None:
        current = await self.entry(user_id, entry_id)
        await self._entries.delete(user_id, entry_id, _expected(current.version, if_versions))

    # The timer: a time entry with no end

    async def start_timer(self, user_id: int, activity_id: int, note: str = "") -> TimeEntry:
        """Start a running entry now; refuses a second one (TimerAlreadyRunningError)."""
        running = await self._entries.running(user_id)
        if running is not None:
            raise TimerAlreadyRunningError(running.id)
        start = self._clock().replace(microsecond=0)
        return await self.create_entry(user_id, EntryFields(activity_id, start, None, note))

    async def running_timer(self, user_id: int) -> TimeEntry | None:
        """The user's running entry, if a timer runs."""
        return await self._entries.running(user_id)

    @_retried_without_precondition
    async def stop_entry(self, user_id: int, entry_id: int, if_versions: Versions) -> TimeEntry:
        """End a running entry now; stopping a stopped entry returns it unchanged."""
        current = await self.entry(user_id, entry_id)
        if current.end is not None:
            return current
        version = _expected(current.version, if_versions)
        # Never end before the start, even when the client's clock ran ahead of ours.
        end = max(self._clock(), current.start + timedelta(seconds=1))
        fields = EntryFields(current.activity_id, current.start, end, current.note)
        return await self._entries.update(user_id, entry_id, fields, version)

    # Reports

    async def summary(
        self, user_id: int, *, since: datetime, until: datetime, tz: ZoneInfo, group_by: GroupBy
    ) -> Summary:
        if until <= since:
            raise ValidationProblem({"to": "must be after 'from'"})
        if until - since > MAX_REPORT_SPAN:
            raise ValidationProblem({"to": "a report spans at most five years"})
        entries = await self._entries.overlapping(user_id, since, until)
        return summarise(
            entries, since=since, until=until, tz=tz, group_by=group_by, now=self._clock()
        )

    async def today_and_this_week(self, user_id: int, tz: ZoneInfo) -> DayAndWeek:
        """Totals for today and this ISO week, local days in ``tz``, running entries included."""
        now = self._clock()
        week = week_of(now, tz)
        entries = await self._entries.overlapping(user_id, week.since, week.until)
        by_day = summarise(
            entries, since=week.since, until=week.until, tz=tz, group_by=GroupBy.DAY, now=now
        )
        today = sum(g.seconds for g in by_day.groups if g.key == week.today.isoformat())
        return DayAndWeek(week, today, by_day.total_seconds, now)


def _expected(current_version: int, if_versions: Versions) -> int:
    """The version a write may replace: one the client's If-Match names, else the one just read."""
    if if_versions is not None and current_version not in if_versions:
        raise StaleVersionError
    return current_version


def _checked_activity(fields: ActivityFields) -> ActivityFields:
    problems: dict[str, str] = {}
    name = fields.name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        problems["name"] = f"must be 1 to {MAX_NAME} characters, not only spaces"
    if len(fields.description) > MAX_TEXT:
        problems["description"] = f"must be at most {MAX_TEXT} characters"
    if fields.colour is not None and not _COLOUR.match(fields.colour):
        problems["colour"] = "must be a colour like #1e90ff"
    for field, text in (("name", name), ("description", fields.description)):
        if "\x00" in text:
            problems.setdefault(field, _NO_NUL)
    if problems:
        raise ValidationProblem(problems)
    colour = fields.colour.lower() if fields.colour else None
    return replace(fields, name=name, colour=colour)


def _checked_entry(fields: EntryFields) -> EntryFields:
    problems: dict[str, str] = {}
    for name, value in (("start", fields.start), ("end", fields.end)):
        if value is not None and value.utcoffset() is None:
            problems[name] = "must carry a time zone offset, as in 2026-11-22T09:30:00+01:00"
    if not problems and fields.end is not None and fields.end <= fields.start:
        problems["end"] = "must be after start"
    if len(fields.note) > MAX_TEXT:
        problems["note"] = f"must be at most {MAX_TEXT} characters"
    elif "\x00" in fields.note:
        problems["note"] = _NO_NUL
    if problems:
        raise ValidationProblem(problems)
    start = fields.start.astimezone(UTC)
    end = fields.end.astimezone(UTC) if fields.end is not None else None
    return replace(fields, start=start, end=end)
