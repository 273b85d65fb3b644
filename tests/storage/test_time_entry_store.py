"""SqlTimeEntryStore contract, on SQLite and PostgreSQL: one running timer per user, compare-and-set
writes, keyset pages in both orders, and the overlap query reports are built on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from stint.storage.activity_store import SqlActivityStore
from stint.storage.database import Database
from stint.storage.time_entry_store import SqlTimeEntryStore
from stint.timetracking.errors import (
    NotFoundError,
    StaleVersionError,
    TimerAlreadyRunningError,
    UnknownActivityError,
)
from stint.timetracking.models import ActivityFields, EntryFields, EntryOrdering, EntryQuery

pytestmark = pytest.mark.anyio

POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def _activity(db: Database, user_id: int, name: str = "Writing") -> int:
    return (await SqlActivityStore(db).add(user_id, ActivityFields(name))).id


async def test_an_entry_reads_back_whole_in_utc_and_only_for_its_owner(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlTimeEntryStore(db)
    activity = await _activity(db, user_id)
    paris = timezone(timedelta(hours=1))
    made = await store.add(
        user_id, EntryFields(activity, T0.astimezone(paris), (T0 + HOUR).astimezone(paris), "n")
    )
    assert (made.activity_id, made.start, made.end, made.note, made.version) == (
        activity,
        T0,
        T0 + HOUR,
        "n",
        1,
    )
    assert made.start.utcoffset() == timedelta(0)
    assert await store.get(user_id, made.id) == made
    assert await store.get(other_user_id, made.id) is None
    with pytest.raises(StatementError, match="naive"):
        await store.add(user_id, EntryFields(activity, T0.replace(tzinfo=None)))


async def test_an_entry_needs_an_activity_of_its_owner(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlTimeEntryStore(db)
    bobs = await _activity(db, other_user_id)
    with pytest.raises(UnknownActivityError):
        await store.add(user_id, EntryFields(bobs, T0, T0 + HOUR))
    mine = await store.add(user_id, EntryFields(await _activity(db, user_id), T0, T0 + HOUR))
    with pytest.raises(UnknownActivityError):
        await store.update(user_id, mine.id, EntryFields(bobs, T0, T0 + HOUR), 1)


async def test_a_second_running_timer_is_refused_and_names_the_running_one(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlTimeEntryStore(db)
    activity = await _activity(db, user_id)
    assert await store.running(user_id) is None
    running = await store.add(user_id, EntryFields(activity, T0))
    assert await store.running(user_id) == running
    with pytest.raises(TimerAlreadyRunningError) as refused:
        await store.add(user_id, EntryFields(activity, T0 + HOUR))
    assert refused.value.running_entry_id == running.id
    stopped = await store.add(user_id, EntryFields(activity, T0 - HOUR, T0))
    with pytest.raises(TimerAlreadyRunningError):
        await store.update(user_id, stopped.id, EntryFields(activity, T0 - HOUR), 1)
    await store.add(other_user_id, EntryFields(await _activity(db, other_user_id), T0))  # Bob's


async def test_timers_started_eight_times_at_once_run_once(db: Database, user_id: int) -> None:
    store = SqlTimeEntryStore(db)
    activity = await _activity(db, user_id)
    results = await asyncio.gather(
        *(store.add(user_id, EntryFields(activity, T0 + n * HOUR)) for n in range(8)),
        return_exceptions=True,
    )
    started = [r for r in results if not isinstance(r, BaseException)]
    assert len(started) == 1
    refused = [r for r in results if isinstance(r, TimerAlreadyRunningError)]
    assert len(refused) == 7
    assert {r.running_entry_id for r in refused} <= {started[0].id, None}


async def test_an_update_applies_only_to_the_version_it_was_based_on(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlTimeEntryStore(db)
    activity = await _activity(db, user_id)
    made = await store.add(user_id, EntryFields(activity, T0))
    stopped = await store.update(user_id, made.id, EntryFields(activity, T0, T0 + HOUR, "done"), 1)
    assert (stopped.end, stopped.note, stopped.version) == (T0 + HOUR, "done", 2)
    assert await store.running(user_id) is None
    with pytest.raises(StaleVersionError):
        await store.update(user_id, made.id, EntryFields(activity, T0), 1)
    bobs = await _activity(db, other_user_id)
    with pytest.raises(NotFoundError):
        await store.update(other_user_id, made.id, EntryFields(bobs, T0), 2)


async def test_a_deletion_applies_only_to_the_version_it_was_based_on(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlTimeEntryStore(db)
    activity = await _activity(db, user_id)
    made = await store.add(user_id, EntryFields(activity, T0, T0 + HOUR))
    await store.update(user_id, made.id, EntryFields(activity, T0, T0 + 2 * HOUR), 1)
    with pytest.raises(StaleVersionError):
        await store.delete(user_id, made.id, 1)
    with pytest.raises(NotFoundError):
        await store.delete(other_user_id, made.id, None)
    await store.delete(user_id, made.id, 2)
    with pytest.raises(NotFoundError):
        await store.delete(user_id, made.id, None)


async def _day(db: Database, user_id: int) -> tuple[list[int], int, int]:
    """Entries at 9:00 (two, same start), 10:00, 11:00 (running); ids and the two activities."""
    store = SqlTimeEntryStore(db)
    writing, reading = await _activity(db, user_id), await _activity(db, user_id, "Reading")
    ids = []
    for activity, start, end in [
        (writing, T0, T0 + HOUR),
        (reading, T0, T0 + HOUR),
        (writing, T0 + HOUR, T0 + 2 * HOUR),
        (reading, T0 + 2 * HOUR, None),
    ]:
        ids.append((await store.add(user_id, EntryFields(activity, start, end))).id)
    return ids, writing, reading


async def _all_pages(store: SqlTimeEntryStore, user_id: int, query: EntryQuery) -> list[int]:
    seen: list[int] = []
    while True:
        page = await store.page(user_id, query)
        seen += [e.id for e in page]
        if len(page) < query.limit:
            return seen
        query = EntryQuery(
            query.since,
            query.until,
            query.activity_id,
            query.ordering,
            (page[-1].start, page[-1].id),
            query.limit,
        )


@pytest.mark.parametrize("limit", [1, 3, 50])
async def test_pages_walk_every_entry_once_in_either_order_ties_by_id(
    db: Database, user_id: int, other_user_id: int, limit: int
) -> None:
    ids, _, _ = await _day(db, user_id)
    await _day(db, other_user_id)
    store = SqlTimeEntryStore(db)
    newest_first = EntryQuery(limit=limit)
    oldest_first = EntryQuery(ordering=EntryOrdering.START_ASC, limit=limit)
    assert await _all_pages(store, user_id, newest_first) == [ids[3], ids[2], ids[1], ids[0]]
    assert await _all_pages(store, user_id, oldest_first) == ids


async def test_a_page_holds_the_entries_overlapping_its_range_of_one_activity(
    db: Database, user_id: int
) -> None:
    ids, writing, reading = await _day(db, user_id)
    store = SqlTimeEntryStore(db)

    async def listed(**query: object) -> list[int]:
        return [e.id for e in await store.page(user_id, EntryQuery(**query))]  # type: ignore[arg-type]

    # An entry ending at `since` or starting at `until` is outside; a running one never ends.
    assert await listed(since=T0 + HOUR) == [ids[3], ids[2]]
    assert await listed(until=T0 + HOUR) == [ids[1], ids[0]]
    assert await listed(
        since=T0 + 30 * timedelta(minutes=1), until=T0 + HOUR + timedelta(minutes=1)
    ) == [
        ids[2],
        ids[1],
        ids[0],
    ]
    assert await listed(since=T0 + 10 * HOUR) == [ids[3]]
    assert await listed(activity_id=reading) == [ids[3], ids[1]]
    assert await listed(activity_id=writing, until=T0 + HOUR) == [ids[0]]


async def test_overlapping_reports_every_entry_in_range_running_ones_included(
    db: Database, user_id: int, other_user_id: int
) -> None:
    ids, _, _ = await _day(db, user_id)
    await _day(db, other_user_id)
    store = SqlTimeEntryStore(db)
    found = await store.overlapping(user_id, T0 + HOUR, T0 + 3 * HOUR)
    assert sorted(e.id for e in found) == [ids[2], ids[3]]
    assert await store.overlapping(user_id, T0 - 2 * HOUR, T0) == []


@pytest.mark.parametrize("backend", POSTGRES)
async def test_an_activity_deleted_after_it_was_checked_is_an_unknown_activity(
    db: Database, user_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL another worker may delete the activity between the check and the write:
    # its foreign key refuses the write, which must read as an unknown activity, not a 500.
    store = SqlTimeEntryStore(db)
    activity = await _activity(db, user_id)
    entry = await store.add(user_id, EntryFields(activity, T0, T0 + HOUR))
    other = await _activity(db, user_id, "Reading")
    await SqlActivityStore(db).delete(user_id, other, cascade=False, expected_version=None)

    async def checked_before_the_deletion(*_args: object) -> None:
        return None

    monkeypatch.setattr(SqlTimeEntryStore, "_require_activity", checked_before_the_deletion)
    with pytest.raises(UnknownActivityError):
        await store.add(user_id, EntryFields(other, T0, T0 + HOUR))
    with pytest.raises(UnknownActivityError):
        await store.update(user_id, entry.id, EntryFields(other, T0, T0 + HOUR), 1)
    assert await store.get(user_id, entry.id) == entry
