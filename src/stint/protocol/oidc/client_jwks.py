"""A client's public keys (OIDC Registration §2 ``jwks`` / ``jwks_uri``), for verifying what it
signs (request objects) and encrypting what we send it (ID tokens, UserInfo)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from stint.protocol.clients import Client
from stint.protocol.oidc.ports import DocumentFetcher, FetchFailedError

__all__ = ["JWKS_ACCEPT", "ClientJwks"]

JWKS_ACCEPT = "application/jwk-set+json, application/json"  # RFC 7517 §8.5.1
_MAX_ENTRIES = 1024  # distinct jwks_uri values cached per process


class ClientJwks:
    """Implements the ``ClientKeys`` port: the registered ``jwks``, else the JWK Set at
    ``jwks_uri``, fetched through the SSRF-guarded fetcher and cached for ``cache_seconds``.

    Registration §2 forbids registering both, so ``jwks`` wins if a client somehow has both.
    A ``jwks_uri`` that cannot be fetched, or does not hold a JWK Set (RFC 7517 §5), raises
    ``FetchFailedError`` with a client-safe message; failures are not cached.
    """

    def __init__(
        self,
        fetcher: DocumentFetcher,
        cache_seconds: float = 300,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    async def jwks(self, client: Client) -> dict[str, Any] | None:
        registered = client.meta("jwks")
        if isinstance(registered, dict):
            return registered
        uri = client.meta("jwks_uri")
        if not isinstance(uri, str) or not uri:
            return None
        now = self._clock()
        cached = self._cache.get(uri)
        if cached is not None and cached[0] > now:
            return cached[1]
        document = _jwk_set(await self._fetcher.fetch(uri, accept=JWKS_ACCEPT))
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache = {u: e for u, e in self._cache.items() if e[0] > now}
            if len(self._cache) >= _MAX_ENTRIES:
                self._cache.clear()
        if self._cache_seconds > 0:
            self._cache[uri] = (now + self._cache_seconds, document)
        return document


def _jwk_set(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise FetchFailedError("the jwks_uri document is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise FetchFailedError("the jwks_uri document is not a JWK Set")
    return document
