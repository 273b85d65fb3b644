"""Time summaries: totals per activity, per local day or per ISO week, in the user's time zone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from stint.timetracking.models import TimeEntry

__all__ = ["DayAndWeek", "GroupBy", "Summary", "SummaryGroup", "Week", "summarise", "week_of"]


class GroupBy(Enum):
    ACTIVITY = "activity"
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True, slots=True)
class SummaryGroup:
    key: str  # activity id, local date (YYYY-MM-DD) or the Monday that starts the ISO week
    seconds: int


@dataclass(frozen=True, slots=True)
class Summary:
    total_seconds: int
    groups: list[SummaryGroup]


@dataclass(frozen=True, slots=True)
class Week:
    """The ISO week (Monday to Sunday) around a moment, in local days of a time zone."""

    today: date
    monday: date
    # As UTC instants: between two datetimes of one ZoneInfo, Python subtracts wall-clock times.
    since: datetime  # Monday's local midnight
    until: datetime  # the next Monday's local midnight


@dataclass(frozen=True, slots=True)
class DayAndWeek:
    """Seconds tracked today and this ISO week, running entries counted up to ``now``."""

    week: Week
    today_seconds: int
    week_seconds: int
    now: datetime


def week_of(now: datetime, tz: ZoneInfo) -> Week:
    """The ISO 8601 week holding ``now``'s local date in ``tz``: weeks start on Monday."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return Week(
        today=today,
        monday=monday,
        since=datetime.combine(monday, time(0), tz).astimezone(UTC),
        until=datetime.combine(monday + timedelta(days=7), time(0), tz).astimezone(UTC),
    )


def summarise(
    entries: list[TimeEntry],
    *,
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    group_by: GroupBy,
    now: datetime,
) -> Summary:
    """Sum the time inside [since, until); a running entry counts up to ``now``."""
    totals: defaultdict[str, float] = defaultdict(float)
    for entry in entries:
        start = max(entry.start, since)
        end = min(entry.end or now, until)
        if end <= start:
            continue
        if group_by is GroupBy.ACTIVITY:
            totals[str(entry.activity_id)] += (end - start).total_seconds()
            continue
        for day, seconds in _split_by_local_day(start, end, tz):
            if group_by is GroupBy.WEEK:
                day = day - timedelta(days=day.weekday())
            totals[day.isoformat()] += seconds
    groups = [SummaryGroup(k, round(v)) for k, v in sorted(totals.items(), key=_group_order)]
    # The sum of the rounded groups, so that the total shown is what the groups add up to.
    return Summary(total_seconds=sum(g.seconds for g in groups), groups=groups)


def _group_order(item: tuple[str, float]) -> tuple[int, str]:
    key = item[0]
    return (int(key), "") if key.isdigit() else (0, key)


def _split_by_local_day(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[date, float]]:
    """Cut [start, end) at local midnights; days are 23 or 25 hours long across DST changes."""
    parts: list[tuple[date, float]] = []
    cursor = start
    while cursor < end:
        local_day = cursor.astimezone(tz).date()
        # In UTC: between two datetimes of the same tzinfo, Python subtracts wall-clock times and
        # a DST day would count 24 hours instead of 23 or 25.
        next_midnight = datetime.combine(local_day + timedelta(days=1), time(0), tz).astimezone(UTC)
        piece_end = min(end, next_midnight)
        parts.append((local_day, (piece_end - cursor).total_seconds()))
        cursor = piece_end
    return parts
