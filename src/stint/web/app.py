"""The app factory: builds the core, asks each enabled feature for its parts, combines them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from stint.accounts.passwords import PasswordHashing
from stint.settings import Settings
from stint.web.core import Core, build_core
from stint.web.error_boundary import ErrorBoundary
from stint.web.features import (
    Feature,
    api,
    authorize,
    ciba,
    device,
    email,
    home,
    logout,
    oidc,
    pages,
    passkeys,
    registration,
    social,
    token,
    totp,
)
from stint.web.memory import freeze_startup_objects, return_large_blocks_to_os
from stint.web.middleware import BodySizeLimit, SecurityHeaders
from stint.web.problems import exception_handlers

__all__ = ["FEATURES", "FeatureBuilder", "create_app"]

FeatureBuilder = Callable[[Core, Settings], Feature]

# In this order their routes are tried (the API's hot reads first, static files last), their
# middleware wraps the router, and they start; they stop in the reverse order.
FEATURES: tuple[FeatureBuilder, ...] = (
    api.feature,
    token.feature,
    oidc.feature,
    authorize.feature,
    logout.feature,
    registration.feature,
    device.feature,
    ciba.feature,
    social.feature,
    home.feature,
    email.feature,
    totp.feature,
    passkeys.feature,
    pages.feature,
)


def create_app(
    settings: Settings,
    *,
    hashing: PasswordHashing | None = None,
    features: Sequence[FeatureBuilder] = FEATURES,
) -> Starlette:
    """Build the ASGI app. Nothing touches the database until the lifespan starts it."""
    return_large_blocks_to_os()
    core = build_core(settings, hashing=hashing)
    parts = [build(core, settings) for build in features]
    for part in parts:
        core.grants.update(part.grants)
        core.authorize_checks.extend(part.authorize_checks)
    core.metadata.update(_merged([{"issuer": core.issuer}, *(p.metadata for p in parts)]))
    core.discovery.update(_merged(p.discovery for p in parts))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await core.start()
            stack.push_async_callback(core.stop)
            for part in parts:
                for start in part.on_start:
                    await start()
                for stop in part.on_stop:
                    stack.push_async_callback(stop)
            freeze_startup_objects()
            yield

    boundary = ErrorBoundary(oauth_paths=[path for p in parts for path in p.oauth_error_paths])
    app = Starlette(
        routes=[route for part in parts for route in part.routes],
        middleware=[
            # Outermost ours: every answer, errors included, gets the security headers.
            Middleware(SecurityHeaders, boundary=boundary),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            *(middleware for part in parts for middleware in part.middleware),
        ],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    _expose(app, core, parts)
    return app


def _merged(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One metadata document from the features' entries: lists are joined, a clash is a bug."""
    document: dict[str, Any] = {}
    for entry in entries:
        for key, value in entry.items():
            if key in document and isinstance(value, list):
                document[key] = sorted(set(document[key]) | set(value))
            elif key in document and document[key] != value:
                raise ValueError(f"two features disagree on the metadata entry {key!r}")
            else:
                document[key] = value
    return document


def _expose(app: Starlette, core: Core, parts: list[Feature]) -> None:
    """What handlers and tests reach through app.state."""
    app.state.settings = core.settings
    app.state.runtime = core
    app.state.sessions = core.sessions
    app.state.revocations = core.revocations
    app.state.revocation_push = core.push
    for part in parts:
        for name, value in part.state.items():
            setattr(app.state, name, value)
