"""Token introspection (RFC 7662) against in-memory stores: who may ask, and when a JWT, an
opaque access token or a refresh token is active."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stint.protocol.client_auth import ClientCredentials
from stint.protocol.endpoints.introspection import IntrospectionEndpoint
from stint.protocol.errors import InvalidClientError, InvalidRequestError
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import Grant, OpaqueAccessToken, RevokedBecause
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import ISSUER, MemoryClients, memory_oauth, web_client

pytestmark = pytest.mark.anyio

SECRET = "s3cret-of-the-clients"
ALICE = Subject(1, "alice")
SCOPES = frozenset({"profile", "activities:read"})
INACTIVE = {"active": False}


class Setup:
    """Stores on the real time (JWT expiry is checked against it), three clients and the
    endpoint: ``web`` holds the tokens, ``other`` is another app, ``rs`` a resource server."""

    async def start(self) -> Setup:
        self.oauth = oauth = await memory_oauth(start=datetime.now(UTC))
        self.web = replace(web_client("web"), secret_hash=oauth.hasher.hash(SECRET))
        self.other = replace(self.web, client_id="other")
        self.rs = replace(self.web, client_id="rs", may_introspect=True)
        self.public = web_client("native", public=True)
        self.clients = oauth.clients = MemoryClients(self.web, self.other, self.rs, self.public)
        self.endpoint = IntrospectionEndpoint(
            oauth.clients,
            oauth.hasher,
            oauth.token_validator(),
            refresh_tokens=oauth.refresh_tokens,
            grants=oauth.grants,
            issuer=ISSUER,
        )
        return self

    async def issue(
        self, subject: Subject = ALICE, *, opaque: bool = False
    ) -> tuple[dict[str, Any], Grant]:
        client = replace(self.web, opaque_access_tokens=opaque)
        grant = await self.oauth.tokens.new_grant(client, subject, SCOPES)
        return await self.oauth.tokens.response(client, subject, SCOPES, grant.id), grant

    async def introspect(self, token: str | None, caller: str = "web") -> dict[str, Any]:
        form = {"token": token} if token is not None else {}
        credentials = ClientCredentials(basic=(caller, SECRET))
        return await self.endpoint.handle(EndpointRequest(form, credentials))


@pytest.fixture
async def setup() -> Setup:
    return await Setup().start()


async def test_an_active_jwt_is_described_by_its_claims(setup: Setup) -> None:
    """§2.2: active, and what the caller may act on."""
    body, _ = await setup.issue()
    claims = await setup.oauth.verifier().verify(body["access_token"])

    assert await setup.introspect(body["access_token"]) == {
        "active": True,
        "scope": "activities:read profile",
        "client_id": "web",
        "token_type": "Bearer",
        "exp": claims.expires_at,
        "iat": claims.issued_at,
        "sub": "1",
        "username": "alice",
        "iss": ISSUER,
        "jti": claims.jti,
    }


async def test_a_jwt_the_client_holds_for_itself_names_no_user(setup: Setup) -> None:
    body, _ = await setup.issue(Subject(None))
    described = await setup.introspect(body["access_token"])
    assert (described["active"], described["sub"]) == (True, "web")
    assert "username" not in described


async def test_a_revoked_jwt_is_inactive(setup: Setup) -> None:
    """RFC 7009 §2.1 and RFC 7662 §2.2: a revoked token is not active."""
    body, _ = await setup.issue()
    claims = await setup.oauth.verifier().verify(body["access_token"])
    await setup.oauth.revoked.add(claims.jti, datetime.fromtimestamp(claims.expires_at, UTC))

    assert await setup.introspect(body["access_token"]) == INACTIVE


async def test_every_access_token_of_a_revoked_grant_is_inactive(setup: Setup) -> None:
    jwt, jwt_grant = await setup.issue()
    opaque, opaque_grant = await setup.issue(opaque=True)
    await setup.oauth.grants.revoke(jwt_grant.id, RevokedBecause.USER_REVOKED)
    await setup.oauth.grants.revoke(opaque_grant.id, RevokedBecause.USER_REVOKED)

    assert await setup.introspect(jwt["access_token"]) == INACTIVE
    assert await setup.introspect(opaque["access_token"]) == INACTIVE


async def test_a_disabled_users_access_tokens_are_inactive_as_the_api_treats_them(
    setup: Setup,
) -> None:
    jwt, _ = await setup.issue()
    opaque, _ = await setup.issue(opaque=True)
    del setup.oauth.users.names[1]

    assert await setup.introspect(jwt["access_token"]) == INACTIVE
    assert await setup.introspect(opaque["access_token"]) == INACTIVE


@pytest.mark.parametrize("token", ["a.b.c", "never-issued", "x" * 43, "x" * 3000])
async def test_a_token_that_was_never_issued_is_inactive(setup: Setup, token: str) -> None:
    """§2.2: a token that is not active, for whatever reason, is just {"active": false}."""
    assert await setup.introspect(token) == INACTIVE


async def test_another_clients_tokens_are_inactive_to_it(setup: Setup) -> None:
    """§4: the server must not tell one client about another's tokens."""
    jwt, _ = await setup.issue()
    opaque, _ = await setup.issue(opaque=True)

    for token in (jwt["access_token"], jwt["refresh_token"], opaque["access_token"]):
        assert await setup.introspect(token, caller="other") == INACTIVE


