"""The client credentials grant against in-memory stores (RFC 6749 §4.4): a confidential client
acting for itself, or for the user who registered it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stint.protocol.clients import Client, ClientType
from stint.protocol.errors import InvalidScopeError, UnauthorizedClientError
from stint.protocol.grants.client_credentials import ClientCredentialsGrant
from stint.protocol.messages import EndpointRequest
from tests.support.oauth_memory import MemoryOAuth, memory_oauth, web_client

pytestmark = pytest.mark.anyio


def _service(**changes: Any) -> Client:
    client = replace(web_client("service"), grant_types=frozenset({"client_credentials"}))
    return replace(client, **changes)


async def _exchange(oauth: MemoryOAuth, client: Client, **params: str) -> dict[str, object]:
    form = {"grant_type": "client_credentials"} | params
    return await ClientCredentialsGrant(oauth.context()).exchange(client, EndpointRequest(form))


async def test_a_client_acting_for_itself_gets_an_access_token_with_its_scopes() -> None:
    """§4.4.3: an access token, and the client is its subject."""
    oauth = await memory_oauth()

    body = await _exchange(oauth, _service())

    assert isinstance(body["access_token"], str)
    claims = await oauth.verifier().verify(body["access_token"])
    assert (claims.subject, claims.user_id, claims.client_id) == ("service", None, "service")
    assert body["scope"] == "activities:read profile"


async def test_no_refresh_token_and_no_stored_grant_even_when_the_client_may_refresh() -> None:
    """§4.4.3: a refresh token SHOULD NOT be included."""
    oauth = await memory_oauth()
    client = _service(grant_types=frozenset({"client_credentials", "refresh_token"}))

    body = await _exchange(oauth, client)

    assert "refresh_token" not in body
    assert oauth.grants.grants == {}
    assert oauth.refresh_tokens.tokens == {}


async def test_a_public_client_may_not_use_it() -> None:
    """§4.4: only confidential clients can authenticate, so only they may act for themselves."""
    oauth = await memory_oauth()
    client = _service(client_type=ClientType.PUBLIC, token_endpoint_auth_method="none")

    with pytest.raises(UnauthorizedClientError, match="public clients"):
        await _exchange(oauth, client)


async def test_a_requested_scope_narrows_the_token() -> None:
    """§4.4.2, §3.3: the scope of the request, within what the client may have."""
    oauth = await memory_oauth()

    body = await _exchange(oauth, _service(), scope="profile")

    assert body["scope"] == "profile"


async def test_a_scope_beyond_the_clients_is_refused() -> None:
    oauth = await memory_oauth()
    with pytest.raises(InvalidScopeError, match="reports:read"):
        await _exchange(oauth, _service(), scope="profile reports:read")


async def test_a_client_a_user_registered_acts_as_that_user() -> None:
    oauth = await memory_oauth()

    body = await _exchange(oauth, _service(owner_id=1))

    assert isinstance(body["access_token"], str)
    claims = await oauth.verifier().verify(body["access_token"])
    assert (claims.subject, claims.username) == ("1", "alice")


async def test_a_client_whose_owner_was_disabled_is_refused() -> None:
    oauth = await memory_oauth()
    del oauth.users.names[1]

    with pytest.raises(UnauthorizedClientError, match="owner is no longer active"):
        await _exchange(oauth, _service(owner_id=1))
