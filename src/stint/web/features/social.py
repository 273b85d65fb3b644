"""Social login: sign in through upstream providers (python-social-auth's routes and names).

Always mounted, even with no provider in stint.toml: `stint social add` adds providers at run
time (kept in the database), and every worker sees them within a few seconds. With none at all,
the sign-in page shows no "Continue with" and /login/<name>/ answers a 404 page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.accounts.linking import DEFAULT_PIPELINE, AccountLinker
from stint.connectors.config import ProviderConfig
from stint.connectors.ports import UpstreamProviderStore, UpstreamSignInStore
from stint.settings import Settings
from stint.storage.upstream_identity_store import SqlUpstreamIdentityStore
from stint.storage.upstream_provider_store import SqlUpstreamProviderStore
from stint.storage.upstream_sign_in_store import SqlUpstreamSignInStore
from stint.storage.user_store import SqlUserStore
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.social import begin, complete, disconnect, panels
from stint.web.social.context import SocialContext
from stint.web.social.housekeeping import Pruner
from stint.web.social.ports import Linker
from stint.web.social.providers import ProviderDirectory

if TYPE_CHECKING:
    import httpx

__all__ = ["SocialConfig", "SocialStores", "build", "feature"]


@dataclass(frozen=True)
class SocialConfig:
    """The settings social login reads."""

    providers: Mapping[str, ProviderConfig] = field(default_factory=dict, repr=False)
    pipeline: tuple[str, ...] = DEFAULT_PIPELINE
    sign_in_seconds: int = 600
    timeout_seconds: float = 5.0
    provider_cache_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SocialConfig:
        return cls(
            providers={name: p.to_config(name) for name, p in settings.social.items()},
            pipeline=settings.social_pipeline,
            sign_in_seconds=settings.social_sign_in_seconds,
            timeout_seconds=settings.outbound_timeout_seconds,
        )


@dataclass(frozen=True)
class SocialStores:
    pending: UpstreamSignInStore
    providers: UpstreamProviderStore
    linker: Linker


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, SocialConfig.from_settings(settings))


def build(
    core: Core,
    config: SocialConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    stores: SocialStores | None = None,
) -> Feature:
    """``transport``: the one upstream calls go through (default: the outbound client's, with
    its time and size limits); tests give an in-process provider's."""
    stores = stores or sql_social_stores(core, config)
    social = SocialContext(
        pages=core.pages,
        providers=ProviderDirectory(
            config.providers, stores.providers, cache_seconds=config.provider_cache_seconds
        ),
        pending=stores.pending,
        linker=stores.linker,
        issuer=core.issuer,
        sign_in_seconds=config.sign_in_seconds,
        secure_cookies=core.issuer.startswith("https://"),
        timeout_seconds=config.timeout_seconds,
        transport=transport or core.outbound.upstream_transport(),
    )
    core.pages.sign_in_links.append(lambda next_url: panels.sign_in_links(social, next_url))
    core.pages.account_panels.append(
        lambda request, user: panels.account_panel(social, request, user)
    )

    async def login(request: Request) -> Response:
        return await begin.begin_sign_in(social, request)

    async def connect(request: Request) -> Response:
        return await begin.begin_connect(social, request)

    async def done(request: Request) -> Response:
        return await complete.complete(social, request)

    async def unlink(request: Request) -> Response:
        return await disconnect.disconnect(social, request)

    routes: list[BaseRoute] = [
        Route("/login/{name}/", login, methods=["GET"]),
        Route("/login/{name}/", connect, methods=["POST"]),
        # POST: providers that answer with response_mode=form_post (cross-site POST: its
        # state cookie would need SameSite=None, so the built-in backends ask for GET).
        Route("/complete/{name}/", done, methods=["GET", "POST"]),
        Route("/disconnect/{name}/", unlink, methods=["POST"]),
    ]
    pruner = Pruner(stores.pending)
    return Feature(
        routes=routes, on_start=[pruner.start], on_stop=[pruner.stop], state={"social": social}
    )


def sql_social_stores(core: Core, config: SocialConfig) -> SocialStores:
    """The stores on the core's database, secrets and sessions sealed under its secret."""
    identities = SqlUpstreamIdentityStore(core.db, core.secret)
    users = SqlUserStore(core.db, core.revocation_log)
    return SocialStores(
        pending=SqlUpstreamSignInStore(core.db, core.secret),
        providers=SqlUpstreamProviderStore(core.db, core.secret),
        linker=AccountLinker(users, identities, core.accounts, pipeline=config.pipeline),
    )
