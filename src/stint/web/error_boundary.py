"""The last line under the security headers: no exception leaves the app unanswered.

Starlette's ServerErrorMiddleware sits outside every middleware: an error it answers misses the
security headers, and it re-raises, so uvicorn logs a second traceback and drops the keep-alive
connection. This boundary answers inside SecurityHeaders and re-raises nothing it answered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.responses import Response
from starlette.types import Scope

from stint.failure_log import FailureLog
from stint.protocol.errors import ServerError
from stint.storage.availability import is_unavailable
from stint.web.body_limit import BodyTooLargeError, too_large
from stint.web.oauth.responses import as_response, oauth_error
from stint.web.responses import ProblemResponse

__all__ = ["RETRY_AFTER_SECONDS", "ErrorBoundary"]

log = logging.getLogger("stint.web")

# How long a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 5


class ErrorBoundary:
    """A body over the limit: 413. Database unreachable: 503 problem with Retry-After. Anything
    else: one logged 500, a problem, or RFC 6749 ``server_error`` JSON on ``oauth_paths``
    (path prefixes of the endpoints that answer in RFC 6749 §5.2's shape). Nothing leaks.

    Called by SecurityHeaders (one ASGI layer for both) for an exception raised before any
    response started; after that, only dropping the connection can end the response.
    """

    def __init__(
        self, outage_log: FailureLog | None = None, *, oauth_paths: Iterable[str] = ()
    ) -> None:
        self.outage_log = outage_log or FailureLog(log, "database unavailable, answering 503")
        self._oauth_paths = tuple(oauth_paths)

    def response_for(self, scope: Scope, exc: Exception) -> Response:
        if isinstance(exc, BodyTooLargeError):
            return too_large(exc.max_bytes)
        if is_unavailable(exc):
            self.outage_log.failed(exc, f"{scope['method']} {scope['path']}")
            return ProblemResponse(
                503,
                "Service Unavailable",
                detail="the database is unreachable; try again shortly",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        log.exception("unhandled error on %s %s", scope["method"], scope["path"])
        if scope["path"].startswith(self._oauth_paths):
            return as_response(oauth_error(ServerError()))
        return ProblemResponse(500, "Internal Server Error")
