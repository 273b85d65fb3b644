"""Engines and connections: WAL-mode SQLite by default, PostgreSQL through asyncpg."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Select, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from stint.storage.inline_sqlite import InlineSqliteReader

__all__ = ["Database", "async_url", "dialect_insert", "is_unique_violation"]


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
    upgraded (SQLITE_BUSY_SNAPSHOT). Within one process, SQLite writes also queue on an asyncio
    lock: SQLite has one writer at a time anyway, and its busy handler sleeps in steps of up to
    100 ms, so pool connections contending for the lock turned a queue into second-long stalls.
    """

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = async_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        options: dict[str, Any] = {}
        self._inline: InlineSqliteReader | None = None
        self._write_lock: asyncio.Lock | None = None
        if self.dialect == "sqlite":
            self._write_lock = asyncio.Lock()
            database = make_url(self.url).database
            if not database or database == ":memory:":
                raise ValueError("Stint needs an SQLite file, not an in-memory database")
            Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}
            self._inline = InlineSqliteReader(database)
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
        if self._write_lock is None:
            async with self.writer.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.writer.begin() as conn:
            yield conn

    async def fetch_all(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """A bounded read of a statement built once with bindparams; rows as plain tuples."""
        if self._inline is not None:
            return self._inline.fetch_all(statement, params)
        async with self.reader.connect() as conn:
            return [tuple(row) for row in await conn.execute(statement, dict(params))]

    async def fetch_one(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None

    async def dispose(self) -> None:
        if self._inline is not None:
            self._inline.close()
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


def dialect_insert(dialect: str) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_update`` (PostgreSQL and SQLite alike)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
