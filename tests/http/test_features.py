"""A feature or grant the operator switches off mounts nothing: no route, no metadata entry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from stint.protocol.errors import InvalidRequestError
from stint.settings import Settings
from stint.web.app import FEATURES, create_app
from stint.web.core import Core, build_core
from stint.web.features import Feature, api, registration, token
from tests.conftest import FAST_HASHING, make_client, register
from tests.support.apps import app_with
from tests.support.flows import authorize_query
from tests.support.pages import browser, csrf_of, sign_in
from tests.support.pkce import new_pkce
from tests.support.tokens import REDIRECT_URI

pytestmark = pytest.mark.anyio


async def test_a_disabled_grant_is_unsupported_and_advertised_nowhere(settings: Settings) -> None:
    enabled = ("authorization_code", "refresh_token")
    async with app_with(settings, grant_types=enabled) as (app, client):
        client_id, secret = await make_client(
            app, name="Service", grant_types=["client_credentials"]
        )
        assert secret is not None
        answer = await client.post(
            "/o/token/", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
        discovery = (await client.get("/.well-known/openid-configuration")).json()
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    # RFC 7591 §2.1: discovery adds implicit, which the id_token response type needs.
    assert discovery["grant_types_supported"] == ["authorization_code", "implicit", "refresh_token"]


async def test_without_the_code_grant_authorize_issues_no_code_and_discovery_offers_none(
    settings: Settings,
) -> None:
    async with app_with(settings, grant_types=("client_credentials",)) as (app, client):
        client_id, _ = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
        async with browser(app) as b:
            refused = await b.get(authorize_query(client_id, pkce=new_pkce()))
        metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
        discovery = (await client.get("/.well-known/openid-configuration")).json()
    # RFC 6749 §4.1.2.1: a code that could never be redeemed is an unsupported response type.
    assert refused.status_code == 302
    answer = parse_qs(urlsplit(refused.headers["location"]).query)
    assert answer["error"] == ["unsupported_response_type"]
    assert answer["state"] == ["xyz"]
    assert metadata["response_types_supported"] == []
    assert discovery["response_types_supported"] == ["id_token"]


async def test_without_the_code_grant_registration_refuses_it_and_accepts_the_rest(
    settings: Settings,
) -> None:
    async with app_with(settings, grant_types=("client_credentials",)) as (_, client):
        code = await client.post("/o/register", json={"redirect_uris": [REDIRECT_URI]})
        service = await client.post(
            "/o/register", json={"grant_types": ["client_credentials"], "response_types": []}
        )
    assert code.status_code == 400
    assert code.json()["error"] == "invalid_client_metadata"
    assert "authorization_code" in code.json()["error_description"]
    assert service.status_code == 201, service.text


async def test_the_developer_pages_offer_and_accept_only_grants_that_are_on(
    settings: Settings,
) -> None:
    form = {
        "name": "Sync",
        "client_type": "confidential",
        "redirect_uris": "https://sync.example/cb",
        "grant_authorization_code": "on",
        "scope_activities:read": "on",
        "token_format": "jwt",
        "auth_method": "client_secret_basic",
    }
    async with app_with(settings, grant_types=("client_credentials",)) as (_, client):
        await register(client, "alice")
        await sign_in(client, "alice")
        page = await client.get("/developer/apps/new")
        posted = await client.post(
            "/developer/apps/new", data={**form, "csrf_token": csrf_of(page)}
        )
    assert 'name="grant_client_credentials"' in page.text
    assert 'name="grant_authorization_code"' not in page.text
    assert 'name="grant_refresh_token"' not in page.text
    assert posted.status_code == 400
    assert "authorization_code" in posted.text


async def test_an_enabled_grant_still_answers(settings: Settings) -> None:
    async with app_with(settings, grant_types=("client_credentials",)) as (app, client):
        client_id, secret = await make_client(
            app, name="Service", grant_types=["client_credentials"]
        )
        assert secret is not None
        answer = await client.post(
            "/o/token/", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert answer.status_code == 200, answer.text
    assert metadata["grant_types_supported"] == ["client_credentials"]


async def test_registration_switched_off_has_no_route_and_no_discovery_entry(
    settings: Settings,
) -> None:
    async with app_with(settings, registration_enabled=False) as (_, client):
        register = await client.post("/o/register", json={"redirect_uris": ["https://a.example"]})
        discovery = (await client.get("/.well-known/openid-configuration")).json()
    assert register.status_code == 404
    assert "registration_endpoint" not in discovery


async def test_an_app_without_the_token_feature_has_no_token_endpoint(settings: Settings) -> None:
    app = create_app(settings, hashing=FAST_HASHING, features=(api.feature,))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            token = await client.post("/o/token/", data={"grant_type": "client_credentials"})
            metadata = await client.get("/.well-known/oauth-authorization-server")
            resource = await client.get("/api/resource")
    assert token.status_code == 404
    assert metadata.status_code == 404
    assert resource.status_code == 401  # the API itself is there


async def test_two_features_claiming_one_metadata_entry_stop_start_up(settings: Settings) -> None:
    def impostor(core: Core, _settings: Settings) -> Feature:
        return Feature(metadata={"token_endpoint": "https://elsewhere.example/token"})

    with pytest.raises(ValueError, match="token_endpoint"):
        create_app(settings, hashing=FAST_HASHING, features=(*FEATURES, impostor))


async def test_a_features_authorize_check_runs_after_the_built_in_ones(settings: Settings) -> None:
    async def no_dpop_yet(state: Any) -> None:
        if "dpop_jkt" in state.params:
            raise InvalidRequestError("dpop_jkt is not supported yet")

    def dpop(core: Core, _settings: Settings) -> Feature:
        return Feature(authorize_checks=[no_dpop_yet])

    app = create_app(settings, hashing=FAST_HASHING, features=(*FEATURES, dpop))
    async with app.router.lifespan_context(app), browser(app) as client:
        client_id, _ = await make_client(app, name="Web", redirect_uris=[REDIRECT_URI])
        plain = await client.get(authorize_query(client_id, pkce=new_pkce()))
        refused = await client.get(authorize_query(client_id, pkce=new_pkce(), dpop_jkt="x"))
        unknown = await client.get(authorize_query("nobody", pkce=new_pkce(), dpop_jkt="x"))
    assert plain.status_code in (302, 303)
    assert "error" not in parse_qs(urlsplit(plain.headers["location"]).query)
    # After the redirect URI is settled, so the error goes back to the client, with its state.
    assert refused.status_code == 302
    answer = parse_qs(urlsplit(refused.headers["location"]).query)
    assert answer["error"] == ["invalid_request"]
    assert answer["state"] == ["xyz"]
    assert unknown.status_code == 400  # an unknown client is still refused first, on a page


async def test_a_feature_builds_from_its_settings_slice_alone(settings: Settings) -> None:
    core = build_core(settings, hashing=FAST_HASHING)  # touches no database until started
    closed = replace(registration.RegistrationConfig.from_settings(settings), enabled=False)
    only_clients = replace(token.TokenConfig.from_settings(settings), grant_types=("password",))
    assert registration.build(core, closed) == Feature()
    served = token.build(core, only_clients)
    assert list(served.grants) == ["password"]
    assert served.metadata["grant_types_supported"] == ["password"]
