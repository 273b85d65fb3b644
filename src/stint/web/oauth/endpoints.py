"""Route handlers for /o/token/, /o/revoke_token/, /o/introspect/ and the metadata document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.protocol.endpoints.introspection import IntrospectionEndpoint
from stint.protocol.endpoints.revocation import RevocationEndpoint
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.errors import OAuthError
from stint.web.oauth.forms import endpoint_request
from stint.web.oauth.responses import oauth_error, oauth_json
from stint.web.responses import JSONResponse

__all__ = ["OAuthEndpoints", "oauth_routes"]


@dataclass(frozen=True, slots=True)
class OAuthEndpoints:
    token: TokenEndpoint
    revocation: RevocationEndpoint
    introspection: IntrospectionEndpoint
    metadata: dict[str, Any]


def oauth_routes(endpoints: OAuthEndpoints) -> list[BaseRoute]:
    async def token(request: Request) -> Response:
        try:
            return oauth_json(await endpoints.token.handle(await endpoint_request(request)))
        except OAuthError as exc:
            return oauth_error(exc)

    async def revoke(request: Request) -> Response:
        try:
            await endpoints.revocation.handle(await endpoint_request(request))
        except OAuthError as exc:
            return oauth_error(exc)
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    async def introspect(request: Request) -> Response:
        try:
            return oauth_json(await endpoints.introspection.handle(await endpoint_request(request)))
        except OAuthError as exc:
            return oauth_error(exc)

    async def metadata(_request: Request) -> Response:
        return JSONResponse(endpoints.metadata)

    return [
        Route("/o/token/", token, methods=["POST"]),
        Route("/o/revoke_token/", revoke, methods=["POST"]),
        Route("/o/introspect/", introspect, methods=["POST"]),
        Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    ]
