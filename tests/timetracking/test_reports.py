"""summarise(): local days across midnight and DST changes, ISO weeks, clipping, running entries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stint.timetracking.models import TimeEntry
from stint.timetracking.reports import GroupBy, Summary, SummaryGroup, summarise, week_of

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = 3600


def _entry(
    start: datetime, end: datetime | None, activity_id: int = 1, entry_id: int = 1
) -> TimeEntry:
    return TimeEntry(
        id=entry_id,
        user_id=1,
        activity_id=activity_id,
        start=start,
        end=end,
        note="",
        created_at=start,
        updated_at=start,
        version=1,
    )


def _paris(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A Paris wall-clock time, as the aware UTC instant entries carry."""
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS).astimezone(UTC)


def _summarise(
    entries: list[TimeEntry],
    since: datetime,
    until: datetime,
    group_by: GroupBy = GroupBy.DAY,
    tz: ZoneInfo = PARIS,
    now: datetime = NOW,
) -> dict[str, int]:
    summary = summarise(entries, since=since, until=until, tz=tz, group_by=group_by, now=now)
    assert summary.total_seconds == sum(g.seconds for g in summary.groups)
    keys = [g.key for g in summary.groups]
    assert len(set(keys)) == len(keys)
    return {g.key: g.seconds for g in summary.groups}


WIDE = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_an_entry_over_local_midnight_is_split_between_the_two_days() -> None:
    entry = _entry(_paris(2026, 3, 2, 23, 30), _paris(2026, 3, 3, 1, 30))
    assert _summarise([entry], *WIDE) == {"2026-03-02": 1800, "2026-03-03": 5400}


def test_local_midnight_is_not_utc_midnight() -> None:
    # 23:30Z-00:30Z: in Paris (UTC+1) that is wholly 00:30-01:30 of the next day.
    entry = _entry(
        datetime(2026, 3, 2, 23, 30, tzinfo=UTC), datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    )
    assert _summarise([entry], *WIDE) == {"2026-03-03": HOUR}
    assert _summarise([entry], *WIDE, tz=ZoneInfo("UTC")) == {
        "2026-03-02": 1800,
        "2026-03-03": 1800,
    }
    # West of UTC, the same hour is still the evening before.
    assert _summarise([entry], *WIDE, tz=ZoneInfo("America/New_York")) == {"2026-03-02": HOUR}


def test_an_entry_spanning_days_fills_each_whole_day() -> None:
    entry = _entry(_paris(2026, 3, 2, 12), _paris(2026, 3, 5, 6))
    assert _summarise([entry], *WIDE) == {
        "2026-03-02": 12 * HOUR,
        "2026-03-03": 24 * HOUR,
        "2026-03-04": 24 * HOUR,
        "2026-03-05": 6 * HOUR,
    }


def test_the_spring_dst_day_in_paris_has_23_hours() -> None:
    # Clocks go from 02:00 to 03:00 on Sunday 29 March 2026.
    entry = _entry(_paris(2026, 3, 28), _paris(2026, 3, 31))
    assert _summarise([entry], *WIDE) == {
        "2026-03-28": 24 * HOUR,
        "2026-03-29": 23 * HOUR,
        "2026-03-30": 24 * HOUR,
    }


def test_the_autumn_dst_day_in_paris_has_25_hours() -> None:
    # Clocks go from 03:00 back to 02:00 on Sunday 25 October 2026.
    entry = _entry(_paris(2026, 10, 24), _paris(2026, 10, 27))
    assert _summarise([entry], *WIDE) == {
        "2026-10-24": 24 * HOUR,
        "2026-10-25": 25 * HOUR,
        "2026-10-26": 24 * HOUR,
    }


def test_an_entry_over_the_spring_gap_counts_elapsed_time() -> None:
    # 01:30 to 03:30 on the wall clock is one hour of real time that night.
    entry = _entry(_paris(2026, 3, 29, 1, 30), _paris(2026, 3, 29, 3, 30))
    assert _summarise([entry], *WIDE) == {"2026-03-29": HOUR}


