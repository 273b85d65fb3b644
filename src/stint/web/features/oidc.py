"""OpenID Connect discovery (built from every feature's entries), the JWKS, and UserInfo.

Settings: ``implicit_enabled`` (the response types discovery lists), ``jwks_max_age_seconds``.
"""

from __future__ import annotations

from typing import Any

from stint.protocol.oidc.discovery import openid_configuration
from stint.protocol.oidc.userinfo import UserInfoEndpoint
from stint.settings import Settings
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.oauth.oidc import USERINFO_PATH, OidcDependencies, oidc_routes

__all__ = ["feature"]


def feature(core: Core, settings: Settings) -> Feature:
    def configuration() -> dict[str, Any]:
        # Built on request: the signing algorithms follow the keys the ring has loaded.
        return openid_configuration(
            core.metadata,
            signing_algs=core.keys.algorithms,
            implicit_enabled=settings.implicit_enabled,
            extra=core.discovery,
        )

    deps = OidcDependencies(
        configuration=configuration,
        keys=core.keys,
        jwks_max_age=settings.jwks_max_age_seconds,
        userinfo=UserInfoEndpoint(core.api_tokens, core.oauth.grants, core.claims, core.id_tokens),
    )
    return Feature(routes=oidc_routes(deps), oauth_error_paths=(USERINFO_PATH,))
