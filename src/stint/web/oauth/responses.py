"""OAuth JSON responses: never cached (RFC 6749 §5.1), errors in the §5.2 shape."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from stint.protocol.errors import InvalidClientError, OAuthError
from stint.web.responses import json_body

__all__ = ["oauth_error", "oauth_json"]

log = logging.getLogger("stint.oauth")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json_body(body), status, headers=_NO_STORE, media_type="application/json")


def oauth_error(exc: OAuthError) -> Response:
    """RFC 6749 §5.2; invalid_client is a 401 with a Basic challenge."""
    if exc.detail:
        log.info("oauth %s: %s", exc.error, exc.detail)
    body = {"error": exc.error}
    if exc.description:
        body["error_description"] = exc.description
    status = exc.status_code if exc.status_code != 403 else 400
    response = oauth_json(body, status)
    if isinstance(exc, InvalidClientError):
        response.headers["WWW-Authenticate"] = 'Basic realm="stint"'
    return response
