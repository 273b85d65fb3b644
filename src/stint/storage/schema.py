"""Which schema revision the code expects, and which the database has: without importing Alembic.

The server checks this at start; importing Alembic for it would cost every worker ~10 MiB.
tests/storage/test_migrations.py pins SCHEMA_HEAD to Alembic's head.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from stint.storage.database import Database

__all__ = ["SCHEMA_HEAD", "schema_revision"]

SCHEMA_HEAD = "0013"


async def schema_revision(db: Database) -> str | None:
    """The database's revision, or None when it was never migrated."""
    try:
        async with db.reader.connect() as conn:
            row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
    except DBAPIError:
        return None  # no alembic_version table yet
    return str(row[0]) if row is not None else None
