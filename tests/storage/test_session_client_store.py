"""SqlSessionClientStore contract, on SQLite and PostgreSQL: which apps a browser session signed
in to, for the logout that reaches each of them. Each sign-in is recorded with its approval
(SqlApprovalStore)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest

from stint.protocol.ports import Approval, Grant
from stint.storage.approval_store import SqlApprovalStore
from stint.storage.client_store import SqlClientStore
from stint.storage.database import Database
from stint.storage.session_client_store import SqlSessionClientStore
from tests.support.clients import relying_party

pytestmark = pytest.mark.anyio

_grant_ids = itertools.count()


async def _clients(db: Database, *client_ids: str) -> None:
    for client_id in client_ids:
        await SqlClientStore(db, cache_seconds=0).add(relying_party(client_id=client_id))


async def _sign_in(db: Database, sid: str, client_id: str, user_id: int) -> None:
    """An approval that signs ``client_id`` in to the session ``sid``."""
    now = datetime.now(UTC)
    grant = Grant(f"g{next(_grant_ids)}", client_id, user_id, frozenset({"openid"}), now)
    await SqlApprovalStore(db).record(Approval(grant, sid=sid))


async def test_each_app_of_a_session_is_listed_once(db: Database, user_id: int) -> None:
    await _clients(db, "a", "b")
    store = SqlSessionClientStore(db)
    for client_id in ["a", "b", "a"]:
        await _sign_in(db, "sid-1", client_id, user_id)
    await _sign_in(db, "sid-2", "b", user_id)
    assert sorted(await store.clients("sid-1")) == ["a", "b"]
    assert await store.clients("sid-2") == ["b"]
    assert await store.clients("sid-3") == []


async def test_workers_recording_the_same_sign_in_at_once_all_succeed(
    db: Database, user_id: int
) -> None:
    await _clients(db, "a")
    await asyncio.gather(*(_sign_in(db, "sid-1", "a", user_id) for _ in range(6)))
    assert await SqlSessionClientStore(db).clients("sid-1") == ["a"]


async def test_a_session_signed_out_forgets_its_apps_and_records_them_again(
    db: Database, user_id: int
) -> None:
    await _clients(db, "a")
    store = SqlSessionClientStore(db)
    await _sign_in(db, "sid-1", "a", user_id)
    await _sign_in(db, "sid-2", "a", user_id)
    await store.remove_session("sid-1")
    assert await store.clients("sid-1") == []
    assert await store.clients("sid-2") == ["a"]
    await _sign_in(db, "sid-1", "a", user_id)
    assert await store.clients("sid-1") == ["a"]
