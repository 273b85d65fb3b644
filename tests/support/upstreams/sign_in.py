"""One upstream sign-in driven as Stint's social routes and a browser drive it: the backend's
``auth_url``, the browser's visit to the provider (which approves at once and redirects back),
then ``auth_complete`` with the redirect's parameters and the session kept in between."""

from __future__ import annotations

import secrets
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from stint.connectors.base import BaseAuth
from stint.connectors.identity import UpstreamIdentity
from stint.connectors.strategy import Strategy
from stint.outbound.transport import UpstreamPolicy, UpstreamTransport

__all__ = ["SignIn", "upstream_transport"]

# Made once: every new default context reads the CA bundle again (~20 ms a client).
_TLS = ssl.create_default_context()


@asynccontextmanager
async def upstream_transport() -> AsyncIterator[UpstreamTransport]:
    """The transport Stint hands a sign-in's strategy, with http allowed for loopback fakes."""
    transport = UpstreamTransport(
        UpstreamPolicy(require_https=False),
        inner=httpx.AsyncHTTPTransport(retries=0, verify=_TLS),
    )
    try:
        yield transport
    finally:
        await transport.shutdown()


@dataclass
class SignIn:
    backend_class: type[BaseAuth]
    settings: dict[str, Any]
    redirect_uri: str
    transport: httpx.AsyncBaseTransport | None = None
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    session: dict[str, Any] = field(default_factory=dict)

    def backend(self, data: dict[str, str] | None = None) -> BaseAuth:
        strategy = Strategy(
            settings=self.settings,
            redirect_uri=self.redirect_uri,
            state=self.state,
            data=data or {},
            session=self.session,
            transport=self.transport,
        )
        return self.backend_class(strategy, self.redirect_uri)

    async def start(self) -> str:
        """GET /login/<name>/: where the browser is sent."""
        return await self.backend().auth_url()

    async def visit(self, url: str) -> dict[str, str]:
        """The browser at the provider: the parameters it is redirected back to Stint with."""
        browser_transport = httpx.AsyncHTTPTransport(verify=_TLS)
        async with httpx.AsyncClient(transport=browser_transport, trust_env=False) as browser:
            answer = await browser.get(url)
        assert answer.status_code in (302, 303), answer.text
        location = urlsplit(answer.headers["location"])
        assert (
            location._replace(query="").geturl()
            == urlsplit(self.redirect_uri)._replace(query="").geturl()
        ), "the provider redirected elsewhere than the registered redirect URI"
        return dict(parse_qsl(location.query))

    async def complete(self, data: dict[str, str]) -> UpstreamIdentity:
        """GET /complete/<name>/?<data>."""
        return await self.backend(data).auth_complete()

    async def run(self) -> UpstreamIdentity:
        return await self.complete(await self.visit(await self.start()))
