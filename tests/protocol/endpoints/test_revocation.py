"""Token revocation (RFC 7009) against in-memory stores: a refresh token ends its grant, an
access token stops at once, and anything else is left alone without saying so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from stint.protocol.client_auth import ClientCredentials
from stint.protocol.clients import Client
from stint.protocol.endpoints.revocation import RevocationEndpoint
from stint.protocol.errors import InvalidClientError, InvalidRequestError
from stint.protocol.messages import EndpointRequest
from stint.protocol.ports import Grant
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import MemoryClients, MemoryOAuth, memory_oauth, web_client

pytestmark = pytest.mark.anyio

SECRET = "s3cret-of-the-clients"
ALICE = Subject(1, "alice")
SCOPES = frozenset({"activities:read"})


async def _setup() -> tuple[MemoryOAuth, RevocationEndpoint, Client, Client]:
    # JWT expiry is checked against the real time, so the stores' clock starts there too.
    oauth = await memory_oauth(start=datetime.now(UTC))
    web, other = (
        replace(web_client(c), secret_hash=oauth.hasher.hash(SECRET)) for c in ("web", "other")
    )
    clients = MemoryClients(web, other)
    endpoint = RevocationEndpoint(clients, oauth.hasher, oauth.records, oauth.verifier())
    return oauth, endpoint, web, other


async def _issue(oauth: MemoryOAuth, client: Client) -> tuple[dict[str, str], Grant]:
    grant = await oauth.tokens.new_grant(client, ALICE, SCOPES)
    return await oauth.tokens.response(client, ALICE, SCOPES, grant.id), grant


def _request(token: str | None, client: Client, **params: str) -> EndpointRequest:
    form = params | ({"token": token} if token is not None else {})
    return EndpointRequest(form, ClientCredentials(basic=(client.client_id, SECRET)))


async def test_revoking_a_refresh_token_ends_its_grant_and_every_token_of_it() -> None:
    """§2.1: revoking a refresh token SHOULD also invalidate the access tokens of the grant."""
    oauth, endpoint, web, _ = await _setup()
    body, grant = await _issue(oauth, web)

    await endpoint.handle(_request(body["refresh_token"], web))

    assert await oauth.grants.is_revoked(grant.id)
    assert oauth.refresh_tokens.of_grant(grant.id) == []


async def test_revoking_a_jwt_access_token_stops_it_until_it_would_have_expired() -> None:
    """§2.1: an access token MAY be revoked alone; its grant and refresh token stand."""
    oauth, endpoint, web, _ = await _setup()
    body, grant = await _issue(oauth, web)
    claims = await oauth.verifier().verify(body["access_token"])

    await endpoint.handle(_request(body["access_token"], web))

    assert oauth.revoked.jtis == {claims.jti: datetime.fromtimestamp(claims.expires_at, UTC)}
    assert not await oauth.grants.is_revoked(grant.id)
    assert len(oauth.refresh_tokens.of_grant(grant.id)) == 1


async def test_revoking_an_opaque_access_token_deletes_it() -> None:
    oauth, endpoint, web, _ = await _setup()
    opaque = replace(web, opaque_access_tokens=True)
    body, _ = await _issue(oauth, opaque)

    await endpoint.handle(_request(body["access_token"], web))

    assert oauth.opaque_tokens.tokens == {}


async def test_the_type_hint_only_orders_the_look_ups() -> None:
    """§2.1: if the hint is wrong, the server MUST extend its search to other token types."""
    oauth, endpoint, web, _ = await _setup()
    body, grant = await _issue(oauth, web)

    await endpoint.handle(_request(body["refresh_token"], web, token_type_hint="access_token"))

    assert await oauth.grants.is_revoked(grant.id)


async def test_another_clients_tokens_are_left_alone_without_an_error() -> None:
    """§2.1: only the client the token was issued to may revoke it; the answer does not say
    whether the token exists, so a client cannot probe for others' tokens."""
    oauth, endpoint, web, other = await _setup()
    body, grant = await _issue(oauth, web)
    opaque_body, _ = await _issue(oauth, replace(web, opaque_access_tokens=True))

    for token in (body["refresh_token"], body["access_token"], opaque_body["access_token"]):
        await endpoint.handle(_request(token, other))

    assert not await oauth.grants.is_revoked(grant.id)
    assert len(oauth.refresh_tokens.of_grant(grant.id)) == 1
    assert oauth.revoked.jtis == {}
    assert len(oauth.opaque_tokens.tokens) == 1


@pytest.mark.parametrize("token", ["never-issued", "a.b.c", "x" * 5000])
async def test_an_unknown_or_invalid_token_is_not_an_error(token: str) -> None:
    """§2.2: invalid tokens do not cause an error response; there is nothing to revoke."""
    oauth, endpoint, web, _ = await _setup()

    await endpoint.handle(_request(token, web))

    assert oauth.revoked.jtis == {}


async def test_a_request_without_a_token_is_malformed() -> None:
    """§2.1: token is REQUIRED."""
    _, endpoint, web, _ = await _setup()
    with pytest.raises(InvalidRequestError, match="token is required"):
        await endpoint.handle(_request(None, web))


async def test_the_client_must_authenticate_before_anything_is_revoked() -> None:
    """§2.1: the server first validates the client credentials."""
    oauth, endpoint, web, _ = await _setup()
    body, grant = await _issue(oauth, web)
    wrong = EndpointRequest(
        {"token": body["refresh_token"]}, ClientCredentials(basic=("web", "guess"))
    )

    with pytest.raises(InvalidClientError):
        await endpoint.handle(wrong)

    assert not await oauth.grants.is_revoked(grant.id)
