"""The app factory: the composition root that wires settings, stores, services and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stint.accounts.memory_counters import MemoryCounterStore
from stint.accounts.passwords import PasswordHashing
from stint.accounts.ports import CounterStore
from stint.accounts.service import AccountService
from stint.accounts.throttle import LoginThrottle, ThrottleLimits
from stint.protocol.access_tokens import AccessTokenIssuer, AccessTokenVerifier
from stint.protocol.keys import KeyRing
from stint.settings import Settings, read_or_create_secret
from stint.storage.activity_store import SqlActivityStore
from stint.storage.database import Database
from stint.storage.key_store import KeySealer, SqlSigningKeyStore
from stint.storage.migrate import current_revision, head_revision
from stint.storage.redis_counters import RedisCounterStore
from stint.storage.time_entry_store import SqlTimeEntryStore
from stint.storage.user_store import SqlUserStore
from stint.timetracking.service import TimeTracking
from stint.web.api import accounts, activities, reports, time_entries
from stint.web.api.context import Services
from stint.web.api.docs import docs_routes
from stint.web.api.openapi import openapi_document
from stint.web.api.operations import Operation, starlette_routes
from stint.web.middleware import BodySizeLimit, BodyTooLargeError, SecurityHeaders
from stint.web.problems import exception_handlers
from stint.web.responses import JSONResponse, ProblemResponse
from stint.web.security import Authenticator

__all__ = ["API_OPERATIONS", "SchemaOutOfDateError", "create_app"]

log = logging.getLogger("stint")

API_OPERATIONS: list[Operation] = [
    *accounts.OPERATIONS,
    *activities.OPERATIONS,
    *time_entries.OPERATIONS,
    *reports.OPERATIONS,
]


class SchemaOutOfDateError(RuntimeError):
    """The database is not at the newest migration: run `stint migrate`."""


@dataclass
class Runtime:
    """What the app holds open between start-up and shutdown."""

    db: Database
    keys: KeyRing
    key_store: SqlSigningKeyStore
    redis: Redis | None


def create_app(settings: Settings, *, hashing: PasswordHashing | None = None) -> Starlette:
    """Build the ASGI app. Nothing touches the database until the lifespan starts it."""
    secret = read_or_create_secret(settings)
    db = Database(settings.effective_database_url)
    key_store = SqlSigningKeyStore(db, KeySealer(secret))
    keys = KeyRing(key_store.load_or_create)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    counters: CounterStore = RedisCounterStore(redis) if redis else MemoryCounterStore()
    issuer = settings.effective_issuer
    audience = f"{issuer}/api"
    limits = ThrottleLimits(
        failures_per_account=settings.login_failures_per_account,
        failures_per_ip=settings.login_failures_per_ip,
        window_seconds=settings.login_failure_window_seconds,
    )
    account_service = AccountService(
        SqlUserStore(db),
        hashing or PasswordHashing(),
        LoginThrottle(counters, limits),
        cache_key=secret,
        hash_concurrency=settings.password_hash_concurrency,
        credential_cache_seconds=settings.basic_auth_cache_seconds,
        user_cache_seconds=settings.account_status_cache_seconds,
    )
    verifier = AccessTokenVerifier(keys, issuer=issuer, audience=audience)
    services = Services(
        accounts=account_service,
        authenticate=Authenticator(account_service, verifier),
        tokens=AccessTokenIssuer(
            keys, issuer=issuer, audience=audience, ttl=settings.access_token_ttl
        ),
        timetracking=TimeTracking(SqlActivityStore(db), SqlTimeEntryStore(db)),
    )
    runtime = Runtime(db=db, keys=keys, key_store=key_store, redis=redis)
    document = openapi_document(API_OPERATIONS, server_url=issuer)

    async def openapi_json(_request: Request) -> Response:
        return JSONResponse(document)

    routes: list[BaseRoute] = [
        *starlette_routes(API_OPERATIONS),
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        *docs_routes(),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        revision = await current_revision(db)
        if revision != head_revision():
            await db.dispose()
            raise SchemaOutOfDateError(
                f"the database is at migration {revision or 'none'}, not {head_revision()}: "
                "run `stint migrate` first"
            )
        await keys.reload()
        try:
            yield
        finally:
            if redis is not None:
                await redis.aclose()
            await db.dispose()

    handlers = exception_handlers()
    handlers[BodyTooLargeError] = _body_too_large(settings.max_body_bytes)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.runtime = runtime
    app.state.settings = settings
    return app


def _body_too_large(limit: int):  # type: ignore[no-untyped-def]
    async def handler(_request: Request, _exc: Exception) -> Response:
        detail = f"request bodies are limited to {limit} bytes"
        return ProblemResponse(413, "Content Too Large", detail=detail)

    return handler
