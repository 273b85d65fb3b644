"""The app factory: the composition root that wires settings, stores, services and routes."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from stint.accounts.claims import AccountClaims
from stint.accounts.directory import AccountDirectory
from stint.accounts.passwords import PasswordHashing
from stint.accounts.ports import CounterStore
from stint.accounts.service import AccountService
from stint.accounts.throttle import LoginThrottle, ThrottleLimits
from stint.outbound.fetch import FetchPolicy, OutboundHttp
from stint.protocol.access_tokens import AccessTokenIssuer, AccessTokenVerifier
from stint.protocol.authorize import AuthorizationResponder, AuthorizePolicy
from stint.protocol.endpoints.introspection import IntrospectionEndpoint
from stint.protocol.endpoints.metadata import authorization_server_metadata
from stint.protocol.endpoints.revocation import RevocationEndpoint
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.first_party import FirstPartyTokens
from stint.protocol.grants import GrantHandler
from stint.protocol.grants.authorization_code import AuthorizationCodeGrant
from stint.protocol.grants.client_credentials import ClientCredentialsGrant
from stint.protocol.grants.context import GrantContext
from stint.protocol.grants.password import PasswordGrant
from stint.protocol.grants.refresh_token import RefreshTokenGrant
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.client_jwks import ClientJwks
from stint.protocol.oidc.client_registration import RegistrationPolicy
from stint.protocol.oidc.discovery import openid_configuration
from stint.protocol.oidc.end_session import EndSessionValidator
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.oidc.id_token_hint import verified_id_token_hint
from stint.protocol.oidc.logout_token import LogoutTokens
from stint.protocol.oidc.reauthentication import ReauthenticationMarkers
from stint.protocol.oidc.registration_endpoint import RegistrationEndpoint
from stint.protocol.oidc.request_object import REQUEST_OBJECT_ALGS, RequestObjects
from stint.protocol.oidc.subject import SubjectIdentifiers
from stint.protocol.oidc.userinfo import UserInfoEndpoint
from stint.protocol.ports import TokenRecords
from stint.protocol.revocation_cache import RevocationCache
from stint.protocol.revocations import RevocationKind
from stint.protocol.secrets import SecretHasher
from stint.protocol.token_validation import RevocationView, TokenValidator
from stint.protocol.tokens import TokenFactory
from stint.settings import Settings, read_or_create_secret
from stint.storage.activity_store import SqlActivityStore
from stint.storage.approval_store import SqlApprovalStore
from stint.storage.client_store import SqlClientStore
from stint.storage.code_store import SqlAuthorizationCodeStore
from stint.storage.consent_store import SqlConsentStore
from stint.storage.counter_store import SqlCounterStore
from stint.storage.database import Database
from stint.storage.grant_store import SqlGrantStore
from stint.storage.key_store import KeySealer, SqlSigningKeyStore
from stint.storage.logout_delivery_store import SqlLogoutDeliveryStore
from stint.storage.opaque_token_store import SqlOpaqueTokenStore
from stint.storage.refresh_token_store import SqlRefreshTokenStore
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.revocation_push import RevocationPush, redis_publisher
from stint.storage.revocation_view import SqlRevocationView
from stint.storage.revoked_token_store import SqlRevokedTokenStore
from stint.storage.schema import SCHEMA_HEAD, schema_revision
from stint.storage.session_client_store import SqlSessionClientStore
from stint.storage.session_store import SqlSessionStore
from stint.storage.time_entry_store import SqlTimeEntryStore
from stint.storage.user_store import SqlUserStore
from stint.timetracking.service import TimeTracking
from stint.web.api import accounts, activities, reports, time_entries
from stint.web.api.context import Services
from stint.web.api.docs import docs_routes
from stint.web.api.openapi import openapi_document
from stint.web.api.operations import Operation, starlette_routes
from stint.web.backchannel import BackchannelLogout
from stint.web.csrf import CsrfProtection
from stint.web.error_boundary import ErrorBoundary
from stint.web.memory import return_large_blocks_to_os
from stint.web.middleware import BodySizeLimit, SecurityHeaders
from stint.web.oauth.authorize import AuthorizeDependencies, authorize_routes
from stint.web.oauth.endpoints import (
    FORM_ENDPOINT_PATHS,
    OAuthEndpoints,
    OAuthEndpointsDispatch,
    endpoint_routes,
)
from stint.web.oauth.logout import LogoutDependencies, logout_routes
from stint.web.oauth.oidc import USERINFO_PATH, OidcDependencies, oidc_routes
from stint.web.oauth.registration import (
    REGISTRATION_PATH,
    RegistrationLimit,
    registration_routes,
)
from stint.web.outbound_fetcher import OutboundDocumentFetcher
from stint.web.pages.account import account_routes
from stint.web.pages.common import PageContext
from stint.web.pages.developer import developer_routes
from stint.web.pages.login import login_routes
from stint.web.problems import exception_handlers
from stint.web.responses import JSONResponse
from stint.web.security import Authenticator
from stint.web.sessions import SessionManager
from stint.web.templating import Pages

__all__ = ["API_OPERATIONS", "OAuthStores", "SchemaOutOfDateError", "create_app"]

log = logging.getLogger("stint")

API_OPERATIONS: list[Operation[Any]] = [
    *accounts.OPERATIONS,
    *activities.OPERATIONS,
    *time_entries.OPERATIONS,
    *reports.OPERATIONS,
]
# Starlette matches routes one by one: the most requested reads go first.
_HOT_FIRST = ("/api/resource", "/api/activities", "/api/time-entries")


def _routing_order(operation: Operation[Any]) -> int:
    hot = operation.method == "GET" and operation.path in _HOT_FIRST
    return _HOT_FIRST.index(operation.path) if hot else len(_HOT_FIRST)


STATIC = Path(__file__).with_name("static")
_PRUNE_EVERY_SECONDS = 600.0


class SchemaOutOfDateError(RuntimeError):
    """The database is not at the newest migration: run `stint migrate`."""


@dataclass(frozen=True)
class OAuthStores:
    clients: SqlClientStore
    grants: SqlGrantStore
    codes: SqlAuthorizationCodeStore
    refresh_tokens: SqlRefreshTokenStore
    opaque_tokens: SqlOpaqueTokenStore
    revoked: SqlRevokedTokenStore
    consents: SqlConsentStore
    sessions: SqlSessionStore
    session_clients: SqlSessionClientStore


@dataclass
class Runtime:
    """What the app holds open between start-up and shutdown, and what tests reach into."""

    db: Database
    keys: KeyRing
    key_store: SqlSigningKeyStore
    redis: Any  # redis.asyncio.Redis when configured; imported only then
    oauth: OAuthStores
    hasher: SecretHasher
    tokens: TokenFactory
    id_tokens: IdTokenIssuer
    claims: AccountClaims


def create_app(settings: Settings, *, hashing: PasswordHashing | None = None) -> Starlette:
    """Build the ASGI app. Nothing touches the database until the lifespan starts it."""
    secret = read_or_create_secret(settings)
    secure_cookies = settings.effective_issuer.startswith("https://")
    db = Database(settings.effective_database_url)
    key_store = SqlSigningKeyStore(db, KeySealer(secret))
    keys = KeyRing(key_store.load_or_create)
    return_large_blocks_to_os()
    redis: Any = None
    # Throttling counts are shared by every worker and host: in Redis, else in the database.
    counters: CounterStore = SqlCounterStore(db)
    if settings.redis_url:
        from redis.asyncio import Redis  # only deployments that use Redis pay for importing it

        from stint.storage.redis_counters import RedisCounterStore

        redis = Redis.from_url(settings.redis_url)
        counters = RedisCounterStore(redis)
    issuer = settings.effective_issuer
    audience = f"{issuer}/api"
    hasher = SecretHasher(secret)
    limits = ThrottleLimits(
        failures_per_account_and_ip=settings.login_failures_per_account,
        failures_per_ip=settings.login_failures_per_ip,
        window_seconds=settings.login_failure_window_seconds,
        backoff_base_seconds=settings.login_backoff_base_seconds,
        account_ceiling=settings.login_account_failure_ceiling,
    )
    # Every revocation (token, grant, client, account) is recorded here and followed by every
    # worker: see stint.protocol.revocation_cache.
    revocation_log = SqlRevocationLog(db, keep_seconds=settings.access_token_ttl)
    if redis is not None:
        revocation_log.publish_with(redis_publisher(redis))
    user_store = SqlUserStore(db, revocation_log)
    account_service = AccountService(
        user_store,
        hashing or PasswordHashing(),
        LoginThrottle(counters, limits),
        cache_key=secret,
        hash_concurrency=settings.password_hash_concurrency,
        credential_cache_seconds=settings.basic_auth_cache_seconds,
        user_cache_seconds=settings.account_status_cache_seconds,
    )
    oauth = OAuthStores(
        clients=SqlClientStore(
            db, cache_seconds=settings.client_cache_seconds, revocation_log=revocation_log
        ),
        grants=SqlGrantStore(db, revocation_log),
        codes=SqlAuthorizationCodeStore(db),
        refresh_tokens=SqlRefreshTokenStore(db),
        opaque_tokens=SqlOpaqueTokenStore(db),
        revoked=SqlRevokedTokenStore(db, revocation_log),
        consents=SqlConsentStore(db),
        sessions=SqlSessionStore(db),
        session_clients=SqlSessionClientStore(db),
    )
    jwt_issuer = AccessTokenIssuer(
        keys, issuer=issuer, audience=audience, ttl=settings.access_token_ttl
    )
    verifier = AccessTokenVerifier(keys, issuer=issuer, audience=audience)
    tokens = TokenFactory(
        jwt_issuer,
        oauth.grants,
        oauth.refresh_tokens,
        oauth.opaque_tokens,
        hasher,
        refresh_ttl=settings.refresh_token_ttl,
    )
    outbound = OutboundHttp(
        FetchPolicy(
            timeout_seconds=settings.outbound_timeout_seconds,
            allow_private_addresses=settings.effective_outbound_allow_private,
            require_https=settings.environment == "production",
        )
    )
    fetcher = OutboundDocumentFetcher(outbound)
    client_keys = ClientJwks(fetcher)
    claims = AccountClaims(user_store)
    id_tokens = IdTokenIssuer(
        keys,
        issuer=issuer,
        ttl=settings.id_token_ttl,
        subjects=SubjectIdentifiers(secret),
        claims_source=claims,
        client_keys=client_keys,
    )
    revocations = RevocationCache(revocation_log, poll_seconds=settings.revocation_cache_seconds)
    # This worker refuses what it revoked at once: applied when the transaction commits.
    revocation_log.on_commit(revocations.apply)
    revocations.subscribe(RevocationKind.CLIENT, oauth.clients.forget)
    revocations.subscribe(RevocationKind.USER, lambda user_id: account_service.forget(int(user_id)))
    push = RevocationPush(revocations.catch_up)
    users = AccountDirectory(account_service)

    def token_validator(revoked: RevocationView) -> TokenValidator:
        return TokenValidator(
            verifier,
            revoked,
            opaque_tokens=oauth.opaque_tokens,
            grants=oauth.grants,
            clients=oauth.clients,
            users=users,
            hasher=hasher,
        )

    # One rule for every token check; the API answers from this worker's revocation cache,
    # introspection from the stores (RFC 7662: how a resource server asks for the latest word).
    api_tokens = token_validator(revocations)
    introspected_tokens = token_validator(SqlRevocationView(db))
    grant_context = GrantContext(
        tokens=tokens,
        grants=oauth.grants,
        codes=oauth.codes,
        refresh_tokens=oauth.refresh_tokens,
        users=users,
        refresh_grace_seconds=settings.refresh_grace_seconds,
        refresh_family_seconds=settings.refresh_family_lifetime_seconds,
        id_tokens=id_tokens,
    )
    grant_handlers: dict[str, GrantHandler] = {
        g.grant_type: g
        for g in (
            AuthorizationCodeGrant(grant_context),
            RefreshTokenGrant(grant_context),
            ClientCredentialsGrant(grant_context),
            PasswordGrant(grant_context),
        )
    }
    token_endpoint = TokenEndpoint(oauth.clients, hasher, grant_handlers)
    records = TokenRecords(oauth.grants, oauth.refresh_tokens, oauth.opaque_tokens, oauth.revoked)
    revocation = RevocationEndpoint(oauth.clients, hasher, records, verifier)
    services = Services(
        accounts=account_service,
        authenticate=Authenticator(account_service, api_tokens),
        first_party=FirstPartyTokens(jwt_issuer, oauth.grants, revocation),
        timetracking=TimeTracking(SqlActivityStore(db), SqlTimeEntryStore(db)),
    )
    endpoints = OAuthEndpoints(
        token=token_endpoint,
        revocation=revocation,
        introspection=IntrospectionEndpoint(
            oauth.clients,
            hasher,
            introspected_tokens,
            refresh_tokens=oauth.refresh_tokens,
            grants=oauth.grants,
            issuer=issuer,
        ),
        metadata=authorization_server_metadata(
            issuer,
            grant_types=token_endpoint.grant_types,
            implicit_enabled=settings.implicit_enabled,
            plain_pkce=settings.allow_plain_pkce,
        ),
    )
    sessions = SessionManager(
        oauth.sessions, hasher, ttl_seconds=settings.session_ttl_seconds, secure=secure_cookies
    )
    csrf = CsrfProtection(secret, secure=secure_cookies, session_cookie=sessions.cookie)
    page_context = PageContext(pages=Pages(csrf), sessions=sessions, accounts=account_service)
    authorize = AuthorizeDependencies(
        pages=page_context,
        clients=oauth.clients,
        consents=oauth.consents,
        responder=AuthorizationResponder(SqlApprovalStore(db), tokens, issuer, id_tokens),
        policy=AuthorizePolicy(
            require_pkce=settings.pkce_required,
            allow_plain_pkce=settings.allow_plain_pkce,
            implicit_enabled=settings.implicit_enabled,
        ),
        subjects=id_tokens.subjects,
        markers=ReauthenticationMarkers(secret),
        hints=IdTokenHintVerifier(keys, issuer),
        request_objects=RequestObjects(
            issuer,
            fetcher,
            client_keys,
            by_reference_enabled=settings.request_uri_enabled,
            allow_http=settings.environment != "production",
        ),
    )
    discovery_extra: dict[str, Any] = {
        # OIDC Core §6, RFC 9101
        "request_parameter_supported": True,
        "request_uri_parameter_supported": settings.request_uri_enabled,
        "require_request_uri_registration": True,  # Registration §2: see RequestObjects
        "request_object_signing_alg_values_supported": list(REQUEST_OBJECT_ALGS),
    }
    if settings.registration_enabled and (
        settings.effective_registration_open or settings.registration_initial_access_token
    ):
        discovery_extra["registration_endpoint"] = f"{issuer}/o/register"
    # RP-Initiated Logout §2.1, Back-Channel Logout §2.1
    discovery_extra |= {
        "end_session_endpoint": f"{issuer}/o/logout/",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }

    def configuration() -> dict[str, Any]:
        # Built on request: the signing algorithms follow the keys the ring has loaded.
        return openid_configuration(
            endpoints.metadata,
            signing_algs=keys.algorithms,
            implicit_enabled=settings.implicit_enabled,
            extra=discovery_extra,
        )

    oidc = OidcDependencies(
        configuration=configuration,
        keys=keys,
        jwks_max_age=settings.jwks_max_age_seconds,
        userinfo=UserInfoEndpoint(api_tokens, oauth.grants, claims, id_tokens),
    )
    registration = RegistrationEndpoint(
        oauth.clients,
        hasher,
        endpoint_url=f"{issuer}/o/register",
        policy=RegistrationPolicy(
            implicit_enabled=settings.implicit_enabled,
            loopback_urls=settings.environment != "production",
        ),
        fetcher=fetcher,
        initial_access_token=settings.registration_initial_access_token,
        open_to_anyone=settings.effective_registration_open,
    )
    registration_limit = RegistrationLimit(
        counters, settings.registrations_per_ip, settings.registration_window_seconds
    )
    # OIDC Back-Channel Logout: every way a session ends tells the apps that signed in with it.
    backchannel = BackchannelLogout(
        clients=oauth.clients,
        session_clients=oauth.session_clients,
        deliveries=SqlLogoutDeliveryStore(db, max_attempts=settings.backchannel_logout_attempts),
        tokens=LogoutTokens(id_tokens),
        http=outbound,
        retry_seconds=settings.backchannel_logout_retry_seconds,
        lease_seconds=settings.outbound_timeout_seconds + 10,
    )
    page_context.sessions.on_end(backchannel.session_ended)
    end_session = LogoutDependencies(page_context, EndSessionValidator(oauth.clients, keys, issuer))
    runtime = Runtime(db, keys, key_store, redis, oauth, hasher, tokens, id_tokens, claims)
    document = openapi_document(API_OPERATIONS, server_url=issuer)

    async def openapi_json(_request: Request) -> Response:
        return JSONResponse(document)

    # Starlette tries routes in order: the API's hot paths come first. POSTs to the token,
    # revocation and introspection endpoints are answered before routing, by
    # OAuthEndpointsDispatch, with the same app their routes hold.
    routes: list[BaseRoute] = [
        *starlette_routes(sorted(API_OPERATIONS, key=_routing_order), services.authenticate),
        *endpoint_routes(endpoints),
        *oidc_routes(oidc),
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        *docs_routes(),
        *authorize_routes(authorize),
        *login_routes(page_context),
        *logout_routes(end_session),
        *account_routes(page_context, runtime),
        *developer_routes(page_context, runtime),
        *(
            registration_routes(registration, registration_limit)
            if settings.registration_enabled
            else []
        ),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        revision = await schema_revision(db)
        if revision != SCHEMA_HEAD:
            await db.dispose()
            raise SchemaOutOfDateError(
                f"the database is at migration {revision or 'none'}, not {SCHEMA_HEAD}: "
                "run `stint migrate` first"
            )
        await keys.reload()
        await revocations.catch_up()  # everything revoked so far, before the first request
        key_refresh = asyncio.create_task(_refresh_keys(keys, settings.key_refresh_seconds))
        push.start(database_url=db.url, redis=redis)
        pruning = asyncio.create_task(_prune_revocations(revocation_log))
        backchannel.start()
        session_expiry = asyncio.create_task(page_context.sessions.end_expired_forever())
        # What start-up built lives as long as the worker: keep it out of every GC pass, so a
        # full collection does not stall requests (gc.freeze, CPython 3.7+).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            key_refresh.cancel()
            session_expiry.cancel()
            pruning.cancel()
            await push.aclose()
            await revocations.settle()
            await backchannel.aclose()
            await outbound.aclose()
            if redis is not None:
                await redis.aclose()
            await db.dispose()

    # Where an unexpected error is RFC 6749 server_error JSON rather than a problem.
    oauth_paths = (*FORM_ENDPOINT_PATHS, USERINFO_PATH, REGISTRATION_PATH)
    app = Starlette(
        routes=routes,
        middleware=[
            # Outermost ours: every answer, errors included, gets the security headers.
            Middleware(SecurityHeaders, boundary=ErrorBoundary(oauth_paths=oauth_paths)),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(OAuthEndpointsDispatch, endpoints=endpoints),
        ],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.runtime = runtime
    app.state.backchannel = backchannel
    app.state.sessions = page_context.sessions
    app.state.revocations = revocations
    app.state.revocation_push = push
    app.state.settings = settings
    return app


class IdTokenHintVerifier:
    """The authorize checks' IdTokenHints port over the key ring."""

    def __init__(self, keys: KeyRing, issuer: str) -> None:
        self._keys = keys
        self._issuer = issuer

    async def verify(self, token: str) -> dict[str, Any]:
        return await verified_id_token_hint(token, self._keys, self._issuer)


async def _refresh_keys(keys: KeyRing, interval: float) -> None:
    """Pick up keys rotated by any host (`stint keys rotate`), so every worker signs alike."""
    while True:
        await asyncio.sleep(interval)
        try:
            await keys.reload()
        except Exception:  # a database hiccup: keep the keys we have, try again next time
            log.exception("reloading the signing keys failed")


async def _prune_revocations(revocation_log: SqlRevocationLog) -> None:
    """Forget revocation events once what they revoked has long expired (any worker may)."""
    while True:
        await asyncio.sleep(_PRUNE_EVERY_SECONDS)
        try:
            await revocation_log.prune(datetime.now(UTC) - timedelta(hours=1))
        except Exception:  # a database hiccup: try again next time
            log.exception("pruning the revocation log failed")
