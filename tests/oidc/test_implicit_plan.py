"""Modelled on the OIDF ``oidcc-implicit-certification-test-plan`` (tests/oidc/OIDF_PLANS.md §2):
response_type ``id_token`` and ``id_token token``, the response in the fragment, no token
endpoint. Each test is named after the plan module it mirrors.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.storage.database import Database
from tests.conftest import Account
from tests.oidc.flows_support import (
    ERROR_MEMBERS,
    IMPLICIT_TYPES,
    LOGIN_REQUIRED_FAMILY,
    OTHER_SCOPE_CLAIMS,
    PROFILE_SCOPE_CLAIMS,
    expected_members,
    fragment,
    query,
)
from tests.oidc.support import (
    FULL_PROFILE,
    ISSUER,
    STATE,
    authorization_url,
    authorize,
    give_profile,
    oidc_client,
    reauthenticate,
    userinfo,
    verify_id_token,
)
from tests.support.pages import browser, submit_sign_in
from tests.support.sessions import signed_in_earlier

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The Implicit plan runs id_token token: an access token in the front channel, which the
    operator must enable (off by default, RFC 9700 §2.1.2)."""
    return settings.model_copy(update={"implicit_enabled": True})


by_response_type = pytest.mark.parametrize("response_type", IMPLICIT_TYPES)


async def _flow(
    client: httpx.AsyncClient,
    b: httpx.AsyncClient,
    client_id: str,
    response_type: str,
    username: str = "alice",
    **extra: Any,
) -> tuple[dict[str, str], dict[str, Any]]:
    """A successful flow: (fragment, ID token claims after the standard checks, at_hash too)."""
    url = authorization_url(client_id, response_type=response_type, **extra)
    params = fragment(await authorize(b, url, username))
    assert "error" not in params, params
    verified = await verify_id_token(
        client, params["id_token"], client_id, access_token=params.get("access_token")
    )
    return params, verified.claims


