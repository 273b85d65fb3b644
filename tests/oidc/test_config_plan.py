"""The OIDF Config OP plan (``oidcc-config-certification-test-plan``: discovery), the JWKS
checks every module applies (OIDF_PLANS.md §0), and the Dynamic plan's signing-algorithm
modules that a static client can run too (oidcc-idtoken-rs256, oidcc-userinfo-rs256).

The discovery document is held to what the server does: each value is tried, not only read.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette

from stint.settings import Settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, Account
from tests.oidc.support import (
    FULL_PROFILE,
    ISSUER,
    JWKS_PATH,
    REDIRECT_URI,
    USERINFO_PATH,
    OidcClient,
    authorization_url,
    code_flow,
    give_profile,
    jwks,
    oidc_client,
    redirect_params,
    unverified,
)
from tests.support.pages import browser, submit_sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Discovery is held to every response type, front-channel access tokens included, which
    the operator must enable (off by default, RFC 9700 §2.1.2)."""
    return settings.model_copy(update={"implicit_enabled": True})


DISCOVERY = "/.well-known/openid-configuration"
# OIDC Discovery §3: REQUIRED members (plus RECOMMENDED ones the suite warns about).
REQUIRED = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)
RECOMMENDED = ("userinfo_endpoint", "registration_endpoint", "scopes_supported", "claims_supported")
# RFC 7517 §4, RFC 7518 §6.2.2, §6.3.2: the private members of EC and RSA keys.
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
FRONT_CHANNEL_TOKEN_TYPES = ("token", "id_token token", "code token", "code id_token token")
ALL_RESPONSE_TYPES = (
    "code",
    "token",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
)


