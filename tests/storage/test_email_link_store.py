"""EmailLinkStore contract, on SQLite, PostgreSQL and the in-memory fake: a link is found by
its hash, used at most once however many race, never after it expired, and using one uses up
the user's other links of the same purpose."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.accounts.email_links import EmailLink, EmailLinkStore, LinkPurpose
from stint.storage.database import Database
from stint.storage.email_link_store import SqlEmailLinkStore
from tests.storage.conftest import WITH_MEMORY
from tests.support.email_memory import MemoryEmailLinks

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, sql_db: Database | None) -> EmailLinkStore:
    return MemoryEmailLinks() if sql_db is None else SqlEmailLinkStore(sql_db)


def link(
    n: int, user_id: int, purpose: LinkPurpose = LinkPurpose.VERIFY_EMAIL, **changes: object
) -> EmailLink:
    values: dict[str, object] = {
        "token_hash": f"{n:064d}",
        "purpose": purpose,
        "user_id": user_id,
        "email": "alice@example.com",
        "created_at": NOW,
        "expires_at": NOW + timedelta(hours=24),
    }
    return EmailLink(**(values | changes))  # type: ignore[arg-type]


async def test_a_link_reads_back_by_its_hash(store: EmailLinkStore, user_id: int) -> None:
    await store.add(link(1, user_id, LinkPurpose.RESET_PASSWORD))
    assert await store.find(f"{1:064d}") == link(1, user_id, LinkPurpose.RESET_PASSWORD)
    assert await store.find(f"{2:064d}") is None


async def test_a_link_is_used_once(store: EmailLinkStore, user_id: int) -> None:
    await store.add(link(1, user_id))
    used = await store.use(f"{1:064d}", NOW)
    assert used == link(1, user_id, used_at=NOW)
    assert await store.use(f"{1:064d}", NOW + timedelta(seconds=1)) is None
    found = await store.find(f"{1:064d}")
    assert found is not None and found.used_at == NOW


async def test_of_racing_uses_one_wins(store: EmailLinkStore, user_id: int) -> None:
    await store.add(link(1, user_id))
    results = await asyncio.gather(*(store.use(f"{1:064d}", NOW) for _ in range(5)))
    assert sum(r is not None for r in results) == 1


async def test_an_expired_link_is_not_used(store: EmailLinkStore, user_id: int) -> None:
    await store.add(link(1, user_id))
    assert await store.use(f"{1:064d}", NOW + timedelta(hours=24)) is None
    assert await store.use(f"{2:064d}", NOW) is None


async def test_using_a_link_uses_up_the_others_of_its_purpose(
    store: EmailLinkStore, user_id: int, other_user_id: int
) -> None:
    await store.add(link(1, user_id, LinkPurpose.RESET_PASSWORD))
    await store.add(link(2, user_id, LinkPurpose.RESET_PASSWORD))
    await store.add(link(3, user_id, LinkPurpose.VERIFY_EMAIL))
    await store.add(link(4, other_user_id, LinkPurpose.RESET_PASSWORD))
    assert await store.use(f"{2:064d}", NOW) is not None
    assert await store.use(f"{1:064d}", NOW) is None
    assert await store.use(f"{3:064d}", NOW) is not None  # another purpose
    assert await store.use(f"{4:064d}", NOW) is not None  # another user


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_links_long_expired_are_dropped(db: Database, user_id: int) -> None:
    store = SqlEmailLinkStore(db)
    await store.add(link(1, user_id))
    later = NOW + timedelta(days=3)
    await store.add(link(2, user_id, created_at=later, expires_at=later + timedelta(hours=1)))
    assert await store.find(f"{1:064d}") is None
    assert await store.find(f"{2:064d}") is not None
