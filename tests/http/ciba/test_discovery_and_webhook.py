"""CIBA's discovery entries (CIBA Core §4), its absence where the grant is off, and the
operator's webhook for each new request."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.ciba import GRANT_TYPE
from stint.protocol.grants.registry import GRANTS
from stint.settings import Settings
from tests.conftest import Account, register
from tests.support.apps import app_with
from tests.support.ciba import BACKCHANNEL_PATH, backchannel_request, ciba_client, pending
from tests.support.notification_endpoint import NotificationEndpoint
from tests.support.pages import browser, sign_in

pytestmark = pytest.mark.anyio

ISSUER = "http://testserver"


async def test_discovery_and_metadata_advertise_the_endpoint_modes_and_grant(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        document = (await client.get(path)).json()
        assert document["backchannel_authentication_endpoint"] == ISSUER + BACKCHANNEL_PATH
        assert document["backchannel_token_delivery_modes_supported"] == ["poll", "ping", "push"]
        algs = document["backchannel_authentication_request_signing_alg_values_supported"]
        assert "none" not in algs and "PS256" in algs and "ES256" in algs
        assert document["backchannel_user_code_parameter_supported"] is False
        assert GRANT_TYPE in document["grant_types_supported"]


async def test_with_the_ciba_grant_off_there_is_no_endpoint_page_or_entry(
    settings: Settings,
) -> None:
    others = tuple(name for name in GRANTS if name != GRANT_TYPE)
    async with app_with(settings, grant_types=others) as (_app, client):
        assert (await client.post(BACKCHANNEL_PATH, data={})).status_code == 404
        await register(client, "alice")
        async with browser(_app) as signed_in:
            await sign_in(signed_in, "alice")
            assert (await signed_in.get("/approve")).status_code == 404
            assert (await signed_in.get("/approve/pending")).status_code == 404
        discovery = (await client.get("/.well-known/openid-configuration")).json()
    assert not [key for key in discovery if key.startswith("backchannel_authentication")]
    assert "backchannel_token_delivery_modes_supported" not in discovery
    assert GRANT_TYPE not in discovery["grant_types_supported"]


async def test_the_operator_webhook_hears_of_each_new_request_without_its_auth_req_id(
    settings: Settings, endpoint: NotificationEndpoint
) -> None:
    changes = {"ciba_webhook_url": endpoint.url, "ciba_webhook_token": "operator-secret"}
    async with app_with(settings, **changes) as (app, client):
        alice = await register(client, "alice")
        ciba = await ciba_client(app, "poll", name="Call centre")
        started = await backchannel_request(
            client, ciba, scope="openid profile", binding_message="Call 4471"
        )
        assert started.status_code == 200, started.text
        await app.state.ciba_webhook.settle()
        heard = endpoint.received()
        async with browser(app) as signed_in:
            await sign_in(signed_in, alice.username, alice.password)
            [shown] = await pending(signed_in)
    assert heard.authorization == "Bearer operator-secret"
    body = heard.body
    assert started.json()["auth_req_id"] not in str(body)
    assert body["event"] == "backchannel_authentication_request"
    assert body["request_id"] == shown["id"]  # the one /approve shows and decides
    assert body["approve_url"] == ISSUER + "/approve"
    assert body["client_id"] == ciba.client_id
    assert body["client_name"] == "Call centre"
    assert body["user"] == {"id": alice.id, "username": "alice"}
    assert body["scopes"] == ["openid", "profile"]
    assert body["binding_message"] == "Call 4471"
    assert body["expires_at"] == shown["expires_at"]


async def test_without_a_webhook_nothing_is_called(
    app: Starlette, client: httpx.AsyncClient, alice: Account, endpoint: NotificationEndpoint
) -> None:
    ciba = await ciba_client(app, "poll")
    assert (await backchannel_request(client, ciba)).status_code == 200
    assert app.state.ciba_webhook is None
    await app.state.ciba_notifier.settle()
    assert endpoint.nothing_more()
