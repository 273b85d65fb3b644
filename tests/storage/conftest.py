"""Store contract fixtures: a migrated, empty database per test, on SQLite and PostgreSQL.

On PostgreSQL each test process makes one database from the migrated template and empties it
before each test with DELETEs (tens of milliseconds; TRUNCATE takes ten times longer, since it
makes new files), instead of creating and dropping a database per test (about two seconds).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

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
from stint.storage.tables import metadata
from stint.storage.user_store import SqlUserStore
from tests.conftest import (
    BACKENDS,
    _asyncpg_dsn,
    _create_database,
    _database_url,
    _drop_database,
    _run,
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


@pytest.fixture(scope="session")
def postgres_storage(postgres_template: str) -> Iterator[str]:
    """This test process's database for the store contracts, made once from the template."""
    name = f"stint_storage_{os.getpid()}"
    _run(_create_database(name, template=postgres_template))
    yield _database_url(name)
    _run(_drop_database(name))


# Children before parents, so no foreign key is in the way.
_EMPTY = "; ".join(
    f"DELETE FROM {table.name}"  # noqa: S608 (our own table names)
    for table in reversed(metadata.sorted_tables)
)


async def _empty(url: str) -> None:
    """Delete every row; the schema stays (a migrations test leaves it at head too)."""
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        # A test that left a transaction open would make this wait forever: fail instead.
        await conn.execute("SET lock_timeout = '5s'")
        await conn.execute(_EMPTY)
    finally:
        await conn.close()


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A migrated, empty database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "stint.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_storage")
    await _empty(url)
    yield url


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
