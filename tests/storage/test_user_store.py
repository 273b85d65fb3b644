"""SqlUserStore contract, on SQLite and PostgreSQL: one account per name, a new password ends
every grant, a disabled account has no profile, and every change reaches the other workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.accounts.ports import UsernameTakenError
from stint.protocol.ports import Grant, RefreshToken
from stint.protocol.revocations import RevocationKind
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.refresh_token_store import SqlRefreshTokenStore
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.user_store import SqlUserStore
from tests.storage.conftest import WITH_MEMORY, SocialStores
from tests.support.oauth_memory import web_client

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_add_and_find_by_id_and_key(db: Database) -> None:
    store = SqlUserStore(db)
    user = await store.add(username="Alice", username_key="alice", password_hash="h")
    assert await store.by_id(user.id) == user
    assert await store.by_username_key("alice") == user
    assert user.created_at.tzinfo is not None
    assert await store.by_id(user.id + 1) is None
    assert await store.by_username_key("bob") is None
    assert await store.by_username_key("alice\x00") is None  # PostgreSQL text cannot hold it


async def test_concurrent_registrations_of_one_name_admit_exactly_one(db: Database) -> None:
    store = SqlUserStore(db)
    results = await asyncio.gather(
        *(store.add(username=f"Name{i}", username_key="name", password_hash="h") for i in range(6)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, UsernameTakenError) for r in results if isinstance(r, BaseException))


async def test_disable_update_hash_and_page(db: Database) -> None:
    store = SqlUserStore(db)
    users = [
        await store.add(username=f"u{i}", username_key=f"u{i}", password_hash="h") for i in range(5)
    ]
    assert await store.set_disabled(users[0].id, True)
    assert not await store.set_disabled(10_000, True)
    await store.update_password_hash(users[1].id, "new")
    found = await store.by_id(users[1].id)
    assert found is not None and found.password_hash == "new"
    disabled = await store.by_id(users[0].id)
    assert disabled is not None and disabled.disabled
    first = await store.page(after_id=0, limit=3)
    rest = await store.page(after_id=first[-1].id, limit=3)
    assert [u.username for u in first + rest] == [f"u{i}" for i in range(5)]


async def test_a_new_password_ends_every_grant_and_its_refresh_tokens(db: Database) -> None:
    log = SqlRevocationLog(db)
    store, grants = SqlUserStore(db, log), SqlGrantStore(db, log)
    user = await store.add(username="Alice", username_key="alice", password_hash="old")
    other = await store.add(username="Bob", username_key="bob", password_hash="h")
    client = await SqlClientStore(db, cache_seconds=0).add(web_client())
    refresh = SqlRefreshTokenStore(db)
    for grant_id, owner in [("alices", user.id), ("bobs", other.id)]:
        await grants.add(Grant(grant_id, client.client_id, owner, frozenset(), NOW))
        await refresh.add(
            RefreshToken(grant_id, grant_id, client.client_id, owner, frozenset(), NOW, NOW)
        )
    first_party = await grants.first_party_grant(user.id)

    await store.replace_password(user.id, "new")

    found = await store.by_id(user.id)
    assert found is not None and found.password_hash == "new"
    assert await grants.is_revoked("alices") and await grants.is_revoked(first_party)
    assert await refresh.get("alices") is None
    assert not await grants.is_revoked("bobs") and await refresh.get("bobs") is not None
    revoked = {(e.revocation.kind, e.revocation.value) for e in await log.since(0, 10)}
    assert revoked == {
        (RevocationKind.GRANT, "alices"),
        (RevocationKind.GRANT, first_party),
        (RevocationKind.USER, str(user.id)),  # every worker forgets the cached credentials
    }


async def test_a_rehash_changes_the_hash_and_nothing_else(db: Database) -> None:
    log = SqlRevocationLog(db)
    store = SqlUserStore(db, log)
    user = await store.add(username="Alice", username_key="alice", password_hash="old")
    await store.update_password_hash(user.id, "same password, new parameters")
    found = await store.by_id(user.id)
    assert found is not None and found.password_hash == "same password, new parameters"
    assert await log.since(0, 10) == []


async def test_disabling_is_announced_and_hides_the_profile(db: Database) -> None:
    log = SqlRevocationLog(db)
    store = SqlUserStore(db, log)
    user = await store.add(username="Alice", username_key="alice", password_hash="h")
    assert await store.set_disabled(user.id, True)
    disabled = await store.by_id(user.id)
    assert disabled is not None and disabled.disabled
    assert await store.profile(user.id) is None
    assert await store.set_disabled(user.id, False)
    assert not await store.set_disabled(user.id + 100, True)
    events = await log.since(0, 10)
    assert [(e.revocation.kind, e.revocation.value) for e in events] == [
        (RevocationKind.USER, str(user.id))
    ] * 2


async def test_a_profile_reads_back_with_when_it_changed(db: Database) -> None:
    store = SqlUserStore(db)
    user = await store.add(username="Alice", username_key="alice", password_hash="h")
    assert await store.profile(user.id) == ("Alice", {}, None)
    before = datetime.now(UTC)
    await store.set_profile(user.id, {"given_name": "Ada", "locale": "en-GB"})
    found = await store.profile(user.id)
    assert found is not None
    username, claims, updated_at = found
    assert (username, claims) == ("Alice", {"given_name": "Ada", "locale": "en-GB"})
    assert updated_at is not None and updated_at >= before - timedelta(seconds=1)
    assert await store.profile(user.id + 100) is None


# What social login needs from the store, held to the in-memory fake too.


@pytest.mark.parametrize("backend", WITH_MEMORY)
async def test_accounts_are_found_by_their_emails_key_with_whether_it_is_verified(
    social: SocialStores,
) -> None:
    store = social.users
    alice = await store.add(
        username="Alice",
        username_key="alice",
        password_hash="h",
        profile={"email": "Alice@Example.com", "email_verified": True, "name": "Alice"},
    )
    bob = await store.add(username="Bob", username_key="bob", password_hash="h")
    carol = await store.add(username="Carol", username_key="carol", password_hash="h")
    await store.set_profile(bob.id, {"email": "ALICE@example.COM"})  # unverified, not unique
    assert await store.by_email_key("alice@example.com") == [(alice, True), (bob, False)]
    assert await store.by_email_key("bob@example.com") == []
    assert await store.by_email_key("alice@example.com\x00") == []
    found = await store.profile(alice.id)
    assert found is not None and found[1]["name"] == "Alice"

    await store.set_profile(bob.id, {"email": "bob@example.com"})  # the key follows the profile
    await store.set_profile(carol.id, {"email": "alice@example.com", "email_verified": True})
    assert await store.by_email_key("alice@example.com") == [(alice, True), (carol, True)]
    assert await store.by_email_key("bob@example.com") == [(bob, False)]
    await store.set_profile(alice.id, {"name": "Alice"})
    assert await store.by_email_key("alice@example.com") == [(carol, True)]


@pytest.mark.parametrize("backend", WITH_MEMORY)
async def test_deleting_an_account_frees_its_name(social: SocialStores) -> None:
    alice = await social.users.add(username="alice", username_key="alice", password_hash="h")
    assert await social.users.delete(alice.id)
    assert not await social.users.delete(alice.id)
    assert await social.users.by_id(alice.id) is None
    assert await social.users.by_username_key("alice") is None
    again = await social.users.add(username="alice", username_key="alice", password_hash="h")
    assert await social.users.by_username_key("alice") == again


async def test_deleting_an_account_reaches_every_worker(db: Database) -> None:
    log = SqlRevocationLog(db)
    store = SqlUserStore(db, log)
    alice = await store.add(username="alice", username_key="alice", password_hash="h")
    assert await store.delete(alice.id)
    events = await log.since(0, 10)
    assert [(e.revocation.kind, e.revocation.value) for e in events] == [
        (RevocationKind.USER, str(alice.id))
    ]
