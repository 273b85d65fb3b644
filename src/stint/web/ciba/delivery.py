"""Telling a ping or push client that the person decided (CIBA Core §10.2, §10.3, §12): the body
for its mode, POSTed in the background to its ``backchannel_client_notification_endpoint`` with
its ``client_notification_token`` as the Bearer token."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from stint.protocol.ciba import NOTIFIED_MODES
from stint.protocol.ciba.ports import BackchannelRequest, BackchannelStatus
from stint.protocol.clients import Client
from stint.protocol.ports import ClientStore
from stint.web.ciba.notifications import Notification, Notifier

__all__ = ["ClientNotifications", "PushTokens"]

log = logging.getLogger("stint.ciba")

# §10.3.1: issue the tokens of an approved push-mode request (marking it issued, once) and
# answer the token response body with its auth_req_id; None if it was issued already.
PushTokens = Callable[[BackchannelRequest, Client], Awaitable[dict[str, Any] | None]]


class ClientNotifications:
    def __init__(self, clients: ClientStore, notifier: Notifier, push_tokens: PushTokens) -> None:
        self._clients = clients
        self._notifier = notifier
        self._push_tokens = push_tokens

    async def decided(self, request: BackchannelRequest) -> None:
        """Queue the notification of a request just approved or denied, if its mode has one."""
        if request.delivery_mode not in NOTIFIED_MODES or request.auth_req_id is None:
            return
        client = await self._clients.get(request.client_id)
        endpoint = client.meta("backchannel_client_notification_endpoint") if client else None
        if client is None or not isinstance(endpoint, str) or not endpoint:
            log.warning("CIBA client %s has no notification endpoint", request.client_id)
            return
        body = await self._body(request, client)
        if body is None:
            return
        self._notifier.send(
            Notification(
                client_id=client.client_id,
                endpoint=endpoint,
                bearer=request.client_notification_token,
                payload=body,
            )
        )

    async def _body(self, request: BackchannelRequest, client: Client) -> dict[str, Any] | None:
        auth_req_id = request.auth_req_id
        if request.delivery_mode == "ping":
            # §10.2: only the id; the client then asks the token endpoint, which answers the
            # tokens or access_denied.
            return {"auth_req_id": auth_req_id}
        if request.status is BackchannelStatus.DENIED:
            # §12: the push error payload.
            return {
                "error": "access_denied",
                "error_description": "The person denied the request",
                "auth_req_id": auth_req_id,
            }
        return await self._push_tokens(request, client)  # §10.3.1
