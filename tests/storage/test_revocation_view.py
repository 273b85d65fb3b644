"""SqlRevocationView on SQLite and PostgreSQL, held to the contract the memory fake keeps: a JWT is
revoked when its jti is, or its grant is revoked or gone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.access_tokens import AccessToken
from stint.protocol.ports import Grant, RevokedBecause
from stint.protocol.token_validation import RevocationView
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.revocation_view import SqlRevocationView
from stint.storage.revoked_token_store import SqlRevokedTokenStore
from stint.storage.user_store import SqlUserStore
from tests.support.clock import Clock
from tests.support.oauth_memory import (
    MemoryGrants,
    MemoryRefreshTokens,
    MemoryRevocations,
    MemoryRevokedTokens,
    web_client,
)

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _token(jti: str, grant_id: str | None) -> AccessToken:
    return AccessToken("1", "alice", "web", frozenset(), 2_000_000_000, jti, grant_id=grant_id)


async def _contract(
    view: RevocationView,
    grants: SqlGrantStore | MemoryGrants,
    revoke_jti: Callable[[str], Awaitable[None]],
) -> None:
    live = Grant("g-live", "web", 1, frozenset(), NOW)
    ending = Grant("g-ending", "web", 1, frozenset(), NOW)
    await grants.add(live)
    await grants.add(ending)
    assert not await view.is_revoked(_token("j1", "g-live"))
    assert not await view.is_revoked(_token("j1", None))
    await revoke_jti("j1")
    assert await view.is_revoked(_token("j1", "g-live"))
    assert await view.is_revoked(_token("j1", None))
    await grants.revoke("g-ending", RevokedBecause.USER_REVOKED)
    assert await view.is_revoked(_token("j2", "g-ending"))
    assert not await view.is_revoked(_token("j2", "g-live"))
    assert await view.is_revoked(_token("j2", "g-gone"))  # no such grant: its client was deleted


async def test_the_stores_say_revoked_by_jti_by_grant_or_for_a_missing_grant(db: Database) -> None:
    await SqlClientStore(db, cache_seconds=0).add(web_client())
    await SqlUserStore(db).add(username="Alice", username_key="alice", password_hash="h")
    revoked = SqlRevokedTokenStore(db)

    async def revoke_jti(jti: str) -> None:
        await revoked.add(jti, NOW + timedelta(hours=1))

    await _contract(SqlRevocationView(db), SqlGrantStore(db), revoke_jti)


async def test_the_memory_fake_keeps_the_same_contract() -> None:
    revoked, grants = MemoryRevokedTokens(), MemoryGrants(Clock(NOW), MemoryRefreshTokens())

    async def revoke_jti(jti: str) -> None:
        await revoked.add(jti, NOW + timedelta(hours=1))

    await _contract(MemoryRevocations(revoked, grants), grants, revoke_jti)
