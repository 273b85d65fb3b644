"""The app factory: the composition root that wires settings, stores, services and routes."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from stint.accounts.passwords import PasswordHashing
from stint.protocol.authorize import AuthorizationResponder, AuthorizePolicy
from stint.protocol.endpoints.introspection import IntrospectionEndpoint
from stint.protocol.endpoints.metadata import authorization_server_metadata
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.first_party import FirstPartyTokens
from stint.protocol.grants.context import GrantContext
from stint.protocol.grants.registry import enabled_grants
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.client_registration import RegistrationPolicy
from stint.protocol.oidc.discovery import openid_configuration
from stint.protocol.oidc.end_session import EndSessionValidator
from stint.protocol.oidc.id_token_hint import verified_id_token_hint
from stint.protocol.oidc.logout_token import LogoutTokens
from stint.protocol.oidc.reauthentication import ReauthenticationMarkers
from stint.protocol.oidc.registration_endpoint import RegistrationEndpoint
from stint.protocol.oidc.request_object import REQUEST_OBJECT_ALGS, RequestObjects
from stint.settings import Settings
from stint.storage.activity_store import SqlActivityStore
from stint.storage.approval_store import SqlApprovalStore
from stint.storage.logout_delivery_store import SqlLogoutDeliveryStore
from stint.storage.time_entry_store import SqlTimeEntryStore
from stint.timetracking.service import TimeTracking
from stint.web.api import accounts, activities, reports, time_entries
from stint.web.api.context import Services
from stint.web.api.docs import docs_routes
from stint.web.api.openapi import openapi_document
from stint.web.api.operations import Operation, starlette_routes
from stint.web.backchannel import BackchannelLogout
from stint.web.core import build_core
from stint.web.memory import return_large_blocks_to_os
from stint.web.middleware import BodySizeLimit, BodyTooLargeError, SecurityHeaders
from stint.web.oauth.authorize import AuthorizeDependencies, authorize_routes
from stint.web.oauth.endpoints import OAuthEndpoints, OAuthEndpointsDispatch, metadata_routes
from stint.web.oauth.logout import LogoutDependencies, logout_routes
from stint.web.oauth.oidc import OidcDependencies, oidc_routes
from stint.web.oauth.registration import RegistrationLimit, registration_routes
from stint.web.pages.account import account_routes
from stint.web.pages.developer import developer_routes
from stint.web.pages.login import login_routes
from stint.web.problems import exception_handlers
from stint.web.responses import JSONResponse, ProblemResponse

__all__ = ["API_OPERATIONS", "create_app"]

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


def create_app(settings: Settings, *, hashing: PasswordHashing | None = None) -> Starlette:
    """Build the ASGI app. Nothing touches the database until the lifespan starts it."""
    return_large_blocks_to_os()
    core = build_core(settings, hashing=hashing)
    issuer = core.issuer
    keys = core.keys
    oauth = core.oauth
    hasher = core.hasher
    tokens = core.tokens
    id_tokens = core.id_tokens
    fetcher = core.fetcher
    client_keys = core.client_keys
    counters = core.counters
    outbound = core.outbound
    secret = core.secret
    page_context = core.pages
    grant_context = GrantContext(
        tokens=tokens,
        grants=oauth.grants,
        codes=oauth.codes,
        refresh_tokens=oauth.refresh_tokens,
        users=core.users,
        refresh_grace_seconds=settings.refresh_grace_seconds,
        refresh_family_seconds=settings.refresh_family_lifetime_seconds,
        id_tokens=id_tokens,
    )
    grant_handlers = enabled_grants(settings.grant_types, grant_context)
    token_endpoint = TokenEndpoint(oauth.clients, hasher, grant_handlers)
    revocation = core.revocation
    services = Services(
        accounts=core.accounts,
        authenticate=core.authenticate,
        first_party=FirstPartyTokens(core.access_tokens, oauth.grants, revocation),
        timetracking=TimeTracking(SqlActivityStore(core.db), SqlTimeEntryStore(core.db)),
    )
    endpoints = OAuthEndpoints(
        token=token_endpoint,
        revocation=revocation,
        introspection=IntrospectionEndpoint(
            oauth.clients,
            hasher,
            oauth.records,
            core.verifier,
            issuer=issuer,
            users=grant_context.users,
        ),
        metadata=authorization_server_metadata(
            issuer,
            grant_types=token_endpoint.grant_types,
            implicit_enabled=settings.implicit_enabled,
            plain_pkce=settings.allow_plain_pkce,
        ),
    )
    authorize = AuthorizeDependencies(
        pages=page_context,
        clients=oauth.clients,
        consents=oauth.consents,
        responder=AuthorizationResponder(SqlApprovalStore(core.db), tokens, issuer, id_tokens),
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
        authenticate=services.authenticate,
        clients=oauth.clients,
        grants=oauth.grants,
        claims=core.claims,
        id_tokens=id_tokens,
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
        deliveries=SqlLogoutDeliveryStore(
            core.db, max_attempts=settings.backchannel_logout_attempts
        ),
        tokens=LogoutTokens(id_tokens),
        http=outbound,
        retry_seconds=settings.backchannel_logout_retry_seconds,
        lease_seconds=settings.outbound_timeout_seconds + 10,
    )
    page_context.sessions.on_end(backchannel.session_ended)
    end_session = LogoutDependencies(page_context, EndSessionValidator(oauth.clients, keys, issuer))
    document = openapi_document(API_OPERATIONS, server_url=issuer)

    async def openapi_json(_request: Request) -> Response:
        return JSONResponse(document)

    # Starlette tries routes in order: the API's hot paths come first. The token, revocation and
    # introspection endpoints are answered before routing, by OAuthEndpointsDispatch.
    routes: list[BaseRoute] = [
        *starlette_routes(sorted(API_OPERATIONS, key=_routing_order), services.authenticate),
        *metadata_routes(endpoints),
        *oidc_routes(oidc),
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        *docs_routes(),
        *authorize_routes(authorize),
        *login_routes(page_context),
        *logout_routes(end_session),
        *account_routes(page_context, oauth),
        *developer_routes(page_context, oauth.clients, hasher),
        *(
            registration_routes(registration, registration_limit)
            if settings.registration_enabled
            else []
        ),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await core.start()
        backchannel.start()
        # What start-up built lives as long as the worker: keep it out of every GC pass, so a
        # full collection does not stall requests (gc.freeze, CPython 3.7+).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await backchannel.aclose()
            await core.stop()

    handlers = exception_handlers()
    handlers[BodyTooLargeError] = _body_too_large(settings.max_body_bytes)
    app = Starlette(
        routes=routes,
        middleware=[
            # Outermost ours: every answer, errors included, gets the security headers.
            Middleware(SecurityHeaders),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(OAuthEndpointsDispatch, endpoints=endpoints),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.runtime = core
    app.state.backchannel = backchannel
    app.state.sessions = core.sessions
    app.state.revocations = core.revocations
    app.state.revocation_push = core.push
    app.state.settings = settings
    return app


class IdTokenHintVerifier:
    """The authorize checks' IdTokenHints port over the key ring."""

    def __init__(self, keys: KeyRing, issuer: str) -> None:
        self._keys = keys
        self._issuer = issuer

    async def verify(self, token: str) -> dict[str, Any]:
        return await verified_id_token_hint(token, self._keys, self._issuer)


def _body_too_large(limit: int) -> Any:
    async def handler(_request: Request, _exc: Exception) -> Response:
        detail = f"request bodies are limited to {limit} bytes"
        return ProblemResponse(413, "Content Too Large", detail=detail)

    return handler
