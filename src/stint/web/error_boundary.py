"""The last line under the security headers: no exception leaves the app unanswered.

Starlette's ServerErrorMiddleware sits outside every middleware: an error it answers misses the
security headers, and it re-raises, so uvicorn logs a second traceback and drops the keep-alive
connection. This boundary answers inside SecurityHeaders and re-raises nothing it answered.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stint.failure_log import FailureLog
from stint.storage.availability import is_unavailable
from stint.web.responses import ProblemResponse

__all__ = ["RETRY_AFTER_SECONDS", "ErrorBoundary"]

log = logging.getLogger("stint.web")

# How long a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 5


class ErrorBoundary:
    """Database unreachable: 503 problem with Retry-After. Anything else: one logged 500."""

    def __init__(self, app: ASGIApp, outage_log: FailureLog | None = None) -> None:
        self.app = app
        self.outage_log = outage_log or FailureLog(log, "database unavailable, answering 503")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # half a response is out: only dropping the connection can end it
                raise
            if is_unavailable(exc):
                self.outage_log.failed(exc, f"{scope['method']} {scope['path']}")
                response = ProblemResponse(
                    503,
                    "Service Unavailable",
                    detail="the database is unreachable; try again shortly",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            else:
                log.exception("unhandled error on %s %s", scope["method"], scope["path"])
                response = ProblemResponse(500, "Internal Server Error")
            await response(scope, receive, send)
