"""The authorization endpoint (/o/authorize/): its checks, sign-in hand-off, consent, responses,
and request objects (RFC 9101)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stint.protocol.authorize import AuthorizationResponder, AuthorizePolicy
from stint.protocol.clients import grant_types_on
from stint.protocol.endpoints.metadata import authorization_endpoint_metadata
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.id_token_hint import verified_id_token_hint
from stint.protocol.oidc.reauthentication import ReauthenticationMarkers
from stint.protocol.oidc.request_object import REQUEST_OBJECT_ALGS, RequestObjects
from stint.settings import Settings
from stint.storage.approval_store import SqlApprovalStore
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.oauth.authorize import AuthorizeDependencies, authorize_routes

__all__ = ["AuthorizeConfig", "IdTokenHintVerifier", "build", "feature"]


@dataclass(frozen=True, slots=True)
class AuthorizeConfig:
    """The settings the authorization endpoint reads."""

    pkce_required: bool
    allow_plain_pkce: bool
    implicit_enabled: bool
    request_uri_enabled: bool  # RFC 9101 request objects by reference
    request_uri_allow_http: bool  # outside production, request_uri may be plain http
    grant_types: frozenset[str]  # a response type needing a grant switched off is unsupported

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthorizeConfig:
        return cls(
            pkce_required=settings.pkce_required,
            allow_plain_pkce=settings.allow_plain_pkce,
            implicit_enabled=settings.implicit_enabled,
            request_uri_enabled=settings.request_uri_enabled,
            request_uri_allow_http=settings.environment != "production",
            grant_types=grant_types_on(settings.grant_types),
        )


class IdTokenHintVerifier:
    """The authorize checks' IdTokenHints port over the key ring."""

    def __init__(self, keys: KeyRing, issuer: str) -> None:
        self._keys = keys
        self._issuer = issuer

    async def verify(self, token: str) -> dict[str, Any]:
        return await verified_id_token_hint(token, self._keys, self._issuer)


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, AuthorizeConfig.from_settings(settings))


def build(core: Core, config: AuthorizeConfig) -> Feature:
    oauth = core.oauth
    deps = AuthorizeDependencies(
        pages=core.pages,
        clients=oauth.clients,
        consents=oauth.consents,
        responder=AuthorizationResponder(
            SqlApprovalStore(core.db), core.tokens, core.issuer, core.id_tokens
        ),
        policy=AuthorizePolicy(
            require_pkce=config.pkce_required,
            allow_plain_pkce=config.allow_plain_pkce,
            implicit_enabled=config.implicit_enabled,
            grant_types=config.grant_types,
        ),
        subjects=core.id_tokens.subjects,
        markers=ReauthenticationMarkers(core.secret),
        hints=IdTokenHintVerifier(core.keys, core.issuer),
        request_objects=RequestObjects(
            core.issuer,
            core.fetcher,
            core.client_keys,
            by_reference_enabled=config.request_uri_enabled,
            allow_http=config.request_uri_allow_http,
        ),
        # CHECKS, then every enabled feature's own: create_app adds those once all are built.
        checks=core.authorize_checks,
    )
    return Feature(
        routes=authorize_routes(deps),
        metadata=authorization_endpoint_metadata(
            core.issuer,
            implicit_enabled=config.implicit_enabled,
            plain_pkce=config.allow_plain_pkce,
            grant_types=config.grant_types,
        ),
        discovery={
            # OIDC Core §6, RFC 9101
            "request_parameter_supported": True,
            "request_uri_parameter_supported": config.request_uri_enabled,
            "require_request_uri_registration": True,  # Registration §2: see RequestObjects
            "request_object_signing_alg_values_supported": list(REQUEST_OBJECT_ALGS),
        },
    )
