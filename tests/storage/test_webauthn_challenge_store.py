"""ChallengeStore contract, on SQLite, PostgreSQL and the in-memory fake: a WebAuthn challenge
is taken once however many take it at once, runs out, and keeps its purpose and account."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from stint.accounts.passkeys import Challenge, ChallengeStore
from stint.storage.database import Database
from stint.storage.tables import webauthn_challenges
from stint.storage.user_store import SqlUserStore
from stint.storage.webauthn_challenge_store import SqlChallengeStore
from tests.conftest import BACKENDS, SECRET_KEY
from tests.storage.conftest import WITH_MEMORY
from tests.support.clock import Clock
from tests.support.passkeys_memory import MemoryChallenges

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def store(sql_db: Database | None, clock: Clock) -> ChallengeStore:
    if sql_db is None:
        return MemoryChallenges(clock)
    return SqlChallengeStore(sql_db, SECRET_KEY.encode(), clock=clock)


@pytest.fixture
async def alice(sql_db: Database | None) -> int:
    if sql_db is None:
        return 1
    user = await SqlUserStore(sql_db).add(username="Alice", username_key="alice", password_hash="h")
    return user.id


async def test_a_challenge_is_taken_once(store: ChallengeStore, alice: int) -> None:
    challenge = secrets.token_bytes(32)
    await store.put(challenge, "register", alice, 300)
    taken = await store.take(challenge)
    assert taken == Challenge("register", alice, taken.expires_at if taken else NOW)
    assert await store.take(challenge) is None


async def test_a_challenge_for_no_account_keeps_none(store: ChallengeStore) -> None:
    challenge = secrets.token_bytes(32)
    await store.put(challenge, "sign-in", None, 300)
    taken = await store.take(challenge)
    assert taken is not None
    assert (taken.purpose, taken.user_id) == ("sign-in", None)


async def test_a_challenge_runs_out(store: ChallengeStore, clock: Clock) -> None:
    challenge, fresh = secrets.token_bytes(32), secrets.token_bytes(32)
    await store.put(challenge, "sign-in", None, 300)
    await store.put(fresh, "sign-in", None, 300)
    clock.advance(299)
    assert await store.take(fresh) is not None
    clock.advance(1)
    assert await store.take(challenge) is None


async def test_of_many_taking_one_challenge_at_once_one_gets_it(store: ChallengeStore) -> None:
    challenge = secrets.token_bytes(32)
    await store.put(challenge, "sign-in", None, 300)
    taken = await asyncio.gather(*(store.take(challenge) for _ in range(10)))
    assert sum(t is not None for t in taken) == 1


async def test_unknown_challenges_get_nothing(store: ChallengeStore) -> None:
    await store.put(secrets.token_bytes(32), "sign-in", None, 300)
    assert await store.take(secrets.token_bytes(32)) is None
    assert await store.take(b"") is None


@pytest.mark.parametrize("backend", BACKENDS)
async def test_challenges_are_kept_hashed_and_expired_ones_pruned(
    db: Database, clock: Clock
) -> None:
    store = SqlChallengeStore(db, SECRET_KEY.encode(), clock=clock)
    old = secrets.token_bytes(32)
    await store.put(old, "sign-in", None, 300)
    clock.advance(300)
    new = secrets.token_bytes(32)
    await store.put(new, "sign-in", None, 300)  # abandoned ceremonies go as new ones begin
    rows = await db.fetch_all(select(webauthn_challenges.c.challenge_hash), {})
    assert len(rows) == 1
    assert new.hex() not in rows[0][0]
