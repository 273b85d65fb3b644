"""The OIDF Basic OP certification plan (``oidcc-basic-certification-test-plan``), module by
module: response_type=code, client_secret_basic unless the module says otherwise, a static
client, the suite's checks of every flow (tests/oidc/OIDF_PLANS.md §0, §1).

Like the suite, the flows send a nonce and no PKCE (a nonce protects a confidential OpenID
client's code, RFC 9700 §2.1.1) unless the module is about PKCE or about leaving the nonce out.
The unsigned request object modules are in test_request_objects.py.
"""

from __future__ import annotations

import json
import time
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.storage.database import Database
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, Account
from tests.oidc.support import (
    FULL_PROFILE,
    ISSUER,
    NONCE,
    REDIRECT_URI,
    STATE,
    USERINFO_PATH,
    CodeFlow,
    OidcClient,
    authorization_url,
    authorize,
    code_flow,
    get_code,
    give_profile,
    half_hash,
    oidc_client,
    reauthenticate,
    redeem_code,
    redirect_params,
    unverified,
    userinfo,
    verify_id_token,
)
from tests.support.pages import browser, hidden_inputs, submit_sign_in
from tests.support.pkce import new_pkce
from tests.support.sessions import signed_in_earlier

pytestmark = pytest.mark.anyio

PROFILE_CLAIMS = {
    "name",
    "given_name",
    "family_name",
    "nickname",
    "preferred_username",
    "website",
    "zoneinfo",
    "locale",
    "birthdate",
    "updated_at",
}
SCOPE_CLAIMS = {
    "profile": PROFILE_CLAIMS,
    "email": {"email", "email_verified"},
    "address": {"address"},
    "phone": {"phone_number", "phone_number_verified"},
}
LOGIN_REQUIRED_FAMILY = {
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
}


