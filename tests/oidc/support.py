"""Shared helpers for the OpenID Connect plan tests (tests/oidc): OIDC clients with registered
metadata, the code flow with ``openid`` + nonce (+ PKCE) through the real pages with a signed-in
browser, ID token verification against the published JWKS, and at_hash / c_hash computed here
from scratch with hashlib (OIDC Core §3.1.3.6, §3.3.2.11), never with the product's code.

Every helper asserts each hop it takes, so a failing test points at the step that broke.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette

from stint.protocol.registration import ClientSpec, new_client
from tests.conftest import PASSWORD
from tests.support.flows import authorize_query, decide, open_authorize
from tests.support.pages import hidden_inputs
from tests.support.pkce import Pkce, new_pkce
from tests.support.tokens import REDIRECT_URI, client_auth, token_request

__all__ = [
    "FULL_PROFILE",
    "ISSUER",
    "JWKS_PATH",
    "NONCE",
    "REDIRECT_URI",
    "STATE",
    "USERINFO_PATH",
    "CodeFlow",
    "OidcClient",
    "Verified",
    "authorization_url",
    "authorize",
    "code_flow",
    "get_code",
    "give_profile",
    "half_hash",
    "jwks",
    "oidc_client",
    "reauthenticate",
    "redeem_code",
    "redirect_params",
    "unverified",
    "userinfo",
    "verify_id_token",
    "verify_jwt",
]

ISSUER = "http://testserver"
NONCE = "n-0S6_WzA2Mj"
STATE = "af0ifjsldkj"
JWKS_PATH = "/o/.well-known/jwks.json"
USERINFO_PATH = "/o/userinfo/"

# A profile that fills every scope's claims (OIDC Core §5.1, §5.4).
FULL_PROFILE: dict[str, Any] = {
    "name": "Alice Liddell",
    "given_name": "Alice",
    "family_name": "Liddell",
    "nickname": "Al",
    "website": "https://alice.example/",
    "zoneinfo": "Europe/London",
    "locale": "en-GB",
    "birthdate": "1852-05-04",
    "email": "alice@example.com",
    "email_verified": True,
    "phone_number": "+44 1865 270000",
    "phone_number_verified": True,
    "address": {
        "street_address": "Christ Church",
        "locality": "Oxford",
        "postal_code": "OX1 1DP",
        "country": "GB",
    },
}


# --- clients -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OidcClient:
    client_id: str
    secret: str | None
    redirect_uri: str = REDIRECT_URI

    @property
    def auth(self) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, form fields) that authenticate it: Basic with a secret, else client_id."""
        return client_auth(self.client_id, self.secret)


async def oidc_client(
    app: Starlette,
    *,
    response_types: tuple[str, ...] = ("code",),
    grant_types: tuple[str, ...] | None = None,
    client_type: str = "confidential",
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
    scopes: tuple[str, ...] = ("activities:read",),
    token_endpoint_auth_method: str | None = None,
    name: str = "OIDF plan RP",
    **metadata: Any,
) -> OidcClient:
    """A client registered straight in the store, with OIDC Registration metadata
    (``id_token_signed_response_alg``, ``userinfo_signed_response_alg``, ...) in ``metadata``.

    ``response_types`` are registered as metadata only when they are not just ``code``; the
    grants default to what they need (authorization_code + refresh_token for code, implicit for
    the rest)."""
    if grant_types is None:
        grants: set[str] = set()
        for response_type in response_types:
            values = response_type.split()
            if "code" in values:
                grants |= {"authorization_code", "refresh_token"}
            if values != ["code"]:
                grants.add("implicit")
        grant_types = tuple(sorted(grants))
    spec = ClientSpec(
        name=name,
        client_type=client_type,
        redirect_uris=redirect_uris,
        grant_types=frozenset(grant_types),
        scopes=frozenset(scopes),
        token_endpoint_auth_method=token_endpoint_auth_method,
    )
    runtime = app.state.runtime
    client, secret = new_client(spec, runtime.hasher, allow_http=True)
    registered = dict(metadata)
    if tuple(response_types) != ("code",):
        registered["response_types"] = list(response_types)
    if registered:
        client = dataclasses.replace(client, metadata=registered)
    await runtime.oauth.clients.add(client)
    return OidcClient(client.client_id, secret, redirect_uris[0])


async def give_profile(
    app: Starlette, user_id: int, claims: Mapping[str, Any] | None = None
) -> None:
    """Set the user's standard claims (FULL_PROFILE unless given)."""
    await app.state.runtime.claims.update(user_id, dict(claims or FULL_PROFILE))


# --- the browser side ----------------------------------------------------------------------


