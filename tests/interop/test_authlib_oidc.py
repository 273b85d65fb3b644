"""Authlib as an OpenID Connect relying party, a person signing in through the real pages.

What a third-party RP does, against a real `stint serve`: read the discovery document, send the
person to the authorization endpoint with a nonce and PKCE S256, take the code at its loopback
redirect URI (headless Chromium really follows Stint's redirect there), exchange it, validate
the ID token, call UserInfo, and refresh, which brings a new ID token (OIDC Core §12.2).

ID tokens are validated the way Authlib's own OpenID client does it
(``authlib.integrations.base_client.sync_openid.OpenIDMixin.parse_id_token``): joserfc's JWT
decode with the key set from jwks_uri, then ``authlib.oidc.core.CodeIDToken`` for iss, aud, exp,
iat, nonce, azp and at_hash. Authlib 1.9 does that with joserfc; ``authlib.jose`` is deprecated
and warns on import. The accepted algorithms are narrowed to the one the client registered, so a
token signed with any other is refused.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken, UserInfo
from joserfc import jwt
from joserfc.errors import InvalidClaimError, JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from tests.conftest import PASSWORD, LiveServer
from tests.interop.oidc_browser import (
    Browser,
    Callback,
    sign_in_again,
    sign_in_and_allow,
    straight_back,
)
from tests.support.sessions import signed_in_earlier_at

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package and warns when it falls back to httpx.
    warnings.filterwarnings("ignore", "The httpx module is deprecated")
    from authlib.integrations.starlette_client import OAuth

T = TypeVar("T")

SCOPE = "openid profile email activities:read"
TIMEOUT = 10
LEEWAY = 5  # seconds of clock skew allowed; the RP and Stint share this machine's clock
ID_TOKEN_TTL = 600  # Settings.id_token_ttl's default: the live server does not change it
PROFILE = {"name": "Ann Lee", "email": "ann.lee@example.com", "phone_number": "+44 20 7946 0000"}
# Claims of the token itself (§2, §3.1.3.6); the profile comes from UserInfo (§5.4).
ID_TOKEN_CLAIMS = {"iss", "sub", "aud", "exp", "iat", "auth_time", "azp", "jti", "at_hash", "amr"}


@pytest.fixture
def callback() -> Iterator[Callback]:
    server = Callback()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def discovery(live_server: LiveServer) -> dict[str, Any]:
    """OpenID Connect Discovery §4, fetched as Authlib's OAuth registry fetches it."""
    with OAuth2Session(default_timeout=TIMEOUT) as http:
        response = http.get(
            f"{live_server.base_url}/.well-known/openid-configuration", withhold_token=True
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    issuer = live_server.base_url
    assert document["issuer"] == issuer  # §4.3: exactly the URL the document was fetched under
    assert document["authorization_endpoint"] == f"{issuer}/o/authorize/"
    assert document["token_endpoint"] == f"{issuer}/o/token/"
    assert document["userinfo_endpoint"] == f"{issuer}/o/userinfo/"
    assert document["jwks_uri"] == f"{issuer}/o/.well-known/jwks.json"
    assert document["registration_endpoint"].startswith(f"{issuer}/")
    assert "code" in document["response_types_supported"]
    assert {"public", "pairwise"} <= set(document["subject_types_supported"])
    assert set(document["id_token_signing_alg_values_supported"]) == {"ES256", "RS256", "PS256"}
    assert "S256" in document["code_challenge_methods_supported"]
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(
        document["token_endpoint_auth_methods_supported"]
    )
    assert set(SCOPE.split()) <= set(document["scopes_supported"])
    assert {"sub", "auth_time", "nonce", "email", "name"} <= set(document["claims_supported"])
    return document


@pytest.fixture(scope="module")
def jwks(discovery: dict[str, Any]) -> dict[str, Any]:
    """The provider's public keys, from jwks_uri, as ``OpenIDMixin.fetch_jwk_set`` gets them."""
    with OAuth2Session(default_timeout=TIMEOUT) as http:
        response = http.get(discovery["jwks_uri"], withhold_token=True)
    assert response.status_code == 200, response.text
    key_set: dict[str, Any] = response.json()
    for key in key_set["keys"]:
        assert key["use"] == "sig", key
        assert key["kid"], key
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "a private key is published"
    assert {key["alg"] for key in key_set["keys"]} == {"ES256", "RS256", "PS256"}
    kids = [key["kid"] for key in key_set["keys"]]
    assert len(kids) == len(set(kids)), "a kid must name one key (RFC 7517 §4.5)"
    return key_set


@dataclass(frozen=True)
class RelyingParty:
    """A registered client as the RP application knows it."""

    metadata: dict[str, Any]
    jwks: dict[str, Any]
    client_id: str
    client_secret: str | None
    redirect_uri: str
    name: str
    alg: str  # the id_token_signed_response_alg it registered (or the provider's default)
    auth_method: str

    def session(self) -> OAuth2Session:
        """The way Authlib's OAuth registry builds its client: the provider metadata is passed
        in whole, so the endpoints come from discovery."""
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            token_endpoint_auth_method=self.auth_method,
            scope=SCOPE,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            default_timeout=TIMEOUT,
            **self.metadata,
        )


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    verifier: str


