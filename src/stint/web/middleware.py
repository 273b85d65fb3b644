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
# On every answer: no sniffing into something runnable, no framing (OWASP's REST set).
_ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),  # clickjacking: no page of ours may be framed
)
# Only for what a browser may render as a document that links, loads or opens windows (HTML,
# redirects, text): a JSON answer sends no Referer and holds no opener, so these are dead bytes
# there, and each header costs uvicorn two regex checks plus Python work per response.
_DOCUMENT: tuple[tuple[bytes, bytes], ...] = (
    *_ALWAYS,
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_DOCUMENT_AND_CSP: tuple[tuple[bytes, bytes], ...] = (*_DOCUMENT, _CSP)
# JSON loads nothing: the strictest policy, and still no framing.
_JSON: tuple[tuple[bytes, bytes], ...] = (
    *_ALWAYS,
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)


def _security_headers(headers: list[tuple[bytes, bytes]]) -> tuple[tuple[bytes, bytes], ...]:
    """The headers to add: a page that set its own CSP keeps it; JSON gets the short set."""
    json = False
    for name, value in headers:
        if name == b"content-security-policy":
            return _DOCUMENT
        if name == b"content-type":
            # application/json, application/problem+json, application/jwk-set+json...
            json = value.startswith(b"application/") and value.split(b";", 1)[0].endswith(b"json")
    return _JSON if json else _DOCUMENT_AND_CSP


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
                headers += _security_headers(headers)
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
