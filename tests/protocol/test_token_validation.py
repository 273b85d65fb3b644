"""Whether an access token is active: each reason the API, UserInfo and introspection refuse it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from stint.protocol.access_tokens import AccessToken, AccessTokenIssuer
from stint.protocol.clients import Client
from stint.protocol.errors import InvalidTokenError
from stint.protocol.ports import Grant, OpaqueAccessToken, RevokedBecause
from stint.protocol.scopes import FIRST_PARTY_CLIENT_ID
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import (
    AUDIENCE,
    MemoryOAuth,
    MemoryOpaqueTokens,
    memory_oauth,
    web_client,
)

pytestmark = pytest.mark.anyio

SCOPES = frozenset({"activities:read", "profile"})
ALICE = Subject(1, "alice")
KINDS = ["jwt", "opaque"]


async def _issued(
    oauth: MemoryOAuth, kind: str = "jwt", subject: Subject = ALICE
) -> tuple[str, Grant]:
    """An access token of a registered client under a fresh grant, and the grant."""
    client = replace(web_client(), opaque_access_tokens=kind == "opaque")
    oauth.clients.clients[client.client_id] = client
    grant = await oauth.tokens.new_grant(client, subject, SCOPES)
    value, _ = await oauth.tokens.access_token(client, subject, SCOPES, grant.id)
    return value, grant


async def _refused(oauth: MemoryOAuth, token: str, reason: str) -> None:
    with pytest.raises(InvalidTokenError, match=reason):
        await oauth.token_validator().validate(token)


async def test_a_jwt_of_an_active_user_says_whom_it_acts_for_and_what_it_may_do() -> None:
    oauth = await memory_oauth()
    token, grant = await _issued(oauth)
    active = await oauth.token_validator().validate(token)
    assert (active.user_id, active.username, active.client_id) == (1, "alice", "web")
    assert active.client == oauth.clients.clients["web"]
    assert active.scopes == SCOPES
    assert active.grant_id == grant.id
    assert active.subject == "1"
    assert active.jti
    assert active.expires_at == int(oauth.clock.timestamp()) + 600


async def test_an_opaque_token_of_an_active_user_is_active_until_it_expires() -> None:
    oauth = await memory_oauth()
    token, grant = await _issued(oauth, "opaque")
    active = await oauth.token_validator().validate(token)
    assert (active.user_id, active.username, active.client_id) == (1, "alice", "web")
    assert (active.grant_id, active.subject, active.jti) == (grant.id, "1", None)
    oauth.clock.advance(600)
    await _refused(oauth, token, "unknown or expired")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_token_a_client_holds_for_itself_acts_for_no_user(kind: str) -> None:
    oauth = await memory_oauth()
    token, _ = await _issued(oauth, kind, Subject(None))
    active = await oauth.token_validator().validate(token)
    assert (active.user_id, active.username, active.client_id) == (None, "", "web")


async def test_the_account_name_is_the_current_one_not_the_one_signed_into_the_token() -> None:
    oauth = await memory_oauth()
    token, _ = await _issued(oauth)
    oauth.users.names[1] = "alice.smith"
    assert (await oauth.token_validator().validate(token)).username == "alice.smith"


async def test_an_expired_jwt_is_refused() -> None:
    oauth = await memory_oauth()
    token, _ = await _issued(oauth)
    oauth.clock.advance(599)
    await oauth.token_validator().validate(token)
    oauth.clock.advance(1)
    await _refused(oauth, token, "expired")


async def test_a_jwt_with_a_bad_signature_or_of_another_issuer_is_refused() -> None:
    oauth = await memory_oauth()
    token, _ = await _issued(oauth)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    await _refused(oauth, forged, "signature is invalid")
    other = AccessTokenIssuer(
        oauth.keys,
        issuer="https://elsewhere",
        audience=AUDIENCE,
        ttl=600,
        clock=oauth.clock.timestamp,
    )
    foreign = other.issue(subject="1", username="alice", client_id="web", scopes=SCOPES)
    await _refused(oauth, foreign.value, "issued by someone else")
    await _refused(oauth, "not.a.jwt", "malformed")


async def test_a_revoked_jwt_is_refused() -> None:
    oauth = await memory_oauth()
    token, _ = await _issued(oauth)
    claims = await oauth.token_validator().validate(token)
    assert claims.jti is not None
    await oauth.revoked.add(claims.jti, oauth.clock() + timedelta(seconds=600))
    await _refused(oauth, token, "revoked")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_token_of_a_revoked_grant_is_refused(kind: str) -> None:
    oauth = await memory_oauth()
    token, grant = await _issued(oauth, kind)
    await oauth.grants.revoke(grant.id, RevokedBecause.USER_REVOKED)
    await _refused(oauth, token, "revoked")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_token_of_a_deleted_client_is_refused(kind: str) -> None:
    oauth = await memory_oauth()
    token, _ = await _issued(oauth, kind)
    del oauth.clients.clients["web"]
    await _refused(oauth, token, "client was deleted")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_token_of_a_disabled_account_is_refused(kind: str) -> None:
    oauth = await memory_oauth()
    token, _ = await _issued(oauth, kind)
    del oauth.users.names[1]
    await _refused(oauth, token, "account is disabled")


async def test_an_unknown_opaque_token_is_refused() -> None:
    oauth = await memory_oauth()
    await _refused(oauth, "x" * 43, "unknown or expired")


async def test_a_value_no_opaque_token_could_have_is_refused_without_a_store_read() -> None:
    oauth = await memory_oauth()
    reads: list[str] = []

    class Counting(MemoryOpaqueTokens):
        async def get(self, token_hash: str) -> OpaqueAccessToken | None:
            reads.append(token_hash)
            return await super().get(token_hash)

    oauth.opaque_tokens = Counting()
    for value in ("", "short", "x" * 101):
        await _refused(oauth, value, "unknown or expired")
    assert reads == []


async def test_a_first_party_token_needs_no_registered_client() -> None:
    oauth = await memory_oauth()
    first_party = Client(
        client_id=FIRST_PARTY_CLIENT_ID,
        name="Stint",
        client_type=web_client().client_type,
        redirect_uris=(),
        grant_types=frozenset(),
        scopes=SCOPES,
        token_endpoint_auth_method="none",
    )
    grant = await oauth.tokens.new_grant(first_party, ALICE, SCOPES)
    token, _ = await oauth.tokens.access_token(first_party, ALICE, SCOPES, grant.id)
    assert FIRST_PARTY_CLIENT_ID not in oauth.clients.clients
    active = await oauth.token_validator().validate(token)
    assert (active.client_id, active.client, active.user_id) == (FIRST_PARTY_CLIENT_ID, None, 1)


async def test_the_revocation_view_it_is_given_decides_for_jwts() -> None:
    """The API passes the worker's RevocationCache, introspection the stores: both are asked."""
    oauth = await memory_oauth()
    token, _ = await _issued(oauth)
    asked: list[str] = []

    class EverythingRevoked:
        async def is_revoked(self, token: AccessToken) -> bool:
            asked.append(token.jti)
            return True

    with pytest.raises(InvalidTokenError, match="revoked"):
        await oauth.token_validator(EverythingRevoked()).validate(token)
    assert len(asked) == 1
