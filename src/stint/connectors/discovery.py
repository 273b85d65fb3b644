"""An OpenID provider's metadata from its issuer URL (OpenID Connect Discovery 1.0), cached per
process for a bounded time (DESIGN: per-process state is only a cache with bounded staleness)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DiscoveryCache", "InvalidProviderMetadata", "ProviderMetadata", "discovery_url"]

Fetch = Callable[[str], Awaitable[Any]]


class InvalidProviderMetadata(ValueError):
    """The discovery document is unusable; the message is for the operator's log."""


def discovery_url(issuer: str) -> str:
    """Discovery §4.1: the issuer without a terminating "/", + /.well-known/openid-configuration."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


@dataclass(frozen=True)
class ProviderMetadata:
    """The members Stint uses (Discovery §3); the whole document in ``document``."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)
    code_challenge_methods_supported: tuple[str, ...] | None = None  # None: not advertised
    document: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_document(cls, document: Any) -> ProviderMetadata:
        if not isinstance(document, dict):
            raise InvalidProviderMetadata("the discovery document is not a JSON object")
        required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        missing = [name for name in required if not isinstance(document.get(name), str)]
        if missing:
            raise InvalidProviderMetadata(f"the discovery document lacks {', '.join(missing)}")
        userinfo = document.get("userinfo_endpoint")
        methods = document.get("code_challenge_methods_supported")
        return cls(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            userinfo_endpoint=userinfo if isinstance(userinfo, str) and userinfo else None,
            # Discovery §3: the defaults when a member is omitted.
            id_token_signing_alg_values_supported=(
                _strings(document.get("id_token_signing_alg_values_supported")) or ("RS256",)
            ),
            token_endpoint_auth_methods_supported=(
                _strings(document.get("token_endpoint_auth_methods_supported"))
                or ("client_secret_basic",)
            ),
            code_challenge_methods_supported=None if methods is None else _strings(methods),
            document=document,
        )


@dataclass
class _Entry:
    metadata: ProviderMetadata
    fetched_at: float


class DiscoveryCache:
    """Discovery documents by URL, refetched after ``max_age_seconds``; failures not cached."""

    def __init__(
        self, *, max_age_seconds: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        self._entries: dict[str, _Entry] = {}

    async def metadata(self, issuer: str, fetch: Fetch) -> ProviderMetadata:
        url = discovery_url(issuer)
        entry = self._entries.get(url)
        if entry is not None and self.clock() - entry.fetched_at < self.max_age_seconds:
            return entry.metadata
        metadata = ProviderMetadata.from_document(await fetch(url))
        self._entries[url] = _Entry(metadata, self.clock())
        return metadata

    def forget(self, issuer: str) -> None:
        """Drop one provider's document (it was refused: ask again next time)."""
        self._entries.pop(discovery_url(issuer), None)

    def clear(self) -> None:
        self._entries.clear()