@by_response_type
async def test_oidcc_server(
    app: Starlette, client: httpx.AsyncClient, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        answer = await authorize(
            b, authorization_url(rp.client_id, response_type=response_type), "alice"
        )
    params = fragment(answer)

    assert set(params) == expected_members(response_type)
    assert params["state"] == STATE
    assert params["iss"] == ISSUER  # RFC 9207
    access_token = params.get("access_token")
    # Signature, iss, aud, exp, iat, sub, auth_time, nonce; at_hash exactly with a token.
    verified = await verify_id_token(
        client, params["id_token"], rp.client_id, access_token=access_token
    )
    # The suite WARNs on claims nobody asked for (scope=openid only).
    assert not {*PROFILE_SCOPE_CLAIMS, *OTHER_SCOPE_CLAIMS} & set(verified.claims)
    if response_type == "id_token":
        assert access_token is None
        return
    assert access_token
    assert params["token_type"] == "Bearer"
    assert int(params["expires_in"]) > 0
    assert params["scope"] == "openid"
    assert (await userinfo(client, access_token))["sub"] == verified.claims["sub"]


@by_response_type
async def test_oidcc_ensure_request_without_nonce_fails(
    app: Starlette, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    url = authorization_url(rp.client_id, response_type=response_type, nonce=None)
    async with browser(app) as b:
        params = fragment(await authorize(b, url, "alice"))
    assert params["error"] == "invalid_request"
    assert "nonce" in params["error_description"]
    assert set(params) == ERROR_MEMBERS
    assert params["state"] == STATE


async def test_oidcc_response_type_missing_id_token_token(app: Starlette, alice: Account) -> None:
    rp = await oidc_client(app, response_types=("id_token token",))
    async with browser(app) as b:
        answer = await authorize(b, authorization_url(rp.client_id, response_type=None), "alice")
    # With no response_type there is no response type to default the mode from: the query.
    params = query(answer)
    assert params["error"] in ("invalid_request", "unsupported_response_type")
    assert set(params) == ERROR_MEMBERS
    assert params["state"] == STATE


async def test_oidcc_userinfo_get_id_token_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app, response_types=("id_token token",))
    async with browser(app) as b:
        params, claims = await _flow(client, b, rp.client_id, "id_token token")
    answer = await client.get(
        "/o/userinfo/", headers={"Authorization": f"Bearer {params['access_token']}"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["sub"] == claims["sub"]


@by_response_type
async def test_oidcc_prompt_none_not_logged_in(
    app: Starlette, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    state = "s" * 128  # the suite sends a long state
    url = authorization_url(rp.client_id, response_type=response_type, state=state, prompt="none")
    async with browser(app) as b:
        params = fragment(await b.get(url))
    assert params["error"] in LOGIN_REQUIRED_FAMILY
    assert set(params) == ERROR_MEMBERS
    assert params["state"] == state
    assert params["iss"] == ISSUER


@by_response_type
async def test_oidcc_max_age_1(
    app: Starlette, client: httpx.AsyncClient, alice: Account, db: Database, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        await signed_in_earlier(db, 2)  # the suite waits, then asks for a sign-in at most 1 s old
        _, first = await _flow(client, b, rp.client_id, response_type)
        again = await b.get(
            authorization_url(rp.client_id, response_type=response_type, max_age="1")
        )
        params = fragment(await reauthenticate(b, again, "alice"))
    second = await verify_id_token(
        client, params["id_token"], rp.client_id, access_token=params.get("access_token")
    )
    assert second.claims["sub"] == first["sub"]
    assert second.claims["auth_time"] > first["auth_time"]  # §3.1.2.1: required with max_age


@by_response_type
async def test_oidcc_id_token_hint(
    app: Starlette, client: httpx.AsyncClient, alice: Account, bob: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        params, first = await _flow(client, b, rp.client_id, response_type)
        hinted = authorization_url(
            rp.client_id,
            response_type=response_type,
            prompt="none",
            id_token_hint=params["id_token"],
        )
        silent = fragment(await b.get(hinted))  # no page in between: prompt=none
    assert set(silent) == expected_members(response_type), silent
    second = await verify_id_token(
        client, silent["id_token"], rp.client_id, access_token=silent.get("access_token")
    )
    assert second.claims["sub"] == first["sub"]
    assert second.claims["auth_time"] == first["auth_time"]
    # The hint names alice; with bob signed in, prompt=none cannot answer for her.
    async with browser(app) as b:
        await _flow(client, b, rp.client_id, response_type, username="bob")
        refused = fragment(await b.get(hinted))
    assert refused["error"] == "login_required"
    assert set(refused) == ERROR_MEMBERS


async def test_oidcc_scope_profile_id_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """§5.4: with no access token for UserInfo, the profile scope's claims are in the ID token
    (and only that scope's)."""
    await give_profile(app, alice.id)
    rp = await oidc_client(app, response_types=("id_token",))
    async with browser(app) as b:
        _, claims = await _flow(client, b, rp.client_id, "id_token", scope="openid profile")
    for name in PROFILE_SCOPE_CLAIMS:
        assert claims[name] == FULL_PROFILE.get(name, "alice"), name
    assert not set(OTHER_SCOPE_CLAIMS) & set(claims)


async def test_oidcc_scope_profile_id_token_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """With an access token, the profile claims come from UserInfo, not the ID token."""
    await give_profile(app, alice.id)
    rp = await oidc_client(app, response_types=("id_token token",))
    async with browser(app) as b:
        params, claims = await _flow(
            client, b, rp.client_id, "id_token token", scope="openid profile"
        )
    assert not {*PROFILE_SCOPE_CLAIMS, *OTHER_SCOPE_CLAIMS} & set(claims)
    found = await userinfo(client, params["access_token"])
    for name in PROFILE_SCOPE_CLAIMS:
        assert found[name] == FULL_PROFILE.get(name, "alice"), name


@by_response_type
async def test_response_mode_query_is_refused(
    app: Starlette, alice: Account, response_type: str
) -> None:
    """Multiple Response Types §2.1: tokens never travel in the query string."""
    rp = await oidc_client(app, response_types=(response_type,))
    url = authorization_url(rp.client_id, response_type=response_type, response_mode="query")
    async with browser(app) as b:
        params = query(await authorize(b, url, "alice"))
    assert params["error"] == "invalid_request"
    assert "response_mode" in params["error_description"]
    assert set(params) == ERROR_MEMBERS


@by_response_type
async def test_a_client_without_the_implicit_grant_gets_unauthorized_client(
    app: Starlette, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(
        app, response_types=("code", response_type), grant_types=("authorization_code",)
    )
    url = authorization_url(rp.client_id, response_type=response_type)
    async with browser(app) as b:
        params = fragment(await authorize(b, url, "alice"))
    assert params["error"] == "unauthorized_client"
    assert set(params) == ERROR_MEMBERS
