"""Database: the async driver for a plain URL, which errors are a unique violation, and which mean
the database cannot be reached now (a 503, not a 500), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from stint.storage.availability import is_unavailable
from stint.storage.database import Database, async_url, is_unique_violation
from stint.storage.user_store import SqlUserStore

pytestmark = pytest.mark.anyio

POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/stint.sqlite3", "sqlite+aiosqlite:///data/stint.sqlite3"),
        ("postgresql://u:p%40ss@db/stint", "postgresql+asyncpg://u:p%40ss@db/stint"),
        ("postgres://u@db/stint", "postgresql+asyncpg://u@db/stint"),
        ("postgresql+psycopg2://u@db/stint", "postgresql+asyncpg://u@db/stint"),
        ("postgresql+asyncpg://u@db/stint", "postgresql+asyncpg://u@db/stint"),
    ],
)
def test_a_plain_url_gets_the_async_driver(url: str, expected: str) -> None:
    assert async_url(url) == expected


def test_an_in_memory_sqlite_database_is_refused() -> None:
    with pytest.raises(ValueError, match="SQLite file"):
        Database("sqlite:///:memory:")


async def test_a_unique_violation_is_told_by_its_constraint(db: Database) -> None:
    store = SqlUserStore(db)
    await store.add(username="Alice", username_key="alice", password_hash="h")
    with pytest.raises(IntegrityError) as raised:
        async with db.write() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (username, username_key, password_hash, disabled,"
                    " created_at) VALUES ('A', 'alice', 'h', false, CURRENT_TIMESTAMP)"
                )
            )
    assert is_unique_violation(raised.value, "uq_users_username_key", "users", "username_key")
    assert not is_unique_violation(raised.value, "uq_other", "users", "username")
    assert not is_unavailable(raised.value)  # the request's fault: never a 503


async def test_a_server_that_does_not_answer_is_unavailable() -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/stint")
    try:
        with pytest.raises(OSError) as raised:  # noqa: PT011 (refused, however worded)
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
        assert is_unavailable(raised.value)
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", POSTGRES)
async def test_a_connection_the_server_closed_is_unavailable(db: Database) -> None:
    async with db.writer.connect() as conn:
        with pytest.raises(DBAPIError) as raised:
            await conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    assert is_unavailable(raised.value)


def test_redis_that_does_not_answer_is_unavailable_and_a_redis_error_is_not() -> None:
    assert is_unavailable(RedisConnectionError("Connection refused"))
    assert is_unavailable(RedisTimeoutError("Timeout reading from socket"))
    assert not is_unavailable(ResponseError("WRONGTYPE"))
