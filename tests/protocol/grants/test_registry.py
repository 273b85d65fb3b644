"""The grant registry: only the grants the deployment names are built for the token endpoint."""

from __future__ import annotations

import pytest

from stint.protocol.client_auth import ClientCredentials
from stint.protocol.clients import Client
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.errors import UnsupportedGrantTypeError
from stint.protocol.grants.registry import GRANTS, enabled_grants
from stint.protocol.messages import EndpointRequest
from tests.support.oauth_memory import memory_oauth, web_client

pytestmark = pytest.mark.anyio


async def test_only_the_named_grants_are_built() -> None:
    oauth = await memory_oauth()
    grants = enabled_grants(["refresh_token", "authorization_code"], oauth.context())
    assert sorted(grants) == ["authorization_code", "refresh_token"]
    assert all(name == handler.grant_type for name, handler in grants.items())


async def test_every_registered_grant_answers_to_its_own_name() -> None:
    oauth = await memory_oauth()
    grants = enabled_grants(GRANTS, oauth.context())
    assert {name: handler.grant_type for name, handler in grants.items()} == {
        name: name for name in GRANTS
    }


async def test_an_unknown_grant_name_is_refused_at_start_up() -> None:
    oauth = await memory_oauth()
    with pytest.raises(ValueError, match="device_code"):
        enabled_grants(["device_code"], oauth.context())


class _OneClient:
    def __init__(self, client: Client) -> None:
        self._client = client

    async def get(self, client_id: str) -> Client | None:
        return self._client if client_id == self._client.client_id else None


async def test_a_grant_left_out_is_unsupported_at_the_token_endpoint() -> None:
    oauth = await memory_oauth()
    grants = enabled_grants(["authorization_code"], oauth.context())
    endpoint = TokenEndpoint(_OneClient(web_client(public=True)), oauth.hasher, grants)
    credentials = ClientCredentials(form_client_id="web")
    request = EndpointRequest({"grant_type": "refresh_token"}, credentials)
    with pytest.raises(UnsupportedGrantTypeError):
        await endpoint.handle(request)
