"""The operator's webhook (``STINT_CIBA_WEBHOOK_URL``): each new backchannel authentication
request is POSTed there as JSON, so a company can alert the person in its own app (a push
notification to a phone, a chat message) and send them to /approve.

The body never holds the ``auth_req_id``: that is the client's handle for its tokens. It holds
the request's ``request_id`` (the one /approve shows), who asks (client), whom (user), for what
(scopes, binding message) and until when.
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from stint.protocol.ciba.ports import BackchannelRequest
from stint.protocol.clients import Client
from stint.protocol.ports import UserDirectory
from stint.web.ciba.notifications import Notification, Notifier

__all__ = ["EVENT", "Webhook"]

EVENT = "backchannel_authentication_request"

log = logging.getLogger("stint.ciba")


class Webhook:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        notifier: Notifier,
        users: UserDirectory,
        approve_url: str,
    ) -> None:
        self._url = url
        self._token = token or None
        self._notifier = notifier
        self._users = users
        self._approve_url = approve_url

    async def announce(self, request: BackchannelRequest, client: Client) -> None:
        """Queue the POST for a new request; the client's call does not wait for it, nor fail
        with it."""
        try:
            payload = await self.payload(request, client)
        except Exception:  # the request stands; only the operator's alert is lost
            log.exception("the CIBA webhook for client %s was not sent", request.client_id)
            return
        self._notifier.send(
            Notification(
                client_id=request.client_id, endpoint=self._url, bearer=self._token, payload=payload
            )
        )

    async def settle(self) -> None:
        """Wait for the POSTs in flight (tests: what was sent has arrived)."""
        await self._notifier.settle()

    async def payload(self, request: BackchannelRequest, client: Client) -> dict[str, Any]:
        return {
            "event": EVENT,
            "request_id": request.handle,
            "approve_url": self._approve_url,
            "client_id": request.client_id,
            "client_name": client.name,
            "user": {
                "id": request.user_id,
                "username": await self._users.active_username(request.user_id),
            },
            "scopes": sorted(request.scopes),
            "binding_message": request.binding_message,
            "created_at": request.created_at.astimezone(UTC).isoformat(),
            "expires_at": request.expires_at.astimezone(UTC).isoformat(),
        }
