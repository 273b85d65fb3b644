"""The last line under the security headers: no exception leaves the app unanswered.

Starlette's ServerErrorMiddleware sits outside every middleware: an error it answers misses the
security headers, and it re-raises, so uvicorn logs a second traceback and drops the keep-alive
connection. This boundary answers inside SecurityHeaders and re-raises nothing it answered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stint.storage.availability import is_unavailable
from stint.web.responses import ProblemResponse

__all__ = ["RETRY_AFTER_SECONDS", "ErrorBoundary", "OutageLog"]

log = logging.getLogger("stint.web")

# How long a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 5


class OutageLog:
    """One line per ``interval`` seconds while the database is unreachable, however many
    requests fail: an outage under load must not flood the log (nor carry tracebacks)."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._next = float("-inf")
        self._suppressed = 0

    def failed(self, method: str, path: str, exc: BaseException) -> None:
        now = self._clock()
        if now < self._next:
            self._suppressed += 1
            return
        more = (
            f" ({self._suppressed} more failures since the last report)" if self._suppressed else ""
        )
        log.error(
            "database unavailable, answering 503: %s on %s %s: %s%s",
            type(exc).__name__,
            method,
            path,
            str(exc).splitlines()[0] if str(exc) else "",
            more,
        )
        self._next = now + self._interval
        self._suppressed = 0


class ErrorBoundary:
    """Database unreachable: 503 problem with Retry-After. Anything else: one logged 500."""

    def __init__(self, app: ASGIApp, outage_log: OutageLog | None = None) -> None:
        self.app = app
        self.outage_log = outage_log or OutageLog()

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
                self.outage_log.failed(scope["method"], scope["path"], exc)
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