def test_an_entry_over_the_autumn_repeat_counts_elapsed_time() -> None:
    # From 01:30 to 03:30 on the wall clock, 02:00-03:00 is lived twice: three hours.
    start = datetime(2026, 10, 25, 1, 30, tzinfo=PARIS).astimezone(UTC)
    end = datetime(2026, 10, 25, 3, 30, tzinfo=PARIS).astimezone(UTC)
    assert _summarise([_entry(start, end)], *WIDE) == {"2026-10-25": 3 * HOUR}


def test_weeks_are_keyed_by_their_monday_in_local_time() -> None:
    entries = [
        # Sunday 1 March 23:00 to Monday 2 March 01:00, Paris: one hour in each ISO week.
        _entry(_paris(2026, 3, 1, 23), _paris(2026, 3, 2, 1)),
        # Wednesday and Sunday of the week of Monday 2 March.
        _entry(_paris(2026, 3, 4, 9), _paris(2026, 3, 4, 10), entry_id=2),
        _entry(_paris(2026, 3, 8, 20), _paris(2026, 3, 8, 21), entry_id=3),
    ]
    assert _summarise(entries, *WIDE, group_by=GroupBy.WEEK) == {
        "2026-02-23": HOUR,
        "2026-03-02": 3 * HOUR,
    }


def test_weeks_over_a_year_end_are_keyed_by_the_monday_in_the_old_year() -> None:
    # Thursday 31 December 2026 and Friday 1 January 2027 share the week of Monday 28 December.
    entry = _entry(_paris(2026, 12, 31, 23), _paris(2027, 1, 1, 1))
    since, until = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)
    assert _summarise([entry], since, until, group_by=GroupBy.WEEK) == {"2026-12-28": 2 * HOUR}


def test_the_dst_week_has_one_hour_less() -> None:
    entry = _entry(_paris(2026, 3, 23), _paris(2026, 3, 30))
    assert _summarise([entry], *WIDE, group_by=GroupBy.WEEK) == {"2026-03-23": (7 * 24 - 1) * HOUR}


def test_entries_are_clipped_to_the_range() -> None:
    since, until = _paris(2026, 3, 2, 9), _paris(2026, 3, 2, 17)
    entries = [
        _entry(_paris(2026, 3, 2, 7), _paris(2026, 3, 2, 10), entry_id=1),  # 1h inside
        _entry(_paris(2026, 3, 2, 12), _paris(2026, 3, 2, 13), entry_id=2),  # 1h inside
        _entry(_paris(2026, 3, 2, 16), _paris(2026, 3, 2, 20), entry_id=3),  # 1h inside
        _entry(_paris(2026, 3, 1, 8), _paris(2026, 3, 3, 8), entry_id=4),  # 8h inside
        _entry(_paris(2026, 3, 2, 7), _paris(2026, 3, 2, 9), entry_id=5),  # ends at since
        _entry(_paris(2026, 3, 2, 17), _paris(2026, 3, 2, 18), entry_id=6),  # starts at until
    ]
    assert _summarise(entries, since, until) == {"2026-03-02": 11 * HOUR}
    by_activity = _summarise(entries, since, until, group_by=GroupBy.ACTIVITY)
    assert by_activity == {"1": 11 * HOUR}


def test_an_entry_wholly_outside_the_range_makes_no_group() -> None:
    entry = _entry(_paris(2026, 3, 1, 9), _paris(2026, 3, 1, 10))
    since, until = _paris(2026, 3, 2), _paris(2026, 3, 3)
    assert summarise(
        [entry], since=since, until=until, tz=PARIS, group_by=GroupBy.DAY, now=NOW
    ) == Summary(total_seconds=0, groups=[])


def test_clipping_a_day_split_entry_keeps_only_the_days_in_range() -> None:
    entry = _entry(_paris(2026, 3, 1, 20), _paris(2026, 3, 4, 4))
    since, until = _paris(2026, 3, 2, 12), _paris(2026, 3, 3, 12)
    assert _summarise([entry], since, until) == {"2026-03-02": 12 * HOUR, "2026-03-03": 12 * HOUR}


def test_a_running_entry_counts_up_to_now() -> None:
    now = _paris(2026, 3, 2, 10, 30)
    running = _entry(_paris(2026, 3, 2, 9), None)
    since, until = _paris(2026, 3, 2), _paris(2026, 3, 3)
    assert _summarise([running], since, until, now=now) == {"2026-03-02": 5400}


