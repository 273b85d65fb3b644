"""A minimal but honest OpenID provider (OpenID Connect Core 1.0, Discovery 1.0) to sign in through.

Discovery, a JWKS whose keys rotate, an authorization endpoint that approves the configured person
at once, a token endpoint that checks client authentication, the code's redirect URI and its PKCE
verifier and issues real RS256-signed ID tokens carrying the nonce, and userinfo. ``misbehave``
switches make it answer as a broken or hostile provider would.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.upstreams.code_flow import (
    CodeFlow,
    client_credentials,
    code_grant,
    parse_form,
    redirect,
)
from tests.support.upstreams.code_flow import Grant as CodeGrant
from tests.support.upstreams.server import serve_asgi

__all__ = ["FakeOpenIdProvider", "Grant", "Misbehaviour", "new_signing_key", "serving"]

BASIC = "client_secret_basic"


def new_signing_key() -> RSAKey:
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
    key.ensure_kid()
    return key


@cache
def _first_signing_key() -> RSAKey:
    """Every fake's key until it rotates: a 2048-bit key costs ~0.1 s to make, a module each."""
    return new_signing_key()


@dataclass
class Misbehaviour:
    """What the provider gets wrong; all off by default (``reset()`` between tests)."""

    deny: bool = False  # the person declines: error=access_denied
    drop_state: bool = False  # redirect back without state
    aud: str | list[str] | None = None  # the ID token's aud instead of the client's id
    azp: str | None = None
    nonce: str | None = None  # the ID token's nonce instead of the one sent
    iss: str | None = None
    bad_signature: bool = False
    sign_with_client_secret: bool = False  # HS256 keyed with the client secret
    kid: str | None = None  # a kid the JWKS does not list
    expires_in: int = 300  # negative: an expired ID token
    iat_offset: int = 0  # positive: issued "in the future"
    token_status: int | None = None  # the token endpoint answers this status (500)
    hold_token: bool = False  # the token endpoint never answers (until the client gives up)
    form_encoded_token: bool = False  # the token answer as a form, not JSON
    no_access_token: bool = False  # a token answer without access_token
    discovery_status: int | None = None
    advertised_algs: list[str] | None = None  # id_token_signing_alg_values_supported
    userinfo_sub: str | None = None  # userinfo for someone else
    at_hash: str | None = None  # an at_hash of another access token

    def reset(self) -> None:
        for name, value in Misbehaviour().__dict__.items():
            setattr(self, name, value)


Grant = CodeGrant[dict[str, Any]]  # the person is the claims of whoever approved


