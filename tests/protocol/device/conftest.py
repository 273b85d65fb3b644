"""A device flow over the in-memory stores, on the test's clock: the device authorization
endpoint, the /device page's verification, the token endpoint with the device grant."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from stint.protocol.authorize.response import Authentication
from stint.protocol.client_auth import ClientCredentials
from stint.protocol.clients import Client
from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.device.authorization import DeviceAuthorizationEndpoint, DeviceFlowPolicy
from stint.protocol.device.verification import DeviceVerification, PendingDevice
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.grants.registry import enabled_grants
from stint.protocol.messages import EndpointRequest
from stint.protocol.tokens import Subject
from tests.support.oauth_memory import MemoryClients, MemoryOAuth, memory_oauth, web_client

VERIFICATION_URI = "https://as.example/device"
TV_SECRET = "tv-secret-" + "s" * 40


def device_client(client_id: str = "tv", *, public: bool = True, **changes: Any) -> Client:
    """A client registered for the device grant (and refresh), with no redirect URI."""
    client = replace(
        web_client(client_id, public=public),
        redirect_uris=(),
        grant_types=frozenset({DEVICE_CODE_GRANT, "refresh_token"}),
        scopes=frozenset({"activities:read", "time-entries:write"}),
    )
    return replace(client, **changes)


@dataclass
class DeviceFlow:
    oauth: MemoryOAuth
    clients: MemoryClients
    endpoint: DeviceAuthorizationEndpoint
    verification: DeviceVerification
    token: TokenEndpoint

    async def start(self, client_id: str = "tv", **params: str) -> dict[str, Any]:
        """A public client's device authorization request (§3.1) and its answer (§3.2)."""
        credentials = ClientCredentials(form_client_id=client_id)
        return await self.endpoint.handle(EndpointRequest(params, credentials))

    async def poll(self, device_code: str, client_id: str = "tv") -> dict[str, Any]:
        """A public client's token request with the device code (§3.4)."""
        form = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code}
        credentials = ClientCredentials(form_client_id=client_id)
        return await self.token.handle(EndpointRequest(form, credentials))

    async def pending(self, user_code: str) -> PendingDevice:
        found = await self.verification.lookup(user_code)
        assert found is not None
        return found

    async def approve(self, user_code: str, **authn: Any) -> bool:
        """Alice (user 1) approves on /device, signed in with password a minute ago."""
        pending = await self.pending(user_code)
        signed_in = Authentication(**{"auth_time": self.oauth.clock(), "sid": "sid-alice", **authn})
        return await self.verification.approve(
            pending, Subject(1, "alice"), signed_in, consent=pending.asked_consent
        )


async def device_flow(*clients: Client, openid: bool = True) -> DeviceFlow:
    oauth = await memory_oauth()
    registered = MemoryClients(
        device_client(),
        device_client("office", public=False, secret_hash=oauth.hasher.hash(TV_SECRET)),
        web_client(public=True),  # the code grant only
        *clients,
    )
    oauth.clients = registered
    store = oauth.device_authorizations
    endpoint = DeviceAuthorizationEndpoint(
        registered,
        oauth.hasher,
        store,
        DeviceFlowPolicy(VERIFICATION_URI, expires_in=600, interval=5),
        clock=oauth.clock,
    )
    context = oauth.context(id_tokens=oauth.id_tokens() if openid else None)
    grants = enabled_grants([DEVICE_CODE_GRANT, "refresh_token"], context)
    return DeviceFlow(
        oauth,
        registered,
        endpoint,
        DeviceVerification(store, registered, oauth.tokens, openid=openid),
        TokenEndpoint(registered, oauth.hasher, grants),
    )


@pytest.fixture
async def flow() -> DeviceFlow:
    return await device_flow()
