"""The providers one can sign in with: stint.toml's ``[social.NAME]``, then those added with
`stint social add`, re-read from the database at most every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol

from stint.connectors.config import ProviderConfig
from stint.connectors.registry import BUILT_IN

__all__ = ["ProviderDirectory", "ProviderList", "label_of"]


class ProviderList(Protocol):
    """What is read of stint.connectors.ports.UpstreamProviderStore."""

    async def list_all(self) -> list[ProviderConfig]: ...


def label_of(provider: ProviderConfig) -> str:
    """ "Continue with <label>": the operator's label, else a name people recognise."""
    if provider.label:
        return provider.label
    known = {"github": "GitHub", "gitlab": "GitLab", "oidc": "OpenID", "oauth2": "OAuth"}
    if provider.name in known:
        return known[provider.name]
    if provider.name in BUILT_IN:
        return provider.name.capitalize()
    return provider.name.replace("-", " ").replace("_", " ").title()


class ProviderDirectory:
    """Looked up per request; the database's list is cached ``cache_seconds`` (a removed
    provider stops within that time on every worker). A name in stint.toml wins."""

    def __init__(
        self,
        configured: Mapping[str, ProviderConfig],
        store: ProviderList | None,
        *,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._configured = dict(configured)
        self._store = store
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._added: dict[str, ProviderConfig] = {}
        self._read_at: float | None = None

    async def all(self) -> list[ProviderConfig]:
        added = await self._from_store()
        merged = {**added, **self._configured}
        return sorted(merged.values(), key=lambda p: label_of(p).lower())

    async def get(self, name: str) -> ProviderConfig | None:
        if name in self._configured:
            return self._configured[name]
        return (await self._from_store()).get(name)

    async def _from_store(self) -> dict[str, ProviderConfig]:
        if self._store is None:
            return {}
        now = self._clock()
        if self._read_at is None or now - self._read_at >= self._cache_seconds:
            self._added = {p.name: p for p in await self._store.list_all()}
            self._read_at = now
        return self._added
