"""OAuth JSON responses: never cached (RFC 6749 §5.1), errors in the §5.2 shape."""

from __future__ import annotations

import logging
from typing import Any

from stint.protocol.errors import InvalidClientError, OAuthError
from stint.web.responses import json_body

__all__ = ["RawResponse", "oauth_error", "oauth_json"]

log = logging.getLogger("stint.oauth")

# (status, ASGI headers, body): what the endpoints' raw ASGI dispatcher sends as it is.
RawResponse = tuple[int, list[tuple[bytes, bytes]], bytes]

_JSON_NO_STORE = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
]


def oauth_json(body: dict[str, Any], status: int = 200) -> RawResponse:
    content = json_body(body)
    headers = [*_JSON_NO_STORE, (b"content-length", str(len(content)).encode())]
    return status, headers, content


def oauth_error(exc: OAuthError) -> RawResponse:
    """RFC 6749 §5.2; invalid_client is a 401 with a Basic challenge."""
    if exc.detail:
        log.info("oauth %s: %s", exc.error, exc.detail)
    body = {"error": exc.error}
    if exc.description:
        body["error_description"] = exc.description
    status = exc.status_code if exc.status_code != 403 else 400
    status, headers, content = oauth_json(body, status)
    if isinstance(exc, InvalidClientError):
        headers.append((b"www-authenticate", b'Basic realm="stint"'))
    return status, headers, content
