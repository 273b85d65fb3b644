"""/o/token/, /o/revoke_token/, /o/introspect/ as raw ASGI apps, and the metadata route.

These are the authorization server's hot paths. Each is an ordinary POST route (so any other
method gets the router's 405 with ``Allow``), and OAuthEndpointsDispatch hands their POSTs to
the same app ahead of routing: the answer is the route's, without route matching and
Starlette's Request/Response objects. They sit under the same middleware as every route:
security headers, the body limit, and the error boundary (a 413, a 503 while the database is
down, else a logged 500 ``server_error``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from stint.protocol.endpoints.introspection import IntrospectionEndpoint
from stint.protocol.endpoints.revocation import RevocationEndpoint
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.errors import OAuthError
from stint.protocol.messages import EndpointRequest
from stint.web.authorization import authorization_header
from stint.web.oauth.forms import endpoint_request
from stint.web.oauth.responses import RawResponse, oauth_error, oauth_json
from stint.web.responses import JSONResponse

__all__ = [
    "FORM_ENDPOINT_PATHS",
    "FormEndpoint",
    "OAuthEndpoints",
    "OAuthEndpointsDispatch",
    "endpoint_routes",
]

Handler = Callable[[EndpointRequest], Awaitable[RawResponse]]

TOKEN_PATH = "/o/token/"  # noqa: S105 (a path, not a secret)
REVOCATION_PATH = "/o/revoke_token/"
INTROSPECTION_PATH = "/o/introspect/"
FORM_ENDPOINT_PATHS = (TOKEN_PATH, REVOCATION_PATH, INTROSPECTION_PATH)


@dataclass(frozen=True, slots=True)
class OAuthEndpoints:
    token: TokenEndpoint
    revocation: RevocationEndpoint
    introspection: IntrospectionEndpoint
    metadata: dict[str, Any]


class FormEndpoint:
    """A raw ASGI app for an endpoint that takes a POSTed form and answers RFC 6749 JSON."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Over the limit, receive raises BodyTooLargeError: the boundary's 413.
        message = await receive()
        body = message.get("body", b"") if message["type"] == "http.request" else None
        if body is not None and message.get("more_body", False):
            body = await _rest_of_body(body, receive)
        if body is None:
            return  # the client went away: nobody to answer
        content_type = ""
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
                break
        client = scope.get("client")
        try:
            request = endpoint_request(
                content_type,
                authorization_header(scope["headers"]),
                body,
                client[0] if client else "unknown",
            )
            status, headers, content = await self._handler(request)
        except OAuthError as exc:
            status, headers, content = oauth_error(exc)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def form_endpoints(endpoints: OAuthEndpoints) -> dict[str, FormEndpoint]:
    async def token(request: EndpointRequest) -> RawResponse:
        return oauth_json(await endpoints.token.handle(request))

    async def revoke(request: EndpointRequest) -> RawResponse:
        await endpoints.revocation.handle(request)
        # RFC 7009 §2.2: revoked (or unknown, or not this client's): 200, nothing to say.
        return 200, [(b"cache-control", b"no-store"), (b"content-length", b"0")], b""

    async def introspect(request: EndpointRequest) -> RawResponse:
        return oauth_json(await endpoints.introspection.handle(request))

    return {
        TOKEN_PATH: FormEndpoint(token),
        REVOCATION_PATH: FormEndpoint(revoke),
        INTROSPECTION_PATH: FormEndpoint(introspect),
    }


def endpoint_routes(endpoints: OAuthEndpoints) -> list[BaseRoute]:
    """The three form endpoints (RFC 6749 §3.2, RFC 7009 §2, RFC 7662 §2: POST only), and the
    authorization server metadata (RFC 8414 §3)."""

    async def metadata(_request: Request) -> Response:
        return JSONResponse(endpoints.metadata)

    return [
        *(Route(path, app, methods=["POST"]) for path, app in form_endpoints(endpoints).items()),
        Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    ]


class OAuthEndpointsDispatch:
    """Pure ASGI middleware: a POST to a form endpoint goes straight to its app; the rest,
    other methods on those paths included, passes through to the router."""

    def __init__(self, app: ASGIApp, endpoints: OAuthEndpoints) -> None:
        self.app = app
        self._endpoints = form_endpoints(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self._endpoints.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _rest_of_body(first: bytes, receive: Receive) -> bytes | None:
    """The whole body sent in several messages, or None when the client disconnected."""
    chunks = [first]
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