def authorization_request(
    rp: RelyingParty, oauth: OAuth2Session, **extra: str
) -> AuthorizationRequest:
    nonce, verifier = generate_token(20), generate_token(48)
    url, state = oauth.create_authorization_url(
        rp.metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier, **extra
    )
    query = parse_qs(urlsplit(url).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] == [nonce]
    assert query["scope"] == [SCOPE]
    return AuthorizationRequest(url, state, nonce, verifier)


def exchange(
    rp: RelyingParty, oauth: OAuth2Session, request: AuthorizationRequest, redirect: str
) -> dict[str, Any]:
    """The redirect back, as the RP handles it: check it, then trade the code for tokens."""
    answer = parse_qs(urlsplit(redirect).query)
    assert "error" not in answer, answer
    assert answer["iss"] == [rp.metadata["issuer"]]  # RFC 9207: not a mix-up
    token: dict[str, Any] = oauth.fetch_token(
        rp.metadata["token_endpoint"],
        authorization_response=redirect,  # Authlib checks the state against ours
        state=request.state,
        code_verifier=request.verifier,
    )
    assert token["token_type"].lower() == "bearer"
    assert set(token["scope"].split()) == set(SCOPE.split())
    assert token["expires_in"] > 0
    assert token["refresh_token"]
    assert isinstance(token["id_token"], str)
    return token


