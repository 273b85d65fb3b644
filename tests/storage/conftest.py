"""Store contract fixtures: stores and records on SQLite, PostgreSQL and in-memory fakes.

The database itself is tests/conftest.py's ``database_url``: a copy of the SQLite template, or
this worker's one PostgreSQL database, emptied after each test (``ReusedDatabase``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from stint.accounts.ports import UpstreamIdentityStore, UserStore
from stint.connectors.ports import UpstreamProviderStore, UpstreamSignInStore
from stint.protocol.ports import (
    AuthorizationCodeStore,
    GrantStore,
    OpaqueTokenStore,
    RefreshTokenStore,
)
from stint.storage.client_store import SqlClientStore
from stint.storage.code_store import SqlAuthorizationCodeStore
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.opaque_token_store import SqlOpaqueTokenStore
from stint.storage.refresh_token_store import SqlRefreshTokenStore
from stint.storage.upstream_identity_store import SqlUpstreamIdentityStore
from stint.storage.upstream_provider_store import SqlUpstreamProviderStore
from stint.storage.upstream_sign_in_store import SqlUpstreamSignInStore
from stint.storage.user_store import SqlUserStore
from tests.conftest import BACKENDS, SECRET_KEY
from tests.support.accounts_memory import (
    MemoryUpstreamIdentities,
    MemoryUpstreamProviders,
    MemoryUpstreamSignIns,
    MemoryUserStore,
)
from tests.support.clock import Clock
from tests.support.oauth_memory import (
    MemoryCodes,
    MemoryGrants,
    MemoryOpaqueTokens,
    MemoryRefreshTokens,
    web_client,
)

# The in-memory fake of a port, then the SQL stores: the fake is held to the same tests.
WITH_MEMORY = ["memory", *BACKENDS]


@pytest.fixture
async def user_id(db: Database) -> int:
    """Alice, who owns what a test stores."""
    user = await SqlUserStore(db).add(username="Alice", username_key="alice", password_hash="h")
    return user.id


@pytest.fixture
async def other_user_id(db: Database) -> int:
    """Bob, whose records Alice must never see."""
    user = await SqlUserStore(db).add(username="Bob", username_key="bob", password_hash="h")
    return user.id


@pytest.fixture
def sql_db(backend: str, request: pytest.FixtureRequest) -> Database | None:
    """The test database when the backend is one (async fixtures cannot ask for it by name)."""
    return request.getfixturevalue("db") if backend in ("sqlite", "postgres") else None


@dataclass
class OAuthStores:
    """The grant records of one backend, and a user and a client they may belong to."""

    grants: GrantStore
    codes: AuthorizationCodeStore
    refresh_tokens: RefreshTokenStore
    opaque_tokens: OpaqueTokenStore
    user_id: int
    client_id: str


@pytest.fixture
async def oauth(sql_db: Database | None) -> OAuthStores:
    """The OAuth stores on SQL, or their in-memory fakes of tests/support held to the same tests."""
    if sql_db is None:
        clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        refresh_tokens = MemoryRefreshTokens()
        grants = MemoryGrants(clock, refresh_tokens)
        return OAuthStores(grants, MemoryCodes(), refresh_tokens, MemoryOpaqueTokens(), 1, "web")
    client = await SqlClientStore(sql_db, cache_seconds=0).add(web_client())
    user = await SqlUserStore(sql_db).add(username="Alice", username_key="alice", password_hash="h")
    return OAuthStores(
        SqlGrantStore(sql_db),
        SqlAuthorizationCodeStore(sql_db),
        SqlRefreshTokenStore(sql_db),
        SqlOpaqueTokenStore(sql_db),
        user.id,
        client.client_id,
    )


@dataclass
class SocialStores:
    """The social-login stores of one backend, on one clock; ``db`` is None for the fakes."""

    users: UserStore
    identities: UpstreamIdentityStore
    sign_ins: UpstreamSignInStore
    providers: UpstreamProviderStore
    clock: Clock
    db: Database | None


@pytest.fixture
def social(sql_db: Database | None) -> SocialStores:
    """The social-login stores on SQL, or their in-memory fakes held to the same tests."""
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    if sql_db is None:
        users, identities = MemoryUserStore(clock), MemoryUpstreamIdentities(clock)
        users.identities = identities
        return SocialStores(
            users, identities, MemoryUpstreamSignIns(clock), MemoryUpstreamProviders(), clock, None
        )
    secret = SECRET_KEY.encode()
    return SocialStores(
        SqlUserStore(sql_db),
        SqlUpstreamIdentityStore(sql_db, secret, clock=clock),
        SqlUpstreamSignInStore(sql_db, secret, clock=clock),
        SqlUpstreamProviderStore(sql_db, secret, clock=clock),
        clock,
        sql_db,
    )
