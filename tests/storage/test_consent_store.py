"""SqlConsentStore contract, on SQLite and PostgreSQL: scopes and claims agreed to, merged, even
when approvals arrive at the same time."""

from __future__ import annotations

import asyncio

import pytest

from stint.protocol.consent import Consent
from stint.storage.client_store import SqlClientStore
from stint.storage.consent_store import SqlConsentStore, add_consent
from stint.storage.database import Database
from stint.storage.user_store import SqlUserStore
from tests.support.clients import relying_party

pytestmark = pytest.mark.anyio


async def _user_and_client(db: Database) -> tuple[int, str]:
    user = await SqlUserStore(db).add(username="Alice", username_key="alice", password_hash="h")
    client = relying_party()
    await SqlClientStore(db).add(client)
    return user.id, client.client_id


async def _approve(db: Database, user_id: int, client_id: str, consent: Consent) -> None:
    async with db.write() as conn:  # as SqlApprovalStore does, in an approval's transaction
        await add_consent(conn, db.dialect, user_id, client_id, consent)


async def test_nothing_is_granted_before_a_consent(db: Database) -> None:
    user_id, client_id = await _user_and_client(db)
    assert await SqlConsentStore(db).granted(user_id, client_id) == Consent()


async def test_consents_to_scopes_and_claims_add_up(db: Database) -> None:
    user_id, client_id = await _user_and_client(db)
    await _approve(db, user_id, client_id, Consent(frozenset({"openid"}), frozenset({"email"})))
    await _approve(db, user_id, client_id, Consent(frozenset({"profile"}), frozenset({"address"})))
    assert await SqlConsentStore(db).granted(user_id, client_id) == Consent(
        frozenset({"openid", "profile"}), frozenset({"email", "address"})
    )


async def test_eight_approvals_of_the_same_consent_at_once_all_succeed(db: Database) -> None:
    # A double click or two tabs: before, delete-then-insert raced into a unique violation.
    user_id, client_id = await _user_and_client(db)
    asked = [
        Consent(frozenset({"openid", f"scope{i % 3}"}), frozenset({f"claim{i % 2}"}))
        for i in range(8)
    ]
    await asyncio.gather(*(_approve(db, user_id, client_id, consent) for consent in asked))
    assert await SqlConsentStore(db).granted(user_id, client_id) == Consent(
        frozenset({"openid", "scope0", "scope1", "scope2"}), frozenset({"claim0", "claim1"})
    )
