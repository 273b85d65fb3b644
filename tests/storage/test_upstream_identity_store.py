"""UpstreamIdentityStore contract, on SQLite, PostgreSQL and the in-memory fake: one account per
(provider, uid) however many link it at once, tokens sealed at rest, the last kept on request."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from stint.accounts.models import User
from stint.accounts.ports import IdentityTakenError, LastIdentityError
from stint.storage.tables import upstream_identities
from tests.conftest import BACKENDS
from tests.storage.conftest import WITH_MEMORY, SocialStores

pytestmark = pytest.mark.anyio

TOKENS = {"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a", "token_type": "bearer"}


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _user(social: SocialStores, name: str = "alice") -> User:
    return await social.users.add(username=name, username_key=name, password_hash="h")


async def test_a_linked_identity_reads_back_by_provider_uid_and_by_user(
    social: SocialStores,
) -> None:
    alice, bob = await _user(social), await _user(social, "bob")
    github = await social.identities.link(
        alice.id, "github", "42", display="alice-gh", extra_data={"login": "alice-gh", "id": 42}
    )
    gitlab = await social.identities.link(alice.id, "gitlab", "42", display="alice@example.com")
    await social.identities.link(bob.id, "github", "43")
    assert (github.provider, github.uid, github.user_id) == ("github", "42", alice.id)
    assert github.display == "alice-gh"
    assert github.extra_data == {"login": "alice-gh", "id": 42}
    assert github.linked_at == social.clock.now and github.last_used_at is None
    assert await social.identities.by_provider_uid("github", "42") == github
    assert await social.identities.by_provider_uid("gitlab", "42") == gitlab  # another provider
    assert await social.identities.by_provider_uid("github", "44") is None
    assert await social.identities.by_provider_uid("github\x00", "42") is None
    assert await social.identities.for_user(alice.id) == [github, gitlab]
    assert await social.identities.count_for_user(alice.id) == 2
    assert await social.identities.count_for_user(bob.id) == 1


async def test_an_identity_links_to_one_account_only(social: SocialStores) -> None:
    alice, bob = await _user(social), await _user(social, "bob")
    await social.identities.link(alice.id, "github", "42")
    with pytest.raises(IdentityTakenError):
        await social.identities.link(bob.id, "github", "42")
    with pytest.raises(IdentityTakenError):
        await social.identities.link(alice.id, "github", "42")


async def test_six_accounts_linking_one_identity_at_once_leave_exactly_one_link(
    social: SocialStores,
) -> None:
    users = [await _user(social, f"user{i}") for i in range(6)]
    results = await asyncio.gather(
        *(social.identities.link(u.id, "google", "sub-1") for u in users), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, IdentityTakenError) for r in results if isinstance(r, BaseException))
    assert await social.identities.by_provider_uid("google", "sub-1") == winners[0]


async def test_tokens_are_kept_when_given_and_forgotten_when_not(social: SocialStores) -> None:
    alice = await _user(social)
    linked = await social.identities.link(alice.id, "github", "42", tokens=TOKENS)
    assert await social.identities.tokens(linked.id) == TOKENS
    await social.identities.update(
        linked.id, display="renamed", extra_data={"login": "renamed"}, tokens=None
    )
    assert await social.identities.tokens(linked.id) is None
    found = await social.identities.by_provider_uid("github", "42")
    assert found is not None and (found.id, found.linked_at) == (linked.id, linked.linked_at)
    assert found.display == "renamed"
    assert found.extra_data == {"login": "renamed"}
    await social.identities.update(linked.id, display="x", extra_data={}, tokens=TOKENS)
    assert await social.identities.tokens(linked.id) == TOKENS
    plain = await social.identities.link(alice.id, "gitlab", "7")
    assert await social.identities.tokens(plain.id) is None


@pytest.mark.parametrize("backend", BACKENDS)
async def test_stored_tokens_are_sealed_in_the_database(social: SocialStores) -> None:
    assert social.db is not None
    alice = await _user(social)
    linked = await social.identities.link(alice.id, "github", "42", tokens=TOKENS)
    async with social.db.read() as conn:
        row = (await conn.execute(select(upstream_identities))).one()
    at_rest = " ".join(str(value) for value in row).encode() + bytes(row.sealed_tokens)
    assert TOKENS["access_token"].encode() not in at_rest
    assert b"gho_" not in at_rest
    assert await social.identities.tokens(linked.id) == TOKENS


async def test_touch_records_the_latest_sign_in(social: SocialStores) -> None:
    alice = await _user(social)
    linked = await social.identities.link(alice.id, "github", "42")
    social.clock.advance(3600)
    await social.identities.touch(linked.id, social.clock.now)
    found = await social.identities.by_provider_uid("github", "42")
    assert found is not None and found.last_used_at == social.clock.now
    assert found.linked_at < found.last_used_at


async def test_unlink_removes_only_the_accounts_own_identity(social: SocialStores) -> None:
    alice, bob = await _user(social), await _user(social, "bob")
    await social.identities.link(alice.id, "github", "42")
    assert not await social.identities.unlink(bob.id, "github", "42", keep_last=False)
    assert not await social.identities.unlink(alice.id, "github", "43", keep_last=False)
    assert await social.identities.unlink(alice.id, "github", "42", keep_last=False)
    assert await social.identities.by_provider_uid("github", "42") is None
    assert await social.identities.count_for_user(alice.id) == 0


async def test_keep_last_refuses_to_unlink_the_only_identity(social: SocialStores) -> None:
    alice = await _user(social)
    await social.identities.link(alice.id, "github", "42")
    await social.identities.link(alice.id, "gitlab", "7")
    assert await social.identities.unlink(alice.id, "gitlab", "7", keep_last=True)
    with pytest.raises(LastIdentityError):
        await social.identities.unlink(alice.id, "github", "42", keep_last=True)
    assert await social.identities.count_for_user(alice.id) == 1


async def test_two_unlinks_at_once_cannot_remove_the_last_two(social: SocialStores) -> None:
    alice = await _user(social)
    await social.identities.link(alice.id, "github", "42")
    await social.identities.link(alice.id, "gitlab", "7")
    results = await asyncio.gather(
        social.identities.unlink(alice.id, "github", "42", keep_last=True),
        social.identities.unlink(alice.id, "gitlab", "7", keep_last=True),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["LastIdentityError", "bool"]
    assert await social.identities.count_for_user(alice.id) == 1


async def test_deleting_an_account_removes_its_identities(social: SocialStores) -> None:
    alice, bob = await _user(social), await _user(social, "bob")
    await social.identities.link(alice.id, "github", "42")
    await social.identities.link(bob.id, "github", "43")
    assert await social.users.delete(alice.id)
    assert await social.identities.by_provider_uid("github", "42") is None
    assert await social.identities.count_for_user(bob.id) == 1
    await social.identities.link(bob.id, "github", "42")  # free again
