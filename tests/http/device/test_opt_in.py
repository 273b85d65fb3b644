"""Who may use the device flow: clients registered for it (dynamic registration, developer
pages), on a deployment that has it on; the endpoint's answers and its metadata (RFC 8628 §4)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from stint.protocol.device import DEVICE_CODE_GRANT
from stint.settings import Settings
from tests.conftest import Account, make_client, register
from tests.support.apps import app_with
from tests.support.device import DEVICE_AUTHORIZATION, device_client, start
from tests.support.pages import browser, csrf_of, sign_in
from tests.support.tokens import oauth_error

pytestmark = pytest.mark.anyio

_USER_CODE = r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}"


async def test_the_endpoint_answers_codes_where_to_go_and_how_often_to_poll(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id = await device_client(app)
    answered = await start(client, client_id, scope="activities:read")
    body = answered.json()
    assert answered.status_code == 200, answered.text
    assert answered.headers["cache-control"] == "no-store"
    assert answered.headers["content-type"].startswith("application/json")
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert len(body["device_code"]) >= 43  # 256 bits, base64url
    assert re.fullmatch(_USER_CODE, body["user_code"])
    assert body["verification_uri"] == "http://testserver/device"
    assert body["verification_uri_complete"] == (
        f"http://testserver/device?user_code={body['user_code']}"
    )
    assert (body["expires_in"], body["interval"]) == (600, 5)


async def test_django_oauth_toolkits_path_serves_the_same_endpoint(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id = await device_client(app)
    answered = await client.post(
        "/o/device-authorization/", data={"client_id": client_id, "scope": "activities:read"}
    )
    unknown = await client.post("/o/device-authorization/", data={"client_id": "nobody"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["verification_uri"] == "http://testserver/device"
    oauth_error(unknown, 401, "invalid_client")


async def test_metadata_and_discovery_name_the_endpoint(client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    discovery = (await client.get("/.well-known/openid-configuration")).json()
    for document in (metadata, discovery):
        assert document["device_authorization_endpoint"] == (
            "http://testserver/o/device_authorization"
        )
        assert DEVICE_CODE_GRANT in document["grant_types_supported"]


async def test_a_client_not_registered_for_the_device_flow_is_unauthorized_client(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id, _ = await make_client(
        app, name="Web", client_type="public", redirect_uris=["https://app.example/cb"]
    )
    refused = await start(client, client_id)
    unknown = await start(client, "no-such-client")
    oauth_error(refused, 400, "unauthorized_client")
    oauth_error(unknown, 401, "invalid_client")


async def test_a_scope_the_client_may_not_ask_for_is_invalid_scope(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    client_id = await device_client(app, scopes=["activities:read"])
    refused = await start(client, client_id, scope="activities:write")
    oauth_error(refused, 400, "invalid_scope")


async def test_only_post_and_a_form(app: Starlette, client: httpx.AsyncClient) -> None:
    client_id = await device_client(app)
    got = await client.get(DEVICE_AUTHORIZATION)
    json_body = await client.post(DEVICE_AUTHORIZATION, json={"client_id": client_id})
    assert got.status_code == 405
    oauth_error(json_body, 400, "invalid_request")


async def test_dynamic_registration_accepts_the_device_grant_without_redirect_uris(
    client: httpx.AsyncClient,
) -> None:
    registered = await client.post(
        "/o/register",
        json={
            "client_name": "Timer CLI",
            "grant_types": [DEVICE_CODE_GRANT, "refresh_token"],
            "token_endpoint_auth_method": "none",
        },
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert sorted(body["grant_types"]) == sorted([DEVICE_CODE_GRANT, "refresh_token"])
    assert body["response_types"] == []
    started = await start(client, body["client_id"], scope="openid activities:read")
    assert started.status_code == 200, started.text


async def test_the_developer_pages_offer_the_device_grant(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await sign_in(client, "alice")
    page = await client.get("/developer/apps/new")
    created = await client.post(
        "/developer/apps/new",
        data={
            "csrf_token": csrf_of(page),
            "name": "Kitchen display",
            "client_type": "public",
            "redirect_uris": "",
            f"grant_{DEVICE_CODE_GRANT}": "on",
            "scope_activities:read": "on",
            "token_format": "jwt",
        },
    )
    assert f'name="grant_{DEVICE_CODE_GRANT}"' in page.text
    assert "Device code" in page.text
    assert created.status_code == 201, created.text
    (made,) = await app.state.runtime.oauth.clients.by_owner(alice.id)
    assert made.grant_types == {DEVICE_CODE_GRANT}
    assert made.redirect_uris == ()


async def test_switched_off_it_has_no_endpoint_no_page_no_metadata_and_no_registration(
    settings: Settings,
) -> None:
    on_by_default = settings.grant_types
    assert DEVICE_CODE_GRANT in on_by_default
    off = tuple(g for g in on_by_default if g != DEVICE_CODE_GRANT)
    async with app_with(settings, grant_types=off) as (app, client):
        client_id, _ = await make_client(
            app, name="Old TV", client_type="public", grant_types=["refresh_token"]
        )
        endpoint = await client.post(DEVICE_AUTHORIZATION, data={"client_id": client_id})
        dot_path = await client.post("/o/device-authorization/", data={"client_id": client_id})
        page = await client.get("/device")
        polled = await client.post(
            "/o/token/",
            data={"grant_type": DEVICE_CODE_GRANT, "device_code": "x", "client_id": client_id},
        )
        metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
        discovery = (await client.get("/.well-known/openid-configuration")).json()
        registered = await client.post(
            "/o/register",
            json={"grant_types": [DEVICE_CODE_GRANT], "token_endpoint_auth_method": "none"},
        )
        await register(client, "dora")
        async with browser(app) as developer:
            await sign_in(developer, "dora")
            form = await developer.get("/developer/apps/new")
            posted = await developer.post(
                "/developer/apps/new",
                data={
                    "csrf_token": csrf_of(form),
                    "name": "Sneaky",
                    "client_type": "public",
                    f"grant_{DEVICE_CODE_GRANT}": "on",
                    "scope_activities:read": "on",
                    "token_format": "jwt",
                },
            )
    assert endpoint.status_code == 404
    assert dot_path.status_code == 404
    assert page.status_code == 404
    oauth_error(polled, 400, "unsupported_grant_type")
    for document in (metadata, discovery):
        assert "device_authorization_endpoint" not in document
        assert DEVICE_CODE_GRANT not in document["grant_types_supported"]
    oauth_error(registered, 400, "invalid_client_metadata")
    assert "not enabled on this server" in registered.json()["error_description"]
    assert f'name="grant_{DEVICE_CODE_GRANT}"' not in form.text
    assert posted.status_code == 400  # offered nowhere, accepted nowhere
