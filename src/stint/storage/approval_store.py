"""SqlApprovalStore: what one approval creates, stored in one transaction or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from stint.protocol.ports import Approval
from stint.storage.code_store import code_row
from stint.storage.consent_store import add_consent
from stint.storage.database import Database, dialect_insert
from stint.storage.grant_store import grant_row
from stint.storage.opaque_token_store import opaque_token_row
from stint.storage.tables import authorization_codes, grants, opaque_access_tokens, session_clients

__all__ = ["SqlApprovalStore", "write_approval"]


async def write_approval(conn: AsyncConnection, dialect: str, approval: Approval) -> None:
    """Write ``approval`` in the caller's transaction: the authorization endpoint's, or one that
    also links it to what the person approved (a device or back-channel request)."""
    grant = approval.grant
    if approval.consent is not None and grant.user_id is not None:
        await add_consent(conn, dialect, grant.user_id, grant.client_id, approval.consent)
    await conn.execute(grants.insert().values(**grant_row(grant)))
    if approval.code is not None:
        await conn.execute(authorization_codes.insert().values(**code_row(approval.code)))
    if approval.opaque_token is not None:
        row = opaque_token_row(approval.opaque_token)
        await conn.execute(opaque_access_tokens.insert().values(**row))
    if approval.sid is not None and grant.user_id is not None:
        # Signed in to the same app again in this session: recorded already, kept.
        insert = dialect_insert(dialect)(session_clients).values(
            sid=approval.sid,
            client_id=grant.client_id,
            user_id=grant.user_id,
            created_at=datetime.now(UTC),
        )
        await conn.execute(insert.on_conflict_do_nothing())


class SqlApprovalStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, approval: Approval) -> None:
        async with self._db.write() as conn:
            await write_approval(conn, self._db.dialect, approval)
