"""The device authorization grant's token step (RFC 8628 §3.4-3.5): the device polls with its
device code until the person approves or denies on /device, or the code expires."""

from __future__ import annotations

from typing import Any

from stint.protocol.clients import Client
from stint.protocol.device import DEVICE_CODE_GRANT
from stint.protocol.device.ports import DeviceAuthorizationStore, DeviceStatus
from stint.protocol.errors import (
    AccessDeniedError,
    AuthorizationPendingError,
    ExpiredTokenError,
    InvalidGrantError,
    InvalidRequestError,
    SlowDownError,
)
from stint.protocol.grants.context import GrantContext
from stint.protocol.grants.user_tokens import user_token_response
from stint.protocol.messages import EndpointRequest

__all__ = ["DeviceCodeGrant"]


class DeviceCodeGrant:
    grant_type = DEVICE_CODE_GRANT

    def __init__(self, context: GrantContext) -> None:
        if context.device_authorizations is None:
            raise ValueError(f"{DEVICE_CODE_GRANT} needs the device authorization store")
        self._ctx = context
        self._store: DeviceAuthorizationStore = context.device_authorizations

    async def exchange(self, client: Client, request: EndpointRequest) -> dict[str, Any]:
        value = request.params.get("device_code")
        if not value:
            raise InvalidRequestError("device_code is required")  # §3.4
        tokens = self._ctx.tokens
        device_code_hash = tokens.hasher.hash(value)
        found = await self._store.get(device_code_hash)
        # §3.4: the code is bound to the client it was issued to; another's is no code at all.
        if found is None or found.client_id != client.client_id:
            raise InvalidGrantError("unknown device code")
        if found.status is DeviceStatus.ISSUED:
            raise InvalidGrantError("the device code was already used")
        now = tokens.now()
        if found.expires_at <= now:
            raise ExpiredTokenError("the device code expired; start again")  # §3.5
        if found.status is DeviceStatus.DENIED:
            raise AccessDeniedError("the user denied the request")  # §3.5
        if found.status is DeviceStatus.PENDING:
            poll = await self._store.poll(device_code_hash, now=now)
            if poll is not None and poll.too_fast:
                # §3.5: the interval grows by 5 seconds for this and every later request.
                raise SlowDownError(f"poll at most every {poll.interval} seconds")
            raise AuthorizationPendingError("the user has not answered yet")
        # Approved: of any number of polls at once, one gets the tokens; the code is then spent.
        if not await self._store.issue(device_code_hash, now=now):
            raise InvalidGrantError("the device code was already used")
        if found.grant_id is None or found.user_id is None:
            raise InvalidGrantError("the device code was never approved")
        if await self._ctx.grants.is_revoked(found.grant_id):
            raise InvalidGrantError("the grant was revoked")  # on /account, before the poll
        return await user_token_response(
            self._ctx, client, found.user_id, found.scopes, found.grant_id, found.oidc
        )
