"""Sign-ins that happened earlier: what waiting after a sign-in would do, without the wait."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from stint.storage.database import Database
from stint.storage.tables import sessions

__all__ = ["signed_in_earlier", "signed_in_earlier_at"]


async def signed_in_earlier(db: Database, seconds: float) -> None:
    """Move every session's sign-in ``seconds`` into the past, as if that much time had passed
    since (auth_time counts whole seconds, OIDC Core §2; max_age compares with it, §3.1.2.1)."""
    earlier = timedelta(seconds=seconds)
    async with db.write() as conn:
        rows = (await conn.execute(select(sessions.c.id_hash, sessions.c.auth_time))).all()
        for id_hash, auth_time in rows:
            await conn.execute(
                update(sessions)
                .where(sessions.c.id_hash == id_hash)
                .values(auth_time=auth_time - earlier)
            )


async def signed_in_earlier_at(url: str, seconds: float) -> None:
    """`signed_in_earlier` for a server in another process, through its database URL."""
    db = Database(url)
    try:
        await signed_in_earlier(db, seconds)
    finally:
        await db.dispose()
