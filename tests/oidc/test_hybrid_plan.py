"""Modelled on the OIDF ``oidcc-hybrid-certification-test-plan`` (tests/oidc/OIDF_PLANS.md §3):
response_type ``code id_token``, ``code token`` and ``code id_token token``, the response in the
fragment, the code then redeemed at the token endpoint. Each test is named after the plan module
it mirrors.

The clients are confidential and send ``openid`` with a nonce, so PKCE is not required of them
(RFC 9700 §2.1.1); a public client still needs it.
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
    HYBRID_TYPES,
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
    NONCE,
    STATE,
    OidcClient,
    authorization_url,
    authorize,
    give_profile,
    oidc_client,
    reauthenticate,
    redeem_code,
    userinfo,
    verify_id_token,
)
from tests.support.pages import browser, submit_sign_in
from tests.support.pkce import new_pkce
from tests.support.sessions import signed_in_earlier
from tests.support.tokens import oauth_error

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The Hybrid plan runs code token and code id_token token: access tokens in the front
    channel, which the operator must enable (off by default, RFC 9700 §2.1.2)."""
    return settings.model_copy(update={"implicit_enabled": True})


by_response_type = pytest.mark.parametrize("response_type", HYBRID_TYPES)
# The types that return an ID token from the authorization endpoint.
with_front_id_token = pytest.mark.parametrize(
    "response_type", [t for t in HYBRID_TYPES if "id_token" in t.split()]
)


async def front_channel(
    client: httpx.AsyncClient, params: dict[str, str], client_id: str
) -> dict[str, Any] | None:
    """The authorization endpoint's ID token, checked: c_hash always, at_hash with a token."""
    if "id_token" not in params:
        return None
    verified = await verify_id_token(
        client,
        params["id_token"],
        client_id,
        access_token=params.get("access_token"),
        code=params["code"],
    )
    return verified.claims


