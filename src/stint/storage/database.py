"""Engines and connections: WAL-mode SQLite by default, PostgreSQL through asyncpg."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

__all__ = ["Database", "async_url", "is_unique_violation"]


def async_url(url: str) -> str:
    """Pick the async driver for a plain ``sqlite://`` or ``postgresql://`` URL."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """Two pools over one database: autocommit connections for reads, transactions for writes.

    A read is one statement, so it skips BEGIN/COMMIT (two round trips through aiosqlite's
    thread). On SQLite a write transaction starts with BEGIN IMMEDIATE: it takes the write lock up
    front and waits ``busy_timeout`` for it, instead of failing when a read lock cannot be
    upgraded (SQLITE_BUSY_SNAPSHOT).
    """

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = async_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        options: dict[str, Any] = {}
        if self.dialect == "sqlite":
            database = make_url(self.url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)
        # Separate pools, so a connection never switches isolation level between checkouts.
        self.writer: AsyncEngine = create_async_engine(self.url, **options)
        self.reader: AsyncEngine = create_async_engine(
            self.url, isolation_level="AUTOCOMMIT", **options
        )
        if self.dialect == "sqlite":
            _configure_sqlite(self.writer)
            _configure_sqlite(self.reader)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.reader.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with self.writer.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.writer.dispose()
        await self.reader.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes of Stint in WAL mode
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_isolation_level() != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_unique_violation(exc: DBAPIError, name: str, table: str, *columns: str) -> bool:
    """Whether ``exc`` broke the unique constraint or index ``name`` on ``table(columns)``.

    PostgreSQL names the constraint; SQLite names the columns instead.
    """
    if not isinstance(exc, IntegrityError):
        return False
    message = str(exc.orig)
    sqlite_form = "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns)
    return f'"{name}"' in message or message.endswith(sqlite_form)
