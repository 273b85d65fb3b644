"""The transport for calls to upstream providers the operator configured (social login).

Unlike ``fetch.py`` (URLs a client supplies, guarded against SSRF), these URLs come from the
operator, so private addresses ARE allowed: an internal Keycloak or GitLab is a normal upstream.
What still applies: a total time limit, a size limit on the answer (read here, streamed, so a
huge or endless body is refused early), no compressed answers (a small gzip body can expand
without bound), no redirects (the client never follows them), https when the policy requires it,
and logs that name method, scheme://host/path and status only (queries carry codes and secrets).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio
import httpx

__all__ = ["UpstreamPolicy", "UpstreamRefused", "UpstreamTransport"]

logger = logging.getLogger("stint.outbound")


@dataclass(frozen=True)
class UpstreamPolicy:
    timeout_seconds: float = 5.0  # the whole exchange: connect, send, and read the answer
    max_bytes: int = 1024 * 1024  # userinfo and token answers are a few KiB
    require_https: bool = True  # production; tests and development serve fakes on http
    user_agent: str = "Stint"


class UpstreamRefused(httpx.TransportError):
    """An exchange the policy refuses (too large, compressed, not https); an ``httpx.HTTPError``,
    so callers treat it as an upstream they could not use."""


class UpstreamTransport(httpx.AsyncBaseTransport):
    """Applies an ``UpstreamPolicy`` around an httpx transport; hand it to ``Strategy``."""

    def __init__(
        self, policy: UpstreamPolicy | None = None, inner: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.policy = policy or UpstreamPolicy()
        self._inner = inner or httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        # Never the query string: a GET token request carries the code and the client secret.
        shown = f"{request.method} {url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"
        try:
            self._check(request)
            with anyio.fail_after(self.policy.timeout_seconds):
                response = await self._exchange(request)
        except TimeoutError as exc:
            logger.info("%s refused: timed out", shown)
            raise httpx.ReadTimeout("the upstream did not answer in time", request=request) from exc
        except httpx.HTTPError as exc:
            logger.info("%s failed: %s", shown, type(exc).__name__)
            raise
        logger.info("%s answered %d", shown, response.status_code)
        return response

    def _check(self, request: httpx.Request) -> None:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise UpstreamRefused("not an http or https URL", request=request)
        if self.policy.require_https and url.scheme != "https":
            raise UpstreamRefused("the upstream URL is not https", request=request)
        if url.userinfo:
            raise UpstreamRefused("a user name or password in the URL", request=request)
        # We read the body ourselves and refuse compressed answers (see the module docstring).
        request.headers["Accept-Encoding"] = "identity"
        if request.headers.get("User-Agent", "").startswith("python-httpx/"):
            request.headers["User-Agent"] = self.policy.user_agent  # httpx default, not a caller

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        upstream = await self._inner.handle_async_request(request)
        try:
            body = await self._read_body(upstream, request)
        finally:
            await upstream.aclose()
        # The body is read: hand back a plain response with the same status and headers.
        return httpx.Response(
            upstream.status_code,
            headers=upstream.headers,
            content=body,
            request=request,
            extensions={
                key: value
                for key, value in upstream.extensions.items()
                if key in ("http_version", "reason_phrase")
            },
        )

    async def _read_body(self, upstream: httpx.Response, request: httpx.Request) -> bytes:
        limit = self.policy.max_bytes
        encoding = upstream.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise UpstreamRefused("the upstream used a content encoding", request=request)
        length = upstream.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limit:
            raise UpstreamRefused(f"the answer is larger than {limit} bytes", request=request)
        body = bytearray()
        async for chunk in upstream.aiter_raw():
            body += chunk
            if len(body) > limit:
                raise UpstreamRefused(f"the answer is larger than {limit} bytes", request=request)
        return bytes(body)

    async def aclose(self) -> None:
        """Nothing: every sign-in's client closes its transport, and this one is shared.
        The owner (``OutboundHttp``) calls ``shutdown`` once."""

    async def shutdown(self) -> None:
        await self._inner.aclose()
