"""OpenID Connect discovery (built from every feature's entries), the JWKS, and UserInfo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stint.protocol.clients import grant_types_on
from stint.protocol.oidc.discovery import openid_configuration
from stint.protocol.oidc.userinfo import UserInfoEndpoint
from stint.settings import Settings
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.oauth.oidc import USERINFO_PATH, OidcDependencies, oidc_routes

__all__ = ["OidcConfig", "build", "feature"]


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """The settings discovery and the JWKS read."""

    implicit_enabled: bool  # the response types discovery lists
    jwks_max_age_seconds: int
    grant_types: frozenset[str]  # and the grants they need

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig:
        return cls(
            implicit_enabled=settings.implicit_enabled,
            jwks_max_age_seconds=settings.jwks_max_age_seconds,
            grant_types=grant_types_on(settings.grant_types),
        )


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, OidcConfig.from_settings(settings))


def build(core: Core, config: OidcConfig) -> Feature:
    def configuration() -> dict[str, Any]:
        # Built on request: the signing algorithms follow the keys the ring has loaded.
        return openid_configuration(
            core.metadata,
            signing_algs=core.keys.algorithms,
            implicit_enabled=config.implicit_enabled,
            grant_types=config.grant_types,
            extra=core.discovery,
        )

    deps = OidcDependencies(
        configuration=configuration,
        keys=core.keys,
        jwks_max_age=config.jwks_max_age_seconds,
        userinfo=UserInfoEndpoint(core.api_tokens, core.oauth.grants, core.claims, core.id_tokens),
    )
    return Feature(routes=oidc_routes(deps), oauth_error_paths=(USERINFO_PATH,))
