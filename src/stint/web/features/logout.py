"""Sign-out for relying parties: RP-Initiated Logout (/o/logout/) and Back-Channel Logout."""

from __future__ import annotations

from dataclasses import dataclass

from stint.protocol.oidc.end_session import EndSessionValidator
from stint.protocol.oidc.logout_token import LogoutTokens
from stint.settings import Settings
from stint.storage.logout_delivery_store import SqlLogoutDeliveryStore
from stint.web.backchannel import BackchannelLogout
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.oauth.logout import LogoutDependencies, logout_routes

__all__ = ["LogoutConfig", "build", "feature"]


@dataclass(frozen=True, slots=True)
class LogoutConfig:
    """The settings Back-Channel Logout reads."""

    backchannel_logout_attempts: int
    backchannel_logout_retry_seconds: float
    outbound_timeout_seconds: float  # a delivery's lease outlives its call

    @classmethod
    def from_settings(cls, settings: Settings) -> LogoutConfig:
        return cls(
            backchannel_logout_attempts=settings.backchannel_logout_attempts,
            backchannel_logout_retry_seconds=settings.backchannel_logout_retry_seconds,
            outbound_timeout_seconds=settings.outbound_timeout_seconds,
        )


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, LogoutConfig.from_settings(settings))


def build(core: Core, config: LogoutConfig) -> Feature:
    # OIDC Back-Channel Logout: every way a session ends tells the apps that signed in with it.
    backchannel = BackchannelLogout(
        clients=core.oauth.clients,
        session_clients=core.oauth.session_clients,
        deliveries=SqlLogoutDeliveryStore(core.db, max_attempts=config.backchannel_logout_attempts),
        tokens=LogoutTokens(core.id_tokens),
        http=core.outbound,
        retry_seconds=config.backchannel_logout_retry_seconds,
        lease_seconds=config.outbound_timeout_seconds + 10,
    )
    core.sessions.on_end(backchannel.session_ended)

    async def start() -> None:
        backchannel.start()

    end_session = EndSessionValidator(core.oauth.clients, core.keys, core.issuer)
    return Feature(
        routes=logout_routes(LogoutDependencies(core.pages, end_session)),
        discovery={
            # RP-Initiated Logout §2.1, Back-Channel Logout §2.1
            "end_session_endpoint": f"{core.issuer}/o/logout/",
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
        },
        on_start=[start],
        on_stop=[backchannel.aclose],
        state={"backchannel": backchannel},  # tests reach its delivery queue
    )
