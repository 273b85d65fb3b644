"""SqlHintedUsers (CIBA Core §7.1 login_hint): a username, or an email address one active
account holds verified; and the users a pairwise subject may belong to. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stint.protocol.ports import Grant
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.hinted_users import SqlHintedUsers
from stint.storage.user_store import SqlUserStore
from tests.conftest import BACKENDS
from tests.support.oauth_memory import web_client

pytestmark = pytest.mark.anyio


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_login_hint_is_a_username_or_a_verified_unique_email(db: Database) -> None:
    users = SqlUserStore(db)
    alice = await users.add(username="Alice", username_key="alice", password_hash="h")
    bob = await users.add(username="Bob", username_key="bob", password_hash="h")
    carol = await users.add(username="Carol", username_key="carol", password_hash="h")
    await users.set_profile(alice.id, {"email": "alice@example.com", "email_verified": True})
    await users.set_profile(bob.id, {"email": "bob@example.com"})  # not verified
    await users.set_profile(carol.id, {"email": "shared@example.com", "email_verified": True})
    dave = await users.add(username="Dave", username_key="dave", password_hash="h")
    await users.set_profile(dave.id, {"email": "shared@example.com", "email_verified": True})
    hinted = SqlHintedUsers(db)
    assert await hinted.by_login_hint("ALICE") == alice.id
    assert await hinted.by_login_hint("Alice@Example.com") == alice.id
    assert await hinted.by_login_hint("bob@example.com") is None
    assert await hinted.by_login_hint("shared@example.com") is None  # ambiguous
    assert await hinted.by_login_hint("nobody") is None
    assert await hinted.by_login_hint("nul\x00") is None
    await users.set_disabled(alice.id, True)
    assert await hinted.by_login_hint("alice") is None


async def test_the_users_of_a_client_are_those_with_grants_for_it(db: Database) -> None:
    users = SqlUserStore(db)
    alice = await users.add(username="Alice", username_key="alice", password_hash="h")
    bob = await users.add(username="Bob", username_key="bob", password_hash="h")
    clients = SqlClientStore(db, cache_seconds=0)
    await clients.add(web_client("one"))
    await clients.add(web_client("two"))
    grants = SqlGrantStore(db)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    await grants.add(Grant("g1", "one", alice.id, frozenset(), now))
    await grants.add(Grant("g2", "one", alice.id, frozenset(), now))
    await grants.add(Grant("g3", "two", bob.id, frozenset(), now))
    hinted = SqlHintedUsers(db)
    assert await hinted.users_of_client("one") == [alice.id]
    assert await hinted.users_of_client("three") == []