async def _discovery(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get(DISCOVERY)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = answer.json()
    return document


def _path(url: str) -> str:
    assert url.startswith(ISSUER + "/"), url
    return url[len(ISSUER) :]


# --- oidcc-discovery-endpoint-verification -----------------------------------------------------


async def test_oidcc_discovery_endpoint_verification(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    document = await _discovery(client)
    for name in REQUIRED + RECOMMENDED:
        assert document.get(name), name
    # The issuer is the discovery URL without the well-known suffix (Discovery §4.3).
    assert document["issuer"] == settings.effective_issuer == ISSUER
    assert document["issuer"] + DISCOVERY == f"{ISSUER}{DISCOVERY}"
    # Both paths serve the same document.
    nested = await client.get("/o" + DISCOVERY)
    assert nested.status_code == 200
    assert nested.json() == document
    assert "code" in document["response_types_supported"]
    assert {"public", "pairwise"} & set(document["subject_types_supported"])
    # OIDC Core §15.1: RS256 must be supported; ES256 is Stint's default.
    assert {"RS256", "ES256"} <= set(document["id_token_signing_alg_values_supported"])
    assert "none" not in document["id_token_signing_alg_values_supported"]
    assert set(document["userinfo_signing_alg_values_supported"]) <= {"RS256", "PS256", "ES256"}
    assert "RS256" in document["request_object_signing_alg_values_supported"]
    assert "openid" in document["scopes_supported"]
    assert "sub" in document["claims_supported"]
    assert {"authorization_code", "implicit"} <= set(document["grant_types_supported"])
    assert isinstance(document["code_challenge_methods_supported"], list)
    assert "client_secret_basic" in document["token_endpoint_auth_methods_supported"]
    for name in ("ui_locales_supported", "claims_locales_supported"):
        assert all(isinstance(tag, str) and tag for tag in document[name])
    # Every URL in it belongs to this issuer (over https once the issuer is https).
    urls = {k: v for k, v in document.items() if k.endswith(("_endpoint", "_uri"))}
    assert all(url.startswith(ISSUER + "/") for url in urls.values()), urls


async def test_with_an_https_issuer_every_endpoint_url_is_https(settings: Settings) -> None:
    """The suite fails any endpoint URL that is not https; the tests' issuer is http."""
    issuer = "https://stint.example"
    secure = create_app(settings.model_copy(update={"issuer": issuer}), hashing=FAST_HASHING)
    async with secure.router.lifespan_context(secure):
        transport = httpx.ASGITransport(app=secure)
        async with httpx.AsyncClient(transport=transport, base_url=issuer) as client:
            document = await _discovery(client)
    assert document["issuer"] == issuer
    urls = [v for k, v in document.items() if k.endswith(("_endpoint", "_uri"))]
    assert len(urls) >= 8
    assert all(url.startswith(issuer + "/") for url in urls), urls


async def test_every_endpoint_in_discovery_answers(client: httpx.AsyncClient) -> None:
    document = await _discovery(client)
    # Each endpoint, asked without credentials or parameters, is there and refuses in its
    # protocol's own way: never 404 or 405.
    expected = {
        "authorization_endpoint": ("GET", 400),  # an error page: no client_id
        "token_endpoint": ("POST", 400),
        "userinfo_endpoint": ("GET", 401),
        "revocation_endpoint": ("POST", 400),
        "introspection_endpoint": ("POST", 400),
        "device_authorization_endpoint": ("POST", 400),
        "registration_endpoint": ("POST", 415),  # a JSON body is required
        "backchannel_authentication_endpoint": ("POST", 400),  # CIBA §7.1: a form is required
        "end_session_endpoint": ("GET", 200),  # asks the user to confirm signing out
        "jwks_uri": ("GET", 200),
        "service_documentation": ("GET", 200),
    }
    assert set(expected) == {
        k for k in document if k.endswith(("_endpoint", "_uri")) or k == "service_documentation"
    }
    for name, (method, status) in expected.items():
        answer = await client.request(method, _path(document[name]))
        assert answer.status_code == status, (name, answer.status_code, answer.text)
    assert (await client.get(_path(document["userinfo_endpoint"]))).headers["www-authenticate"]


async def test_discovery_jwks_uri_serves_the_signing_keys(client: httpx.AsyncClient) -> None:
    document = await _discovery(client)
    answer = await client.get(_path(document["jwks_uri"]))
    assert answer.status_code == 200
    assert "max-age" in answer.headers["cache-control"]
    keys = answer.json()["keys"]
    assert {key["alg"] for key in keys} == set(document["id_token_signing_alg_values_supported"])
    KeySet.import_key_set({"keys": keys})  # every key parses
    # The well-known alias serves the same set.
    assert (await client.get("/.well-known/jwks.json")).json() == answer.json()


async def test_discovery_response_types_are_exactly_the_accepted_ones(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    document = await _discovery(client)
    assert sorted(document["response_types_supported"]) == sorted(ALL_RESPONSE_TYPES)
    rp = await oidc_client(app, response_types=ALL_RESPONSE_TYPES)
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        for response_type in document["response_types_supported"]:
            answer = await b.get(
                authorization_url(rp.client_id, response_type=response_type, prompt="consent")
            )
            assert answer.status_code == 200, (response_type, answer.text)  # the consent page
            assert 'name="decision"' in answer.text
        for unlisted in ("none", "code code", "token id_token_x"):
            answer = await b.get(authorization_url(rp.client_id, response_type=unlisted))
            params = redirect_params(answer)
            assert params["error"] == "unsupported_response_type", (unlisted, params)


async def test_by_default_front_channel_access_tokens_are_neither_listed_nor_accepted(
    settings: Settings, alice: Account
) -> None:
    """RFC 9700 §2.1.2: response types that return an access token from the authorization
    endpoint are off unless the operator enables them; the rest are listed and work."""
    default = Settings.model_fields["implicit_enabled"].default
    plain = create_app(
        settings.model_copy(update={"implicit_enabled": default}), hashing=FAST_HASHING
    )
    async with plain.router.lifespan_context(plain):
        transport = httpx.ASGITransport(app=plain)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
            document = await _discovery(client)
            rp = await oidc_client(plain, response_types=ALL_RESPONSE_TYPES)
            async with browser(plain) as b:
                await submit_sign_in(b, "alice")
                accepted = {
                    rt: await b.get(authorization_url(rp.client_id, response_type=rt))
                    for rt in document["response_types_supported"]
                }
                refused = {
                    rt: await b.get(authorization_url(rp.client_id, response_type=rt))
                    for rt in FRONT_CHANNEL_TOKEN_TYPES
                }
    assert document["response_types_supported"] == ["code", "id_token", "code id_token"]
    assert "implicit" in document["grant_types_supported"]  # id_token (RFC 7591 §2.1)
    for response_type, answer in accepted.items():
        assert answer.status_code == 200, (response_type, answer.text)  # the consent page
    for response_type, answer in refused.items():
        error = redirect_params(answer, mode="fragment")["error"]
        assert error == "unsupported_response_type", response_type


async def test_discovery_claims_supported_covers_what_is_released(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    document = await _discovery(client)
    await give_profile(app, alice.id)
    rp = await oidc_client(app)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", scope="openid profile email address phone")
    info = (
        await client.get(USERINFO_PATH, headers={"Authorization": f"Bearer {flow.access_token}"})
    ).json()
    assert set(info) <= set(document["claims_supported"])
    assert set(flow.claims) - {"jti", "at_hash"} <= set(document["claims_supported"])
    # Every scope offered is accepted in a request (and granted).
    assert set(flow.tokens["scope"].split()) == {"openid", "profile", "email", "address", "phone"}
    assert info["email"] == FULL_PROFILE["email"]


async def test_discovery_subject_types_pairwise_and_public_both_work(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    public = await oidc_client(app)
    pairwise = await oidc_client(app, subject_type="pairwise")
    async with browser(app) as b:
        public_sub = (await code_flow(client, b, public, "alice")).claims["sub"]
        pairwise_sub = (await code_flow(client, b, pairwise, "alice")).claims["sub"]
    assert public_sub == str(alice.id)
    assert pairwise_sub != public_sub and len(pairwise_sub) >= 32


async def test_discovery_code_challenge_methods_are_the_accepted_ones(
    app: Starlette, alice: Account
) -> None:
    document = (await _discovery_for(app))["code_challenge_methods_supported"]
    assert document == ["S256"]
    rp = await oidc_client(app)
    async with browser(app) as b:
        await submit_sign_in(b, "alice")
        plain = await b.get(
            authorization_url(rp.client_id, code_challenge="x" * 43, code_challenge_method="plain")
        )
    assert redirect_params(plain)["error"] == "invalid_request"


async def _discovery_for(app: Starlette) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        return await _discovery(client)


# --- the JWKS (checked by every module) --------------------------------------------------------


async def test_oidcc_check_jwks(client: httpx.AsyncClient) -> None:
    """Every key has a distinct kid (OIDC Core §10.1, the suite fails a missing one), use=sig,
    an alg matching its type, and no private member."""
    keys = await jwks(client)
    assert keys
    kids = [key["kid"] for key in keys]
    assert all(isinstance(kid, str) and kid for kid in kids)
    assert len(kids) == len(set(kids))
    for key in keys:
        assert key["use"] == "sig", key
        assert not PRIVATE_MEMBERS & set(key), sorted(key)
        if key["alg"] == "ES256":
            assert key["kty"] == "EC" and key["crv"] == "P-256"
        else:
            assert key["alg"] in ("RS256", "PS256")
            assert key["kty"] == "RSA"
            modulus = key["n"]
            assert len(modulus) * 6 >= 2048 - 6  # RFC 7518 §3.3: 2048 bits or more
        # The kid is the RFC 7638 thumbprint of the public key.
        imported = KeySet.import_key_set({"keys": [key]}).keys[0]
        assert imported.thumbprint() == key["kid"]


# --- signing algorithms a client registers -----------------------------------------------------


async def test_oidcc_idtoken_rs256(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app, id_token_signed_response_alg="RS256")
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")  # verified with the JWKS key of its kid
    assert flow.header["alg"] == "RS256"
    key = {key["kid"]: key for key in await jwks(client)}[flow.header["kid"]]
    decoded = jwt.decode(flow.id_token, KeySet.import_key_set({"keys": [key]}), ["RS256"])
    assert decoded.claims["sub"] == str(alice.id)


async def test_oidcc_idtoken_ps256(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app, id_token_signed_response_alg="PS256")
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    assert flow.header["alg"] == "PS256"
    key = {key["kid"]: key for key in await jwks(client)}[flow.header["kid"]]
    decoded = jwt.decode(flow.id_token, KeySet.import_key_set({"keys": [key]}), ["PS256"])
    assert decoded.claims["sub"] == str(alice.id)


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
async def test_oidcc_userinfo_rs256(
    app: Starlette, client: httpx.AsyncClient, alice: Account, alg: str
) -> None:
    """oidcc-userinfo-rs256 (and the other advertised algs): a signed UserInfo response
    (OIDC Core §5.3.2) is an ``application/jwt`` with iss and aud, and no nonce."""
    document = await _discovery(client)
    assert alg in document["userinfo_signing_alg_values_supported"]
    await give_profile(app, alice.id)
    rp = await oidc_client(app, userinfo_signed_response_alg=alg)
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice", scope="openid email")
    answer = await client.get(
        USERINFO_PATH, headers={"Authorization": f"Bearer {flow.access_token}"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].split(";")[0] == "application/jwt"
    assert answer.headers["cache-control"] == "no-store"
    token = answer.text
    header, _ = unverified(token)
    assert header["alg"] == alg
    key = {key["kid"]: key for key in await jwks(client)}[header["kid"]]
    claims = jwt.decode(token, KeySet.import_key_set({"keys": [key]}), [alg]).claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == rp.client_id
    assert claims["sub"] == flow.claims["sub"]
    assert claims["email"] == FULL_PROFILE["email"]
    assert "nonce" not in claims


async def test_an_unusable_registered_alg_falls_back_to_the_default(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    rp = await oidc_client(app, id_token_signed_response_alg="HS256")
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    assert flow.header["alg"] == "ES256"


async def test_the_registration_endpoint_records_and_uses_a_requested_alg(
    app: Starlette, client: httpx.AsyncClient, alice: Account
) -> None:
    registered = await client.post(
        "/o/register",
        json={
            "redirect_uris": [REDIRECT_URI],
            "id_token_signed_response_alg": "RS256",
            "userinfo_signed_response_alg": "PS256",
        },
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["id_token_signed_response_alg"] == "RS256"
    assert body["userinfo_signed_response_alg"] == "PS256"
    rp = OidcClient(body["client_id"], body["client_secret"])
    async with browser(app) as b:
        flow = await code_flow(client, b, rp, "alice")
    assert flow.header["alg"] == "RS256"
    answer = await client.get(
        USERINFO_PATH, headers={"Authorization": f"Bearer {flow.access_token}"}
    )
    assert unverified(answer.text)[0]["alg"] == "PS256"


async def test_jwks_path_is_the_discovery_jwks_uri(client: httpx.AsyncClient) -> None:
    assert _path((await _discovery(client))["jwks_uri"]) == JWKS_PATH