def authorization_url(
    client_id: str | None,
    *,
    response_type: str | None = "code",
    scope: str | None = "openid",
    nonce: str | None = NONCE,
    state: str | None = STATE,
    redirect_uri: str | None = REDIRECT_URI,
    pkce: Pkce | None = None,
    **extra: str,
) -> str:
    """``/o/authorize/?…`` for an authentication request; parameters given as None are left
    out, and ``extra`` is added as it is (prompt, max_age, claims, id_token_hint, ...)."""
    return authorize_query(
        client_id,
        response_type=response_type,
        scope=scope,
        state=state,
        redirect_uri=redirect_uri,
        pkce=pkce,
        nonce=nonce,
        **extra,
    )


async def authorize(
    browser: httpx.AsyncClient, url: str, username: str, password: str = PASSWORD
) -> httpx.Response:
    """Open ``url``, signing in and approving on the consent page if asked: the authorization
    response (a redirect, or a form_post page)."""
    answer = await open_authorize(browser, url, username, password)
    if answer.status_code == 200 and 'name="decision"' in answer.text:
        answer = await decide(browser, answer)
    return answer


async def reauthenticate(
    browser: httpx.AsyncClient, answer: httpx.Response, username: str, password: str = PASSWORD
) -> httpx.Response:
    """``answer`` sends an already signed-in browser to sign in again (prompt=login, max_age,
    another user's id_token_hint): sign in on that page and follow the request it resumes."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    parts = urlsplit(location)
    assert parts.path == "/login", location
    assert parse_qs(parts.query).get("reauth") == ["1"], location
    page = await browser.get(location)
    assert page.status_code == 200, page.text  # the form, although a session exists
    form = hidden_inputs(page.text)
    signed_in = await browser.post(
        "/login", data={**form, "username": username, "password": password}
    )
    assert signed_in.status_code == 303, signed_in.text
    resumed = signed_in.headers["location"]
    assert resumed.startswith("/o/authorize/?"), resumed
    answer = await browser.get(resumed)
    if answer.status_code == 200 and 'name="decision"' in answer.text:
        answer = await decide(browser, answer)
    return answer


def redirect_params(
    response: httpx.Response, redirect_uri: str = REDIRECT_URI, *, mode: str = "query"
) -> dict[str, str]:
    """The response members of a redirect to exactly ``redirect_uri``, from its query
    (``mode="query"``, nothing in a fragment) or its fragment (``mode="fragment"``, nothing
    added to the query); each member present once."""
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    if mode == "fragment":
        base, mark, encoded = location.partition("#")
        assert mark == "#", f"no fragment in {location}"
        assert base == redirect_uri, location
    else:
        assert "#" not in location, location
        base, _, encoded = location.partition("?")
        assert base == redirect_uri.partition("?")[0], location
        if "?" in redirect_uri:  # a registered query stays, the response follows it
            prefix = redirect_uri.partition("?")[2] + "&"
            assert encoded.startswith(prefix), location
            encoded = encoded[len(prefix) :]
    values = parse_qs(encoded, keep_blank_values=True)
    assert all(len(v) == 1 for v in values.values()), location
    return {name: v[0] for name, v in values.items()}


async def get_code(
    browser: httpx.AsyncClient,
    rp: OidcClient,
    username: str,
    *,
    scope: str = "openid",
    nonce: str | None = NONCE,
    pkce: Pkce | None = None,
    state: str = STATE,
    password: str = PASSWORD,
    **extra: str,
) -> str:
    """The browser side of the code flow to its end: the code, with state and iss checked."""
    url = authorization_url(
        rp.client_id,
        scope=scope,
        nonce=nonce,
        state=state,
        redirect_uri=rp.redirect_uri,
        pkce=pkce,
        **extra,
    )
    params = redirect_params(await authorize(browser, url, username, password), rp.redirect_uri)
    assert "error" not in params, params
    assert params["state"] == state
    assert params["iss"] == ISSUER  # RFC 9207
    return params["code"]


async def redeem_code(
    client: httpx.AsyncClient,
    rp: OidcClient,
    code: str,
    *,
    verifier: str | None = None,
    auth: str = "basic",
) -> httpx.Response:
    """The token request for ``code``; ``auth`` is "basic" (client_secret_basic) or "post"
    (client_secret_post); a public client sends its client_id."""
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri}
    if verifier is not None:
        params["code_verifier"] = verifier
    if rp.secret is not None and auth == "post":
        fields = {"client_id": rp.client_id, "client_secret": rp.secret}
        return await client.post("/o/token/", data={**fields, **params})
    return await token_request(client, rp.client_id, rp.secret, params)


@dataclass(frozen=True)
class CodeFlow:
    """One completed code flow: the code, the token response and the verified ID token."""

    code: str
    tokens: dict[str, Any]
    id_token: str
    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def access_token(self) -> str:
        value: str = self.tokens["access_token"]
        return value


async def code_flow(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    rp: OidcClient,
    username: str,
    *,
    scope: str = "openid",
    nonce: str | None = NONCE,
    use_pkce: bool = False,
    auth: str = "basic",
    password: str = PASSWORD,
    **extra: str,
) -> CodeFlow:
    """The whole code flow with ``openid``: code, token response (checked per OIDC Core
    §3.1.3.3) and its ID token, verified against the JWKS with at_hash checked.

    Like the suite's Basic modules it sends a nonce and no PKCE unless ``use_pkce``; without a
    nonce, pass ``use_pkce=True`` (PKCE is required then, RFC 9700 §2.1.1)."""
    pkce = new_pkce() if use_pkce else None
    code = await get_code(
        browser, rp, username, scope=scope, nonce=nonce, pkce=pkce, password=password, **extra
    )
    answer = await redeem_code(
        client, rp, code, verifier=pkce.verifier if pkce else None, auth=auth
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, Any] = answer.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and body["access_token"]
    id_token = body["id_token"]
    verified = await verify_id_token(
        client, id_token, rp.client_id, nonce=nonce, access_token=body["access_token"]
    )
    return CodeFlow(code, body, id_token, verified.header, verified.claims)


# --- JWTs ----------------------------------------------------------------------------------


def _b64json(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return value


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a compact JWS, without checking anything."""
    header, payload, _ = token.split(".")
    return _b64json(header), _b64json(payload)


