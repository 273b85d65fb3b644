"""Drive a backend through a sign-in as Stint's social feature does, against a fake upstream:
``auth_url()``, the provider's authorize redirect (the fakes approve at once), then
``auth_complete()`` with the callback's query, on a fresh backend sharing the session."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from stint.connectors.base import BaseAuth
from stint.connectors.discovery import DiscoveryCache
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.jwks import JwksCache
from stint.connectors.strategy import Strategy
from stint.outbound.transport import UpstreamPolicy, UpstreamTransport

__all__ = ["REDIRECT_URI", "Attempt", "begin", "isolated", "loopback_transport"]

REDIRECT_URI = "https://stint.example/complete/upstream/"


@dataclass
class Attempt:
    """One sign-in between its two steps."""

    backend_class: type[BaseAuth]
    strategy: Strategy
    authorize_url: str
    callback: dict[str, str]  # the query the provider sent the person back with

    def backend(self, **data: str) -> BaseAuth:
        """A new backend for the callback (as a new request would make), ``data`` overriding."""
        self.strategy.data = {**self.callback, **data}
        return self.backend_class(self.strategy, self.strategy.redirect_uri)

    async def complete(self, **data: str) -> UpstreamIdentity:
        return await self.backend(**data).auth_complete()


async def begin(
    backend_class: type[BaseAuth],
    settings: Mapping[str, Any],
    transport: httpx.AsyncBaseTransport,
    *,
    timeout_seconds: float = 2.0,
    redirect_uri: str = REDIRECT_URI,
) -> Attempt:
    """Start a sign-in and follow the provider's authorize redirect back to ``redirect_uri``."""
    strategy = Strategy(
        settings=dict(settings),
        redirect_uri=redirect_uri,
        state=secrets.token_urlsafe(16),
        transport=transport,
        timeout_seconds=timeout_seconds,
    )
    authorize_url = await backend_class(strategy, redirect_uri).auth_url()
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        answer = await browser.get(authorize_url)
    location = answer.headers.get("Location", "")
    if answer.status_code != 302 or not location.startswith(redirect_uri.split("?")[0]):
        raise AssertionError(f"the provider did not send the person back: {answer.status_code}")
    callback = dict(parse_qsl(urlsplit(location).query, keep_blank_values=True))
    return Attempt(backend_class, strategy, authorize_url, callback)


B = TypeVar("B", bound=BaseAuth)


def isolated(backend_class: type[B], clock: Callable[[], float] | None = None) -> type[B]:
    """``backend_class`` with its own discovery and JWKS caches (the process-wide ones would
    carry one test's provider into the next), on ``clock`` if given."""
    if clock is None:
        caches: dict[str, Any] = {"discovery": DiscoveryCache(), "jwks": JwksCache()}
    else:
        caches = {"discovery": DiscoveryCache(clock=clock), "jwks": JwksCache(clock=clock)}
    return type(f"Isolated{backend_class.__name__}", (backend_class,), caches)


@asynccontextmanager
async def loopback_transport(timeout_seconds: float = 2.0) -> AsyncIterator[UpstreamTransport]:
    """Stint's upstream transport, allowing the fakes' plain http."""
    transport = UpstreamTransport(
        UpstreamPolicy(require_https=False, timeout_seconds=timeout_seconds)
    )
    try:
        yield transport
    finally:
        await transport.shutdown()
