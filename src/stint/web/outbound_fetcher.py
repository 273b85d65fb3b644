"""The protocol's DocumentFetcher port on top of the SSRF-guarded outbound HTTP client."""

from __future__ import annotations

from stint.outbound.fetch import FetchError, OutboundHttp
from stint.protocol.oidc.ports import FetchFailedError

__all__ = ["OutboundDocumentFetcher"]

# One answer for every failure: "answered 404", "timed out" or "resolves to a private address"
# would tell whoever chose the URL what lies behind it (an SSRF oracle). The reason is logged.
_FAILED = "could not be fetched"


class OutboundDocumentFetcher:
    """Implements ``DocumentFetcher``: a 2xx body, or FetchFailedError saying only "failed"."""

    def __init__(self, http: OutboundHttp) -> None:
        self._http = http

    async def fetch(self, url: str, *, accept: str) -> bytes:
        try:
            document = await self._http.get(url, accept=accept)
        except FetchError:
            raise FetchFailedError(_FAILED) from None  # OutboundHttp logged why
        return document.body
