"""SqlRevokedTokenStore contract, on SQLite and PostgreSQL: a revoked ``jti`` is known at once,
and announced to the other workers once, however often it is revoked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.revocations import Revocation, RevocationKind
from stint.storage.database import Database
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.revoked_token_store import SqlRevokedTokenStore

pytestmark = pytest.mark.anyio

EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)


async def test_a_revoked_jti_is_known_and_kept_until_its_token_expires(db: Database) -> None:
    log = SqlRevocationLog(db)
    store = SqlRevokedTokenStore(db, log)
    assert not await store.contains("jti-1")
    await store.add("jti-1", EXPIRES)
    assert await store.contains("jti-1")
    assert not await store.contains("jti-2")
    [event] = await log.since(0, 10)
    assert (event.revocation, event.expires_at) == (
        Revocation(RevocationKind.ACCESS_TOKEN, "jti-1"),
        EXPIRES,
    )


async def test_a_token_revoked_eight_times_at_once_is_announced_once(db: Database) -> None:
    log = SqlRevocationLog(db)
    store = SqlRevokedTokenStore(db, log)
    await asyncio.gather(*(store.add("jti-1", EXPIRES) for _ in range(8)))
    assert await store.contains("jti-1")
    assert len(await log.since(0, 10)) == 1
    await store.add("jti-1", EXPIRES + timedelta(days=1))
    assert len(await log.since(0, 10)) == 1
