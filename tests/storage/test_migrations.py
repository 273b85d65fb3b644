"""Alembic migrations from an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from stint.storage.database import Database
from stint.storage.migrate import current_revision, downgrade, head_revision, migrate
from stint.storage.tables import metadata
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
    "device_authorizations",
    "upstream_identities",
    "upstream_providers",
    "upstream_sign_ins",
    "backchannel_requests",
    "request_jtis",
    "email_links",
    "totp_credentials",
    "recovery_codes",
    "passkeys",
    "webauthn_challenges",
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


async def test_the_migrated_schema_is_the_one_tables_py_declares(db: Database) -> None:
    def differences(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with db.writer.connect() as conn:
        assert await conn.run_sync(differences) == []


def test_the_servers_schema_head_is_alembics_head() -> None:
    from stint.storage.schema import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD


async def test_the_server_reads_the_databases_revision_without_alembic(empty_db: Database) -> None:
    from stint.storage.schema import SCHEMA_HEAD, schema_revision

    assert await schema_revision(empty_db) is None  # never migrated: no alembic_version table
    await migrate(empty_db)
    assert await schema_revision(empty_db) == SCHEMA_HEAD


async def test_0008_backfills_the_email_key_of_existing_profiles_and_keeps_their_rows(
    db: Database,
) -> None:
    await downgrade(db, "0007")
    async with db.write() as conn:
        for name, profile in [
            ("alice", '{"email": "Alice.Smith@Example.COM", "email_verified": true}'),
            ("bob", '{"name": "Bob"}'),
            ("carol", "{}"),
        ]:
            await conn.execute(
                text(
                    "INSERT INTO users (username, username_key, password_hash, created_at, profile)"
                    " VALUES (:n, :n, 'h', CURRENT_TIMESTAMP, :p)"
                ),
                {"n": name, "p": profile},
            )
        await conn.execute(
            text(
                "INSERT INTO sessions (id_hash, user_id, created_at, auth_time, expires_at)"
                " SELECT 'sess', id, created_at, created_at, created_at FROM users"
                " WHERE username = 'alice'"
            )
        )
    await migrate(db)
    async with db.read() as conn:
        rows = (await conn.execute(text("SELECT username, email_key FROM users"))).all()
        keys: dict[str, str | None] = {row[0]: row[1] for row in rows}
        sessions = (await conn.execute(text("SELECT count(*) FROM sessions"))).scalar()
    assert keys == {"alice": "alice.smith@example.com", "bob": None, "carol": None}
    assert sessions == 1  # altering users deleted nothing that refers to it
    await downgrade(db, "0007")  # and back: the users keep their rows, sessions too
    async with db.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM sessions"))).scalar() == 1