def id_token_claims(
    rp: RelyingParty, token: dict[str, Any], *, nonce: str | None, **params: Any
) -> CodeIDToken:
    """Validate the token response's ID token as Authlib's OpenID client does (OIDC Core
    §3.1.3.7): signature by a key from jwks_uri, then the claims, nonce and at_hash included."""
    keys = KeySet.import_key_set(cast(KeySetSerialization, rp.jwks))
    decoded = jwt.decode(token["id_token"], keys, algorithms=[rp.alg])
    header = decoded.header
    assert header["alg"] == rp.alg, header
    published = {key["kid"]: key for key in rp.jwks["keys"]}
    assert published[header["kid"]]["alg"] == rp.alg, header
    claims = CodeIDToken(
        decoded.claims,
        header,
        {
            "iss": {"essential": True, "value": rp.metadata["issuer"]},
            "aud": {"essential": True, "value": rp.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "auth_time": {"essential": True},
        },
        {
            "nonce": nonce,
            "client_id": rp.client_id,
            "access_token": token["access_token"],
            **params,
        },
    )
    claims.validate(leeway=LEEWAY)
    # What CodeIDToken accepts when absent, but this provider promises to send.
    assert claims["aud"] == rp.client_id  # one audience, as a string
    assert claims["azp"] == rp.client_id
    assert "at_hash" in claims, "nothing bound the ID token to its access token"
    now = time.time()
    assert now - LEEWAY <= claims["iat"] <= now + LEEWAY
    assert claims["exp"] - claims["iat"] == ID_TOKEN_TTL
    assert claims["amr"] == ["pwd"]
    # The profile is UserInfo's to give (§5.4): none of it is in the ID token.
    assert not set(claims) & {*PROFILE, "preferred_username", "email_verified"}, claims
    assert set(claims) >= ID_TOKEN_CLAIMS, claims
    return claims


def userinfo(rp: RelyingParty, oauth: OAuth2Session) -> UserInfo:
    """OIDC Core §5.3 with the access token the session holds."""
    response = oauth.get(rp.metadata["userinfo_endpoint"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    return UserInfo(response.json())


def check_userinfo(info: UserInfo, sub: str, username: str) -> None:
    # §5.3.2: the sub of UserInfo must be the ID token's, or the RP must not use the response.
    assert info["sub"] == sub
    assert info["preferred_username"] == username
    assert info["name"] == PROFILE["name"]
    assert info["email"] == PROFILE["email"]
    assert info["email_verified"] is True
    assert isinstance(info["updated_at"], int)
    # Only what the scopes asked for: no phone number, though the user has one.
    assert set(info) == {
        "sub",
        "name",
        "preferred_username",
        "updated_at",
        "email",
        "email_verified",
    }


def user_id(live_server: LiveServer, oauth: OAuth2Session) -> int:
    """The user's id, from the API the access token also opens."""
    me = oauth.get(f"{live_server.base_url}/api/me")
    assert me.status_code == 200, me.text
    found: int = me.json()["id"]
    return found


def new_user(live_server: LiveServer, username: str) -> None:
    live_server.create_user(username)
    live_server.stint(
        "users",
        "profile",
        username,
        *(f"--set={name}={value}" for name, value in PROFILE.items()),
        "--verify-email",
    )


def cli_client(
    live_server: LiveServer,
    discovery: dict[str, Any],
    jwks: dict[str, Any],
    callback: Callback,
    name: str,
    *options: str,
) -> RelyingParty:
    """A client an operator created with `stint clients create`: ES256, the provider's default."""
    client_id, secret = live_server.create_client(
        name, "--redirect-uri", callback.redirect_uri, *options
    )
    method = "none" if secret is None else "client_secret_basic"
    return RelyingParty(
        discovery, jwks, client_id, secret, callback.redirect_uri, name, "ES256", method
    )


def sign_in(
    rp: RelyingParty,
    oauth: OAuth2Session,
    browser: Browser,
    callback: Callback,
    username: str,
) -> tuple[dict[str, Any], CodeIDToken]:
    """The whole first sign-in: authorize, the person signs in and allows, exchange, validate."""
    request = authorization_request(rp, oauth)
    consent = sign_in_and_allow(
        browser,
        callback,
        request.url,
        username=username,
        password=PASSWORD,
        client_name=rp.name,
    )
    assert consent.scopes == sorted(SCOPE.split())
    assert consent.query["state"] == request.state
    token = exchange(rp, oauth, request, consent.redirect)
    claims = id_token_claims(rp, token, nonce=request.nonce)
    assert claims["nonce"] == request.nonce
    assert consent.signed_in_after <= claims["auth_time"] <= consent.signed_in_before
    return token, claims


def refresh(
    rp: RelyingParty, oauth: OAuth2Session, token: dict[str, Any], first: CodeIDToken
) -> dict[str, Any]:
    """OIDC Core §12.2: a new ID token, same iss, sub, aud, azp and auth_time; no nonce."""
    renewed: dict[str, Any] = oauth.refresh_token(rp.metadata["token_endpoint"])
    assert renewed["access_token"] != token["access_token"]
    assert renewed["refresh_token"] != token["refresh_token"]
    assert renewed["id_token"] != token["id_token"]
    claims = id_token_claims(rp, renewed, nonce=None)
    assert "nonce" not in claims
    for name in ("iss", "sub", "aud", "azp", "auth_time", "amr"):
        assert claims[name] == first[name], name
    assert claims["iat"] >= first["iat"]
    assert claims["jti"] != first["jti"]
    return renewed


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run Authlib's async client to completion beside sync Playwright's loop in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_es256_confidential_client(
    live_server: LiveServer,
    discovery: dict[str, Any],
    jwks: dict[str, Any],
    browser: Browser,
    callback: Callback,
) -> None:
    new_user(live_server, "oidc-es256")
    rp = cli_client(live_server, discovery, jwks, callback, "Authlib ES256 RP")
    with rp.session() as oauth:
        token, claims = sign_in(rp, oauth, browser, callback, "oidc-es256")
        assert claims["sub"] == str(user_id(live_server, oauth))  # a public subject
        check_userinfo(userinfo(rp, oauth), claims["sub"], "oidc-es256")

        # The harness itself refuses what a misbehaving provider would send.
        with pytest.raises(InvalidClaimError):
            id_token_claims(rp, token, nonce="not-the-nonce-we-sent")
        with pytest.raises(InvalidClaimError):
            id_token_claims(rp, {**token, "access_token": "another-access-token"}, nonce=None)
        with pytest.raises(JoseError):  # signed with ES256, not the algorithm expected
            id_token_claims(replace(rp, alg="RS256"), token, nonce=claims["nonce"])

        renewed = refresh(rp, oauth, token, claims)
        assert oauth.token["access_token"] == renewed["access_token"]
        check_userinfo(userinfo(rp, oauth), claims["sub"], "oidc-es256")

        # RFC 6749 §6: a narrower scope; UserInfo then gives only what that token allows.
        narrow = oauth.refresh_token(rp.metadata["token_endpoint"], scope="openid email")
        assert set(narrow["scope"].split()) == {"openid", "email"}
        narrowed = id_token_claims(rp, narrow, nonce=None)
        assert (narrowed["sub"], narrowed["auth_time"]) == (claims["sub"], claims["auth_time"])
        info = userinfo(rp, oauth)
        assert dict(info) == {
            "sub": claims["sub"],
            "email": PROFILE["email"],
            "email_verified": True,
        }
        # The API agrees: /api/me needs the profile scope this token no longer has.
        assert oauth.get(f"{live_server.base_url}/api/me").status_code == 403

        # RFC 9700 §4.14.2: a spent refresh token comes back, and its whole family ends.
        with pytest.raises(OAuthError) as reused:
            oauth.refresh_token(rp.metadata["token_endpoint"], refresh_token=token["refresh_token"])
        assert reused.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as ended:
            oauth.refresh_token(rp.metadata["token_endpoint"])
        assert ended.value.error == "invalid_grant"
    assert browser.errors == []


def test_a_second_sign_in_keeps_auth_time_and_prompt_login_renews_it(
    live_server: LiveServer,
    discovery: dict[str, Any],
    jwks: dict[str, Any],
    browser: Browser,
    callback: Callback,
) -> None:
    new_user(live_server, "oidc-again")
    rp = cli_client(live_server, discovery, jwks, callback, "Authlib returning RP")
    with rp.session() as oauth:
        _, first = sign_in(rp, oauth, browser, callback, "oidc-again")

    # auth_time counts whole seconds: with the sign-in 2 s earlier, "now" would differ from it.
    run(signed_in_earlier_at(live_server.database_url, 2))
    signed_in_at = first["auth_time"] - 2
    # Signed in, consent remembered: straight back, a new nonce, the same sign-in. So too with
    # prompt=none (OIDC Core §3.1.2.1), which a page must not be shown for.
    for prompt in ({}, {"prompt": "none"}):
        with rp.session() as oauth:
            request = authorization_request(rp, oauth, **prompt)
            redirect, _ = straight_back(browser, callback, request.url)
            token = exchange(rp, oauth, request, redirect)
            again = id_token_claims(rp, token, nonce=request.nonce)
            assert again["nonce"] == request.nonce != first["nonce"]
            assert again["sub"] == first["sub"]
            assert again["auth_time"] == signed_in_at
            assert again["sid"] == first["sid"]

    # prompt=login (OIDC Core §3.1.2.1): the person signs in again; auth_time moves on.
    with rp.session() as oauth:
        request = authorization_request(rp, oauth, prompt="login")
        consent = sign_in_again(
            browser, callback, request.url, username="oidc-again", password=PASSWORD
        )
        assert consent.query["state"] == request.state
        token = exchange(rp, oauth, request, consent.redirect)
        renewed = id_token_claims(rp, token, nonce=request.nonce)
        assert renewed["sub"] == first["sub"]
        assert renewed["auth_time"] > signed_in_at
        assert consent.signed_in_after <= renewed["auth_time"] <= consent.signed_in_before

    run(signed_in_earlier_at(live_server.database_url, 2))
    # max_age=0: the sign-in above is too old already; auth_time is then required (§3.1.2.1).
    with rp.session() as oauth:
        request = authorization_request(rp, oauth, max_age="0")
        consent = sign_in_again(
            browser, callback, request.url, username="oidc-again", password=PASSWORD
        )
        token = exchange(rp, oauth, request, consent.redirect)
        fresh = id_token_claims(rp, token, nonce=request.nonce, max_age=0)
        assert fresh["auth_time"] > renewed["auth_time"] - 2
        assert consent.signed_in_after <= fresh["auth_time"] <= consent.signed_in_before
    assert browser.errors == []


def test_prompt_none_signed_out_is_login_required(
    live_server: LiveServer,
    discovery: dict[str, Any],
    jwks: dict[str, Any],
    browser: Browser,
    callback: Callback,
) -> None:
    """OIDC Core §3.1.2.6: no session, no page; the error goes back with state and iss."""
    rp = cli_client(live_server, discovery, jwks, callback, "Authlib silent RP")
    with rp.session() as oauth:
        request = authorization_request(rp, oauth, prompt="none")
        _, query = straight_back(browser, callback, request.url)
        assert query["error"] == "login_required"
        assert query["state"] == request.state
        assert query["iss"] == discovery["issuer"]
        assert "code" not in query
    assert browser.errors == []


def test_public_client_with_pkce(
    live_server: LiveServer,
    discovery: dict[str, Any],
    jwks: dict[str, Any],
    browser: Browser,
    callback: Callback,
) -> None:
    new_user(live_server, "oidc-public")
    rp = cli_client(live_server, discovery, jwks, callback, "Authlib public RP", "--type", "public")
    assert rp.client_secret is None
    with rp.session() as oauth:
        assert oauth.token_endpoint_auth_method == "none"
        token, claims = sign_in(rp, oauth, browser, callback, "oidc-public")
        assert claims["sub"] == str(user_id(live_server, oauth))
        check_userinfo(userinfo(rp, oauth), claims["sub"], "oidc-public")
        refresh(rp, oauth, token, claims)
        check_userinfo(userinfo(rp, oauth), claims["sub"], "oidc-public")
    assert browser.errors == []


def test_a_code_is_refused_without_its_verifier(
    live_server: LiveServer,
    discovery: dict[str, Any],
    jwks: dict[str, Any],
    browser: Browser,
    callback: Callback,
) -> None:
    """The public client's only proof is PKCE: a stolen code without the verifier is worthless."""
    new_user(live_server, "oidc-stolen")
    rp = cli_client(
        live_server, discovery, jwks, callback, "Authlib stolen-code RP", "--type", "public"
    )
    with rp.session() as oauth:
        request = authorization_request(rp, oauth)
        consent = sign_in_and_allow(
            browser,
            callback,
            request.url,
            username="oidc-stolen",
            password=PASSWORD,
            client_name=rp.name,
        )
        with pytest.raises(OAuthError) as refused:
            oauth.fetch_token(
                rp.metadata["token_endpoint"],
                authorization_response=consent.redirect,
                state=request.state,
                code_verifier=generate_token(48),
            )
        assert refused.value.error == "invalid_grant"
    assert browser.errors == []


@pytest.mark.parametrize(
    ("alg", "auth_method", "subject_type"),
    [
        ("RS256", "client_secret_basic", "public"),
        ("PS256", "client_secret_post", "pairwise"),
    ],
)
def test_a_registered_client_gets_its_signing_algorithm(
    live_server: LiveServer,
    discovery: dict[str, Any],
    jwks: dict[str, Any],
    browser: Browser,
    callback: Callback,
    alg: str,
    auth_method: str,
    subject_type: str,
) -> None:
    """The RP registers itself (RFC 7591, OIDC Registration) with id_token_signed_response_alg."""
    username = f"oidc-{alg.lower()}"
    new_user(live_server, username)
    name = f"Authlib {alg} RP"
    with OAuth2Session(default_timeout=TIMEOUT) as http:
        registered = http.post(
            discovery["registration_endpoint"],
            json={
                "client_name": name,
                "application_type": "native",  # a loopback redirect URI (RFC 8252 §7.3)
                "redirect_uris": [callback.redirect_uri],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": auth_method,
                "id_token_signed_response_alg": alg,
                "subject_type": subject_type,
                "scope": SCOPE,
            },
            withhold_token=True,
        )
    assert registered.status_code == 201, registered.text
    client = registered.json()
    assert client["id_token_signed_response_alg"] == alg
    assert client["token_endpoint_auth_method"] == auth_method
    assert client["subject_type"] == subject_type
    rp = RelyingParty(
        discovery,
        jwks,
        client["client_id"],
        client["client_secret"],
        callback.redirect_uri,
        name,
        alg,
        auth_method,
    )
    with rp.session() as oauth:
        token, claims = sign_in(rp, oauth, browser, callback, username)
        public_sub = str(user_id(live_server, oauth))
        if subject_type == "pairwise":  # OIDC Core §8.1: not the id other clients see
            assert claims["sub"] != public_sub
            assert 0 < len(claims["sub"]) <= 255
        else:
            assert claims["sub"] == public_sub
        check_userinfo(userinfo(rp, oauth), claims["sub"], username)
        refresh(rp, oauth, token, claims)
        check_userinfo(userinfo(rp, oauth), claims["sub"], username)
    assert browser.errors == []


def test_authlib_oauth_registry_end_to_end(
    live_server: LiveServer,
    discovery: dict[str, Any],
    jwks: dict[str, Any],
    browser: Browser,
    callback: Callback,
) -> None:
    """Authlib's framework client (Starlette's; httpx underneath) with nothing but the discovery
    URL: it makes the nonce and PKCE verifier itself and validates the ID token with its own
    ``parse_id_token``, unchanged."""
    new_user(live_server, "oidc-registry")
    rp = cli_client(live_server, discovery, jwks, callback, "Authlib registry RP")
    oauth = OAuth()
    oauth.register(
        "stint",
        client_id=rp.client_id,
        client_secret=rp.client_secret,
        server_metadata_url=f"{live_server.base_url}/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": TIMEOUT},
    )
    stint = oauth.create_client("stint")
    started: dict[str, Any] = run(stint.create_authorization_url(callback.redirect_uri))
    assert started["nonce"] and started["code_verifier"]
    query = parse_qs(urlsplit(started["url"]).query)
    assert query["nonce"] == [started["nonce"]]
    assert query["code_challenge_method"] == ["S256"]
    assert started["url"].startswith(discovery["authorization_endpoint"] + "?")

    consent = sign_in_and_allow(
        browser,
        callback,
        started["url"],
        username="oidc-registry",
        password=PASSWORD,
        client_name=rp.name,
    )
    assert consent.query["state"] == started["state"]
    assert consent.query["iss"] == discovery["issuer"]
    token: dict[str, Any] = run(
        stint.fetch_access_token(
            redirect_uri=callback.redirect_uri,
            code=consent.query["code"],
            code_verifier=started["code_verifier"],
        )
    )
    # Authlib's own validation: the algorithms the discovery document lists, iss, aud, nonce,
    # at_hash. It gives back the claims as authlib.oidc.core.UserInfo.
    parsed = run(stint.parse_id_token(token, nonce=started["nonce"]))
    assert parsed["iss"] == discovery["issuer"]
    assert parsed["aud"] == rp.client_id
    assert parsed["nonce"] == started["nonce"]
    assert consent.signed_in_after <= parsed["auth_time"] <= consent.signed_in_before
    with pytest.raises(InvalidClaimError):
        run(stint.parse_id_token(token, nonce="a-nonce-from-another-request"))
    # The same token passes the stricter checks above, signed with ES256 by a published key.
    claims = id_token_claims(rp, token, nonce=started["nonce"])
    assert claims["sub"] == parsed["sub"]

    info = run(stint.userinfo(token=token))
    check_userinfo(info, parsed["sub"], "oidc-registry")
    assert browser.errors == []
