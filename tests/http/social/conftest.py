"""Social login end to end, in-process: this Stint signs people in through a second Stint,
a real OpenID provider with its own settings and database, reached over ``httpx.ASGITransport``
by both the browser and the backend's outbound calls."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from stint.connectors.open_id_connect import DISCOVERY, JWKS
from stint.settings import Settings, SocialProviderSettings
from stint.storage.user_store import SqlUserStore
from stint.web.app import FEATURES, create_app
from stint.web.core import Core
from stint.web.features import Feature, social
from tests.conftest import FAST_HASHING, PASSWORD, SECRET_KEY, Account, make_client, register
from tests.support.pages import hidden_inputs

UPSTREAM = "http://upstream.test"
DOWNSTREAM = "http://testserver"
CALLBACK = f"{DOWNSTREAM}/complete/stint/"
LABEL = "Upstream Stint"


@dataclass
class Upstream:
    """The second Stint, as the OpenID provider; ``failing`` paths answer 500."""

    app: Starlette
    client_id: str = ""
    client_secret: str = ""
    failing: set[str] = field(default_factory=set)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.failing:
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b"upstream broke"})
            return
        await self.app(scope, receive, send)

    async def person(self, username: str, email: str | None = None) -> Account:
        """An account at the provider, with a verified email address when given one."""
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=UPSTREAM) as api:
            account = await register(api, username)
        if email is not None:
            claims = self.app.state.runtime.claims
            await claims.update(account.id, {"email": email, "email_verified": True})
        return account


@pytest.fixture
async def upstream(sqlite_template_with_keys: Path, tmp_path: Path) -> AsyncIterator[Upstream]:
    path = tmp_path / "upstream.sqlite3"
    shutil.copyfile(sqlite_template_with_keys, path)
    upstream_settings = Settings(
        environment="test",
        data_dir=tmp_path / "upstream-data",
        database_url=f"sqlite:///{path}",
        secret_key=SECRET_KEY,
        issuer=UPSTREAM,
        account_status_cache_seconds=0,
        login_backoff_base_seconds=0,
        client_cache_seconds=0,
        revocation_cache_seconds=0,
    )
    application = create_app(upstream_settings, hashing=FAST_HASHING)
    # A new provider at the same issuer: forget the last test's documents (caches per process).
    DISCOVERY.clear()
    JWKS.clear()
    async with application.router.lifespan_context(application):
        provider = Upstream(application)
        provider.client_id, secret = await make_client(
            application,
            name="Stint downstream",
            redirect_uris=[CALLBACK],
            scopes=["profile"],  # openid and email are open to every client
            grant_types=["authorization_code"],
        )
        provider.client_secret = secret or ""
        yield provider


@pytest.fixture
def settings(settings: Settings, upstream: Upstream) -> Settings:
    provider = SocialProviderSettings(
        backend="oidc",
        client_id=upstream.client_id,
        client_secret=upstream.client_secret,
        issuer=UPSTREAM,
        scope=("profile", "email"),
        label=LABEL,
    )
    return settings.model_copy(update={"social": {"stint": provider}})


@pytest.fixture
async def app(settings: Settings, upstream: Upstream) -> AsyncIterator[Starlette]:
    def social_through_upstream(core: Core, given: Settings) -> Feature:
        config = social.SocialConfig.from_settings(given)
        return social.build(core, config, transport=httpx.ASGITransport(app=upstream))

    features = tuple(social_through_upstream if f is social.feature else f for f in FEATURES)
    application = create_app(settings, hashing=FAST_HASHING, features=features)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def browser(app: Starlette, upstream: Upstream) -> AsyncIterator[httpx.AsyncClient]:
    """One browser, one cookie jar, two sites: this Stint and the provider."""
    async with _browser(app, upstream) as client:
        yield client


def _browser(app: Starlette, upstream: Upstream) -> httpx.AsyncClient:
    mounts: dict[str, httpx.AsyncBaseTransport] = {
        UPSTREAM: httpx.ASGITransport(app=upstream, client=("198.51.100.4", 40000)),
        DOWNSTREAM: httpx.ASGITransport(app=app, client=("198.51.100.4", 40001)),
    }
    return httpx.AsyncClient(mounts=mounts, base_url=DOWNSTREAM)


@pytest.fixture
def new_browser(app: Starlette, upstream: Upstream) -> Any:
    """Another browser (its own cookies), as ``async with new_browser() as b``."""
    return lambda: _browser(app, upstream)


async def through_upstream(
    browser: httpx.AsyncClient,
    started: httpx.Response,
    username: str,
    decision: str = "approve",
    callback_uri: str = CALLBACK,
) -> str:
    """From this Stint's redirect to the provider, through its sign-in and consent, to the URL
    the provider sends the browser back to (returned, not followed)."""
    assert started.status_code == 303, started.text
    answer = await browser.get(started.headers["location"])
    if answer.status_code == 303 and answer.headers["location"].startswith("/login?"):
        next_url = parse_qs(urlsplit(answer.headers["location"]).query)["next"][0]
        page = await browser.get(f"{UPSTREAM}/login", params={"next": next_url})
        form = {**hidden_inputs(page.text), "username": username, "password": PASSWORD}
        signed_in = await browser.post(f"{UPSTREAM}/login", data=form)
        assert signed_in.status_code == 303, signed_in.text
        answer = await browser.get(UPSTREAM + signed_in.headers["location"])
    if answer.status_code == 200:  # the provider's consent page
        form = {**hidden_inputs(answer.text), "decision": decision}
        answer = await browser.post(f"{UPSTREAM}/o/authorize/", data=form)
    assert answer.status_code in (302, 303), answer.text
    callback: str = answer.headers["location"]
    assert callback.startswith(callback_uri), callback
    return callback


async def sign_in_with_upstream(
    browser: httpx.AsyncClient, username: str, next_url: str | None = None
) -> httpx.Response:
    """The whole sign-in through the provider; returns this Stint's answer to the callback."""
    params = {"next": next_url} if next_url is not None else {}
    started = await browser.get("/login/stint/", params=params)
    return await browser.get(await through_upstream(browser, started, username))


def state_cookie(browser: httpx.AsyncClient) -> str | None:
    """The cookie binding a sign-in to this browser, as this Stint set it."""
    return next((c.value for c in browser.cookies.jar if c.name == "stint_social"), None)


async def local_usernames(app: Starlette) -> list[str]:
    return [u.username for u in await SqlUserStore(app.state.runtime.db).page(limit=1000)]


__all__ = [
    "CALLBACK",
    "DOWNSTREAM",
    "LABEL",
    "UPSTREAM",
    "Upstream",
    "local_usernames",
    "sign_in_with_upstream",
    "state_cookie",
    "through_upstream",
]