def _error_page(response: httpx.Response) -> None:
    """An error shown to the user, with no redirect anywhere (the suite's screenshot case)."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers


def _error_redirect(response: httpx.Response, *, state: str = STATE) -> dict[str, str]:
    """An error at the redirect URI: error, the state, RFC 9207 iss; no code (§0)."""
    params = redirect_params(response)
    assert params["state"] == state
    assert params["iss"] == ISSUER
    assert "code" not in params
    assert set(params) <= {"error", "error_description", "error_uri", "state", "iss"}, params
    return params


async def _silent(
    client: httpx.AsyncClient, b: httpx.AsyncClient, rp: OidcClient, **extra: str
) -> CodeFlow:
    """A second request that must come straight back with a code, without any page."""
    answer = await b.get(authorization_url(rp.client_id, **cast(dict[str, Any], extra)))
    assert answer.status_code == 302, answer.text
    params = redirect_params(answer)
    assert "error" not in params, params
    return await _redeemed(client, rp, params["code"])


async def _redeemed(
    client: httpx.AsyncClient, rp: OidcClient, code: str, *, nonce: str | None = NONCE
) -> CodeFlow:
    answer = await redeem_code(client, rp, code)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    verified = await verify_id_token(
        client, body["id_token"], rp.client_id, nonce=nonce, access_token=body["access_token"]
    )
    return CodeFlow(code, body, body["id_token"], verified.header, verified.claims)


# --- oidcc-server and the ID token -------------------------------------------------------------


async def test_oidcc_server(app: Starlette, client: httpx.AsyncClient, alice: Account) -> None:
    await give_profile(app, alice.id)  # so that a leak of unrequested claims would show
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")

    claims, header = flow.claims, flow.header
    # verify_id_token checked the signature with the JWKS key the kid names, iss, aud, exp,
    # iat, sub, auth_time and nonce; spelled out here once more, as the module's summary does.
    assert header["kid"]
    assert claims["iss"] == ISSUER
    assert claims["aud"] == rp.client_id
    assert claims["azp"] == rp.client_id
    assert claims["nonce"] == NONCE
    assert claims["exp"] > claims["iat"] >= claims["auth_time"]
    assert claims["at_hash"] == half_hash(flow.access_token, header["alg"])
    # The module warns about claims nobody asked for (scope=openid alone: none, §5.4).
    assert not set(claims) & (PROFILE_CLAIMS | {"email", "address", "phone_number"})
    # EnsureMinimumAuthorizationCodeLength / Entropy: at least 128 bits.
    assert len(flow.code) >= 22 and len(set(flow.code)) >= 12
    assert flow.tokens["expires_in"] > 0
    # The flow's access token works at UserInfo, for the same subject.
    assert (await userinfo(client, flow.access_token))["sub"] == claims["sub"]


async def test_oidcc_idtoken_unsigned(client: httpx.AsyncClient) -> None:
    """The suite skips the module when discovery does not list ``none``; a client cannot
    register it either (OIDC Registration §2 allows refusing it)."""
    document = (await client.get("/.well-known/openid-configuration")).json()
    assert "none" not in document["id_token_signing_alg_values_supported"]
    refused = await client.post(
        "/o/register",
        json={"redirect_uris": [REDIRECT_URI], "id_token_signed_response_alg": "none"},
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_client_metadata"


@pytest.mark.xfail(
    strict=True,
    reason="by design ID tokens default to ES256, not Registration §2's RS256; upstream runs "
    "this module only with dynamic registration, where Stint answers with "
    "id_token_signed_response_alg=ES256 and the suite's EnsureIdTokenSignatureIsRS256 fails",
)
async def test_oidcc_idtoken_signature(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)  # no id_token_signed_response_alg registered
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    assert flow.header["kid"]
    assert flow.header["alg"] == "RS256"


# --- the authorization request ---------------------------------------------------------------


async def test_oidcc_response_type_missing(app: Starlette, alice: Account) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        answer = await b.get(authorization_url(rp.client_id, response_type=None))
    params = _error_redirect(answer)
    assert params["error"] in ("invalid_request", "unsupported_response_type")


async def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", nonce=None, use_pkce=True)
    assert "nonce" not in flow.claims


async def test_oidcc_ensure_request_without_nonce_succeeds_without_pkce_when_not_required(
    settings: Settings, alice: Account
) -> None:
    """Exactly the suite's request (no nonce, no PKCE): PKCE for confidential clients is
    Stint's default policy (RFC 9700 §2.1.1), so a certification run sets
    STINT_PKCE_REQUIRED=false; with it, the module passes."""
    relaxed = create_app(settings.model_copy(update={"pkce_required": False}), hashing=FAST_HASHING)
    async with relaxed.router.lifespan_context(relaxed):
        transport = httpx.ASGITransport(app=relaxed)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
            rp = await oidc_client(relaxed)
            async with browser(relaxed) as b:
                flow = await code_flow(client, b, rp, "alice", nonce=None)
    assert "nonce" not in flow.claims


async def test_without_nonce_or_pkce_the_default_policy_refuses_the_code_flow(
    app: Starlette, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        answer = await b.get(authorization_url(rp.client_id, nonce=None))
    assert _error_redirect(answer)["error"] == "invalid_request"


async def test_oidcc_alternate_happy_flow(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """(Formerly oidcc-ensure-other-scope-order-succeeds.) Scope values in another order and
    the parameters in another order."""
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    query = {
        "state": STATE,
        "nonce": NONCE,
        "scope": "email profile openid",
        "redirect_uri": REDIRECT_URI,
        "client_id": rp.client_id,
        "response_type": "code",
    }
    async with browser(app) as b:
        answer = await authorize(b, "/o/authorize/?" + urlencode(query), "alice")
    params = redirect_params(answer)
    assert params["state"] == STATE
    flow = await _redeemed(client, rp, params["code"])
    assert set(flow.tokens["scope"].split()) == {"openid", "profile", "email"}
    info = await userinfo(client, flow.access_token)
    assert info["email"] == FULL_PROFILE["email"]
    assert info["name"] == FULL_PROFILE["name"]


async def test_oidcc_ensure_request_with_unknown_parameter_succeeds(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", extra="foobar")
    assert flow.claims["nonce"] == NONCE


async def test_oidcc_display_page(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice", display="page")


async def test_oidcc_display_popup(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice", display="popup")


async def test_oidcc_login_hint(app: Starlette, client: httpx.AsyncClient, alice: Account) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        first = await b.get(authorization_url(rp.client_id, login_hint="alice"))
        assert first.status_code == 303
        location = first.headers["location"]
        assert urlsplit(location).path == "/login"
        assert parse_qs(urlsplit(location).query)["username"] == ["alice"]
        page = await b.get(location)
        assert page.status_code == 200
        assert 'value="alice"' in page.text  # the username field, filled in
        await code_flow(client, b, rp, "alice", login_hint="alice")


async def test_oidcc_ui_locales(app: Starlette, client: httpx.AsyncClient, alice: Account) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice", ui_locales="se")


async def test_oidcc_claims_locales(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", claims_locales="se")
    await userinfo(client, flow.access_token)


@pytest.mark.parametrize("acr_values", ["1 2", "urn:stint:acr:password"])
async def test_oidcc_ensure_request_with_acr_values_succeeds(
    app: Starlette, client: httpx.AsyncClient, alice: Account, acr_values: str
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", acr_values=acr_values)
    # The suite warns when the acr returned is not one requested. Every sign-in is a password
    # sign-in: asked for the advertised value, the ID token says so; asked for others, it
    # claims none of them.
    document = (await client.get("/.well-known/openid-configuration")).json()
    if set(acr_values.split()) & set(document["acr_values_supported"]):
        assert flow.claims["acr"] == "urn:stint:acr:password"
    else:
        assert "acr" not in flow.claims


async def test_acr_requested_in_the_claims_parameter_comes_in_the_id_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """§5.5.1.1: an essential acr with values; the refreshed ID token keeps it (§12.2)."""
    rp = await oidc_client(app)
    wanted = {"essential": True, "values": ["urn:stint:acr:password"]}
    claims = json.dumps({"id_token": {"acr": wanted}})
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", claims=claims)
    assert flow.claims["acr"] == "urn:stint:acr:password"
    refreshed = await client.post(
        "/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": flow.tokens["refresh_token"]},
        headers=rp.auth[0],
    )
    assert unverified(refreshed.json()["id_token"])[1]["acr"] == "urn:stint:acr:password"


@pytest.mark.parametrize("appended", ["/notregistered", "?extra=1", "#fragment", "x"])
async def test_oidcc_ensure_registered_redirect_uri(
    app: Starlette, alice: Account, appended: str
) -> None:
    """Something appended to the registered URI: an error page, no redirect to either."""
    rp = await oidc_client(app)
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        answer = await b.get(authorization_url(rp.client_id, redirect_uri=REDIRECT_URI + appended))
    _error_page(answer)


async def test_oidcc_ensure_redirect_uri_in_authorization_request(
    app: Starlette, alice: Account
) -> None:
    """(Dynamic plan.) Two registered redirect URIs and none in the request: an error page."""
    rp = await oidc_client(app, redirect_uris=(REDIRECT_URI, "https://app.example/other"))
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        answer = await b.get(authorization_url(rp.client_id, redirect_uri=None))
    _error_page(answer)


async def test_with_one_registered_redirect_uri_it_may_be_left_out(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        answer = await authorize(b, authorization_url(rp.client_id, redirect_uri=None), "alice")
    code = redirect_params(answer)["code"]
    params = {"grant_type": "authorization_code", "code": code}
    headers, _ = rp.auth
    tokens = await client.post("/o/token/", data=params, headers=headers)
    assert tokens.status_code == 200, tokens.text
    await verify_id_token(
        client, tokens.json()["id_token"], rp.client_id, access_token=tokens.json()["access_token"]
    )


async def test_oidcc_ensure_post_request_succeeds(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """The authentication request sent as a form POST (OIDC Core §3.1.2.1)."""
    rp = await oidc_client(app)
    fields = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": STATE,
        "nonce": NONCE,
    }
    async with browser(app) as b:
        answer = await b.post("/o/authorize/", data=fields)
        assert answer.status_code == 303, answer.text
        login = answer.headers["location"]
        assert urlsplit(login).path == "/login"
        next_url = parse_qs(urlsplit(login).query)["next"][0]
        signed_in = await submit_sign_in(b, "alice", next_url=next_url)
        assert signed_in.headers["location"] == next_url
        consent = await b.get(next_url)
        assert consent.status_code == 200
        approved = await b.post(
            "/o/authorize/", data={**hidden_inputs(consent.text), "decision": "approve"}
        )
        params = redirect_params(approved)
        assert params["state"] == STATE
        flow = await _redeemed(client, rp, params["code"])
        # Signed in and consented, a POSTed request comes straight back (303: a POST answered).
        again = await b.post("/o/authorize/", data=fields)
        assert again.status_code == 303, again.text
        assert redirect_params(again)["code"]
    assert flow.claims["nonce"] == NONCE


async def test_oidcc_ensure_request_with_valid_pkce_succeeds(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", use_pkce=True)
    assert flow.claims["nonce"] == NONCE


async def test_id_token_response_type_without_openid_scope_is_invalid_scope(
    app: Starlette, alice: Account
) -> None:
    """OIDC Core §3.2.2.1: an ID token is only for an OpenID request."""
    rp = await oidc_client(app, response_types=("id_token",))
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        answer = await b.get(
            authorization_url(rp.client_id, response_type="id_token", scope="activities:read")
        )
    params = redirect_params(answer, mode="fragment")
    assert params["error"] == "invalid_scope"
    assert params["state"] == STATE
    assert "id_token" not in params


# --- the token endpoint ------------------------------------------------------------------------


async def test_oidcc_server_client_secret_post(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app, token_endpoint_auth_method="client_secret_post")
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", auth="post")
        # The registered method is the one accepted: Basic is refused for this client.
        code = await get_code(b, rp, "alice")
    assert (await userinfo(client, flow.access_token))["sub"] == flow.claims["sub"]
    basic = await redeem_code(client, rp, code, auth="basic")
    assert basic.status_code == 401, basic.text
    assert basic.json()["error"] == "invalid_client"


async def test_oidcc_codereuse(app: Starlette, client: httpx.AsyncClient, alice: Account) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        code = await get_code(b, rp, "alice")
    first = await redeem_code(client, rp, code)
    assert first.status_code == 200, first.text
    second = await redeem_code(client, rp, code)
    assert second.status_code == 400, second.text
    assert second.headers["content-type"].startswith("application/json")
    assert second.json()["error"] == "invalid_grant"


async def test_oidcc_codereuse_30seconds(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """The module waits 30 s (less than the code's lifetime) before reusing the code; what it
    checks does not depend on the wait: invalid_grant, and the first tokens are revoked
    (RFC 6749 §4.1.2)."""
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    await userinfo(client, flow.access_token)  # works before the reuse
    reuse = await redeem_code(client, rp, flow.code)
    assert reuse.status_code == 400, reuse.text
    assert reuse.json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {flow.access_token}"}
    refused = await client.get(USERINFO_PATH, headers=bearer)
    assert refused.status_code == 401, refused.text
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert (await client.get("/api/resource", headers=bearer)).status_code == 401
    refresh = await client.post(
        "/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": flow.tokens["refresh_token"]},
        headers=rp.auth[0],
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"


async def test_oidcc_refresh_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    other = await oidc_client(app, name="Second RP")
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", scope="openid offline_access")
        other_flow = await code_flow(client, b, other, "alice")
    refreshed = await client.post(
        "/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": flow.tokens["refresh_token"]},
        headers=rp.auth[0],
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.headers["cache-control"] == "no-store"
    body = refreshed.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"] and body["access_token"] != flow.access_token
    # OIDC Core §12.2: same iss, sub, aud and auth_time; no nonce this time.
    renewed = await verify_id_token(
        client, body["id_token"], rp.client_id, nonce=None, access_token=body["access_token"]
    )
    for name in ("iss", "sub", "aud", "azp", "auth_time"):
        assert renewed.claims[name] == flow.claims[name], name
    assert renewed.claims["iat"] >= flow.claims["iat"]
    assert (await userinfo(client, body["access_token"]))["sub"] == flow.claims["sub"]
    # The second client's refresh token, sent by the first client: invalid_grant.
    stolen = await client.post(
        "/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": other_flow.tokens["refresh_token"]},
        headers=rp.auth[0],
    )
    assert stolen.status_code == 400, stolen.text
    assert stolen.json()["error"] == "invalid_grant"


# --- UserInfo ----------------------------------------------------------------------------------


async def test_oidcc_userinfo_get(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    answer = await client.get(
        USERINFO_PATH, headers={"Authorization": f"Bearer {flow.access_token}"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["sub"] == flow.claims["sub"]


async def test_oidcc_userinfo_post_header(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    info = await userinfo(client, flow.access_token, how="post-header")
    assert info["sub"] == flow.claims["sub"]


async def test_oidcc_userinfo_post_body(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    info = await userinfo(client, flow.access_token, how="post-body")
    assert info["sub"] == flow.claims["sub"]


async def test_userinfo_refuses_a_token_without_openid_and_a_token_sent_twice(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    pkce = new_pkce()  # no openid scope, no nonce: PKCE it is
    async with browser(app) as b:
        code = await get_code(b, rp, "alice", scope="activities:read", nonce=None, pkce=pkce)
    answer = await redeem_code(client, rp, code, verifier=pkce.verifier)
    assert answer.status_code == 200, answer.text
    assert "id_token" not in answer.json()
    token = answer.json()["access_token"]
    refused = await client.get(USERINFO_PATH, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    twice = await client.post(
        USERINFO_PATH, data={"access_token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert twice.status_code == 400


# --- scopes and claims -------------------------------------------------------------------------


async def test_oidcc_scope_profile(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    info = await _scope_module(app, client, alice, "profile")
    document = (await client.get("/.well-known/openid-configuration")).json()
    assert {"profile", "email", "address", "phone"} <= set(document["scopes_supported"])
    assert info["name"] == FULL_PROFILE["name"]


async def test_oidcc_scope_email(app: Starlette, client: httpx.AsyncClient, alice: Account) -> None:
    info = await _scope_module(app, client, alice, "email")
    assert info["email_verified"] is True


async def test_oidcc_scope_address(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    info = await _scope_module(app, client, alice, "address")
    assert isinstance(info["address"], dict)


async def test_oidcc_scope_phone(app: Starlette, client: httpx.AsyncClient, alice: Account) -> None:
    info = await _scope_module(app, client, alice, "phone")
    assert info["phone_number"] == FULL_PROFILE["phone_number"]


async def test_oidcc_scope_all(app: Starlette, client: httpx.AsyncClient, alice: Account) -> None:
    info = await _scope_module(app, client, alice, "profile email address phone")
    assert set(info) == set().union(*SCOPE_CLAIMS.values()) | {"sub"}


async def _scope_module(
    app: Starlette, client: httpx.AsyncClient, alice: Account, scope: str
) -> dict[str, Any]:
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", scope=f"openid {scope}")
    info = await userinfo(client, flow.access_token)
    assert info["sub"] == flow.claims["sub"]
    expected = set().union(*(SCOPE_CLAIMS[s] for s in scope.split()))
    assert set(info) == expected | {"sub"}
    for name in expected - {"preferred_username", "updated_at"}:
        assert info[name] == FULL_PROFILE[name] or name == "address", name
    if "address" in expected:  # §5.1.1: the parts, and formatted made from them
        assert info["address"]["locality"] == "Oxford"
        assert info["address"]["formatted"].splitlines()[0] == "Christ Church"
    if "profile" in expected:
        assert info["preferred_username"] == "alice"
        assert isinstance(info["updated_at"], int)
    # Code flow: the claims are UserInfo's, not the ID token's (§5.4).
    assert not set(flow.claims) & expected
    return info


async def test_a_scope_with_no_value_set_releases_nothing_for_it(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    """§5.3.2: a claim without a value is omitted, not returned as null or empty."""
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", scope="openid email phone address")
    assert await userinfo(client, flow.access_token) == {"sub": flow.claims["sub"]}


async def test_oidcc_claims_essential(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    claims = json.dumps({"userinfo": {"name": {"essential": True}}})
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", claims=claims)
    assert "name" not in flow.claims  # asked for UserInfo only
    info = await userinfo(client, flow.access_token)
    assert info == {"sub": flow.claims["sub"], "name": FULL_PROFILE["name"]}


async def test_claims_requested_for_the_id_token_come_in_the_id_token(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    claims = json.dumps({"id_token": {"email": {"essential": True}, "auth_time": None}})
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", claims=claims)
    assert flow.claims["email"] == FULL_PROFILE["email"]
    assert "email" not in await userinfo(client, flow.access_token)


async def test_oidcc_prompt_login(
    app: Starlette, client: httpx.AsyncClient, alice: Account, db: Database
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        await signed_in_earlier(db, 2)  # auth_time counts whole seconds
        first = await code_flow(client, b, rp, "alice")
        answer = await b.get(authorization_url(rp.client_id, prompt="login"))
        # Signed in and consented, yet sent to sign in again.
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert urlsplit(location).path == "/login"
        assert parse_qs(urlsplit(location).query)["reauth"] == ["1"]
        params = redirect_params(await reauthenticate(b, answer, "alice"))
    second = await _redeemed(client, rp, params["code"])
    assert second.claims["sub"] == first.claims["sub"]
    assert second.claims["auth_time"] > first.claims["auth_time"]


async def test_oidcc_prompt_none_not_logged_in(app: Starlette) -> None:
    rp = await oidc_client(app)
    state = "s" * 128  # the module's long state comes back whole
    async with browser(app) as b:
        answer = await b.get(authorization_url(rp.client_id, prompt="none", state=state))
    assert answer.status_code == 302, answer.text
    params = _error_redirect(answer, state=state)
    assert params["error"] in LOGIN_REQUIRED_FAMILY
    assert params["error"] == "login_required"


async def test_oidcc_prompt_none_logged_in(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        first = await code_flow(client, b, rp, "alice")
        second = await _silent(client, b, rp, prompt="none")
    assert second.claims["sub"] == first.claims["sub"]
    assert second.claims["auth_time"] == first.claims["auth_time"]


async def test_prompt_none_without_consent_is_consent_required(
    app: Starlette, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        answer = await b.get(authorization_url(rp.client_id, prompt="none"))
    assert _error_redirect(answer)["error"] == "consent_required"


async def test_oidcc_max_age_1(
    app: Starlette, client: httpx.AsyncClient, alice: Account, db: Database
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        await signed_in_earlier(db, 2)  # the module waits 2 s after the first sign-in
        first = await code_flow(client, b, rp, "alice")
        answer = await b.get(authorization_url(rp.client_id, max_age="1"))
        params = redirect_params(await reauthenticate(b, answer, "alice"))
    second = await _redeemed(client, rp, params["code"])
    assert second.claims["sub"] == first.claims["sub"]
    assert second.claims["auth_time"] > first.claims["auth_time"]
    assert time.time() - second.claims["auth_time"] < 60


async def test_oidcc_max_age_10000(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        first = await code_flow(client, b, rp, "alice", max_age="15000")
        second = await _silent(client, b, rp, max_age="10000")
    assert isinstance(first.claims["auth_time"], int)
    assert second.claims["auth_time"] == first.claims["auth_time"]
    assert second.claims["sub"] == first.claims["sub"]


async def test_max_age_with_prompt_none_too_old_is_login_required(
    app: Starlette, client: httpx.AsyncClient, alice: Account, db: Database
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        await code_flow(client, b, rp, "alice")
        await signed_in_earlier(db, 1)
        answer = await b.get(authorization_url(rp.client_id, prompt="none", max_age="0"))
    assert _error_redirect(answer)["error"] == "login_required"


async def test_oidcc_id_token_hint(
    app: Starlette, client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        first = await code_flow(client, b, rp, "alice")
        second = await _silent(client, b, rp, prompt="none", id_token_hint=first.id_token)
        assert second.claims["sub"] == first.claims["sub"]
        assert second.claims["auth_time"] == first.claims["auth_time"]
        # Bob's ID token as the hint while Alice is signed in: not the user it names.
        async with browser(app) as other:
            bobs = await code_flow(client, other, rp, "bob")
        answer = await b.get(
            authorization_url(rp.client_id, prompt="none", id_token_hint=bobs.id_token)
        )
        assert _error_redirect(answer)["error"] == "login_required"
        # Without prompt=none, the browser is asked to sign in (as Bob, presumably).
        answer = await b.get(authorization_url(rp.client_id, id_token_hint=bobs.id_token))
        assert answer.status_code == 303
        assert urlsplit(answer.headers["location"]).path == "/login"


async def test_an_id_token_hint_we_did_not_sign_is_invalid_request(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app)
    async with browser(app) as b:
        first = await code_flow(client, b, rp, "alice")
        header, payload, signature = first.id_token.split(".")
        forged = f"{header}.{payload}.{signature[::-1]}"
        answer = await b.get(authorization_url(rp.client_id, prompt="none", id_token_hint=forged))
    assert _error_redirect(answer)["error"] == "invalid_request"
    assert unverified(first.id_token)[1]["sub"] == first.claims["sub"]
