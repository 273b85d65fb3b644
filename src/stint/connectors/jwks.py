"""An OpenID provider's signing keys (its ``jwks_uri``), cached per process, refetched when a
token names a key we do not hold (the provider rotated its keys, OIDC Core §10.1.1), but at most
once per ``refetch_interval_seconds`` per key set, so tokens with made-up ``kid`` values cannot
make us hammer the provider."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["InvalidKeySet", "JwksCache"]

Fetch = Callable[[str], Awaitable[Any]]


class InvalidKeySet(ValueError):
    """The jwks_uri answered something that is not a JWK Set (RFC 7517 §5)."""


@dataclass
class _Entry:
    jwks: dict[str, Any]
    kids: frozenset[str]
    fetched_at: float


class JwksCache:
    """JWK Sets by URI; ``clock`` is injectable (monotonic seconds)."""

    def __init__(
        self,
        *,
        max_age_seconds: float = 3600.0,
        refetch_interval_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age_seconds = max_age_seconds
        self.refetch_interval_seconds = refetch_interval_seconds
        self.clock = clock
        self._entries: dict[str, _Entry] = {}

    async def key_set(self, jwks_uri: str, fetch: Fetch, kid: str | None = None) -> dict[str, Any]:
        """The JWK Set, fetched again if stale or if it lacks ``kid`` (not too often)."""
        entry = self._entries.get(jwks_uri)
        now = self.clock()
        if entry is not None:
            age = now - entry.fetched_at
            known = kid is None or kid in entry.kids
            if known and age < self.max_age_seconds:
                return entry.jwks
            if age < self.refetch_interval_seconds:
                return entry.jwks  # an unknown kid again so soon: the token will not verify
        jwks = await fetch(jwks_uri)
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list):
            raise InvalidKeySet("the jwks_uri did not answer a JWK Set")
        kids = frozenset(
            k["kid"] for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)
        )
        entry = _Entry(dict(jwks), kids, self.clock())
        self._entries[jwks_uri] = entry
        return entry.jwks

    def clear(self) -> None:
        self._entries.clear()
