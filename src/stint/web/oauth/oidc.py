"""OpenID Connect endpoints: discovery, the JWKS, and UserInfo (OIDC Core §5.3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.protocol.errors import InvalidRequestError, InvalidTokenError, OAuthError
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.userinfo import UserInfoEndpoint
from stint.web.authorization import authorization_header
from stint.web.oauth.responses import as_response, oauth_error
from stint.web.pages.common import read_form
from stint.web.responses import JSONResponse

__all__ = ["USERINFO_PATH", "OidcDependencies", "oidc_routes"]

USERINFO_PATH = "/o/userinfo/"


@dataclass(frozen=True, slots=True)
class OidcDependencies:
    configuration: Callable[[], dict[str, Any]]
    keys: KeyRing
    jwks_max_age: int
    userinfo: UserInfoEndpoint


def oidc_routes(deps: OidcDependencies) -> list[BaseRoute]:
    async def configuration(_request: Request) -> Response:
        return JSONResponse(deps.configuration(), headers={"Cache-Control": "max-age=300"})

    async def jwks(_request: Request) -> Response:
        # Cacheable: a rotated-in key is published key_publish_seconds before it signs.
        headers = {"Cache-Control": f"public, max-age={deps.jwks_max_age}"}
        return JSONResponse(deps.keys.public_jwks(), headers=headers)

    async def userinfo(request: Request) -> Response:
        try:
            token = await _access_token(request)
            if token is None:
                # RFC 6750 §3.1: no error code when the request carried no token at all.
                missing = InvalidTokenError("an access token is required")
                return as_response(oauth_error(missing, protected_resource=True, token_sent=False))
            answer = await deps.userinfo.handle(token)
        except OAuthError as exc:
            return as_response(oauth_error(exc, protected_resource=True))
        return Response(
            answer.body, media_type=answer.media_type, headers={"Cache-Control": "no-store"}
        )

    return [
        Route("/.well-known/openid-configuration", configuration, methods=["GET"]),
        Route("/o/.well-known/openid-configuration", configuration, methods=["GET"]),
        Route("/o/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route(USERINFO_PATH, userinfo, methods=["GET", "POST"]),
    ]


async def _access_token(request: Request) -> str | None:
    """RFC 6750 §2.1 (header) or §2.2 (form body, POST only); never both (§2)."""
    header = authorization_header(request.headers.raw)
    scheme, _, value = (header or "").partition(" ")
    from_header = value.strip() if scheme.lower() == "bearer" else None
    from_body = None
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        from_body = (await read_form(request)).get("access_token")
    if from_header and from_body:
        raise InvalidRequestError("send the token one way only")
    return from_header or from_body or None
