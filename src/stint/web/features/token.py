"""The token endpoint and its grants, revocation (RFC 7009), introspection (RFC 7662), and the
authorization server metadata (RFC 8414) that every feature's entries make up."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.middleware import Middleware

from stint.protocol.endpoints.introspection import IntrospectionEndpoint
from stint.protocol.endpoints.metadata import token_endpoint_metadata
from stint.protocol.endpoints.token import TokenEndpoint
from stint.protocol.grants.context import GrantContext
from stint.protocol.grants.registry import enabled_grants
from stint.settings import Settings
from stint.storage.revocation_view import SqlRevocationView
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.oauth.endpoints import (
    FORM_ENDPOINT_PATHS,
    OAuthEndpoints,
    OAuthEndpointsDispatch,
    endpoint_routes,
)

__all__ = ["TokenConfig", "build", "feature"]


@dataclass(frozen=True, slots=True)
class TokenConfig:
    """The settings the token endpoint reads."""

    grant_types: tuple[str, ...]  # which grants are built; the others are unsupported
    refresh_grace_seconds: int
    refresh_family_lifetime_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenConfig:
        return cls(
            grant_types=settings.grant_types,
            refresh_grace_seconds=settings.refresh_grace_seconds,
            refresh_family_lifetime_seconds=settings.refresh_family_lifetime_seconds,
        )


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, TokenConfig.from_settings(settings))


def build(core: Core, config: TokenConfig) -> Feature:
    oauth = core.oauth
    grants = enabled_grants(
        config.grant_types,
        GrantContext(
            tokens=core.tokens,
            grants=oauth.grants,
            codes=oauth.codes,
            refresh_tokens=oauth.refresh_tokens,
            users=core.users,
            refresh_grace_seconds=config.refresh_grace_seconds,
            refresh_family_seconds=config.refresh_family_lifetime_seconds,
            id_tokens=core.id_tokens,
            device_authorizations=oauth.device_authorizations,
            backchannel_requests=oauth.backchannel_requests,
        ),
    )
    endpoints = OAuthEndpoints(
        # Every enabled feature's grants: create_app fills core.grants once all are built.
        token=TokenEndpoint(oauth.clients, core.hasher, core.grants),
        revocation=core.revocation,
        # RFC 7662: how a resource server asks for the latest word, so revocations are read
        # from the database, not from this worker's cache.
        introspection=IntrospectionEndpoint(
            oauth.clients,
            core.hasher,
            core.token_validator(SqlRevocationView(core.db)),
            refresh_tokens=oauth.refresh_tokens,
            grants=oauth.grants,
            issuer=core.issuer,
        ),
        metadata=core.metadata,  # merged from every feature's entries by create_app
    )
    return Feature(
        routes=endpoint_routes(endpoints),
        # POSTs to the three form endpoints are answered ahead of routing (the hot paths), by
        # the same app their routes hold.
        middleware=[Middleware(OAuthEndpointsDispatch, endpoints=endpoints)],
        grants=grants,
        metadata=token_endpoint_metadata(core.issuer, grant_types=grants),
        oauth_error_paths=FORM_ENDPOINT_PATHS,
    )
