"""The protocol's DocumentFetcher port on top of the SSRF-guarded outbound HTTP client."""

from __future__ import annotations

from stint.outbound.fetch import FetchError, OutboundHttp
from stint.protocol.oidc.ports import FetchFailedError

__all__ = ["OutboundDocumentFetcher"]


class OutboundDocumentFetcher:
    """Implements ``DocumentFetcher``: a 2xx body, or FetchFailedError with a client-safe reason."""

    def __init__(self, http: OutboundHttp) -> None:
        self._http = http

    async def fetch(self, url: str, *, accept: str) -> bytes:
        try:
            document = await self._http.get(url, accept=accept)
        except FetchError as exc:
            raise FetchFailedError(str(exc)) from None
        return document.body
