"""CIBA (OpenID Client-Initiated Backchannel Authentication Core 1.0), when its grant type is
enabled: the backchannel authentication endpoint (§7), the /approve page where the person
decides, ping and push notifications to clients (§10.2, §10.3, §12), the operator's webhook,
and the discovery entries (§4). The grant itself (§10.1) is the token endpoint's, from GRANTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from starlette.routing import Route

from stint.outbound.fetch import OutboundHttp
from stint.protocol.ciba import GRANT_TYPE
from stint.protocol.ciba.policy import DEFAULT_POLICY, CibaPolicy
from stint.protocol.messages import EndpointRequest
from stint.protocol.oidc.client_signatures import SIGNED_ALGS
from stint.settings import Settings
from stint.storage.hinted_users import SqlHintedUsers
from stint.storage.request_jti_store import SqlRequestJtiStore
from stint.web.ciba.approve import (
    APPROVE_PATH,
    ApproveDependencies,
    account_panel,
    approve_routes,
)
from stint.web.ciba.notifications import Notifier
from stint.web.ciba.webhook import Webhook
from stint.web.ciba.wiring import CibaStores, build_ciba
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.oauth.endpoints import FormEndpoint
from stint.web.oauth.responses import RawResponse, oauth_json

__all__ = ["BACKCHANNEL_PATH", "CibaConfig", "build", "feature"]

BACKCHANNEL_PATH = "/o/bc-authorize"


@dataclass(frozen=True, slots=True)
class CibaConfig:
    """The settings CIBA reads."""

    enabled: bool  # the grant type is enabled: else no endpoint, page or discovery entry
    notification_attempts: int = 5
    notification_retry_seconds: float = 2.0
    webhook_url: str = ""
    webhook_token: str = field(default="", repr=False)
    policy: CibaPolicy = DEFAULT_POLICY

    @classmethod
    def from_settings(cls, settings: Settings) -> CibaConfig:
        return cls(
            enabled=GRANT_TYPE in settings.grant_types,
            notification_attempts=settings.ciba_notification_attempts,
            notification_retry_seconds=settings.ciba_notification_retry_seconds,
            webhook_url=settings.ciba_webhook_url,
            webhook_token=settings.ciba_webhook_token,
            policy=CibaPolicy(user_code_supported=settings.ciba_user_codes),
        )


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, CibaConfig.from_settings(settings))


def build(core: Core, config: CibaConfig, *, stores: CibaStores | None = None) -> Feature:
    if not config.enabled:
        return Feature()
    notifier = Notifier(
        core.outbound,
        attempts=config.notification_attempts,
        retry_seconds=config.notification_retry_seconds,
    )
    ciba = build_ciba(core, config.policy, stores or sql_ciba_stores(core), notifier)
    stops = [notifier.aclose]
    webhook: Webhook | None = None
    if config.webhook_url:
        # The operator chose this URL: it may be on the company's own network, so private
        # addresses are allowed; the time, size, redirect and https rules stay.
        operator_http = OutboundHttp(replace(core.outbound.policy, allow_private_addresses=True))
        webhook_notifier = Notifier(
            operator_http,
            attempts=config.notification_attempts,
            retry_seconds=config.notification_retry_seconds,
        )
        webhook = Webhook(
            config.webhook_url,
            config.webhook_token,
            notifier=webhook_notifier,
            users=core.users,
            approve_url=f"{core.issuer}{APPROVE_PATH}",
        )
        stops += [webhook_notifier.aclose, operator_http.aclose]

    async def backchannel_authentication(request: EndpointRequest) -> RawResponse:
        started = await ciba.endpoint.handle(request)
        if webhook is not None:
            await webhook.announce(started.request, started.client)
        return oauth_json(started.body)  # §7.3: 200, JSON, no-store

    approve = ApproveDependencies(core.pages, ciba.approvals, ciba.decided)
    core.pages.account_panels.append(lambda request, user: account_panel(approve, request, user))
    routes = [
        # §7: POST only, a form, the client authenticated as at the token endpoint.
        Route(BACKCHANNEL_PATH, FormEndpoint(backchannel_authentication), methods=["POST"]),
        *approve_routes(approve),
    ]
    return Feature(
        routes=routes,
        metadata=_metadata(core.issuer, config.policy),
        on_stop=stops,
        state={"ciba_notifier": notifier, "ciba_webhook": webhook},  # tests wait on deliveries
        oauth_error_paths=(BACKCHANNEL_PATH,),
    )


def _metadata(issuer: str, policy: CibaPolicy) -> dict[str, Any]:
    """CIBA Core §4: the OP's backchannel entries (in RFC 8414 metadata and discovery)."""
    return {
        "backchannel_authentication_endpoint": f"{issuer}{BACKCHANNEL_PATH}",
        "backchannel_token_delivery_modes_supported": list(policy.delivery_modes),
        # §7.1.1: signed requests, with the algorithms client JWTs are verified with (no none).
        "backchannel_authentication_request_signing_alg_values_supported": list(SIGNED_ALGS),
        "backchannel_user_code_parameter_supported": policy.user_code_supported,
    }


def sql_ciba_stores(core: Core) -> CibaStores:
    """The stores on the core's database."""
    return CibaStores(
        requests=core.oauth.backchannel_requests,
        jtis=SqlRequestJtiStore(core.db),
        hinted=SqlHintedUsers(core.db),
    )
