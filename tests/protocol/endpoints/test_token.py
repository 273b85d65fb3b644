"""The token endpoint (RFC 6749 §3.2): authenticate the client, then hand the request to the
grant it names, if the deployment and the client both allow it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stint.protocol.client_auth import ClientCredentials
from stint.protocol.clients import Client
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.errors import (
    InvalidClientError,
    InvalidRequestError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from stint.protocol.grants.client_credentials import ClientCredentialsGrant
from stint.protocol.messages import EndpointRequest
from stint.protocol.secrets import SecretHasher
from tests.support.oauth_memory import MemoryClients, memory_oauth, web_client

pytestmark = pytest.mark.anyio

HASHER = SecretHasher(b"token-endpoint-" + b"k" * 32)
SECRET = "s3cret-of-the-web-client"
WEB = replace(
    web_client(),
    secret_hash=HASHER.hash(SECRET),
    grant_types=frozenset({"authorization_code", "refresh_token", "password"}),
)
AUTHENTICATED = ClientCredentials(basic=("web", SECRET))


class RecordingGrant:
    """A grant that answers with what it was given."""

    def __init__(self, grant_type: str) -> None:
        self.grant_type = grant_type
        self.calls: list[tuple[Client, EndpointRequest]] = []

    async def exchange(self, client: Client, request: EndpointRequest) -> dict[str, Any]:
        self.calls.append((client, request))
        return {"access_token": f"from-{self.grant_type}"}


def _endpoint(*grant_types: str) -> tuple[TokenEndpoint, MemoryClients, dict[str, RecordingGrant]]:
    grants = {g: RecordingGrant(g) for g in grant_types}
    clients = MemoryClients(WEB)
    return TokenEndpoint(clients, HASHER, grants), clients, grants


async def test_the_request_goes_to_the_grant_it_names_with_the_authenticated_client() -> None:
    endpoint, _, grants = _endpoint("authorization_code", "refresh_token")
    request = EndpointRequest({"grant_type": "refresh_token"}, AUTHENTICATED)

    assert await endpoint.handle(request) == {"access_token": "from-refresh_token"}

    assert grants["refresh_token"].calls == [(WEB, request)]
    assert grants["authorization_code"].calls == []


async def test_a_request_without_grant_type_is_malformed_before_any_client_look_up() -> None:
    """§4.1.3, §4.3.2, §4.4.2, §6: grant_type is REQUIRED."""
    endpoint, clients, _ = _endpoint("authorization_code")

    with pytest.raises(InvalidRequestError, match="grant_type is required"):
        await endpoint.handle(EndpointRequest({}, AUTHENTICATED))

    assert clients.looked_up == []


async def test_the_client_is_authenticated_before_its_grant_runs() -> None:
    """§3.2.1: a confidential client MUST authenticate with the token endpoint."""
    endpoint, _, grants = _endpoint("authorization_code")
    wrong = ClientCredentials(basic=("web", "guess"))

    with pytest.raises(InvalidClientError):
        await endpoint.handle(EndpointRequest({"grant_type": "authorization_code"}, wrong))

    assert grants["authorization_code"].calls == []


async def test_a_grant_the_deployment_did_not_enable_is_unsupported_for_every_client() -> None:
    """§5.2: unsupported_grant_type; a disabled grant cannot be reached."""
    endpoint, _, _ = _endpoint("authorization_code")

    with pytest.raises(UnsupportedGrantTypeError, match="'password' is not supported"):
        await endpoint.handle(EndpointRequest({"grant_type": "password"}, AUTHENTICATED))


async def test_an_unknown_grant_type_is_unsupported_only_once_the_client_is_authenticated() -> None:
    """§5.2: an unauthenticated caller learns nothing about the grants; it gets invalid_client."""
    endpoint, _, _ = _endpoint("authorization_code")

    with pytest.raises(InvalidClientError):
        await endpoint.handle(EndpointRequest({"grant_type": "urn:x"}, ClientCredentials()))
    with pytest.raises(UnsupportedGrantTypeError):
        await endpoint.handle(EndpointRequest({"grant_type": "urn:x"}, AUTHENTICATED))


async def test_a_grant_the_client_was_not_given_is_unauthorized_client() -> None:
    """§5.2: the client is not authorized to use this authorization grant type."""
    endpoint, _, grants = _endpoint("client_credentials")

    with pytest.raises(UnauthorizedClientError, match="may not use client_credentials"):
        await endpoint.handle(EndpointRequest({"grant_type": "client_credentials"}, AUTHENTICATED))

    assert grants["client_credentials"].calls == []


def test_the_grant_types_it_serves_are_the_registered_ones_in_order() -> None:
    """RFC 8414 §2 grant_types_supported is read from here: only the enabled grants."""
    endpoint, _, _ = _endpoint("refresh_token", "authorization_code")
    assert endpoint.grant_types == ["authorization_code", "refresh_token"]


async def test_a_client_credentials_request_end_to_end_gives_a_token_for_the_client() -> None:
    oauth = await memory_oauth()
    service = replace(WEB, client_id="svc", grant_types=frozenset({"client_credentials"}))
    grant = ClientCredentialsGrant(oauth.context())
    endpoint = TokenEndpoint(MemoryClients(service), HASHER, {grant.grant_type: grant})
    request = EndpointRequest(
        {"grant_type": "client_credentials", "scope": "profile"},
        ClientCredentials(basic=("svc", SECRET)),
    )

    body = await endpoint.handle(request)

    claims = await oauth.verifier().verify(body["access_token"])
    assert (claims.client_id, claims.subject) == ("svc", "svc")
    assert claims.scopes == {"profile"}
