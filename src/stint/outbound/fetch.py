"""Fetching client-supplied URLs (request_uri, sector_identifier_uri, jwks_uri, back-channel
logout) without letting a client reach our own network (SSRF).

We resolve the host ourselves, check every address, then connect to a checked address, so a
second DNS answer cannot swap in another one (DNS rebinding). No redirects, bounded time and size.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from stint.outbound.transport import UpstreamTransport

__all__ = ["FetchError", "FetchPolicy", "FetchedDocument", "OutboundHttp", "is_public_address"]

logger = logging.getLogger("stint.outbound")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598 (carrier-grade NAT)


@dataclass(frozen=True)
class FetchPolicy:
    timeout_seconds: float = 5.0
    max_bytes: int = 64 * 1024
    allow_private_addresses: bool = False  # for tests and development only
    require_https: bool = True
    user_agent: str = "Stint"


@dataclass(frozen=True)
class FetchedDocument:
    url: str
    status: int
    content_type: str
    body: bytes


class FetchError(Exception):
    """A URL we refuse to fetch, or a fetch that failed; the message is safe to show a client."""


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address; False for anything a client may not reach."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour  # ::ffff:a.b.c.d, 2002:AABB:CCDD::
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local  # includes 169.254.169.254, the cloud metadata service
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in _SHARED_ADDRESS_SPACE
    )


class OutboundHttp:
    """One HTTP client for all outbound calls; close it with ``aclose()`` or ``async with``."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._http: httpx.AsyncClient | None = None
        self._upstream: UpstreamTransport | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        """Made on first use: a worker that never calls out never imports httpx (~5 MiB)."""
        if self._http is not None:
            return self._http
        import httpx

        self._http = httpx.AsyncClient(
            # No keep-alive: a pooled connection is keyed by IP and could be reused for another
            # host name, whose TLS certificate was then never checked.
            transport=httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0)),
            timeout=httpx.Timeout(self.policy.timeout_seconds),
            follow_redirects=False,
            trust_env=False,  # no proxies or .netrc credentials from the environment
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "identity"},
        )
        return self._http

    def upstream_transport(self) -> UpstreamTransport:
        """The transport for operator-configured upstreams (social login): this policy's time
        limit, https rule and user agent, a 1 MiB answer limit, private addresses allowed."""
        if self._upstream is None:
            from stint.outbound.transport import UpstreamPolicy, UpstreamTransport

            self._upstream = UpstreamTransport(
                UpstreamPolicy(
                    timeout_seconds=self.policy.timeout_seconds,
                    require_https=self.policy.require_https,
                    user_agent=self.policy.user_agent,
                )
            )
        return self._upstream

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        if self._upstream is not None:
            await self._upstream.shutdown()

    async def __aenter__(self) -> OutboundHttp:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def get(self, url: str, *, accept: str) -> FetchedDocument:
        """GET a document; anything but a 2xx answer is a FetchError."""
        status, content_type, body = await self._exchange(
            "GET", url, headers={"Accept": accept}, form=None
        )
        return FetchedDocument(url=url, status=status, content_type=content_type, body=body)

    async def post_form(self, url: str, data: dict[str, str]) -> int:
        """POST a form (OIDC Back-Channel Logout 1.0 §2.5); return the status, even non-2xx."""
        status, _, _ = await self._exchange("POST", url, headers={}, form=data)
        return status

    async def post_json(
        self, url: str, payload: Mapping[str, Any], *, bearer: str | None = None
    ) -> int:
        """POST a JSON object, with a Bearer token if given (CIBA Core §10.2, §10.3: the
        client notification endpoint); return the status, even non-2xx. The answer's body is
        never read."""
        import orjson

        headers = {"Content-Type": "application/json"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        status, _, _ = await self._exchange(
            "POST", url, headers=headers, form=None, content=orjson.dumps(payload)
        )
        return status

    async def _exchange(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        form: dict[str, str] | None,
        content: bytes | None = None,
    ) -> tuple[int, str, bytes]:
        import httpx

        shown = "(unusable URL)"
        try:
            target = self._check_url(url)
            # Never the query string: it may carry a secret.
            shown = f"{target.scheme}://{target.netloc.decode('ascii')}{target.path}"
            async with asyncio.timeout(self.policy.timeout_seconds):
                response = await self._send(method, target, headers, form, content)
                try:
                    status = response.status_code
                    if 300 <= status < 400:
                        raise FetchError(f"answered {status}, a redirect, which is not followed")
                    content_type = response.headers.get("Content-Type", "")
                    body = b""
                    if method == "GET":
                        if not 200 <= status < 300:
                            raise FetchError(f"answered {status}")
                        body = await self._read_body(response)
                finally:
                    await response.aclose()
        except FetchError as exc:
            logger.info("%s %s refused: %s", method, shown, exc)
            raise
        except (TimeoutError, httpx.TimeoutException) as exc:
            logger.info("%s %s refused: timed out", method, shown)
            raise FetchError("timed out") from exc
        except httpx.HTTPError as exc:
            logger.info("%s %s failed: %s", method, shown, type(exc).__name__)
            raise FetchError("could not be reached") from exc
        logger.info("%s %s answered %d", method, shown, status)
        return status, content_type, body

    def _check_url(self, url: str) -> httpx.URL:
        import httpx

        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError("is not a valid URL") from exc
        if target.scheme not in ("http", "https"):
            raise FetchError("is not an http or https URL")
        if self.policy.require_https and target.scheme != "https":
            raise FetchError("is not https")
        if target.userinfo:
            raise FetchError("must not contain a user name or password")
        if not target.host:
            raise FetchError("has no host")
        return target.copy_with(fragment=None)

    async def _addresses(self, target: httpx.URL) -> list[IPAddress]:
        """Resolve the host ourselves; refuse it if ANY address is not public."""
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise FetchError("host name does not resolve") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if not addresses:
            raise FetchError("host name does not resolve")
        if not self.policy.allow_private_addresses:
            refused = [a for a in addresses if not is_public_address(a)]
            if refused:
                logger.info("%s resolves to %s", target.host, ", ".join(map(str, refused)))
                raise FetchError("resolves to a private address")
        return addresses

    async def _send(
        self,
        method: str,
        target: httpx.URL,
        headers: dict[str, str],
        form: dict[str, str] | None,
        content: bytes | None,
    ) -> httpx.Response:
        """Connect to each checked address in turn; the URL names the IP, Host and SNI the name."""
        import httpx

        extensions: dict[str, str] = {}
        try:
            ipaddress.ip_address(target.host)
        except ValueError:
            if target.scheme == "https":
                # The certificate is then checked against the name (httpcore's SNI extension).
                extensions["sni_hostname"] = target.raw_host.decode("ascii")
        headers = {**headers, "Host": target.netloc.decode("ascii")}
        addresses = await self._addresses(target)

        def request(address: IPAddress) -> httpx.Request:
            return self._client.build_request(
                method,
                target.copy_with(host=str(address)),
                headers=headers,
                data=form,
                content=content,
                extensions=extensions,
            )

        for address in addresses[:-1]:
            try:
                return await self._client.send(request(address), stream=True)
            except httpx.ConnectError:
                continue  # e.g. no IPv6 route: try the next checked address
        return await self._client.send(request(addresses[-1]), stream=True)

    async def _read_body(self, response: httpx.Response) -> bytes:
        """Stream the body, stopping once it exceeds ``max_bytes``."""
        limit = self.policy.max_bytes
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            # We asked for identity; decoding gzip would let a small body expand without bound.
            raise FetchError("used a content encoding")
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limit:
            raise FetchError(f"is larger than {limit} bytes")
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > limit:
                raise FetchError(f"is larger than {limit} bytes")
        return bytes(body)
