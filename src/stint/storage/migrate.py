"""Bring a database to the newest schema with Alembic (also used by tests on a fresh database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from stint.storage.database import Database

__all__ = ["alembic_config", "current_revision", "downgrade", "head_revision", "migrate"]

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def migrate(db: Database, revision: str = "head") -> None:
    """Upgrade to ``revision``; a no-op when the database is already there."""
    await _run(db, command.upgrade, revision)


async def downgrade(db: Database, revision: str) -> None:
    """Downgrade to ``revision`` (``base``: drop everything the migrations made)."""
    await _run(db, command.downgrade, revision)


async def _run(db: Database, step: Callable[[Config, str], None], revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        step(config, revision)

    async with db.writer.connect() as conn:
        await conn.run_sync(run)
        await conn.commit()


async def current_revision(db: Database) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.writer.connect() as conn:
        return await conn.run_sync(read)
