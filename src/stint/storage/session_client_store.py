"""SqlSessionClientStore: which clients got an ID token in which browser session (by ``sid``).

Rows are written with the approval that signs a client in (SqlApprovalStore).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from stint.storage.database import Database
from stint.storage.tables import session_clients

__all__ = ["SqlSessionClientStore"]

_c = session_clients.c


class SqlSessionClientStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def clients(self, sid: str) -> list[str]:
        async with self._db.read() as conn:
            rows = await conn.execute(select(_c.client_id).where(_c.sid == sid))
            return [row[0] for row in rows]

    async def remove_session(self, sid: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(session_clients).where(_c.sid == sid))
