"""SqlSessionClientStore: which clients got an ID token in which browser session (by ``sid``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from stint.storage.database import Database
from stint.storage.tables import session_clients

__all__ = ["SqlSessionClientStore"]

_c = session_clients.c


class SqlSessionClientStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Recorded pairs this worker has seen: a signed-in user's every sign-in to the same app
        # would otherwise cost a write that changes nothing.
        self._known: set[tuple[str, str]] = set()

    async def add(self, sid: str, client_id: str, user_id: int) -> None:
        if (sid, client_id) in self._known:
            return
        if len(self._known) > 50_000:
            self._known.clear()
        self._known.add((sid, client_id))
        try:
            async with self._db.write() as conn:
                await conn.execute(
                    session_clients.insert().values(
                        sid=sid, client_id=client_id, user_id=user_id, created_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            pass  # already recorded for this session

    async def clients(self, sid: str) -> list[str]:
        async with self._db.read() as conn:
            rows = await conn.execute(select(_c.client_id).where(_c.sid == sid))
            return [row[0] for row in rows]

    async def remove_session(self, sid: str) -> None:
        self._known = {pair for pair in self._known if pair[0] != sid}
        async with self._db.write() as conn:
            await conn.execute(delete(session_clients).where(_c.sid == sid))
