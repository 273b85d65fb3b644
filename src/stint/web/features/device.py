"""The device authorization grant (RFC 8628): the device authorization endpoint, its metadata
entry, and the /device page where a person approves a device.

Mounted only where ``grant_types`` names the device_code grant: with it off there is no
endpoint, no page and no metadata entry (and the token endpoint has no such grant).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import Route

from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.device.authorization import DeviceAuthorizationEndpoint, DeviceFlowPolicy
from stint.protocol.device.verification import DeviceVerification
from stint.protocol.messages import EndpointRequest
from stint.settings import Settings
from stint.web.core import Core
from stint.web.device.pages import DEVICE_PATH, DevicePages, device_routes
from stint.web.device.throttle import UserCodeThrottle
from stint.web.features import Feature
from stint.web.oauth.endpoints import FormEndpoint
from stint.web.oauth.responses import RawResponse, oauth_json

__all__ = [
    "DEVICE_AUTHORIZATION_PATH",
    "DOT_DEVICE_AUTHORIZATION_PATH",
    "DeviceConfig",
    "build",
    "feature",
]

DEVICE_AUTHORIZATION_PATH = "/o/device_authorization"  # the one the metadata names
# Django OAuth Toolkit's path for the same endpoint, so clients written for it work unchanged.
DOT_DEVICE_AUTHORIZATION_PATH = "/o/device-authorization/"
# Attempts at one code that found nothing before the code is refused for the window.
_FAILURES_PER_CODE = 5


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """The settings the device flow reads."""

    enabled: bool  # grant_types names the device_code grant
    expires_in: int
    interval: int
    failures_per_address: int
    window_seconds: int
    failures_per_code: int = _FAILURES_PER_CODE

    @classmethod
    def from_settings(cls, settings: Settings) -> DeviceConfig:
        return cls(
            enabled=DEVICE_CODE_GRANT in settings.grant_types,
            expires_in=settings.device_code_ttl_seconds,
            interval=settings.device_poll_interval_seconds,
            failures_per_address=settings.device_user_code_failures_per_ip,
            window_seconds=settings.device_user_code_window_seconds,
        )


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, DeviceConfig.from_settings(settings))


def build(core: Core, config: DeviceConfig) -> Feature:
    if not config.enabled:
        return Feature()
    oauth = core.oauth
    store = oauth.device_authorizations
    endpoint_url = f"{core.issuer}{DEVICE_AUTHORIZATION_PATH}"
    endpoint = DeviceAuthorizationEndpoint(
        oauth.clients,
        core.hasher,
        store,
        DeviceFlowPolicy(
            # §3.2: short enough to type; the page asks for the code itself.
            verification_uri=f"{core.issuer}{DEVICE_PATH}",
            expires_in=config.expires_in,
            interval=config.interval,
        ),
        clock=core.tokens.now,  # one clock with the token step's polling rules
    )

    async def device_authorization(request: EndpointRequest) -> RawResponse:
        # §3.2: JSON with Cache-Control: no-store; errors as at the token endpoint (§3.2).
        return oauth_json(await endpoint.handle(request))

    pages = DevicePages(
        pages=core.pages,
        verification=DeviceVerification(store, oauth.clients, core.tokens),
        consents=oauth.consents,
        subjects=core.id_tokens.subjects,
        throttle=UserCodeThrottle(
            core.counters,
            core.hasher,
            per_address=config.failures_per_address,
            per_code=config.failures_per_code,
            window_seconds=config.window_seconds,
        ),
    )
    # §3.1: a form POSTed like a token request, the client authenticated the same way.
    app = FormEndpoint(device_authorization)
    paths = (DEVICE_AUTHORIZATION_PATH, DOT_DEVICE_AUTHORIZATION_PATH)
    return Feature(
        routes=[*(Route(path, app, methods=["POST"]) for path in paths), *device_routes(pages)],
        metadata={"device_authorization_endpoint": endpoint_url},  # RFC 8628 §4
        oauth_error_paths=paths,
    )