@dataclass
class FakeOpenIdProvider:
    client_id: str
    client_secret: str
    person: dict[str, Any]  # the claims of whoever signs in: sub, email, email_verified, name...
    base_url: str = ""  # set once served: http://127.0.0.1:<port>
    issuer_path: str = ""  # the issuer is base_url + issuer_path
    misbehave: Misbehaviour = field(default_factory=Misbehaviour)
    # The client's registered token_endpoint_auth_method, held to as node-oidc-provider does;
    # None: either secret method (as Google and Microsoft accept).
    auth_method: str | None = None
    keys: list[RSAKey] = field(default_factory=lambda: [_first_signing_key()])
    # What the provider saw, for tests to assert on.
    jwks_fetches: int = 0
    discovery_fetches: int = 0
    flow: CodeFlow[dict[str, Any]] = field(default_factory=CodeFlow)
    _made_with: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._made_with = dict(self.person)

    def reset(self) -> None:
        """Behaving again, for the person it was made with (between tests)."""
        self.misbehave.reset()
        self.person = dict(self._made_with)

    # Where each endpoint is, under the issuer (a flavour moves them where its provider has them).
    PATHS: ClassVar[dict[str, str]] = {
        "authorize": "/authorize",
        "token": "/token",
        "userinfo": "/userinfo",
        "jwks": "/jwks",
    }

    @property
    def token_requests(self) -> list[dict[str, str]]:
        """The forms the token endpoint received."""
        return [request["form"] for request in self.flow.token_requests]

    @property
    def issuer(self) -> str:
        return self.base_url + self.issuer_path

    def endpoint(self, name: str) -> str:
        return self.issuer + self.PATHS[name]

    def rotate_keys(self) -> RSAKey:
        """A new signing key; the old one leaves the JWKS (an abrupt rotation)."""
        self.keys = [new_signing_key()]
        return self.keys[0]

    # -- documents ----------------------------------------------------------------------

    def discovery_document(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint("authorize"),
            "token_endpoint": self.endpoint("token"),
            "userinfo_endpoint": self.endpoint("userinfo"),
            "jwks_uri": self.endpoint("jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": self.misbehave.advertised_algs or ["RS256"],
            "token_endpoint_auth_methods_supported": (
                [self.auth_method] if self.auth_method else [BASIC, "client_secret_post"]
            ),
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def id_token_claims(self, grant: Grant, access_token: str) -> dict[str, Any]:
        now = int(time.time())
        m = self.misbehave
        claims: dict[str, Any] = {
            "iss": m.iss or self.issuer,
            "sub": self.person["sub"],
            "aud": m.aud if m.aud is not None else grant.client_id,
            "iat": now + m.iat_offset,
            "exp": now + m.expires_in,
            "at_hash": m.at_hash or _at_hash(access_token),
        }
        if m.azp is not None:
            claims["azp"] = m.azp
        if grant.nonce is not None or m.nonce is not None:
            claims["nonce"] = m.nonce or grant.nonce
        claims.update({k: v for k, v in self.person.items() if k != "sub"})
        return claims

    def sign(self, claims: dict[str, Any]) -> str:
        m = self.misbehave
        if m.sign_with_client_secret:
            secret = OctKey.import_key(self.client_secret.encode())
            return jwt.encode({"alg": "HS256", "kid": self.keys[0].kid}, claims, secret)
        key = self.keys[0]
        token = jwt.encode({"alg": "RS256", "kid": m.kid or key.kid, "typ": "JWT"}, claims, key)
        if m.bad_signature:
            head, body, signature = token.split(".")
            flipped = "A" if signature[0] != "A" else "B"
            token = f"{head}.{body}.{flipped}{signature[1:]}"
        return token

    # -- endpoints ----------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        self.discovery_fetches += 1
        if self.misbehave.discovery_status:
            return Response("unavailable", status_code=self.misbehave.discovery_status)
        return JSONResponse(self.discovery_document())

    async def jwks(self, request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse({"keys": [key.as_dict(private=False) for key in self.keys]})

    async def authorize(self, request: Request) -> Response:
        """Core §3.1.2: approves ``person`` at once, or declines when told to."""
        q = request.query_params
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return Response("unknown client or response type", status_code=400)
        redirect_uri = q["redirect_uri"]
        back: dict[str, str] = {}
        if self.misbehave.deny:
            back["error"] = "access_denied"
        else:
            if q.get("code_challenge") and q.get("code_challenge_method") != "S256":
                return Response("only S256", status_code=400)
            grant = code_grant(dict(q), self.client_id, redirect_uri, dict(self.person))
            back["code"] = self.flow.issue_code(grant)
        if "state" in q and not self.misbehave.drop_state:
            back["state"] = q["state"]
        return redirect(redirect_uri, back)

    async def token(self, request: Request) -> Response:
        if request.method == "GET":  # python-social-auth's default ACCESS_TOKEN_METHOD
            form = dict(request.query_params)
        else:
            form = parse_form(await request.body())  # no python-multipart here
        self.flow.token_requests.append({"form": form, "headers": dict(request.headers)})
        m = self.misbehave
        if m.hold_token:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            return Response(status_code=504)
        if m.token_status:
            return Response("the provider is down", status_code=m.token_status)
        if not self._client_authenticated(request, form):
            return _error(401, "invalid_client")
        grant = self.flow.redeem(form.get("code", ""))  # single use
        if grant is None or form.get("grant_type") != "authorization_code":
            return _error(400, "invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:  # RFC 6749 §4.1.3
            return _error(400, "invalid_grant")
        if grant.code_challenge and not grant.verifier_matches(form.get("code_verifier")):
            return _error(400, "invalid_grant")  # RFC 7636 §4.6
        access_token = self.flow.issue_token(grant)
        answer: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": " ".join(grant.scope),
        }
        if "openid" in grant.scope:
            answer["id_token"] = self.sign(self.id_token_claims(grant, access_token))
        if m.no_access_token:
            del answer["access_token"]
        if m.form_encoded_token:  # as GitHub answers a client that does not ask for JSON
            return Response(urlencode(answer), media_type="application/x-www-form-urlencoded")
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    async def userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        grant = self.flow.grant_for_token(token) if scheme.lower() == "bearer" else None
        if grant is None:
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        claims = grant.person
        if self.misbehave.userinfo_sub:
            claims = {**claims, "sub": self.misbehave.userinfo_sub}
        return JSONResponse(claims)

    def _client_authenticated(self, request: Request, form: dict[str, str]) -> bool:
        header = request.headers.get("Authorization", "")
        method = BASIC if header.lower().startswith("basic ") else "client_secret_post"
        if self.auth_method is not None and method != self.auth_method:
            return False
        client_id, secret = client_credentials(header, form)
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    def routes(self) -> list[Route]:
        p, paths = self.issuer_path, self.PATHS
        return [
            Route(f"{p}/.well-known/openid-configuration", self.discovery),
            Route(p + paths["jwks"], self.jwks),
            Route(p + paths["authorize"], self.authorize),
            Route(p + paths["token"], self.token, methods=["GET", "POST"]),
            Route(p + paths["userinfo"], self.userinfo, methods=["GET", "POST"]),
        ]

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())


Provider = TypeVar("Provider", bound=FakeOpenIdProvider)


@contextmanager
def serving(fake: Provider) -> Iterator[Provider]:
    """``fake`` served on loopback until the block ends, its ``base_url`` set."""
    with serve_asgi(fake.app()) as running:
        fake.base_url = running.url
        yield fake


def _error(status: int, error: str) -> Response:
    return JSONResponse({"error": error}, status_code=status)


def _at_hash(access_token: str) -> str:
    """Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
