"""OAuth JSON responses: never cached (RFC 6749 §5.1), and the one renderer of an OAuthError."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from stint.protocol.errors import (
    InsufficientScopeError,
    InvalidClientError,
    InvalidTokenError,
    OAuthError,
)
from stint.web.challenges import BASIC_CHALLENGE, bearer_challenge
from stint.web.responses import json_body

__all__ = ["RawResponse", "as_response", "oauth_error", "oauth_json"]

log = logging.getLogger("stint.oauth")

# (status, ASGI headers, body): what the endpoints' raw ASGI dispatcher sends as it is.
RawResponse = tuple[int, list[tuple[bytes, bytes]], bytes]

_JSON_NO_STORE = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
]
_BASIC = (b"www-authenticate", BASIC_CHALLENGE.encode("ascii"))
_BEARER_ERRORS = (InvalidTokenError, InsufficientScopeError)


def oauth_json(body: dict[str, Any], status: int = 200) -> RawResponse:
    content = json_body(body)
    headers = [*_JSON_NO_STORE, (b"content-length", str(len(content)).encode())]
    return status, headers, content


def oauth_error(
    exc: OAuthError, *, protected_resource: bool = False, token_sent: bool = True
) -> RawResponse:
    """RFC 6749 §5.2 JSON; ``detail`` is logged, never sent.

    invalid_client is a 401 with a Basic challenge (§5.2). RFC 6750's errors, and every error of
    a protected resource (UserInfo), carry a Bearer challenge that names the error only when the
    request sent a token (RFC 6750 §3.1).
    """
    if exc.detail:
        log.info("oauth %s: %s", exc.error, exc.detail)
    body = {"error": exc.error}
    if exc.description:
        body["error_description"] = exc.description
    status = exc.status_code
    if status == 403 and not isinstance(exc, InsufficientScopeError):
        status = 400  # RFC 6749 §5.2: a refused request is a 400; only RFC 6750 §3.1 has a 403
    status, headers, content = oauth_json(body, status)
    if isinstance(exc, InvalidClientError):
        headers.append(_BASIC)
    elif protected_resource or isinstance(exc, _BEARER_ERRORS):
        challenge = bearer_challenge(exc if token_sent else None)
        headers.append((b"www-authenticate", challenge.encode("ascii")))
    return status, headers, content


def as_response(raw: RawResponse) -> Response:
    """A RawResponse for a Starlette route, its headers kept as they are."""
    status, headers, body = raw
    response = Response(body, status_code=status)
    response.raw_headers = headers  # content-type, cache-control: no-store, content-length
    return response
