"""Alembic migrations from an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from stint.storage.database import Database
from stint.storage.migrate import current_revision, downgrade, head_revision, migrate
from tests.conftest import _create_database, _database_url, _drop_database

pytestmark = pytest.mark.anyio

TABLES = {
    "users",
    "signing_keys",
    "activities",
    "time_entries",
    "clients",
    "grants",
    "authorization_codes",
    "refresh_tokens",
    "opaque_access_tokens",
    "revoked_tokens",
    "revocation_events",
    "session_clients",
    "logout_deliveries",
    "login_counters",
    "consents",
    "sessions",
    "alembic_version",
}


@pytest.fixture
async def empty_db(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Database]:
    """A database nothing has touched yet."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        yield db
        await db.dispose()
        return
    request.getfixturevalue("postgres_template")  # skips or fails when PostgreSQL is missing
    name = f"stint_empty_{os.getpid()}_{secrets.token_hex(4)}"
    await _create_database(name)
    db = Database(_database_url(name))
    yield db
    await db.dispose()
    await _drop_database(name)


async def _tables(db: Database) -> set[str]:
    async with db.writer.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_migrating_an_empty_database_reaches_head(empty_db: Database) -> None:
    assert await current_revision(empty_db) is None
    assert await _tables(empty_db) == set()
    await migrate(empty_db)
    assert await current_revision(empty_db) == head_revision()
    assert await _tables(empty_db) == TABLES


async def test_migrating_twice_changes_nothing(db: Database) -> None:
    await migrate(db)
    await migrate(db)
    assert await current_revision(db) == head_revision()


async def test_every_migration_downgrades_and_upgrades_again(db: Database) -> None:
    await downgrade(db, "base")
    assert await _tables(db) == {"alembic_version"}
    await migrate(db)
    assert await _tables(db) == TABLES


async def test_running_timer_index_is_partial_and_unique(db: Database) -> None:
    async with db.writer.connect() as conn:
        indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("time_entries"))
    running = next(i for i in indexes if i["name"] == "uq_time_entries_one_running_per_user")
    assert running["unique"]
    assert running["column_names"] == ["user_id"]


def test_the_servers_schema_head_is_alembics_head() -> None:
    from stint.storage.schema import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD


async def test_the_server_reads_the_databases_revision_without_alembic(empty_db: Database) -> None:
    from stint.storage.schema import SCHEMA_HEAD, schema_revision

    assert await schema_revision(empty_db) is None  # never migrated: no alembic_version table
    await migrate(empty_db)
    assert await schema_revision(empty_db) == SCHEMA_HEAD
