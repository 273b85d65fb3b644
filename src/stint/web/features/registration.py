"""OpenID Connect Dynamic Client Registration and RFC 7591/7592 (/o/register)."""

from __future__ import annotations

from dataclasses import dataclass, field

from stint.protocol.clients import grant_types_on
from stint.protocol.oidc.client_registration import RegistrationPolicy
from stint.protocol.oidc.registration_endpoint import RegistrationEndpoint
from stint.settings import Settings
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.oauth.registration import REGISTRATION_PATH, RegistrationLimit, registration_routes

__all__ = ["RegistrationConfig", "build", "feature"]


@dataclass(frozen=True, slots=True)
class RegistrationConfig:
    """The settings client registration reads."""

    enabled: bool  # off: no route, no discovery entry
    open_to_anyone: bool  # else only to whoever holds the initial access token (RFC 7591 §3)
    initial_access_token: str = field(repr=False)
    registrations_per_ip: int
    window_seconds: int
    implicit_enabled: bool
    loopback_urls: bool  # outside production, http://localhost redirect URIs too
    grant_types: frozenset[str]  # a client may register only these
    ciba_user_codes: bool = False  # backchannel_user_code_parameter may be registered

    @classmethod
    def from_settings(cls, settings: Settings) -> RegistrationConfig:
        return cls(
            enabled=settings.registration_enabled,
            open_to_anyone=settings.effective_registration_open,
            initial_access_token=settings.registration_initial_access_token,
            registrations_per_ip=settings.registrations_per_ip,
            window_seconds=settings.registration_window_seconds,
            implicit_enabled=settings.implicit_enabled,
            loopback_urls=settings.environment != "production",
            grant_types=grant_types_on(settings.grant_types),
            ciba_user_codes=settings.ciba_user_codes,
        )


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, RegistrationConfig.from_settings(settings))


def build(core: Core, config: RegistrationConfig) -> Feature:
    if not config.enabled:
        return Feature()
    endpoint_url = f"{core.issuer}/o/register"
    endpoint = RegistrationEndpoint(
        core.oauth.clients,
        core.hasher,
        endpoint_url=endpoint_url,
        policy=RegistrationPolicy(
            implicit_enabled=config.implicit_enabled,
            loopback_urls=config.loopback_urls,
            grant_types=config.grant_types,
            ciba_user_codes=config.ciba_user_codes,
        ),
        fetcher=core.fetcher,
        initial_access_token=config.initial_access_token,
        open_to_anyone=config.open_to_anyone,
    )
    limit = RegistrationLimit(core.counters, config.registrations_per_ip, config.window_seconds)
    # Advertised only when someone can use it: anyone, or whoever holds the initial token.
    advertised = config.open_to_anyone or bool(config.initial_access_token)
    return Feature(
        routes=registration_routes(endpoint, limit),
        discovery={"registration_endpoint": endpoint_url} if advertised else {},
        oauth_error_paths=(REGISTRATION_PATH,),
    )