async def back_channel(
    client: httpx.AsyncClient,
    rp: OidcClient,
    code: str,
    *,
    verifier: str | None = None,
    nonce: str | None = NONCE,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Redeem the code: (token response, its ID token's claims, checked with at_hash)."""
    answer = await redeem_code(client, rp, code, verifier=verifier)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    verified = await verify_id_token(
        client, body["id_token"], rp.client_id, nonce=nonce, access_token=body["access_token"]
    )
    return body, verified.claims


async def _flow(
    client: httpx.AsyncClient,
    b: httpx.AsyncClient,
    rp: OidcClient,
    response_type: str,
    **extra: Any,
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """A successful hybrid response: (fragment, front-channel ID token claims or None)."""
    url = authorization_url(rp.client_id, response_type=response_type, **extra)
    params = fragment(await authorize(b, url, "alice"))
    assert set(params) == expected_members(response_type), params
    return params, await front_channel(client, params, rp.client_id)


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
    assert params["iss"] == ISSUER
    assert len(params["code"]) >= 22  # ≥ 128 bits, base64url
    front = await front_channel(client, params, rp.client_id)
    assert (front is None) == ("id_token" not in response_type.split())
    if front is not None:
        assert not {*PROFILE_SCOPE_CLAIMS, *OTHER_SCOPE_CLAIMS} & set(front)
    if "token" in response_type.split():
        assert params["token_type"] == "Bearer"
        assert int(params["expires_in"]) > 0
        assert params["scope"] == "openid"
    _, back = await back_channel(client, rp, params["code"])
    if front is not None:
        assert back["sub"] == front["sub"]
        assert back["auth_time"] == front["auth_time"]


@by_response_type
async def test_the_code_redeemed_gives_an_id_token_with_the_same_sub_and_nonce(
    app: Starlette, client: httpx.AsyncClient, alice: Account, response_type: str
) -> None:
    """OIDC Core §3.3.3.6 / §3.3.2.12: the token endpoint's ID token matches the first."""
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        params, front = await _flow(client, b, rp, response_type)
    body, back = await back_channel(client, rp, params["code"])
    assert back["nonce"] == NONCE
    assert "c_hash" not in back  # no code comes with this one
    if front is not None:
        assert back["sub"] == front["sub"]
        assert back["iss"] == front["iss"]
        assert back["aud"] == front["aud"]
    if "access_token" in params:
        assert body["access_token"] != params["access_token"]
    assert (await userinfo(client, body["access_token"]))["sub"] == back["sub"]


@with_front_id_token
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


async def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow_code_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """No ID token from the authorization endpoint, so no nonce is needed. Without a nonce
    the code is not nonce-protected, so PKCE is required (RFC 9700 §2.1.1; our policy for every
    client): the suite's module, which sends no PKCE, would get invalid_request."""
    rp = await oidc_client(app, response_types=("code token",))
    pkce = new_pkce()
    async with browser(app) as b:
        params, _ = await _flow(client, b, rp, "code token", nonce=None, pkce=pkce)
    _, claims = await back_channel(client, rp, params["code"], verifier=pkce.verifier, nonce=None)
    assert "nonce" not in claims


async def test_oidcc_response_type_missing_code_id_token(app: Starlette, alice: Account) -> None:
    rp = await oidc_client(app, response_types=("code id_token",))
    async with browser(app) as b:
        answer = await authorize(b, authorization_url(rp.client_id, response_type=None), "alice")
    params = query(answer)  # no response_type: no reason to use the fragment
    assert params["error"] in ("invalid_request", "unsupported_response_type")
    assert set(params) == ERROR_MEMBERS
    assert params["state"] == STATE


@by_response_type
async def test_oidcc_userinfo_get(
    app: Starlette, client: httpx.AsyncClient, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        params, front = await _flow(client, b, rp, response_type)
    body, back = await back_channel(client, rp, params["code"])
    # Both access tokens (the fragment's, if any, and the token endpoint's) work.
    access_tokens = [
        body["access_token"],
        *([params["access_token"]] if "access_token" in params else []),
    ]
    for access_token in access_tokens:
        found = await userinfo(client, access_token)
        assert found["sub"] == back["sub"]
        if front is not None:
            assert found["sub"] == front["sub"]


@by_response_type
async def test_oidcc_codereuse(
    app: Starlette, client: httpx.AsyncClient, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        params, _ = await _flow(client, b, rp, response_type)
    body, _ = await back_channel(client, rp, params["code"])
    oauth_error(await redeem_code(client, rp, params["code"]), 400, "invalid_grant")
    # As in oidcc-codereuse-30seconds (a WARN there): what the code gave is revoked, and so is
    # the access token issued beside it in the fragment, which belongs to the same grant.
    revoked = [
        body["access_token"],
        *([params["access_token"]] if "access_token" in params else []),
    ]
    for access_token in revoked:
        answer = await client.get(
            "/o/userinfo/", headers={"Authorization": f"Bearer {access_token}"}
        )
        assert answer.status_code == 401, answer.text


@by_response_type
async def test_oidcc_prompt_none_not_logged_in(
    app: Starlette, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    state = "s" * 128
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
        first_params, _ = await _flow(client, b, rp, response_type)
        _, first = await back_channel(client, rp, first_params["code"])
        again = await b.get(
            authorization_url(rp.client_id, response_type=response_type, max_age="1")
        )
        params = fragment(await reauthenticate(b, again, "alice"))
    assert set(params) == expected_members(response_type), params
    front = await front_channel(client, params, rp.client_id)
    _, second = await back_channel(client, rp, params["code"])
    assert second["sub"] == first["sub"]
    assert second["auth_time"] > first["auth_time"]  # §3.1.2.1: required with max_age
    if front is not None:
        assert front["auth_time"] == second["auth_time"]


@by_response_type
async def test_oidcc_id_token_hint(
    app: Starlette, client: httpx.AsyncClient, alice: Account, response_type: str
) -> None:
    rp = await oidc_client(app, response_types=(response_type,))
    async with browser(app) as b:
        first_params, _ = await _flow(client, b, rp, response_type)
        body, first = await back_channel(client, rp, first_params["code"])
        # The suite hints with the first ID token it got (the token endpoint's for code token).
        hint = first_params.get("id_token", body["id_token"])
        hinted = authorization_url(
            rp.client_id, response_type=response_type, prompt="none", id_token_hint=hint
        )
        silent = fragment(await b.get(hinted))  # no page in between
    assert set(silent) == expected_members(response_type), silent
    await front_channel(client, silent, rp.client_id)
    _, second = await back_channel(client, rp, silent["code"])
    assert second["sub"] == first["sub"]
    assert second["auth_time"] == first["auth_time"]


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
async def test_a_client_not_registered_for_the_type_gets_unauthorized_client(
    app: Starlette, alice: Account, response_type: str
) -> None:
    """The error's shape in the fragment. Which registrations lack a type (unregistered, implied
    by the grants, a grant missing): tests/protocol/authorize/test_checks.py."""
    rp = await oidc_client(app, response_types=("code", "id_token"))
    async with browser(app) as b:
        answer = await authorize(
            b, authorization_url(rp.client_id, response_type=response_type), "alice"
        )
    params = fragment(answer)
    assert params["error"] == "unauthorized_client"
    assert set(params) == ERROR_MEMBERS
    assert params["state"] == STATE


@by_response_type
async def test_a_public_client_needs_pkce_for_the_code_of_a_hybrid_flow(
    app: Starlette, client: httpx.AsyncClient, alice: Account, response_type: str
) -> None:
    """openid and a nonce exempt only confidential clients from PKCE (RFC 9700 §2.1.1)."""
    rp = await oidc_client(app, response_types=(response_type,), client_type="public")
    assert rp.secret is None
    async with browser(app) as b:
        url = authorization_url(rp.client_id, response_type=response_type)
        refused = fragment(await authorize(b, url, "alice"))
        assert refused["error"] == "invalid_request"
        assert "code_challenge" in refused["error_description"]
        assert set(refused) == ERROR_MEMBERS
        # With a challenge it works, and the code is bound to it.
        unverified, _ = await _flow(client, b, rp, response_type, pkce=new_pkce())
        pkce = new_pkce()
        params, _ = await _flow(client, b, rp, response_type, pkce=pkce)
    oauth_error(await redeem_code(client, rp, unverified["code"]), 400, "invalid_grant")
    await back_channel(client, rp, params["code"], verifier=pkce.verifier)


async def test_oidcc_scope_profile_code_id_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """§5.4: an access token is issued (from the code), so the profile claims come from
    UserInfo; neither ID token carries them (the fragment's would expose them in the URL)."""
    await give_profile(app, alice.id)
    rp = await oidc_client(app, response_types=("code id_token",))
    async with browser(app) as b:
        params, front = await _flow(client, b, rp, "code id_token", scope="openid profile")
    assert front is not None
    assert not {*PROFILE_SCOPE_CLAIMS, *OTHER_SCOPE_CLAIMS} & set(front)
    body, back = await back_channel(client, rp, params["code"])
    assert not {*PROFILE_SCOPE_CLAIMS, *OTHER_SCOPE_CLAIMS} & set(back)
    found = await userinfo(client, body["access_token"])
    for name in PROFILE_SCOPE_CLAIMS:
        assert found[name] == FULL_PROFILE.get(name, "alice"), name
