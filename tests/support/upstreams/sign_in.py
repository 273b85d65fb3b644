"""One upstream sign-in driven as Stint's social routes and a browser drive it: the backend's
``auth_url``, the browser's visit to the provider (the fakes approve at once and redirect back),
then ``auth_complete`` on a new backend with the redirect's parameters and the session kept in
between."""

from __future__ import annotations

import copy
import secrets
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from stint.connectors.base import BaseAuth
from stint.connectors.config import ProviderConfig
from stint.connectors.discovery import DiscoveryCache
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.jwks import JwksCache
from stint.connectors.registry import make_backend
from stint.connectors.strategy import Strategy
from stint.outbound.transport import UpstreamPolicy, UpstreamTransport
from tests.support.flows import redirected_to

__all__ = [
    "REDIRECT_URI",
    "BackendFactory",
    "SignIn",
    "begin",
    "isolated",
    "upstream_transport",
]

REDIRECT_URI = "https://stint.example/complete/upstream/"
# A backend class, or anything that makes a backend as one does: (strategy, redirect_uri).
BackendFactory = Callable[[Strategy, str], BaseAuth]
TIMEOUT_SECONDS = 2.0  # a fake answers in milliseconds; a held request fails the test soon

# Made once: every new default context reads the CA bundle again (~20 ms a client).
_TLS = ssl.create_default_context()


@asynccontextmanager
async def upstream_transport(
    timeout_seconds: float = TIMEOUT_SECONDS,
) -> AsyncIterator[UpstreamTransport]:
    """The transport Stint hands a sign-in's strategy, with http allowed for loopback fakes."""
    transport = UpstreamTransport(
        UpstreamPolicy(require_https=False, timeout_seconds=timeout_seconds),
        inner=httpx.AsyncHTTPTransport(retries=0, verify=_TLS),
    )
    try:
        yield transport
    finally:
        await transport.shutdown()


@dataclass
class SignIn:
    """One sign-in: ``start`` (GET /login/<name>/), ``visit`` (the browser at the provider),
    ``complete`` (GET /complete/<name>/); ``run`` does all three. Each step's backend gets a
    copy of ``session``, as Stint seals it and opens it again, and what the step left there is
    kept for the next."""

    backend_class: BackendFactory
    settings: Mapping[str, Any]
    transport: httpx.AsyncBaseTransport | None = None
    timeout_seconds: float = TIMEOUT_SECONDS
    redirect_uri: str = REDIRECT_URI
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    session: dict[str, Any] = field(default_factory=dict)
    authorize_url: str = ""  # where start sent the browser
    callback: dict[str, str] = field(default_factory=dict)  # what the provider sent it back with

    @classmethod
    def configured(cls, config: ProviderConfig, *args: Any, **kwargs: Any) -> SignIn:
        """A sign-in at a provider as the operator configures it (``make_backend``)."""

        def factory(strategy: Strategy, redirect_uri: str) -> BaseAuth:
            return make_backend(config, strategy)

        return cls(factory, config.backend_settings(), *args, **kwargs)

    def strategy(self, data: Mapping[str, str] | None = None) -> Strategy:
        """What Stint hands one request's backend."""
        return Strategy(
            settings=dict(self.settings),
            redirect_uri=self.redirect_uri,
            state=self.state,
            data=dict(data or {}),
            session=copy.deepcopy(self.session),
            transport=self.transport,
            timeout_seconds=self.timeout_seconds,
        )

    def backend(self, data: Mapping[str, str] | None = None) -> BaseAuth:
        """A new backend, as each request makes one."""
        return self.backend_class(self.strategy(data), self.redirect_uri)

    async def start(self) -> str:
        """GET /login/<name>/: where the browser is sent."""
        backend = self.backend()
        try:
            self.authorize_url = await backend.auth_url()
        finally:
            self.session = copy.deepcopy(backend.strategy.session)
        return self.authorize_url

    async def visit(self, url: str) -> dict[str, str]:
        """The browser at the provider: the parameters it is redirected back to Stint with."""
        browser_transport = httpx.AsyncHTTPTransport(verify=_TLS)
        async with httpx.AsyncClient(transport=browser_transport, trust_env=False) as browser:
            answer = await browser.get(url)
        # Back to the registered redirect URI, each parameter once.
        self.callback = redirected_to(answer, self.redirect_uri)
        return self.callback

    async def complete(
        self, data: Mapping[str, str] | None = None, **overrides: str
    ) -> UpstreamIdentity:
        """GET /complete/<name>/?<data>: by default the callback ``visit`` got, ``overrides``
        replacing some of its parameters."""
        callback = self.callback if data is None else data
        backend = self.backend({**callback, **overrides})
        try:
            return await backend.auth_complete()
        finally:
            self.session = copy.deepcopy(backend.strategy.session)

    async def run(self) -> UpstreamIdentity:
        return await self.complete(await self.visit(await self.start()))


async def begin(
    backend_class: BackendFactory,
    settings: Mapping[str, Any],
    transport: httpx.AsyncBaseTransport | None,
    *,
    timeout_seconds: float = TIMEOUT_SECONDS,
    redirect_uri: str = REDIRECT_URI,
) -> SignIn:
    """A sign-in started and back from the provider, ready to ``complete``."""
    sign_in = SignIn(backend_class, settings, transport, timeout_seconds, redirect_uri)
    await sign_in.visit(await sign_in.start())
    return sign_in


B = TypeVar("B", bound=BaseAuth)


def isolated(backend_class: type[B], clock: Callable[[], float] | None = None) -> type[B]:
    """``backend_class`` with its own discovery and JWKS caches (the process-wide ones would
    carry one test's provider into the next), on ``clock`` if given."""
    if clock is None:
        caches: dict[str, Any] = {"discovery": DiscoveryCache(), "jwks": JwksCache()}
    else:
        caches = {"discovery": DiscoveryCache(clock=clock), "jwks": JwksCache(clock=clock)}
    return type(f"Isolated{backend_class.__name__}", (backend_class,), caches)
