"""OpenID Connect Dynamic Client Registration and RFC 7591/7592 (/o/register).

Settings: ``registration_enabled`` (off: no route, no discovery entry), ``registration_open``,
``registration_initial_access_token``, ``registrations_per_ip``, ``registration_window_seconds``.
"""

from __future__ import annotations

from stint.protocol.oidc.client_registration import RegistrationPolicy
from stint.protocol.oidc.registration_endpoint import RegistrationEndpoint
from stint.settings import Settings
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.oauth.registration import REGISTRATION_PATH, RegistrationLimit, registration_routes

__all__ = ["feature"]


def feature(core: Core, settings: Settings) -> Feature:
    if not settings.registration_enabled:
        return Feature()
    endpoint_url = f"{core.issuer}/o/register"
    endpoint = RegistrationEndpoint(
        core.oauth.clients,
        core.hasher,
        endpoint_url=endpoint_url,
        policy=RegistrationPolicy(
            implicit_enabled=settings.implicit_enabled,
            loopback_urls=settings.environment != "production",
        ),
        fetcher=core.fetcher,
        initial_access_token=settings.registration_initial_access_token,
        open_to_anyone=settings.effective_registration_open,
    )
    limit = RegistrationLimit(
        core.counters, settings.registrations_per_ip, settings.registration_window_seconds
    )
    # Advertised only when someone can use it: anyone, or whoever holds the initial token.
    advertised = settings.effective_registration_open or settings.registration_initial_access_token
    return Feature(
        routes=registration_routes(endpoint, limit),
        discovery={"registration_endpoint": endpoint_url} if advertised else {},
        oauth_error_paths=(REGISTRATION_PATH,),
    )
