"""SqlActivityStore contract, on SQLite and PostgreSQL: names unique per user, compare-and-set
writes, and a deletion that never loses an entry added at the same moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.storage.activity_store import SqlActivityStore
from stint.storage.database import Database
from stint.storage.time_entry_store import SqlTimeEntryStore
from stint.timetracking.errors import (
    ActivityHasEntriesError,
    ActivityNameTakenError,
    NotFoundError,
    StaleVersionError,
    UnknownActivityError,
)
from stint.timetracking.models import ActivityFields, EntryFields

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


async def test_an_activity_reads_back_whole_and_only_for_its_owner(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlActivityStore(db)
    made = await store.add(user_id, ActivityFields("Writing", "drafts", "#1e90ff", archived=True))
    assert (made.user_id, made.name, made.description, made.colour, made.archived) == (
        user_id,
        "Writing",
        "drafts",
        "#1e90ff",
        True,
    )
    assert made.version == 1
    assert made.created_at.tzinfo is not None
    assert await store.get(user_id, made.id) == made
    assert await store.get(other_user_id, made.id) is None
    assert await store.get(user_id, made.id + 1) is None


async def test_names_are_unique_per_user_whatever_their_case(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlActivityStore(db)
    await store.add(user_id, ActivityFields("Writing"))
    with pytest.raises(ActivityNameTakenError):
        await store.add(user_id, ActivityFields("WRITING"))
    await store.add(other_user_id, ActivityFields("writing"))  # Bob's own


async def test_registering_one_name_eight_times_at_once_admits_exactly_one(
    db: Database, user_id: int
) -> None:
    store = SqlActivityStore(db)
    results = await asyncio.gather(
        *(store.add(user_id, ActivityFields("Name")) for _ in range(8)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ActivityNameTakenError) for r in results if isinstance(r, Exception))


async def test_pages_follow_the_id_cursor_over_the_owners_activities_only(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlActivityStore(db)
    mine = []
    for n in range(5):
        mine.append(await store.add(user_id, ActivityFields(f"a{n}")))
        await store.add(other_user_id, ActivityFields(f"b{n}"))
    first = await store.page(user_id, after_id=0, limit=2)
    second = await store.page(user_id, after_id=first[-1].id, limit=2)
    last = await store.page(user_id, after_id=second[-1].id, limit=2)
    assert first + second + last == mine
    assert await store.page(user_id, after_id=mine[-1].id, limit=2) == []


async def test_an_update_applies_only_to_the_version_it_was_based_on(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlActivityStore(db)
    made = await store.add(user_id, ActivityFields("Writing"))
    changed = await store.update(user_id, made.id, ActivityFields("Reading", "books"), 1)
    assert (changed.name, changed.description, changed.version) == ("Reading", "books", 2)
    assert changed.updated_at >= made.updated_at
    assert await store.get(user_id, made.id) == changed
    with pytest.raises(StaleVersionError):
        await store.update(user_id, made.id, ActivityFields("Late"), 1)
    with pytest.raises(NotFoundError):
        await store.update(other_user_id, made.id, ActivityFields("Theft"), 2)
    with pytest.raises(NotFoundError):
        await store.update(user_id, made.id + 1, ActivityFields("Nothing"), 1)


async def test_renaming_onto_another_activitys_name_is_refused(db: Database, user_id: int) -> None:
    store = SqlActivityStore(db)
    await store.add(user_id, ActivityFields("Writing"))
    reading = await store.add(user_id, ActivityFields("Reading"))
    with pytest.raises(ActivityNameTakenError):
        await store.update(user_id, reading.id, ActivityFields("writing"), 1)
    assert await store.get(user_id, reading.id) == reading


async def test_an_activity_with_entries_is_deleted_only_with_them(
    db: Database, user_id: int
) -> None:
    activities, entries = SqlActivityStore(db), SqlTimeEntryStore(db)
    made = await activities.add(user_id, ActivityFields("Writing"))
    entry = await entries.add(user_id, EntryFields(made.id, T0))
    with pytest.raises(ActivityHasEntriesError) as refused:
        await activities.delete(user_id, made.id, cascade=False, expected_version=None)
    assert refused.value.entry_count == 1
    assert await activities.get(user_id, made.id) == made
    await activities.delete(user_id, made.id, cascade=True, expected_version=None)
    assert await activities.get(user_id, made.id) is None
    assert await entries.get(user_id, entry.id) is None


async def test_a_deletion_applies_only_to_the_version_it_was_based_on(
    db: Database, user_id: int, other_user_id: int
) -> None:
    store = SqlActivityStore(db)
    made = await store.add(user_id, ActivityFields("Writing"))
    await store.update(user_id, made.id, ActivityFields("Reading"), 1)
    with pytest.raises(StaleVersionError):
        await store.delete(user_id, made.id, cascade=False, expected_version=1)
    with pytest.raises(NotFoundError):
        await store.delete(other_user_id, made.id, cascade=False, expected_version=None)
    await store.delete(user_id, made.id, cascade=False, expected_version=2)
    with pytest.raises(NotFoundError):
        await store.delete(user_id, made.id, cascade=False, expected_version=None)


async def test_an_entry_added_while_its_activity_is_deleted_is_never_lost(
    database_url: str, user_id: int
) -> None:
    # Before the activity was locked, PostgreSQL counted no entries, then ON DELETE CASCADE took
    # the entry that committed meanwhile: both writes succeeded and the entry was gone.
    one, two = Database(database_url), Database(database_url)  # two workers
    try:
        made = [
            await SqlActivityStore(one).add(user_id, ActivityFields(f"a{n}")) for n in range(16)
        ]

        async def delete(activity_id: int) -> bool:
            try:
                await SqlActivityStore(one).delete(
                    user_id, activity_id, cascade=False, expected_version=None
                )
            except ActivityHasEntriesError:
                return False
            return True

        async def add(activity_id: int) -> bool:
            try:
                await SqlTimeEntryStore(two).add(user_id, EntryFields(activity_id, T0, T1))
            except UnknownActivityError:
                return False
            return True

        outcomes = await asyncio.gather(*(asyncio.gather(delete(a.id), add(a.id)) for a in made))
    finally:
        await one.dispose()
        await two.dispose()
    assert all(deleted != added for deleted, added in outcomes), outcomes
