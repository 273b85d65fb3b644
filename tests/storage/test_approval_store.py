"""SqlApprovalStore: an approval's consent, grant, code, opaque token and session client are
stored together or not at all, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from stint.protocol.consent import Consent
from stint.protocol.ports import Approval, AuthorizationCode, Grant, OpaqueAccessToken
from stint.storage.approval_store import SqlApprovalStore
from stint.storage.client_store import SqlClientStore
from stint.storage.code_store import SqlAuthorizationCodeStore
from stint.storage.consent_store import SqlConsentStore
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.opaque_token_store import SqlOpaqueTokenStore
from stint.storage.session_client_store import SqlSessionClientStore
from stint.storage.user_store import SqlUserStore
from tests.support.oauth_memory import web_client

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPES = frozenset({"openid", "profile"})


@pytest.fixture
async def owners(db: Database) -> tuple[str, int]:
    """The client and the user approvals are for."""
    client = await SqlClientStore(db, cache_seconds=0).add(web_client())
    user = await SqlUserStore(db).add(username="alice", username_key="alice", password_hash="h")
    return client.client_id, user.id


def _approval(owners: tuple[str, int], grant_id: str, code_hash: str) -> Approval:
    client_id, user_id = owners
    grant = Grant(grant_id, client_id, user_id, SCOPES, NOW, oidc={"auth_time": 1})
    code = AuthorizationCode(
        code_hash, grant_id, client_id, user_id, None, SCOPES, None, None, NOW, NOW
    )
    opaque = OpaqueAccessToken(
        "o" + grant_id, grant_id, client_id, user_id, "alice", SCOPES, NOW + timedelta(1)
    )
    return Approval(grant, code, opaque, Consent(SCOPES), sid="sid-1")


async def test_an_approval_stores_everything_it_creates(
    db: Database, owners: tuple[str, int]
) -> None:
    approval = _approval(owners, "g1", "c" * 64)
    await SqlApprovalStore(db).record(approval)
    grant, code = approval.grant, approval.code
    assert grant.user_id is not None and code is not None and approval.opaque_token is not None
    assert await SqlGrantStore(db).get(grant.id) == grant
    assert await SqlAuthorizationCodeStore(db).get(code.code_hash) == code
    assert await SqlOpaqueTokenStore(db).get("og1") == approval.opaque_token
    assert await SqlConsentStore(db).granted(grant.user_id, grant.client_id) == Consent(SCOPES)
    assert await SqlSessionClientStore(db).clients("sid-1") == [grant.client_id]


async def test_a_second_approval_in_the_same_session_adds_to_the_consent(
    db: Database, owners: tuple[str, int]
) -> None:
    await SqlApprovalStore(db).record(_approval(owners, "g1", "c" * 64))
    again = _approval(owners, "g2", "d" * 64)
    more = Consent(frozenset({"email"}), frozenset({"name"}))
    await SqlApprovalStore(db).record(Approval(again.grant, again.code, consent=more, sid="sid-1"))
    user_id = again.grant.user_id
    assert user_id is not None
    granted = await SqlConsentStore(db).granted(user_id, again.grant.client_id)
    assert granted == Consent(SCOPES | {"email"}, frozenset({"name"}))
    assert await SqlSessionClientStore(db).clients("sid-1") == [again.grant.client_id]


async def test_an_approval_failing_at_a_later_step_leaves_no_consent_or_grant(
    db: Database, owners: tuple[str, int]
) -> None:
    first = _approval(owners, "g1", "c" * 64)
    await SqlApprovalStore(db).record(Approval(first.grant, first.code))  # no consent, no sid
    # The same code hash again: the code's insert fails after the consent and the grant.
    clash = _approval(owners, "g2", "c" * 64)
    with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
        await SqlApprovalStore(db).record(clash)
    user_id = clash.grant.user_id
    assert user_id is not None
    assert await SqlConsentStore(db).granted(user_id, clash.grant.client_id) == Consent()
    assert await SqlGrantStore(db).get("g2") is None
    assert await SqlOpaqueTokenStore(db).get("og2") is None
    assert await SqlSessionClientStore(db).clients("sid-1") == []