async def test_a_resource_server_may_introspect_every_clients_tokens(setup: Setup) -> None:
    """§2.1: the protected resource asks about tokens it was presented."""
    jwt, _ = await setup.issue()
    opaque, _ = await setup.issue(opaque=True)

    for token in (jwt["access_token"], jwt["refresh_token"], opaque["access_token"]):
        described = await setup.introspect(token, caller="rs")
        assert (described["active"], described["client_id"]) == (True, "web")


async def test_an_active_opaque_token_is_described_from_its_record(setup: Setup) -> None:
    body, _ = await setup.issue(opaque=True)
    [record] = setup.oauth.opaque_tokens.tokens.values()

    assert await setup.introspect(body["access_token"]) == {
        "active": True,
        "scope": "activities:read profile",
        "client_id": "web",
        "token_type": "Bearer",
        "exp": int(record.expires_at.timestamp()),
        "sub": "1",
        "username": "alice",
        "iss": ISSUER,
    }


async def test_an_opaque_token_the_client_holds_for_itself_has_no_subject(setup: Setup) -> None:
    body, _ = await setup.issue(Subject(None), opaque=True)
    described = await setup.introspect(body["access_token"])
    assert described["active"] is True
    assert "sub" not in described
    assert "username" not in described


async def test_an_expired_opaque_token_is_inactive(setup: Setup) -> None:
    value = "opaque-token-value-that-expired-a-second-ago"
    await setup.oauth.opaque_tokens.add(
        OpaqueAccessToken(
            token_hash=setup.oauth.hasher.hash(value),
            grant_id=None,
            client_id="web",
            user_id=1,
            username="alice",
            scopes=SCOPES,
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
    )
    assert await setup.introspect(value) == INACTIVE


async def test_an_active_refresh_token_is_described_as_one(setup: Setup) -> None:
    body, _ = await setup.issue()
    [record] = setup.oauth.refresh_tokens.tokens.values()

    assert await setup.introspect(body["refresh_token"]) == {
        "active": True,
        "scope": "activities:read profile",
        "client_id": "web",
        "token_type": "refresh_token",
        "exp": int(record.expires_at.timestamp()),
        "iss": ISSUER,
        "sub": "1",
    }


async def test_a_refresh_token_the_client_holds_for_itself_has_no_subject(setup: Setup) -> None:
    body, _ = await setup.issue(Subject(None))
    described = await setup.introspect(body["refresh_token"])
    assert described["active"] is True
    assert "sub" not in described


async def test_a_rotated_expired_or_revoked_refresh_token_is_inactive(setup: Setup) -> None:
    """RFC 9700 §4.14.2: a rotated refresh token is no longer valid."""
    stored = setup.oauth.refresh_tokens.tokens
    rotated, _ = await setup.issue()
    expired, _ = await setup.issue()
    revoked, grant = await setup.issue()
    deleted, deleted_grant = await setup.issue()
    rotated_hash = setup.oauth.hasher.hash(rotated["refresh_token"])
    stored[rotated_hash] = replace(stored[rotated_hash], rotated_at=datetime.now(UTC))
    expired_hash = setup.oauth.hasher.hash(expired["refresh_token"])
    stored[expired_hash] = replace(stored[expired_hash], expires_at=datetime.now(UTC))
    # Revoking deletes the grant's refresh tokens; one still read just after is inactive too.
    setup.oauth.grants.grants[grant.id] = replace(grant, revoked_at=datetime.now(UTC))
    await setup.oauth.grants.revoke(deleted_grant.id, RevokedBecause.USER_REVOKED)

    for body in (rotated, expired, revoked, deleted):
        assert await setup.introspect(body["refresh_token"]) == INACTIVE


async def test_public_clients_may_not_introspect() -> None:
    """§2.1: the endpoint requires client authentication; a public client has none to offer."""
    setup = await Setup().start()
    body, _ = await setup.issue()
    request = EndpointRequest(
        {"token": body["access_token"]}, ClientCredentials(form_client_id="native")
    )
    with pytest.raises(InvalidClientError, match="public clients"):
        await setup.endpoint.handle(request)


async def test_the_caller_must_authenticate(setup: Setup) -> None:
    with pytest.raises(InvalidClientError):
        await setup.endpoint.handle(EndpointRequest({"token": "x"}, ClientCredentials()))


async def test_a_request_without_a_token_is_malformed(setup: Setup) -> None:
    """§2.1: token is REQUIRED."""
    with pytest.raises(InvalidRequestError, match="token is required"):
        await setup.introspect(None)


async def test_a_deleted_clients_tokens_are_inactive_as_the_api_treats_them(setup: Setup) -> None:
    body, _ = await setup.issue()
    del setup.clients.clients["web"]
    assert await setup.introspect(body["access_token"], caller="rs") == INACTIVE
