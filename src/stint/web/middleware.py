"""Pure ASGI middleware (no per-request task or body copies): security headers, body size limit."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stint.web.body_limit import BodyTooLargeError, too_large
from stint.web.error_boundary import ErrorBoundary

__all__ = ["BodySizeLimit", "SecurityHeaders"]

# Images may come from https: the consent page shows the logo a client registered (logo_uri).
_CSP = (
    b"content-security-policy",
    b"default-src 'self'; img-src 'self' https:; frame-ancestors 'none'; base-uri 'none'",
)
_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),  # clickjacking: no page of ours may be framed
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_HEADERS_AND_CSP: tuple[tuple[bytes, bytes], ...] = (*_HEADERS, _CSP)


class SecurityHeaders:
    """The security headers on every response, an error's included: the error boundary answers
    inside this layer (Starlette's ServerErrorMiddleware, outside it, would send them bare, then
    re-raise, so uvicorn logs a second traceback and drops the keep-alive connection)."""

    def __init__(self, app: ASGIApp, boundary: ErrorBoundary | None = None) -> None:
        self.app = app
        self.boundary = boundary or ErrorBoundary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                # A page that needs a looser policy sets its own; everything else gets ours.
                # (A plain loop: any() over a generator cost more than the rest of this layer.)
                extra = _HEADERS_AND_CSP
                for name, _ in headers:
                    if name == b"content-security-policy":
                        extra = _HEADERS
                        break
                headers += extra
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:  # half a response is out: only dropping the connection can end it
                raise
            await self.boundary.response_for(scope, exc)(scope, receive, send_with_headers)


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413, by Content-Length up front or while streaming
    (BodyTooLargeError, answered by the error boundary, as for any route)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    await too_large(self.max_bytes)(scope, receive, send)
                    return
                break
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
