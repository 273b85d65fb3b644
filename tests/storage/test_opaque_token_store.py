"""OpaqueTokenStore contract, on SQLite, PostgreSQL and the in-memory fake."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stint.protocol.ports import Grant, OpaqueAccessToken
from tests.storage.conftest import WITH_MEMORY, OAuthStores

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = frozenset({"activities:read", "profile"})


@pytest.fixture(params=WITH_MEMORY)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_token_reads_back_whole_until_it_is_deleted(oauth: OAuthStores) -> None:
    await oauth.grants.add(Grant("g1", oauth.client_id, oauth.user_id, SCOPES, NOW))
    token = OpaqueAccessToken("a" * 64, "g1", oauth.client_id, oauth.user_id, "alice", SCOPES, NOW)
    await oauth.opaque_tokens.add(token)
    assert await oauth.opaque_tokens.get(token.token_hash) == token
    await oauth.opaque_tokens.delete(token.token_hash)
    assert await oauth.opaque_tokens.get(token.token_hash) is None
    await oauth.opaque_tokens.delete(token.token_hash)  # gone already: nothing to do


async def test_a_clients_own_token_has_no_grant_and_no_user(oauth: OAuthStores) -> None:
    # client_credentials: the client acts for itself.
    token = OpaqueAccessToken("b" * 64, None, oauth.client_id, None, "", frozenset(), NOW)
    await oauth.opaque_tokens.add(token)
    assert await oauth.opaque_tokens.get(token.token_hash) == token
