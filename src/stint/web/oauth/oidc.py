"""OpenID Connect endpoints: discovery, the JWKS, and UserInfo (OIDC Core §5.3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.protocol.errors import InvalidRequestError
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.claims import ClaimsRequest, release
from stint.protocol.oidc.context import AuthContext
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.oidc.ports import ClaimsSource
from stint.protocol.ports import ClientStore, GrantStore
from stint.web.authorization import authorization_header
from stint.web.pages.common import read_form
from stint.web.problems import ApiProblem
from stint.web.responses import JSONResponse
from stint.web.security import Authenticator

__all__ = ["OidcDependencies", "oidc_routes"]


@dataclass(frozen=True, slots=True)
class OidcDependencies:
    configuration: Callable[[], dict[str, Any]]
    keys: KeyRing
    jwks_max_age: int
    authenticate: Authenticator
    clients: ClientStore
    grants: GrantStore
    claims: ClaimsSource
    id_tokens: IdTokenIssuer


def _bearer_error(status: int, error: str, description: str) -> Response:
    # RFC 6750 §3: the challenge names the error; the body repeats it for humans.
    challenge = f'Bearer realm="stint", error="{error}", error_description="{description}"'
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
    )


def oidc_routes(deps: OidcDependencies) -> list[BaseRoute]:
    async def configuration(_request: Request) -> Response:
        return JSONResponse(deps.configuration(), headers={"Cache-Control": "max-age=300"})

    async def jwks(_request: Request) -> Response:
        # Cacheable: a rotated-in key is published key_publish_seconds before it signs.
        headers = {"Cache-Control": f"public, max-age={deps.jwks_max_age}"}
        return JSONResponse(deps.keys.public_jwks(), headers=headers)

    async def userinfo(request: Request) -> Response:
        token = await _access_token(request)
        if isinstance(token, Response):
            return token
        try:
            principal = await deps.authenticate.bearer(token)
        except ApiProblem as problem:
            return _bearer_error(401, "invalid_token", problem.detail or "invalid token")
        if principal.scopes is not None and "openid" not in principal.scopes:
            return _bearer_error(403, "insufficient_scope", "UserInfo needs the openid scope")
        client = await deps.clients.get(principal.client_id or "")
        if client is None:
            return _bearer_error(401, "invalid_token", "the client was deleted")
        requested = ClaimsRequest()
        if principal.grant_id is not None:
            context = await deps.grants.oidc_context(principal.grant_id)
            if context is not None:
                requested = AuthContext.from_json(context).claims
        user_claims = await deps.claims.claims(principal.user_id)
        claims = {
            "sub": deps.id_tokens.subjects.for_client(principal.user_id, client),
            **release(user_claims, scopes=principal.scopes or (), requested=requested.userinfo),
        }
        try:
            media_type, body = await deps.id_tokens.userinfo_response(client, claims)
        except InvalidRequestError as exc:
            return _bearer_error(400, exc.error, exc.description)
        return Response(body, media_type=media_type, headers={"Cache-Control": "no-store"})

    return [
        Route("/.well-known/openid-configuration", configuration, methods=["GET"]),
        Route("/o/.well-known/openid-configuration", configuration, methods=["GET"]),
        Route("/o/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/o/userinfo/", userinfo, methods=["GET", "POST"]),
    ]


async def _access_token(request: Request) -> str | Response:
    """RFC 6750 §2.1 (header) or §2.2 (form body, POST only); never both (§2)."""
    try:
        header = authorization_header(request.headers.raw)
    except InvalidRequestError as exc:
        return _bearer_error(400, exc.error, exc.description)
    scheme, _, value = (header or "").partition(" ")
    from_header = value.strip() if scheme.lower() == "bearer" else None
    from_body = None
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        from_body = (await read_form(request)).get("access_token")
    if from_header and from_body:
        return _bearer_error(400, "invalid_request", "send the token one way only")
    token = from_header or from_body
    if not token:
        # §3.1: no error code when the request carried no token at all.
        return JSONResponse(
            {"error": "invalid_token", "error_description": "an access token is required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="stint"', "Cache-Control": "no-store"},
        )
    return token
