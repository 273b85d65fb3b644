"""What every `stint` command shares: its consoles, reading settings, a migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import typer
from rich.console import Console

from stint.settings import ConfigError, Settings, load_settings
from stint.storage.database import Database
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.schema import SCHEMA_HEAD, schema_revision

__all__ = [
    "console",
    "err_console",
    "migrated_database",
    "require_schema",
    "revocation_log",
    "settings_or_exit",
]

console = Console()
err_console = Console(stderr=True)


def settings_or_exit(**overrides: Any) -> Settings:
    """The settings, or exit 2 naming what is wrong with them."""
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


async def require_schema(db: Database) -> None:
    """Exit 1 unless the database is at the newest migration."""
    revision = await schema_revision(db)
    if revision != SCHEMA_HEAD:
        err_console.print(
            f"[red]error:[/red] the database is at migration {revision or 'none'}, "
            f"not {SCHEMA_HEAD}: run `stint migrate` first"
        )
        raise typer.Exit(1)


@asynccontextmanager
async def migrated_database(settings: Settings) -> AsyncIterator[Database]:
    """The configured database, checked to be migrated, disposed of afterwards."""
    db = Database(settings.effective_database_url)
    try:
        await require_schema(db)
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def revocation_log(settings: Settings, db: Database) -> AsyncIterator[SqlRevocationLog]:
    """The log a command records revocations in; it also publishes them on Redis when set, so
    running servers hear of a disabled account or a deleted client at once."""
    log = SqlRevocationLog(db, keep_seconds=settings.access_token_ttl)
    if not settings.redis_url:
        yield log
        return
    from redis.asyncio import Redis

    from stint.storage.revocation_push import redis_publisher

    redis = Redis.from_url(settings.redis_url)
    log.publish_with(redis_publisher(redis))
    try:
        yield log
    finally:
        await redis.aclose()
