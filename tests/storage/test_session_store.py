"""SqlSessionStore contract, on SQLite and PostgreSQL: sessions by cookie hash and by ``sid``,
signed out everywhere at once, and the ones that ran out taken by one sweeper each."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from stint.accounts.sessions import Session
from stint.storage.database import Database
from stint.storage.session_store import SqlSessionStore
from stint.storage.user_store import SqlUserStore

pytestmark = pytest.mark.anyio

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


async def _sessions(db: Database, *expiries: datetime) -> list[Session]:
    user = await SqlUserStore(db).add(username="Ada", username_key="ada", password_hash="h")
    made = [
        Session(
            id_hash=f"{i:064d}",
            user_id=user.id,
            created_at=T0 - timedelta(hours=12),
            auth_time=T0 - timedelta(hours=12),
            expires_at=expires_at,
            sid=f"sid-{i}",
        )
        for i, expires_at in enumerate(expiries)
    ]
    for session in made:
        await SqlSessionStore(db).add(session)
    return made


async def test_only_sessions_that_ran_out_are_taken_and_only_once(db: Database) -> None:
    store = SqlSessionStore(db)
    ran_out, at_the_second, live = await _sessions(
        db, T0 - timedelta(minutes=1), T0, T0 + timedelta(minutes=1)
    )
    taken = await store.take_expired(T0, 10)
    assert sorted(taken, key=lambda s: s.id_hash) == [ran_out, at_the_second]
    assert await store.take_expired(T0, 10) == []
    assert await store.get(ran_out.id_hash) is None
    assert await store.get(live.id_hash) == live


async def test_a_batch_takes_at_most_its_limit_oldest_first(db: Database) -> None:
    store = SqlSessionStore(db)
    made = await _sessions(db, *(T0 - timedelta(minutes=m) for m in range(5)))
    first = await store.take_expired(T0, 2)
    assert {s.id_hash for s in first} == {made[4].id_hash, made[3].id_hash}
    assert len(await store.take_expired(T0, 10)) == 3


async def test_workers_sweeping_at_once_each_take_a_session_at_most_once(db: Database) -> None:
    await _sessions(db, *(T0 - timedelta(minutes=1) for _ in range(8)))
    stores = [SqlSessionStore(db) for _ in range(4)]
    batches = await asyncio.gather(*(store.take_expired(T0, 3) for store in stores))
    taken = [s.id_hash for batch in batches for s in batch]
    assert len(taken) == len(set(taken))
    rest = await SqlSessionStore(db).take_expired(T0, 10)
    assert len(taken) + len(rest) == 8


async def test_a_session_reads_back_whole_by_hash_and_by_sid(db: Database) -> None:
    store = SqlSessionStore(db)
    (made,) = await _sessions(db, T0)
    full = Session(
        id_hash="f" * 64,
        user_id=made.user_id,
        created_at=T0,
        auth_time=T0 - timedelta(minutes=1),
        expires_at=T0 + timedelta(hours=1),
        user_agent="Firefox",
        sid="sid-full",
        amr="pwd otp",
        acr="urn:stint:acr:mfa",
    )
    await store.add(full)
    assert await store.get(full.id_hash) == full
    assert await store.by_sid("sid-full") == full
    assert await store.get("0" * 63 + "9") is None
    assert await store.by_sid("no-such-sid") is None
    await store.delete(full.id_hash)
    assert await store.get(full.id_hash) is None
    assert await store.get(made.id_hash) == made


async def test_a_session_without_sid_reads_back_with_an_empty_one(db: Database) -> None:
    store = SqlSessionStore(db)
    (made,) = await _sessions(db, T0)
    bare = replace(made, id_hash="e" * 64, sid="")
    await store.add(bare)
    assert await store.get(bare.id_hash) == bare


async def test_a_users_sessions_newest_first_all_run_out_at_once(db: Database) -> None:
    store = SqlSessionStore(db)
    ended, _older, newer = await _sessions(
        db, T0 - timedelta(minutes=1), T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    )
    await store.add(replace(newer, id_hash="n" * 64, sid="sid-new", created_at=T0))
    listed = await store.for_user(newer.user_id)
    assert listed[0].id_hash == "n" * 64 and len(listed) == 4
    assert await store.expire_for_user(newer.user_id, T0) == 3  # the one that ended stays as is
    assert {s.expires_at for s in await store.for_user(newer.user_id)} == {T0, ended.expires_at}
    assert await store.for_user(newer.user_id + 100) == []
