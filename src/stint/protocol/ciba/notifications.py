"""Calling ping and push clients back (CIBA Core §10.2, §10.3, §12): what to POST, where, with
which bearer token. The web layer sends it through the outbound client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stint.protocol.ciba.ports import (
    BackchannelRequest,
    BackchannelRequestStore,
    BackchannelStatus,
)
from stint.protocol.ciba.tokens import CibaTokens
from stint.protocol.errors import OAuthError
from stint.protocol.ports import ClientStore

__all__ = ["BackchannelNotifications", "Notification"]


@dataclass(frozen=True, slots=True)
class Notification:
    """A JSON POST to the client's notification endpoint, ``Authorization: Bearer <bearer>``."""

    endpoint: str
    bearer: str
    body: dict[str, Any]


class BackchannelNotifications:
    def __init__(
        self,
        *,
        requests: BackchannelRequestStore,
        clients: ClientStore,
        tokens: CibaTokens,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._requests = requests
        self._clients = clients
        self._tokens = tokens
        self._clock = clock

    async def after_decision(self, request: BackchannelRequest) -> Notification | None:
        """What to send once ``request`` (just approved or denied) is decided: nothing for poll
        clients; ``{"auth_req_id"}`` for ping (§10.2); the tokens (§10.3.1) or the error (§12)
        for push, the tokens issued here, once."""
        mode = request.delivery_mode
        if mode not in ("ping", "push") or request.auth_req_id is None:
            return None
        client = await self._clients.get(request.client_id)
        endpoint = client.meta("backchannel_client_notification_endpoint") if client else None
        if client is None or not isinstance(endpoint, str) or not request.client_notification_token:
            return None
        auth_req_id = request.auth_req_id
        if mode == "ping":
            body: dict[str, Any] = {"auth_req_id": auth_req_id}
        elif request.status is BackchannelStatus.DENIED:
            body = _error(auth_req_id, "access_denied", "the user denied the request")
        else:
            redeemed = await self._requests.redeem(request.auth_req_id_hash, self._clock())
            if redeemed is None:
                return None  # pushed already: tokens go out once
            try:
                body = await self._tokens.issue(client, redeemed, pushed_auth_req_id=auth_req_id)
            except OAuthError as exc:  # revoked or deactivated since approval
                body = _error(auth_req_id, "transaction_failed", exc.description)
        return Notification(endpoint, request.client_notification_token, body)


def _error(auth_req_id: str, error: str, description: str) -> dict[str, Any]:
    """§12: the push error payload."""
    return {"error": error, "error_description": description, "auth_req_id": auth_req_id}
