"""RFC 8414 authorization server metadata: what it says, and that it says the truth."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from tests.support.apps import app_with

pytestmark = pytest.mark.anyio

ISSUER = "http://testserver"


async def _metadata(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/.well-known/oauth-authorization-server")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    return body


async def test_the_issuer_is_the_configured_one(app: Starlette, client: httpx.AsyncClient) -> None:
    body = await _metadata(client)
    assert body["issuer"] == app.state.settings.issuer == ISSUER


async def test_the_endpoints_are_at_the_o_paths(client: httpx.AsyncClient) -> None:
    body = await _metadata(client)
    assert body["authorization_endpoint"] == f"{ISSUER}/o/authorize/"
    assert body["token_endpoint"] == f"{ISSUER}/o/token/"
    assert body["revocation_endpoint"] == f"{ISSUER}/o/revoke_token/"
    assert body["introspection_endpoint"] == f"{ISSUER}/o/introspect/"
    assert body["service_documentation"] == f"{ISSUER}/api/docs"


async def test_the_endpoints_named_answer_there(client: httpx.AsyncClient) -> None:
    body = await _metadata(client)
    for name in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        path = body[name].removeprefix(ISSUER)
        answer = await client.post(path, data={})
        assert answer.status_code in (400, 401), (name, answer.status_code)
        assert "error" in answer.json()
    authorize = await client.get(body["authorization_endpoint"].removeprefix(ISSUER))
    assert authorize.status_code == 400  # no client_id: an error page, not a 404


async def test_only_s256_pkce_is_offered(client: httpx.AsyncClient) -> None:
    assert (await _metadata(client))["code_challenge_methods_supported"] == ["S256"]


async def test_the_supported_values_are_the_deployments(client: httpx.AsyncClient) -> None:
    body = await _metadata(client)
    # RFC 9700 §2.1.2: no access token in the front channel unless the operator enables it.
    assert body["response_types_supported"] == ["code"]
    assert set(body["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "password",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",  # RFC 8628 §4
        "urn:openid:params:grant-type:ciba",  # CIBA Core §4
    }
    assert set(body["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    # Public clients may not introspect, so "none" is not offered there.
    assert set(body["introspection_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert set(body["scopes_supported"]) == {
        "activities:read",
        "activities:write",
        "time-entries:read",
        "time-entries:write",
        "reports:read",
        "profile",
    }
    assert body["authorization_response_iss_parameter_supported"] is True


async def test_every_url_in_the_document_is_under_the_issuer(client: httpx.AsyncClient) -> None:
    body = await _metadata(client)
    urls = [v for k, v in body.items() if k.endswith(("_endpoint", "_documentation"))]
    assert urls
    assert all(url.startswith(f"{ISSUER}/") for url in urls)


async def test_an_operator_who_enables_front_channel_tokens_sees_them_advertised(
    settings: Settings,
) -> None:
    async with app_with(settings, implicit_enabled=True) as (_, client):
        body = await _metadata(client)
    assert body["response_types_supported"] == ["code", "token"]
    assert "implicit" in body["grant_types_supported"]
