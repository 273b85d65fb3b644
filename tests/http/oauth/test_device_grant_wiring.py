"""The device grant as the app builds it (RFC 8628 §3.4-3.5): the token endpoint polls the SQL
store, and of two polls at once after the approval exactly one gets tokens that the API takes.

The device authorization endpoint's route and the /device page are the device feature's; here
their protocol objects run over the app's own stores."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.authorize.response import Authentication
from stint.protocol.client_auth import ClientCredentials
from stint.protocol.clients import Client, ClientType
from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.device.authorization import DeviceAuthorizationEndpoint, DeviceFlowPolicy
from stint.protocol.device.verification import DeviceVerification
from stint.protocol.messages import EndpointRequest
from stint.protocol.tokens import Subject
from stint.settings import Settings
from stint.web.core import Core
from tests.conftest import Account
from tests.support.apps import app_with
from tests.support.tokens import bearer, oauth_error

pytestmark = pytest.mark.anyio

TV = Client(
    client_id="tv-app",
    name="Office TV",
    client_type=ClientType.PUBLIC,
    redirect_uris=(),
    grant_types=frozenset({DEVICE_CODE_GRANT, "refresh_token"}),
    scopes=frozenset({"activities:read"}),
    token_endpoint_auth_method="none",
)


async def test_polls_then_tokens_exactly_once_over_the_apps_stores(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    core: Core = app.state.runtime
    await core.oauth.clients.add(TV)
    store = core.oauth.device_authorizations
    endpoint = DeviceAuthorizationEndpoint(
        core.oauth.clients, core.hasher, store, DeviceFlowPolicy("http://testserver/device")
    )
    credentials = ClientCredentials(form_client_id=TV.client_id)
    started = await endpoint.handle(
        EndpointRequest({"scope": "openid activities:read"}, credentials)
    )
    form = {"grant_type": DEVICE_CODE_GRANT, "device_code": started["device_code"]}

    async def poll() -> httpx.Response:
        return await client.post("/o/token/", data={**form, "client_id": TV.client_id})

    oauth_error(await poll(), 400, "authorization_pending")
    oauth_error(await poll(), 400, "slow_down")  # at once: sooner than the 5-second interval

    verification = DeviceVerification(store, core.oauth.clients, core.tokens)
    pending = await verification.lookup(started["user_code"])
    assert pending is not None and pending.client.name == "Office TV"
    authn = Authentication(auth_time=datetime.now(UTC), sid="")
    assert await verification.approve(pending, Subject(alice.id, alice.username), authn)

    answers = await asyncio.gather(poll(), poll())
    assert sorted(a.status_code for a in answers) == [200, 400]
    (won,) = [a for a in answers if a.status_code == 200]
    (lost,) = [a for a in answers if a.status_code == 400]
    oauth_error(lost, 400, "invalid_grant")
    tokens = won.json()
    assert won.headers["cache-control"] == "no-store"
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    listed = await client.get("/api/activities", headers=bearer(tokens["access_token"]))
    assert listed.status_code == 200, listed.text
    oauth_error(await poll(), 400, "invalid_grant")  # used up


async def test_a_deployment_without_the_device_grant_does_not_know_it(
    settings: Settings,
) -> None:
    grants = ("authorization_code", "refresh_token")
    async with app_with(settings, grant_types=grants) as (app, client):
        await app.state.runtime.oauth.clients.add(TV)
        form = {"grant_type": DEVICE_CODE_GRANT, "device_code": "x", "client_id": TV.client_id}
        oauth_error(await client.post("/o/token/", data=form), 400, "unsupported_grant_type")
