"""GrantStore contract, on SQLite, PostgreSQL and the in-memory fake; then what only
SqlGrantStore does: revoking a user's grants to a client, the first-party grant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from stint.protocol.consent import Consent
from stint.protocol.ports import AuthorizedClient, Grant, RefreshToken, RevokedBecause, Rotation
from stint.protocol.revocations import Revocation, RevocationKind
from stint.protocol.scopes import FIRST_PARTY_CLIENT_ID
from stint.storage.client_store import SqlClientStore
from stint.storage.consent_store import SqlConsentStore, add_consent
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.revocation_log import SqlRevocationLog
from tests.conftest import BACKENDS
from tests.storage.conftest import WITH_MEMORY, OAuthStores
from tests.support.oauth_memory import web_client

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = frozenset({"openid", "profile"})


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _grant(oauth: OAuthStores, grant_id: str = "g1", **oidc: object) -> Grant:
    return Grant(grant_id, oauth.client_id, oauth.user_id, SCOPES, NOW, oidc=oidc or None)


async def test_a_grant_reads_back_whole_with_its_authentication(oauth: OAuthStores) -> None:
    grant = _grant(oauth, auth_time=1, acr="1", amr=["pwd"])
    await oauth.grants.add(grant)
    assert await oauth.grants.get(grant.id) == grant
    assert await oauth.grants.oidc_context(grant.id) == {"auth_time": 1, "acr": "1", "amr": ["pwd"]}
    assert await oauth.grants.get("no-such-grant") is None
    assert await oauth.grants.oidc_context("no-such-grant") is None


async def test_a_grant_without_authentication_context_has_none(oauth: OAuthStores) -> None:
    await oauth.grants.add(_grant(oauth))
    assert await oauth.grants.oidc_context("g1") is None


async def test_a_revoked_grant_stays_revoked_from_its_first_revocation(
    oauth: OAuthStores,
) -> None:
    await oauth.grants.add(_grant(oauth))
    assert not await oauth.grants.is_revoked("g1")
    await oauth.grants.revoke("g1", RevokedBecause.USER_REVOKED)
    first = await oauth.grants.get("g1")
    assert first is not None and first.revoked_at is not None
    assert await oauth.grants.is_revoked("g1")
    await oauth.grants.revoke("g1", RevokedBecause.REFRESH_REPLAYED)
    again = await oauth.grants.get("g1")
    assert again is not None and again.revoked_at == first.revoked_at


async def test_a_grant_that_does_not_exist_counts_as_revoked(oauth: OAuthStores) -> None:
    # Its client was deleted, and the grant with it: its tokens must stop.
    assert await oauth.grants.is_revoked("no-such-grant")


def _refresh(oauth: OAuthStores, token_hash: str, grant_id: str = "g1") -> RefreshToken:
    later = NOW + timedelta(days=1)
    return RefreshToken(token_hash, grant_id, oauth.client_id, oauth.user_id, SCOPES, NOW, later)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_revoking_a_grant_is_recorded_once_for_every_worker(
    db: Database, oauth: OAuthStores
) -> None:
    log = SqlRevocationLog(db)
    store = SqlGrantStore(db, log)
    await store.add(_grant(oauth))
    await store.revoke("g1", RevokedBecause.CODE_REUSED)
    await store.revoke("g1", RevokedBecause.CODE_REUSED)
    assert [e.revocation for e in await log.since(0, 10)] == [
        Revocation(RevocationKind.GRANT, "g1")
    ]


class _FailingLog(SqlRevocationLog):
    """A revocation log whose write fails at its last step, after the grant's changes."""

    async def _insert(self, conn: AsyncConnection, stored: list[Any]) -> int:
        raise RuntimeError("the database went away")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_revocation_that_fails_midway_leaves_the_grant_and_its_tokens_as_they_were(
    db: Database, oauth: OAuthStores
) -> None:
    await oauth.grants.add(_grant(oauth))
    await oauth.refresh_tokens.add(_refresh(oauth, "a" * 64))
    with pytest.raises(RuntimeError):
        await SqlGrantStore(db, _FailingLog(db)).revoke("g1", RevokedBecause.CODE_REUSED)
    assert not await oauth.grants.is_revoked("g1")
    assert await oauth.refresh_tokens.get("a" * 64) == _refresh(oauth, "a" * 64)
    assert await SqlRevocationLog(db).since(0, 10) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_revoking_an_app_on_the_account_page_ends_its_grants_and_consent_together(
    db: Database, oauth: OAuthStores
) -> None:
    consents = SqlConsentStore(db)
    async with db.write() as conn:
        await add_consent(conn, db.dialect, oauth.user_id, oauth.client_id, Consent(SCOPES))
    await oauth.grants.add(_grant(oauth))
    await oauth.refresh_tokens.add(_refresh(oauth, "a" * 64))
    with pytest.raises(RuntimeError):
        await SqlGrantStore(db, _FailingLog(db)).revoke_for(oauth.user_id, oauth.client_id)
    assert await consents.granted(oauth.user_id, oauth.client_id) == Consent(SCOPES)
    assert not await oauth.grants.is_revoked("g1")

    assert await SqlGrantStore(db).revoke_for(oauth.user_id, oauth.client_id) == ["g1"]
    assert await oauth.grants.is_revoked("g1")
    assert await oauth.refresh_tokens.get("a" * 64) is None
    assert await consents.granted(oauth.user_id, oauth.client_id) == Consent()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_revoking_a_users_grants_to_a_client_ends_only_those_and_records_each(
    db: Database, oauth: OAuthStores
) -> None:
    log = SqlRevocationLog(db)
    store = SqlGrantStore(db, log)
    other = await SqlClientStore(db, cache_seconds=0).add(web_client("other"))
    for grant_id, client_id in [
        ("a", oauth.client_id),
        ("b", oauth.client_id),
        ("c", other.client_id),
    ]:
        await store.add(Grant(grant_id, client_id, oauth.user_id, SCOPES, NOW))
    await store.revoke("a", RevokedBecause.REFRESH_REVOKED)
    assert sorted(await store.revoke_for(oauth.user_id, oauth.client_id)) == ["b"]
    assert await store.revoke_for(oauth.user_id, oauth.client_id) == []
    assert [e.revocation.value for e in await log.since(0, 10)] == ["a", "b"]
    assert {e.revocation.kind for e in await log.since(0, 10)} == {RevocationKind.GRANT}
    assert not await store.is_revoked("c")
    assert [app.client_id for app in await store.authorized_clients(oauth.user_id)] == ["other"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_clients_live_grants_make_one_entry_with_every_scope(
    db: Database, oauth: OAuthStores
) -> None:
    store = SqlGrantStore(db)
    later = NOW.replace(hour=10)
    await store.add(Grant("old", oauth.client_id, oauth.user_id, SCOPES, NOW))
    await store.add(Grant("new", oauth.client_id, oauth.user_id, frozenset({"openid"}), later))
    await store.add(Grant("gone", oauth.client_id, oauth.user_id, frozenset({"email"}), later))
    await store.revoke("gone", RevokedBecause.USER_REVOKED)  # a revoked grant adds no scope
    await store.first_party_grant(oauth.user_id)  # no client: not listed
    assert await store.authorized_clients(oauth.user_id) == [
        AuthorizedClient(oauth.client_id, SCOPES, granted_at=later, last_used_at=later)
    ]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_client_was_last_used_when_it_last_got_or_used_a_refresh_token(
    db: Database, oauth: OAuthStores
) -> None:
    store = SqlGrantStore(db)
    other = await SqlClientStore(db, cache_seconds=0).add(web_client("other"))
    await store.add(Grant("g1", oauth.client_id, oauth.user_id, SCOPES, NOW))
    await store.add(Grant("g2", other.client_id, oauth.user_id, SCOPES, NOW.replace(hour=11)))
    await oauth.refresh_tokens.add(_refresh(oauth, "a" * 64))
    refreshed = NOW.replace(hour=12)
    successor = replace(_refresh(oauth, "b" * 64), created_at=refreshed)
    rotation = await oauth.refresh_tokens.rotate(
        "a" * 64, successor, now=refreshed, grace_seconds=0
    )
    assert rotation is Rotation.ROTATED
    listed = await store.authorized_clients(oauth.user_id)
    # The most recently used first: the refresh at noon beats the other app's grant at 11.
    assert [(app.client_id, app.last_used_at) for app in listed] == [
        (oauth.client_id, refreshed),
        (other.client_id, NOW.replace(hour=11)),
    ]
    assert listed[0].granted_at == NOW


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_first_party_grant_is_made_once_and_ends_with_its_revocation(
    db: Database, oauth: OAuthStores
) -> None:
    store = SqlGrantStore(db)
    first = await store.first_party_grant(oauth.user_id)
    assert await store.first_party_grant(oauth.user_id) == first
    made = await store.get(first)
    assert made is not None
    assert (made.client_id, made.user_id) == (FIRST_PARTY_CLIENT_ID, oauth.user_id)
    await store.add(Grant("theirs", oauth.client_id, oauth.user_id, SCOPES, NOW))
    await store.revoke_first_party(oauth.user_id)
    assert await store.is_revoked(first)
    assert not await store.is_revoked("theirs")
    assert await store.first_party_grant(oauth.user_id) != first
