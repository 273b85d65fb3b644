"""The CIBA protocol objects over the core's stores: the endpoint, /approve's operations, and
what to tell ping and push clients once the person decided."""

from __future__ import annotations

from dataclasses import dataclass

from stint.protocol.ciba.approval import BackchannelApprovals
from stint.protocol.ciba.endpoint import BackchannelAuthenticationEndpoint
from stint.protocol.ciba.hints import HintResolver
from stint.protocol.ciba.notifications import BackchannelNotifications
from stint.protocol.ciba.policy import CibaPolicy
from stint.protocol.ciba.ports import (
    BackchannelRequest,
    BackchannelRequestStore,
    HintedUsers,
    JtiReplayStore,
)
from stint.protocol.ciba.signed_request import SignedRequests
from stint.protocol.ciba.tokens import CibaTokens
from stint.web.ciba.notifications import Notification, Notifier
from stint.web.core import Core

__all__ = ["Ciba", "CibaStores", "build_ciba"]


@dataclass(frozen=True, slots=True)
class CibaStores:
    requests: BackchannelRequestStore
    jtis: JtiReplayStore
    hinted: HintedUsers


@dataclass(frozen=True, slots=True)
class Ciba:
    endpoint: BackchannelAuthenticationEndpoint
    approvals: BackchannelApprovals
    notifications: BackchannelNotifications
    notifier: Notifier

    async def decided(self, request: BackchannelRequest) -> None:
        """Queue the ping or push POST a decision calls for (§10.2, §10.3, §12), if any; the
        page that decided does not wait for the client."""
        notification = await self.notifications.after_decision(request)
        if notification is not None:
            self.notifier.send(
                Notification(
                    client_id=request.client_id,
                    endpoint=notification.endpoint,
                    bearer=notification.bearer,
                    payload=notification.body,
                )
            )


def build_ciba(core: Core, policy: CibaPolicy, stores: CibaStores, notifier: Notifier) -> Ciba:
    oauth = core.oauth
    endpoint = BackchannelAuthenticationEndpoint(
        clients=oauth.clients,
        hasher=core.hasher,
        requests=stores.requests,
        signed=SignedRequests(core.issuer, core.client_keys, stores.jtis),
        hints=HintResolver(
            issuer=core.issuer,
            keys=core.keys,
            client_keys=core.client_keys,
            subjects=core.id_tokens.subjects,
            hinted=stores.hinted,
            users=core.users,
        ),
        users=core.users,
        policy=policy,
    )
    approvals = BackchannelApprovals(
        requests=stores.requests, clients=oauth.clients, consents=oauth.consents, tokens=core.tokens
    )
    notifications = BackchannelNotifications(
        requests=stores.requests,
        clients=oauth.clients,
        tokens=CibaTokens(core.tokens, oauth.grants, core.users, core.id_tokens),
    )
    return Ciba(endpoint, approvals, notifications, notifier)