def half_hash(value: str, alg: str) -> str:
    """at_hash / c_hash: base64url of the left half of the hash the JWS ``alg`` uses."""
    bits = alg[-3:]
    digest = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}[bits](
        value.encode("ascii")
    ).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


async def jwks(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The published keys (``/o/.well-known/jwks.json``)."""
    answer = await client.get(JWKS_PATH)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    keys: list[dict[str, Any]] = answer.json()["keys"]
    return keys


@dataclass(frozen=True)
class Verified:
    header: dict[str, Any]
    claims: dict[str, Any]


async def verify_jwt(
    client: httpx.AsyncClient, token: str, *, alg: str | None = None, typ: str | None = None
) -> Verified:
    """A JWS whose signature verifies with the published key its ``kid`` names (OIDC Core
    §10.1), whose ``alg`` is that key's (and ``alg`` when given)."""
    header, _ = unverified(token)
    published = await jwks(client)
    assert all(key.get("kid") for key in published)
    by_kid = {key["kid"]: key for key in published}
    assert header.get("kid") in by_kid, (header, sorted(by_kid))
    key = by_kid[header["kid"]]
    assert header["alg"] == key["alg"], (header, key)
    if alg is not None:
        assert header["alg"] == alg, header
    if typ is not None:
        assert header.get("typ") == typ, header
    decoded = jwt.decode(token, KeySet.import_key_set({"keys": [key]}), algorithms=[header["alg"]])
    return Verified(dict(decoded.header), dict(decoded.claims))


async def verify_id_token(
    client: httpx.AsyncClient,
    token: str,
    client_id: str,
    *,
    nonce: str | None = NONCE,
    access_token: str | None = None,
    code: str | None = None,
    alg: str | None = None,
) -> Verified:
    """The checks of the suite's PerformStandardIdTokenChecks (OIDC Core §2, §3.1.3.7): the
    signature, iss, aud/azp, exp, iat, sub, auth_time, nonce; at_hash exactly when an access
    token came with it, c_hash exactly when a code did."""
    verified = await verify_jwt(client, token, alg=alg)
    claims, header = verified.claims, verified.header
    now = time.time()
    assert claims["iss"] == ISSUER
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert client_id in audiences, claims
    if len(audiences) > 1 or "azp" in claims:
        assert claims["azp"] == client_id
    assert isinstance(claims["exp"], int) and claims["exp"] > now
    assert isinstance(claims["iat"], int) and now - 300 < claims["iat"] <= now + 5
    assert isinstance(claims["sub"], str) and 0 < len(claims["sub"]) <= 255
    assert isinstance(claims["auth_time"], int) and now - 3600 < claims["auth_time"] <= now + 5
    if nonce is None:
        assert "nonce" not in claims, claims
    else:
        assert claims["nonce"] == nonce
    if access_token is None:
        assert "at_hash" not in claims, claims
    else:
        assert claims["at_hash"] == half_hash(access_token, header["alg"])
    if code is None:
        assert "c_hash" not in claims, claims
    else:
        assert claims["c_hash"] == half_hash(code, header["alg"])
    return verified


# --- UserInfo ------------------------------------------------------------------------------


async def userinfo(
    client: httpx.AsyncClient, access_token: str, *, how: str = "get"
) -> dict[str, Any]:
    """UserInfo (OIDC Core §5.3) sent ``how``: "get" (Bearer header), "post-header" or
    "post-body" (RFC 6750 §2.2 form parameter); checked to be a 200 JSON answer with a sub."""
    if how == "get":
        answer = await client.get(
            USERINFO_PATH, headers={"Authorization": f"Bearer {access_token}"}
        )
    elif how == "post-header":
        answer = await client.post(
            USERINFO_PATH, headers={"Authorization": f"Bearer {access_token}"}
        )
    elif how == "post-body":
        answer = await client.post(USERINFO_PATH, data={"access_token": access_token})
    else:
        raise ValueError(how)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    assert isinstance(body.get("sub"), str), body
    return body