def test_a_running_entry_is_clipped_at_the_end_of_the_range() -> None:
    now = _paris(2026, 3, 5, 12)
    running = _entry(_paris(2026, 3, 2, 22), None)
    since, until = _paris(2026, 3, 2), _paris(2026, 3, 3, 1)
    assert _summarise([running], since, until, now=now) == {
        "2026-03-02": 2 * HOUR,
        "2026-03-03": HOUR,
    }


def test_a_running_entry_that_starts_after_now_counts_nothing() -> None:
    running = _entry(NOW + timedelta(hours=1), None)
    assert _summarise([running], *WIDE) == {}


def test_activities_are_totalled_and_ordered_by_id() -> None:
    day = _paris(2026, 3, 2)
    entries = [
        _entry(day + timedelta(hours=1), day + timedelta(hours=2), activity_id=10, entry_id=1),
        _entry(day + timedelta(hours=3), day + timedelta(hours=5), activity_id=2, entry_id=2),
        _entry(day + timedelta(hours=6), day + timedelta(hours=7), activity_id=10, entry_id=3),
        _entry(day + timedelta(hours=8), day + timedelta(hours=8, minutes=1), activity_id=9),
    ]
    summary = summarise(
        entries, since=WIDE[0], until=WIDE[1], tz=PARIS, group_by=GroupBy.ACTIVITY, now=NOW
    )
    # Numerically ordered: "2" before "9" before "10".
    assert summary == Summary(
        total_seconds=4 * HOUR + 60,
        groups=[
            SummaryGroup("2", 2 * HOUR),
            SummaryGroup("9", 60),
            SummaryGroup("10", 2 * HOUR),
        ],
    )


def test_days_are_in_date_order() -> None:
    entries = [
        _entry(_paris(2026, 3, d, 9), _paris(2026, 3, d, 10), entry_id=d) for d in (12, 3, 9, 10)
    ]
    keys = list(_summarise(entries, *WIDE))
    assert keys == ["2026-03-03", "2026-03-09", "2026-03-10", "2026-03-12"]


@pytest.mark.parametrize("group_by", list(GroupBy))
def test_every_grouping_gives_the_same_total(group_by: GroupBy) -> None:
    entries = [
        _entry(_paris(2026, 3, 28, 22), _paris(2026, 3, 30, 2), activity_id=1, entry_id=1),
        _entry(_paris(2026, 3, 1, 23, 59, 30), _paris(2026, 3, 2, 0, 0, 45), activity_id=2),
    ]
    assert (
        sum(_summarise(entries, *WIDE, group_by=group_by).values())
        == 2 * 3600 + 23 * 3600 + 2 * 3600 + 75
    )


def test_the_total_is_the_sum_of_the_groups_shown() -> None:
    # Entries may carry fractions of a second; the rounded groups must still add up.
    start = _paris(2026, 3, 2, 9)
    half = timedelta(seconds=1.5)
    entries = [
        _entry(start, start + half, activity_id=1, entry_id=1),
        _entry(start + timedelta(hours=1), start + timedelta(hours=1) + half, activity_id=2),
    ]
    summary = summarise(
        entries, since=WIDE[0], until=WIDE[1], tz=PARIS, group_by=GroupBy.ACTIVITY, now=NOW
    )
    assert summary.total_seconds == sum(g.seconds for g in summary.groups)


def test_the_week_of_a_sunday_night_starts_on_the_monday_before() -> None:
    sunday_night = _paris(2026, 11, 29, 23, 30)  # 22:30 UTC
    week = week_of(sunday_night, PARIS)
    assert (week.today, week.monday) == (date(2026, 11, 29), date(2026, 11, 23))
    assert (week.since, week.until) == (_paris(2026, 11, 23), _paris(2026, 11, 30))


def test_the_week_follows_the_local_date_not_the_utc_one() -> None:
    sunday_utc = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)  # already Monday 05:00 in Tokyo
    assert week_of(sunday_utc, ZoneInfo("Asia/Tokyo")).monday == date(2026, 11, 30)
    assert week_of(sunday_utc, ZoneInfo("UTC")).monday == date(2026, 11, 23)


def test_a_week_with_a_dst_change_is_an_hour_short() -> None:
    week = week_of(_paris(2026, 3, 26, 12), PARIS)  # clocks go forward on Sunday 29 March
    assert week.until - week.since == timedelta(days=7, hours=-1)
