"""The authorization response (RFC 6749 §4.1.2, §4.2.2): what an approval creates is made first
and stored once, whole, so a failure leaves no consent or grant without its code."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from stint.protocol.authorize import AuthorizationResponder, AuthorizePolicy, validate
from stint.protocol.authorize.response import Authentication
from stint.protocol.clients import Client
from stint.protocol.consent import Consent
from stint.protocol.ports import Approval
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import MemoryApprovals, memory_oauth, web_client

pytestmark = pytest.mark.anyio

PARAMS = {
    "response_type": "code",
    "client_id": "web",
    "redirect_uri": "https://app.example/callback",
    "scope": "activities:read",
    "state": "s1",
}
SIGNED_IN = Authentication(auth_time=datetime(2026, 12, 1, 8, 0, tzinfo=UTC), sid="sid-1")


class Clients:
    def __init__(self, client: Client) -> None:
        self._client = client

    async def get(self, client_id: str) -> Client | None:
        return self._client if client_id == self._client.client_id else None


async def test_an_approval_is_stored_once_with_its_consent_grant_and_code() -> None:
    oauth = await memory_oauth()
    approvals = MemoryApprovals()
    responder = AuthorizationResponder(approvals, oauth.tokens, "https://as.example")
    request = await validate(PARAMS, Clients(web_client()), AuthorizePolicy(require_pkce=False))
    consent = Consent(frozenset({"activities:read"}))
    reply = await responder.approve(request, Subject(1, "alice"), SIGNED_IN, consent=consent)

    (code,) = parse_qs(urlsplit(reply.url).query)["code"]
    (approval,) = approvals.approvals
    assert approval.consent == consent
    assert approval.grant.user_id == 1 and approval.grant.scopes == {"activities:read"}
    assert approval.code is not None and approval.code.grant_id == approval.grant.id
    assert approval.code.code_hash == oauth.hasher.hash(code)
    assert approval.sid is None  # not an OpenID request: no session for logout to reach
    assert oauth.grants.grants == {}, "nothing stored beside the one approval"


class FailingApprovals:
    async def record(self, approval: Approval) -> None:
        raise RuntimeError("the database went away")


async def test_an_approval_that_cannot_be_stored_gives_the_client_nothing() -> None:
    oauth = await memory_oauth()
    responder = AuthorizationResponder(FailingApprovals(), oauth.tokens, "https://as.example")
    request = await validate(PARAMS, Clients(web_client()), AuthorizePolicy(require_pkce=False))
    with pytest.raises(RuntimeError):
        await responder.approve(request, Subject(1, "alice"), SIGNED_IN, consent=Consent())
    assert oauth.grants.grants == {}


async def test_a_front_channel_opaque_token_is_stored_with_its_approval() -> None:
    oauth = await memory_oauth()
    approvals = MemoryApprovals()
    responder = AuthorizationResponder(approvals, oauth.tokens, "https://as.example")
    client = replace(web_client(), grant_types=frozenset({"implicit"}), opaque_access_tokens=True)
    policy = AuthorizePolicy(require_pkce=False, implicit_enabled=True)
    request = await validate({**PARAMS, "response_type": "token"}, Clients(client), policy)
    reply = await responder.approve(request, Subject(1, "alice"), SIGNED_IN)

    (token,) = parse_qs(urlsplit(reply.url).fragment)["access_token"]
    (approval,) = approvals.approvals
    assert approval.code is None and approval.consent is None
    assert approval.opaque_token is not None
    assert approval.opaque_token.token_hash == oauth.hasher.hash(token)
    assert approval.opaque_token.grant_id == approval.grant.id
