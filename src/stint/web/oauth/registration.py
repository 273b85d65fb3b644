"""/o/register/: client registration (RFC 7591 §3) and client configuration (RFC 7592 §2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.accounts.ports import CounterStore
from stint.protocol.errors import InvalidClientMetadataError, InvalidRequestError, OAuthError
from stint.protocol.oidc.registration_endpoint import RegistrationEndpoint
from stint.web.authorization import authorization_header
from stint.web.oauth.responses import as_response, oauth_error, oauth_json

__all__ = ["REGISTRATION_PATH", "RegistrationLimit", "registration_routes"]

REGISTRATION_PATH = "/o/register"  # RFC 7591 §3; /o/register/ and /o/register/{client_id} too

_JSON = "application/json"


class _UnsupportedMediaTypeError(InvalidRequestError):
    status_code = 415


class _TooManyRegistrationsError(InvalidRequestError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many registrations from this address; try again later")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RegistrationLimit:
    """At most ``per_address`` registration requests from one address per window, counted in
    the shared counter store (Redis when configured, else the database)."""

    counters: CounterStore
    per_address: int
    window_seconds: int

    async def check(self, request: Request) -> None:
        # Behind a proxy, uvicorn's --forwarded-allow-ips puts the real address here.
        address = request.client.host if request.client else "unknown"
        count = await self.counters.increment(f"register:ip:{address}", self.window_seconds)
        if count > self.per_address:
            raise _TooManyRegistrationsError(self.window_seconds)


def _error(exc: OAuthError, access_token: str | None) -> Response:
    status, headers, body = oauth_error(exc, token_sent=access_token is not None)
    if isinstance(exc, _TooManyRegistrationsError):
        headers.append((b"retry-after", str(exc.retry_after).encode("ascii")))
    return as_response((status, headers, body))


def _bearer(request: Request) -> str | None:
    """RFC 6750 §2.1: the token from ``Authorization: Bearer``; None if there is none."""
    scheme, _, token = (authorization_header(request.headers.raw) or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


async def _json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (RFC 7591 §3.1), or the error to answer with."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != _JSON:
        raise _UnsupportedMediaTypeError(f"send the client metadata as {_JSON}")
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InvalidClientMetadataError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidClientMetadataError("the body must be a JSON object")
    return body


Handler = Callable[[Request, str | None], Awaitable[Response]]


def _answering_errors(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        access_token = None
        try:
            access_token = _bearer(request)
            return await handler(request, access_token)
        except OAuthError as exc:
            return _error(exc, access_token)

    return endpoint


def registration_routes(
    endpoint: RegistrationEndpoint, limit: RegistrationLimit | None = None
) -> list[BaseRoute]:
    async def register(request: Request, access_token: str | None) -> Response:
        if limit is not None:
            # Counted before anything else: a refused request may still have cost a fetch of
            # its sector_identifier_uri or jwks, and each success is a new redirect target.
            await limit.check(request)
        body = await _json_object(request)
        return as_response(oauth_json(await endpoint.register(body, access_token), 201))

    async def configure(request: Request, access_token: str | None) -> Response:
        client_id: str = request.path_params["client_id"]
        if request.method == "GET":
            return as_response(oauth_json(await endpoint.read(client_id, access_token)))
        if request.method == "DELETE":
            await endpoint.delete(client_id, access_token)
            return Response(status_code=204, headers={"Cache-Control": "no-store"})
        body = await _json_object(request)
        return as_response(oauth_json(await endpoint.update(client_id, access_token, body)))

    registering = _answering_errors(register)
    return [
        Route("/o/register/", registering, methods=["POST"]),
        Route("/o/register", registering, methods=["POST"]),
        Route(
            "/o/register/{client_id}",
            _answering_errors(configure),
            methods=["GET", "PUT", "DELETE"],
        ),
    ]
