"""/o/token/, /o/revoke_token/, /o/introspect/ as a raw ASGI dispatcher, and the metadata route.

These are the authorization server's hot paths. Served ahead of Starlette's router, they skip
route matching and the Request/Response objects: ~30 µs of a ~150 µs token request.
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
from stint.web.middleware import BodyTooLargeError
from stint.web.oauth.forms import endpoint_request
from stint.web.oauth.responses import RawResponse, oauth_error, oauth_json
from stint.web.responses import JSONResponse, ProblemResponse

__all__ = ["OAuthEndpoints", "OAuthEndpointsDispatch", "metadata_routes"]

Handler = Callable[[EndpointRequest], Awaitable[RawResponse]]


@dataclass(frozen=True, slots=True)
class OAuthEndpoints:
    token: TokenEndpoint
    revocation: RevocationEndpoint
    introspection: IntrospectionEndpoint
    metadata: dict[str, Any]


def metadata_routes(endpoints: OAuthEndpoints) -> list[BaseRoute]:
    async def metadata(_request: Request) -> Response:
        return JSONResponse(endpoints.metadata)

    return [Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"])]


class OAuthEndpointsDispatch:
    """Pure ASGI middleware answering the three form-POST endpoints; the rest passes through."""

    def __init__(self, app: ASGIApp, endpoints: OAuthEndpoints) -> None:
        self.app = app

        async def token(request: EndpointRequest) -> RawResponse:
            return oauth_json(await endpoints.token.handle(request))

        async def revoke(request: EndpointRequest) -> RawResponse:
            await endpoints.revocation.handle(request)
            # RFC 7009 §2.2: 200, nothing to say.
            return 200, [(b"cache-control", b"no-store"), (b"content-length", b"0")], b""

        async def introspect(request: EndpointRequest) -> RawResponse:
            return oauth_json(await endpoints.introspection.handle(request))

        self._handlers: dict[str, Handler] = {
            "/o/token/": token,
            "/o/revoke_token/": revoke,
            "/o/introspect/": introspect,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._handlers.get(scope["path"]) if scope["type"] == "http" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            # RFC 6749 §3.2: the token endpoint takes POST only (likewise RFC 7009, RFC 7662).
            status, headers, body = oauth_json({"error": "invalid_request"}, 405)
            await _send(send, 405, [*headers, (b"allow", b"POST")], body)
            return
        try:
            body = await _read_body(receive)
        except BodyTooLargeError:
            await ProblemResponse(413, "Content Too Large")(scope, receive, send)
            return
        content_type = ""
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
                break
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        try:
            authorization = authorization_header(scope["headers"])
            status, headers, content = await handler(
                endpoint_request(content_type, authorization, body, ip)
            )
        except OAuthError as exc:
            status, headers, content = oauth_error(exc)
        await _send(send, status, headers, content)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
