"""UserInfo (OIDC Core §5.3) against in-memory stores: who may ask, and which claims it gets."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest

from stint.protocol.clients import Client
from stint.protocol.errors import InsufficientScopeError, InvalidTokenError
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.oidc.context import AuthContext
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.oidc.subject import SubjectIdentifiers
from stint.protocol.oidc.userinfo import UserInfoEndpoint, UserInfoResponse
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import ISSUER, MemoryOAuth, memory_oauth, web_client

pytestmark = pytest.mark.anyio

ALICE_CLAIMS = {"name": "Alice Liddell", "preferred_username": "alice", "email": "a@example.org"}


ALICE = Subject(1, "alice")


class Claims:
    async def claims(self, user_id: int) -> dict[str, Any]:
        return dict(ALICE_CLAIMS) if user_id == 1 else {}


def _endpoint(oauth: MemoryOAuth) -> UserInfoEndpoint:
    id_tokens = IdTokenIssuer(
        oauth.keys,
        issuer=ISSUER,
        ttl=300,
        subjects=SubjectIdentifiers(b"userinfo-test-secret"),
        claims_source=Claims(),
        clock=oauth.clock.timestamp,
    )
    return UserInfoEndpoint(oauth.token_validator(), oauth.grants, Claims(), id_tokens)


async def _token(
    oauth: MemoryOAuth,
    scopes: set[str],
    *,
    client: Client | None = None,
    subject: Subject = ALICE,
    claims: ClaimsRequest | None = None,
) -> str:
    client = client or web_client()
    oauth.clients.clients[client.client_id] = client
    context = AuthContext(auth_time=0, claims=claims or ClaimsRequest())
    grant = await oauth.tokens.new_grant(client, subject, frozenset(scopes), oidc=context.to_json())
    value, _ = await oauth.tokens.access_token(client, subject, frozenset(scopes), grant.id)
    return value


def _json(answer: UserInfoResponse) -> dict[str, Any]:
    assert answer.media_type == "application/json"
    body: dict[str, Any] = orjson.loads(answer.body)
    return body


async def test_the_scopes_name_the_claims_released_and_sub_is_always_there() -> None:
    oauth = await memory_oauth()
    token = await _token(oauth, {"openid", "profile"})
    body = _json(await _endpoint(oauth).handle(token))
    assert body == {"sub": "1", "name": "Alice Liddell", "preferred_username": "alice"}


async def test_a_claim_requested_by_name_is_released_without_its_scope() -> None:
    oauth = await memory_oauth()
    requested = ClaimsRequest(userinfo={"email": None})
    token = await _token(oauth, {"openid"}, claims=requested)
    assert _json(await _endpoint(oauth).handle(token)) == {"sub": "1", "email": "a@example.org"}


async def test_a_pairwise_client_gets_the_sub_its_id_tokens_carry() -> None:
    oauth = await memory_oauth()
    pairwise = replace(web_client(), metadata={"subject_type": "pairwise"})
    endpoint = _endpoint(oauth)
    body = _json(await endpoint.handle(await _token(oauth, {"openid"}, client=pairwise)))
    assert body["sub"] != "1"
    assert body["sub"] == SubjectIdentifiers(b"userinfo-test-secret").for_client(1, pairwise)


async def test_a_client_that_registered_a_signing_alg_gets_a_signed_jwt() -> None:
    oauth = await memory_oauth()
    signed = replace(web_client(), metadata={"userinfo_signed_response_alg": "ES256"})
    answer = await _endpoint(oauth).handle(await _token(oauth, {"openid"}, client=signed))
    assert answer.media_type == "application/jwt"
    assert answer.body.count(b".") == 2


async def test_a_token_without_openid_is_insufficient_scope() -> None:
    oauth = await memory_oauth()
    token = await _token(oauth, {"profile"})
    with pytest.raises(InsufficientScopeError) as refused:
        await _endpoint(oauth).handle(token)
    assert refused.value.required == "openid"


async def test_a_token_acting_for_no_user_is_invalid() -> None:
    oauth = await memory_oauth()
    token = await _token(oauth, {"openid"}, subject=Subject(None))
    with pytest.raises(InvalidTokenError, match="no user"):
        await _endpoint(oauth).handle(token)


async def test_a_token_the_validator_refuses_is_invalid() -> None:
    oauth = await memory_oauth()
    token = await _token(oauth, {"openid"})
    del oauth.users.names[1]
    with pytest.raises(InvalidTokenError, match="disabled"):
        await _endpoint(oauth).handle(token)
